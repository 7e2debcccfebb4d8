"""One Great Expectations validation for several files of a source, and each file's part of its result.

The validate step checks a source's files of a run together (issue 15: one validation per source and
run, not per file): GX's cost is mostly bookkeeping per expectation and validation, not per row, so a
source whose partners send ten files costs one Checkpoint run, not ten. The files' frames are put one
after the other with a ``_file`` column (0, 1, …), and the suite is the files' own checks, changed only
where a check is about the file rather than the row:

- the key is unique *within each file*: the file joins the key (a key repeated in another file is
  the validate step's cross-file duplicate, :func:`runreport.validation.reference.duplicates_against`,
  which names the file it repeats), except on a row whose key is empty, which GX skips as it does
  for one file;
- a file-level (critical) check, such as the ledger's total row or the members' population, is one
  expectation per file, on that file's rows only (GX's ``row_condition`` on ``_file``), under the id
  ``<check id>@<file>``.

:func:`split` gives each file its part of every result: a row check's failing positions within the
file (and so its count and success), a file-level check's own result. One file alone is validated
with its checks unchanged, its frame as it is. :mod:`runreport.validation.run` turns the parts into
the file's check lines and row issues, the same as the file validated alone would give
(``tests/test_validation_batch.py`` compares them); a check that GX could not run on the files
together is run again on each file alone, so that only the files it fails on are told.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from runreport.validation.suites import Check

FILE = "_file"   # the frame's column naming the file of each row (its position in the batch)


@dataclass(frozen=True)
class Found:
    """One check's result on one file of the batch."""

    success: bool
    count: int | None                 # the file's failing rows (None: GX gives no count)
    positions: np.ndarray | None      # their positions in the file's frame (None: no row list)
    observed: Any                     # GX's observed value (a file-level check's own)
    exception: str | None             # the check could not run: GX's message
    rank: int                         # the expectation's place in GX's result (the order findings are given)


@dataclass
class Plan:
    """What GX validates: the batch's ``checks`` on ``frame``; ``starts`` is where each file's rows
    begin; ``ids[k]`` the batch's check id of each of file k's checks, in the file's order."""

    checks: list[Check]
    frame: pd.DataFrame
    starts: list[int]
    ids: list[list[str]]


def plan(source: str, checks: list[list[Check]], frames: list[pd.DataFrame]) -> Plan:
    """The one suite and frame for the files whose checks are ``checks[k]`` and frames ``frames[k]``
    (their row checks must be the same: the same source, context and columns)."""
    if len(frames) == 1:
        return Plan(list(checks[0]), frames[0], [0], [[c.id for c in checks[0]]])
    shared = [c for c in checks[0] if not c.critical]
    for own in checks[1:]:
        if [c for c in own if not c.critical] != shared:
            raise ValueError(f"{source}: the files of one validation must have the same row checks")
    frame = pd.concat([f.assign(**{FILE: k}) for k, f in enumerate(frames)], ignore_index=True)
    batch_checks: list[Check] = []
    for c in shared:
        if c.reason == "unique":   # unique within each file
            cols = [c.kwargs["column"]] if "column" in c.kwargs else list(c.kwargs["column_list"])
            # the file joins the key, except on a row whose key is empty: GX skips such a row (a row
            # whose every key column is missing), and the file's number must not make it a key
            of_key = f"{FILE}_of_{c.id}".replace(".", "_")
            frame[of_key] = frame[FILE].astype(object).where(frame[cols].notna().any(axis=1), None)
            c = dataclasses.replace(c, expectation="ExpectCompoundColumnsToBeUnique",
                                    kwargs={"column_list": [of_key, *cols]})
        batch_checks.append(c)
    ids: list[list[str]] = []
    for k, own in enumerate(checks):
        file_ids = []
        for c in own:
            if c.critical:
                c = dataclasses.replace(c, id=f"{c.id}@{k}", kwargs={**c.kwargs, "row_condition_file": k})
                batch_checks.append(c)
            file_ids.append(c.id)
        ids.append(file_ids)
    starts, at = [], 0
    for f in frames:
        starts.append(at)
        at += len(f)
    return Plan(batch_checks, frame, starts, ids)


def split(plan: Plan, results: Any) -> list[list[Found]]:
    """Each file's part of the ``ExpectationSuiteValidationResult`` of :func:`plan`'s suite: per file,
    one :class:`Found` per check of the file, in the file's order."""
    by_id = {res.expectation_config.meta["check_id"]: (rank, res) for rank, res in enumerate(results.results)}
    critical = {c.id for c in plan.checks if c.critical}
    ends = [*plan.starts[1:], len(plan.frame)]
    out = []
    for k, ids in enumerate(plan.ids):
        start, end = plan.starts[k], ends[k]
        found = []
        for check_id in ids:
            rank, res = by_id[check_id]
            raised = _raised(res.exception_info)
            if raised is not None:
                found.append(Found(False, None, None, None, raised, rank))
                continue
            result = res.result or {}
            idx = result.get("unexpected_index_list")
            if check_id in critical or idx is None or len(plan.ids) == 1:
                positions = None if idx is None else np.asarray(idx, dtype=np.int64)
                count = result.get("unexpected_count")
                found.append(Found(bool(res.success), None if count is None else int(count), positions,
                                   result.get("observed_value"), None, rank))
                continue
            every = np.asarray(idx, dtype=np.int64)
            positions = every[(every >= start) & (every < end)] - start
            found.append(Found(len(positions) == 0, len(positions), positions, result.get("observed_value"),
                               None, rank))
        out.append(found)
    return out


def _raised(info: Any) -> str | None:
    """The message of an exception GX caught running a check, or None. GX 1.x gives it per metric
    (``{metric id: {"raised_exception": True, "exception_message": …}}``), older results flat."""
    if not info:
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None
