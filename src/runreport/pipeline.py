"""The annual run's steps, one name each for the DAGs: collect -> validate -> load -> compute -> report.

Each step is its own module in :mod:`runreport.steps`; this module only names them for the DAG files.
"""

from __future__ import annotations

from runreport.steps.collect import collect_files
from runreport.steps.common import (
           FileChanged,
           FileOutcome,
           clear_staging,
           read_inbox_file,
           sessions,
           staged_summary,
)
from runreport.steps.compute import InvoicingRefused, compute, contributions_for_invoicing
from runreport.steps.load import load_files
from runreport.steps.report import IncompleteYear, report
from runreport.steps.validate import validate_files

__all__ = ["FileChanged", "FileOutcome", "IncompleteYear", "InvoicingRefused", "clear_staging", "collect_files",
           "compute", "contributions_for_invoicing", "load_files", "read_inbox_file", "report", "sessions",
           "staged_summary", "validate_files"]
