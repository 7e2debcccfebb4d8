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


# A batch is converted by one LibreOffice process in chunks of at most this many documents, each
# allowed the document timeout plus this much per further document: a stuck conversion of 290 invoice
# bases holds the invoice series' lock minutes, not hours.
CHUNK = 20
PER_FURTHER_DOCUMENT_S = 10


def to_pdfs(docxs: list[Path], outdir: Path | None = None, timeout: int = 180) -> dict[Path, Path | None]:
    """Convert the documents with one LibreOffice process per chunk (its start costs seconds; a batch
    of invoice bases pays it once per :data:`CHUNK`): ``{docx: pdf}``, ``None`` for a document that
    was not converted. ``outdir`` defaults to each document's own folder.

    A PDF already at a target path is removed first (an older run's copy is never taken for this
    one's), and a PDF LibreOffice leaves behind without succeeding (an error exit, a timeout, an
    interruption) is removed too: what is on disk afterwards is exactly what the result names."""
    out: dict[Path, Path | None] = {Path(d): None for d in docxs}
    exe = find_soffice()
    if exe is None:
        if docxs:
            log.warning(MISSING + ": %s", ", ".join(Path(d).name for d in docxs))
        return out
    by_dir: dict[Path, list[Path]] = {}
    for d in out:
        by_dir.setdefault(Path(outdir or d.parent).resolve(), []).append(d)
    for target, docs in by_dir.items():
        target.mkdir(parents=True, exist_ok=True)
        for start in range(0, len(docs), CHUNK):
            chunk = docs[start:start + CHUNK]
            made = _convert(exe, chunk, target, timeout + PER_FURTHER_DOCUMENT_S * (len(chunk) - 1))
            out.update(made)
    return out


def _convert(exe: str, chunk: list[Path], target: Path, timeout: int) -> dict[Path, Path | None]:
    pdfs = {d: target / f"{d.stem}.pdf" for d in chunk}
    for pdf in pdfs.values():
        pdf.unlink(missing_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix="runreport-lo-") as profile:
            cmd = [exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
                   "--convert-to", f"pdf:writer_pdf_Export:{EXPORT_OPTIONS}", "--outdir", str(target),
                   *(str(d.resolve()) for d in chunk)]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        failure = f"avbröts efter {timeout} s"
    except OSError as exc:
        failure = f"{type(exc).__name__}: {exc.strerror}"
    except BaseException:
        for pdf in pdfs.values():
            pdf.unlink(missing_ok=True)
        raise
    else:
        failure = None if proc.returncode == 0 else \
            f"kod {proc.returncode}: {(proc.stderr or proc.stdout).strip()[:300]}"
    made: dict[Path, Path | None] = {}
    for d, pdf in pdfs.items():
        if failure is None and pdf.exists():
            made[d] = pdf
            continue
        pdf.unlink(missing_ok=True)   # a half-written or unconfirmed copy is not kept
        made[d] = None
        log.warning("PDF-konvertering av %s med LibreOffice misslyckades (%s)", d.name,
                    failure or "ingen PDF skapades")
    return made


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
