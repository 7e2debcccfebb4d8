"""PDF copy of the report through LibreOffice (``soffice --headless --convert-to pdf``).

The PDF is tagged (``UseTaggedPDF``, and PDF/UA where LibreOffice can: headings, reading order and
the charts' alternative texts reach a screen reader) with its bookmarks from the headings; the fonts
are embedded (Carlito for the template's Calibri, ``fonts-crosextra-carlito``).

LibreOffice is optional: without it, :func:`to_pdf` logs a clear message and returns ``None``.
:func:`to_pdfs` converts a batch in one LibreOffice process (the invoice bases). Each conversion uses
its own temporary LibreOffice profile, so parallel runs do not collide.
:func:`heading_pages` reads back on which page each heading was printed (for the table of contents).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

MISSING = "LibreOffice (soffice) saknas: ingen PDF skapades"
# LibreOffice's PDF export filter options (JSON form, LibreOffice 7.4 and later)
EXPORT_OPTIONS = json.dumps({"UseTaggedPDF": {"type": "boolean", "value": "true"},
                             "PDFUACompliance": {"type": "boolean", "value": "true"},
                             "ExportBookmarks": {"type": "boolean", "value": "true"}}, separators=(",", ":"))


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx: Path, outdir: Path | None = None, timeout: int = 180) -> Path | None:
    """Convert ``docx`` to ``<outdir>/<stem>.pdf``; ``None`` when LibreOffice is absent or fails."""
    return to_pdfs([docx], outdir, timeout)[Path(docx)]


def to_pdfs(docxs: list[Path], outdir: Path | None = None, timeout: int = 180) -> dict[Path, Path | None]:
    """Convert every document in one LibreOffice process (its start costs seconds; a batch of invoice
    bases pays it once): ``{docx: pdf}``, ``None`` for a document that was not converted. ``outdir``
    defaults to each document's own folder (one process per folder); ``timeout`` is per document."""
    out: dict[Path, Path | None] = {Path(d): None for d in docxs}
    exe = find_soffice()
    if exe is None:
        if docxs:
            log.warning(MISSING + ": %s", ", ".join(Path(d).name for d in docxs))
        return out
    by_dir: dict[Path, list[Path]] = {}
    for d in out:
        by_dir.setdefault(Path(outdir or d.parent).resolve(), []).append(d)
    for target, batch in by_dir.items():
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="runreport-lo-") as profile:
            cmd = [exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
                   "--convert-to", f"pdf:writer_pdf_Export:{EXPORT_OPTIONS}", "--outdir", str(target),
                   *(str(d.resolve()) for d in batch)]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout * len(batch),
                                      check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                log.warning("PDF-konvertering av %s med LibreOffice misslyckades: %s",
                            ", ".join(d.name for d in batch), exc)
                continue
        for d in batch:
            pdf = target / f"{d.stem}.pdf"
            if proc.returncode == 0 and pdf.exists():
                out[d] = pdf
            else:
                log.warning("PDF-konvertering av %s med LibreOffice misslyckades (kod %s): %s", d.name,
                            proc.returncode, (proc.stderr or proc.stdout).strip()[:500])
    return out


def page_texts(pdf: Path) -> list[str] | None:
    """The text of each page (poppler's ``pdftotext``), or None without it."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    proc = subprocess.run([exe, "-layout", str(pdf), "-"], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return None
    return proc.stdout.split("\f")


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def heading_pages(pdf: Path, headings: list[str], after_page: int = 1) -> list[int] | None:
    """The page each of ``headings`` (in document order) is printed on, found line by line after
    ``after_page`` (the table of contents) and never before the previous heading's page; None when
    the PDF cannot be read or a heading is not found."""
    pages = page_texts(pdf)
    if pages is None:
        return None
    lines = [[_plain(ln) for ln in page.splitlines()] for page in pages]
    out, page = [], after_page
    for heading in headings:
        want = _plain(heading)
        found = next((n for n in range(page, len(lines)) if want in lines[n]), None)
        if found is None:
            return None
        out.append(found + 1)
        page = found
    return out
