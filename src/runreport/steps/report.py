"""The report: the annual report (Word, PDF) from the warehouse's figures."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from runreport.config import Config
from runreport.steps.common import sessions

log = logging.getLogger(__name__)


class IncompleteYear(Exception):
    """The year lacks required sources: only a draft (UTKAST) was written."""


def report(cfg: Config, year: int) -> dict:
    """Write the annual report (Word, and PDF where LibreOffice is present) for the year.

    A year that lacks a required source (:mod:`runreport.completeness`) gets only a draft,
    ``verksamhetsberattelse_<year>_UTKAST.docx``, marked UTKAST on every page and listing the gaps;
    then :class:`IncompleteYear` is raised, so the run fails and says what is missing."""
    from runreport import completeness
    from runreport.report import report_path, write_report
    from runreport.warehouse import status

    Session = sessions(cfg)
    with Session() as s:
        gaps = [str(g) for g in completeness.gaps(s, cfg.tenant, year, completeness.required(cfg, "report"))]
    # The report is dated the day the schedule produces it (Monday of the run week of year+1), not
    # the clock: the same data gives the same document, whenever it is re-run.
    report_date = date.fromisocalendar(year + 1, cfg.reporting.run_iso_week, cfg.reporting.run_iso_weekday)
    with Session() as s:
        result = write_report(s, cfg, year, report_date=report_date, draft_gaps=tuple(gaps))
    with Session.begin() as s:
        status.set_report_state(s, cfg.tenant, year, status.DRAFT if gaps else status.FINAL, gaps)
    if not gaps:  # a draft left from before the data was complete would mislead
        draft = report_path(cfg, year, draft=True)
        for p in (draft, draft.with_suffix(".pdf")):
            p.unlink(missing_ok=True)
    for w in result.get("warnings", []):
        log.warning("%s", w)
    out = {"docx": str(result["docx"]), "pdf": str(result["pdf"]) if result.get("pdf") else None,
           "warnings": [str(w) for w in result.get("warnings", [])], "draft": bool(gaps), "gaps": gaps}
    if gaps:
        raise IncompleteYear(f"Underlag saknas för {year}; bara ett utkast (UTKAST) skrevs, "
                             f"{Path(result['docx']).name}:\n" + "\n".join(f"- {g}" for g in gaps))
    return out
