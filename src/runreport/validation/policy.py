"""Quarantine, row accounting and the rejection policy of a source file: the one policy the
pipeline applies (``runreport.steps.validate._settle``) to every checked file.

Given the rows read from a file and every issue found about them (parse issues from ingest and
validation issues from :func:`runreport.validation.run.validate_frame`):

- a row with at least one issue is quarantined, with all its reasons; every other row loads;
- a file-level issue (``row == 0``) quarantines no row by itself;
- the source is **rejected** (:class:`~runreport.quality.SourceRejected`, naming the file and the
  rule) when a critical issue exists or when the share of quarantined rows exceeds
  ``validation.max_rejected_share`` (``config/pipeline.yaml``). A rejected file loads nothing:
  all its rows count as quarantined;
- a file stopped only by plausibility findings (:data:`HELD_RULES`) is **held** for a steward's
  decision: it loads nothing, blocks like a rejected file, and is checked again in every run, so a
  ``validation.accept_*`` setting loads the same file (its rows count as quarantined until then);
- the invariant ``rows_in == rows_loaded + rows_quarantined`` is asserted.

The :class:`Decision` travels on the exception (``exc.decision``) so the caller can still log
the file and its quarantined rows when the source is rejected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from runreport.quality import RowIssue, SourceRejected

DEFAULT_MAX_REJECTED_SHARE = 0.05
# Plausibility findings (runreport.validation.plausibility) that hold a file for a steward's decision:
# the figures parse and pass their checks but are unlikely; a validation.accept_* setting (or a
# corrected file) decides. A file stopped only by these is "held", not "rejected".
HELD_RULES = frozenset({"population_change", "corrected_drop", "amount_over_budget"})
NOT_NULL = "expect_column_values_to_not_be_null"


@dataclass
class Decision:
    file_name: str
    source: str
    rows_in: int
    quarantined: dict[int, list[RowIssue]] = field(default_factory=dict)  # row -> all its issues
    file_issues: list[RowIssue] = field(default_factory=list)             # row 0: the whole file
    found: list[RowIssue] = field(default_factory=list)                   # every issue, as found
    rejected: bool = False
    message: str | None = None
    rejected_share: float = 0.0
    max_rejected_share: float = DEFAULT_MAX_REJECTED_SHARE

    @property
    def rows_quarantined(self) -> int:
        return self.rows_in if self.rejected else len(self.quarantined)

    @property
    def rows_loaded(self) -> int:
        return self.rows_in - self.rows_quarantined

    @property
    def held(self) -> bool:
        """Stopped only by plausibility findings (:data:`HELD_RULES`), waiting for a steward's decision."""
        critical = [i for i in self.found if i.critical]
        return self.rejected and bool(critical) and all(i.rule in HELD_RULES for i in critical)

    @property
    def status(self) -> str:
        return ("held" if self.held else "rejected") if self.rejected else "loaded"

    @property
    def issues(self) -> list[RowIssue]:
        """Every issue in the order found (a rejection for the share of bad rows last)."""
        return list(self.found)

    def ok_mask(self, rows: pd.Series | Sequence[int] | np.ndarray) -> np.ndarray:
        """Boolean mask over ``rows`` (the frame's ``_row`` column): True = load the row."""
        arr = np.asarray(rows)
        if self.rejected:
            return np.zeros(len(arr), dtype=bool)
        return ~np.isin(arr, np.fromiter(self.quarantined, dtype=np.int64, count=len(self.quarantined)))

    def top_reasons(self, n: int = 5) -> list[tuple[str, str, int]]:
        """The most frequent (rule, field) among the issues: (rule, field, count)."""
        c = Counter((i.rule, i.field or "") for i in self.issues)
        return [(rule, fld, k) for (rule, fld), k in c.most_common(n)]


def decide(file_name: str, source: str, rows_in: int, issues: Iterable[RowIssue],
           max_rejected_share: float | None = None, raise_on_reject: bool = True) -> Decision:
    """Apply the quarantine policy to one file. Raises :class:`SourceRejected` (with
    ``exc.decision``) when the file is rejected, unless ``raise_on_reject`` is False."""
    share_limit = DEFAULT_MAX_REJECTED_SHARE if max_rejected_share is None else float(max_rejected_share)
    d = Decision(file_name=file_name, source=source, rows_in=int(rows_in), max_rejected_share=share_limit)
    issues = list(issues)
    # A field the ingest could not parse is empty in the typed frame; its not-null finding only
    # repeats the parse issue and is dropped.
    parsed_bad = {(i.row, i.field) for i in issues if i.rule != NOT_NULL}
    for issue in issues:
        if issue.rule == NOT_NULL and (issue.row, issue.field) in parsed_bad:
            continue
        d.found.append(issue)
        if issue.row <= 0:
            d.file_issues.append(issue)
        else:
            d.quarantined.setdefault(issue.row, []).append(issue)
    if len(d.quarantined) > d.rows_in:
        raise ValueError(f"{file_name}: {len(d.quarantined)} rows with issues but only {rows_in} rows in")

    critical = [i for i in d.found if i.critical]
    d.rejected_share = (len(d.quarantined) / rows_in) if rows_in else 0.0
    if critical:
        d.rejected = True
        d.message = critical[0].message(file_name, source)
    elif d.rejected_share > share_limit:
        d.rejected = True
        d.message = (f"{file_name}: {d.rejected_share:.0%} av raderna avvisades, gränsen är {share_limit:.0%} / "
                     f"{d.rejected_share:.0%} of the rows were rejected, the limit is {share_limit:.0%}")
        d.found.append(RowIssue(0, None, "rejected_share", d.message, d.message, True))
    assert d.rows_in == d.rows_loaded + d.rows_quarantined, "row accounting broken"
    if d.rejected and raise_on_reject:
        err = SourceRejected(d.message)
        err.decision = d  # type: ignore[attr-defined]
        raise err
    return d
