"""The annual report (verksamhetsberättelse): the report as data, then as a document.

- :mod:`.content`: frozen dataclasses for the report's content (no I/O);
- :mod:`.build`: the content for (tenant, year) from the warehouse (SQL in ``include/sql/``) and
  the staff-written texts (``<paths.narrative>/<year>/``);
- :mod:`.render_docx`: the Word document from the content; :mod:`.pdf`: a PDF copy (LibreOffice).
"""

from __future__ import annotations

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
    from runreport.report.pdf import to_pdf
    from runreport.report.render_docx import render_docx

    content = build_content(session, cfg, year, report_date=report_date)
    if draft_gaps:
        content = dataclasses.replace(content, draft_gaps=tuple(draft_gaps))
    out = report_path(cfg, year, draft=bool(draft_gaps))
    out.parent.mkdir(parents=True, exist_ok=True)
    template = cfg.path("templates") / "report_template.docx"
    render_docx(content, out, template=template)
    pdf_path = to_pdf(out) if pdf else None
    warnings = list(content.warnings)
    if pdf and pdf_path is None:
        from runreport.report.pdf import find_soffice

        warnings.append("LibreOffice (soffice) saknas: ingen PDF skapades" if find_soffice() is None
                        else "PDF-konverteringen misslyckades: ingen PDF skapades")
    return {"paths": [p for p in (out, pdf_path) if p is not None], "docx": out, "pdf": pdf_path,
            "warnings": warnings}
