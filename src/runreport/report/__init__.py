"""The annual report (verksamhetsberättelse): the report as data, then as a document.

- :mod:`.content`: frozen dataclasses for the report's content (no I/O);
- :mod:`.build`: the content for (tenant, year) from the warehouse (SQL in ``include/sql/``) and
  the staff-written texts (``<paths.narrative>/<year>/``);
- :mod:`.render_docx`: the Word document from the content; :mod:`.pdf`: a PDF copy (LibreOffice).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

from runreport.report.content import ReportContent

__all__ = ["ReportContent", "report_path", "write_report"]


def report_path(cfg: Any, year: int, draft: bool = False) -> Path:
    suffix = "_UTKAST" if draft else ""
    return cfg.output_dir(year) / f"verksamhetsberattelse_{year}{suffix}.docx"


def write_report(session: Any, cfg: Any, year: int, *, report_date: date | None = None,
                 pdf: bool = True, draft_gaps: tuple[str, ...] = ()) -> dict[str, Any]:
    """Build and render the report for ``cfg.tenant`` and ``year``.

    Returns ``{"paths": [docx, (pdf)], "docx": Path, "pdf": Path | None, "warnings": [...]}``.
    Missing texts or figures are warnings (and visible placeholders), never failures.
    """
    import dataclasses

    from runreport.report.build import build_content
    from runreport.report.render_docx import render_docx

    content = build_content(session, cfg, year, report_date=report_date)
    if draft_gaps:
        content = dataclasses.replace(content, draft_gaps=tuple(draft_gaps))
    out = report_path(cfg, year, draft=bool(draft_gaps))
    out.parent.mkdir(parents=True, exist_ok=True)
    template = cfg.path("templates") / "report_template.docx"
    fingerprint = _fingerprint(content, template)
    stamp = _read_stamp(out)
    if stamp.get("fingerprint") == fingerprint and _sha256(out) == stamp.get("docx"):
        pdf_path = out.with_suffix(".pdf")   # the same content, template and code: the same bytes
        if pdf and (stamp.get("pdf") is None or _sha256(pdf_path) != stamp.get("pdf")):
            pdf_path = _printed(content, out, template)
        elif not pdf:
            pdf_path = None
    else:
        render_docx(content, out, template=template)
        pdf_path = _printed(content, out, template) if pdf else None
    _write_stamp(out, {"fingerprint": fingerprint, "docx": _sha256(out),
                       "pdf": _sha256(pdf_path) if pdf_path is not None else stamp.get("pdf")})
    warnings = list(content.warnings)
    if pdf and pdf_path is None:
        from runreport.report.pdf import find_soffice

        warnings.append("LibreOffice (soffice) saknas: ingen PDF skapades" if find_soffice() is None
                        else "PDF-konverteringen misslyckades: ingen PDF skapades")
    return {"paths": [p for p in (out, pdf_path) if p is not None], "docx": out, "pdf": pdf_path,
            "warnings": warnings}


def _sha256(path: Path | None) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path is not None else None
    except FileNotFoundError:
        return None


def _fingerprint(content: ReportContent, template: Path) -> str:
    """What the document's bytes depend on: the content (frozen dataclasses, a stable ``repr``), the
    template and the code that renders (this package's modules)."""
    from importlib.metadata import version

    h = hashlib.sha256(repr(content).encode("utf-8"))
    h.update(template.read_bytes() if template.exists() else b"")
    h.update(f"{version('python-docx')} {version('matplotlib')}".encode())
    for module in sorted(Path(__file__).parent.glob("*.py")):
        h.update(module.read_bytes())
    return h.hexdigest()


def _stamp_path(docx: Path) -> Path:
    return docx.with_name(f".{docx.name}.stamp.json")   # hidden: never served to stewards


def _read_stamp(docx: Path) -> dict[str, Any]:
    try:
        return json.loads(_stamp_path(docx).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _write_stamp(docx: Path, stamp: dict[str, Any]) -> None:
    """The report's fingerprint beside it: a re-run whose content, template and code are unchanged
    keeps the document (and its PDF) as they are instead of rendering them again (byte-identical
    anyway); a document edited or deleted since is rendered again."""
    path = _stamp_path(docx)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def _printed(content: ReportContent, out: Path, template: Path) -> Path | None:
    """The PDF, with the table of contents' page numbers as LibreOffice prints them: the document is
    printed once with placeholder numbers, the headings' pages are read back from the PDF, and the
    document is rendered and printed again with them (a third time if that moved a heading)."""
    from runreport.report.pdf import heading_pages, to_pdf
    from runreport.report.render_docx import render_docx, toc_headings

    headings = toc_headings(content)
    labels = ["00"] * len(headings)          # as wide as the numbers will be
    for _ in range(3):
        render_docx(content, out, template=template, toc_pages=labels)
        pdf_path = to_pdf(out)
        if pdf_path is None:
            return None
        pages = heading_pages(pdf_path, headings)
        if pages is None:   # pdftotext missing or a heading not found: the contents without numbers
            import logging

            logging.getLogger(__name__).warning("Innehållsförteckningens sidnummer kunde inte läsas ur PDF:en")
            render_docx(content, out, template=template)
            return to_pdf(out)
        if [str(p) for p in pages] == labels:
            return pdf_path
        labels = [str(p) for p in pages]
    return pdf_path
