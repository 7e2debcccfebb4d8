"""Validation of typed partner data with Great Expectations, quarantine policy and steward summary.

Great Expectations is imported lazily (inside functions) so that importing this package, e.g. from
a DAG file at parse time, stays cheap. The public entry points:

- :func:`runreport.validation.run.validate_frame`: run a source's suite on a typed frame and get
  row-level :class:`~runreport.quality.RowIssue` objects back;
- :func:`runreport.validation.policy.decide`: quarantine + row accounting + the rejection policy;
- :func:`runreport.validation.summary.write_summary`: the steward summary (Markdown, HTML) and the
  per-run quarantine CSV.
"""

from __future__ import annotations

from runreport.validation.policy import Decision, decide
from runreport.validation.run import ValidationOutcome, validate_frame
from runreport.validation.suites import Check, checks_for, known_sections
from runreport.validation.summary import FileResult, write_summary

__all__ = [
    "Check",
    "Decision",
    "FileResult",
    "ValidationOutcome",
    "checks_for",
    "decide",
    "known_sections",
    "validate_frame",
    "write_summary",
]
