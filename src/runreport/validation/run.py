"""Run a source's Great Expectations suite on a typed frame and map the result back to
:class:`~runreport.quality.RowIssue` objects (Swedish and English, naming the value).

Great Expectations is imported inside the functions only (never at DAG parse time).

GX runs through its public API (:mod:`runreport.validation.gx`: a ValidationDefinition per file,
run by a Checkpoint, the result stored by GX without the partner's values). The frame is given to
GX with a plain positional index and *without* ``unexpected_index_column_names``: GX then returns
the unexpected positions as a plain list (the named-column variant builds one dict per failing
row with ``DataFrame.at``, which costs ~25 s on 500 000 rows). Positions are mapped to the file's
row numbers (``df["_row"]``) with numpy; the reasons are :mod:`runreport.validation.reasons`.
Suites are described once per (source, context) and cached
(:func:`runreport.validation.suites.checks_for`).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from runreport.quality import CheckResult, RowIssue, ValidationContext
from runreport.schema import SOURCES
from runreport.validation import gx
from runreport.validation.reasons import critical_issue, row_reasons, unique_issues
from runreport.validation.suites import READ_FINDING, Check, build_suite, checks_for, reader_checks

log = logging.getLogger(__name__)

ALIASES = {"organisation": "org_code", "email": "person_key"}  # canonical field -> typed-frame column


@dataclass
class ValidationOutcome:
    source: str
    file_name: str | None
    rows_in: int
    issues: list[RowIssue] = field(default_factory=list)
    success: bool = True                    # every expectation passed
    statistics: dict[str, Any] = field(default_factory=dict)
    suite_name: str = ""
    checks: list[CheckResult] = field(default_factory=list)   # every check of the suite, in order

    @property
    def critical(self) -> list[RowIssue]:
        return [i for i in self.issues if i.critical]


# --------------------------------------------------------------------------- main entry point

def validate_frame(source: str, df: pd.DataFrame, ctx: ValidationContext,
                   declared_total: Decimal | float | None = None, docs_dir: Path | str | None = None,
                   run_name: str = "run", file_name: str | None = None,
                   population_year: int | None = None, context: Any = None,
                   read_issues: list[RowIssue] | None = None) -> ValidationOutcome:
    """Validate the typed frame of one file of ``source``.

    ``df`` holds the canonical columns of the source (typed: ints as Int64/int64, dates as
    ``datetime.date``, amounts as ``Decimal``, codes as strings) and ``_row``, the 1-based data
    row number in the file. ``declared_total`` is the ledger file's trailing total row, if any.
    ``population_year`` overrides the reference year of the population check (default
    ``ctx.year - 1``). GX stores the result in the stores beside ``docs_dir``
    (:func:`runreport.validation.gx.stores_root`), or in memory without it; a run validating many
    files passes its one ``context`` (:func:`runreport.validation.gx.context`). ``read_issues`` are
    the reader's findings on the file (:func:`runreport.ingest.parse.parse_frame`): GX's ``rows.read``
    expectation checks that no row has one, and the stewards' lines for the reader's checks
    (:func:`runreport.validation.suites.reader_checks`) count them. Returns the issues; applying the
    quarantine policy is :func:`runreport.validation.policy.decide`.
    """
    src = SOURCES[source]
    if "_row" not in df.columns:
        raise ValueError("validate_frame needs the '_row' column (1-based data row in the file)")
    outcome = ValidationOutcome(source=source, file_name=file_name, rows_in=len(df))
    personal = {f.name for f in src.fields if f.personal}

    frame = df
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or frame.index.step != 1 \
            or frame.index.name is not None:
        frame = frame.reset_index(drop=True)
    # The ingest's typed frame names some columns as the warehouse does: organisation -> org_code,
    # and the personal fields are replaced by one keyed pseudonym person_key (stands in for email).
    renames = {alias: canon for canon, alias in ALIASES.items()
               if canon in {f.name for f in src.fields} and canon not in frame.columns and alias in frame.columns}
    if renames:
        frame = frame.rename(columns=renames)
    pseudonymised = "email" in renames.values()
    # Amounts are Decimal in the product; GX's numeric checks (sum, bounds) need a numeric column, so
    # GX is given a Float64 view of them (exact to the öre at these sizes; the values loaded stay Decimal)
    amounts = [f.name for f in src.fields if f.type == "decimal" and f.name in frame.columns
               and frame[f.name].dtype == object]
    if amounts:
        frame = frame.assign(**{c: pd.array([None if v is None else float(v) for v in frame[c]], dtype="Float64")
                                for c in amounts})
    missing_required = [f.name for f in src.fields if f.required and f.name not in frame.columns
                        and not (pseudonymised and f.personal)]
    missing_optional = [f.name for f in src.fields if not f.required and f.name not in frame.columns]
    if missing_optional:
        frame = frame.assign(**{c: None for c in missing_optional})
    for col in missing_required:
        from runreport.validation.descriptions import field_label

        outcome.checks.append(CheckResult(f"Kolumnen {field_label(source, col)} finns i filen",
                                          field_label(source, col), True, False))
        outcome.issues.append(RowIssue(0, col, "expect_column_to_exist",
                                       f"Den obligatoriska kolumnen {field_label(source, col)} saknas i filen",
                                       f"Required column {col} is missing from the file", critical=True))

    absent = set(missing_required) | {f.name for f in src.fields if f.name not in frame.columns}
    first_finding: dict[int, str] = {}
    for issue in read_issues or []:
        if issue.row:
            first_finding.setdefault(issue.row, issue.rule)
    frame = frame.assign(**{READ_FINDING: pd.array([first_finding.get(r) for r in frame["_row"].tolist()],
                                                   dtype=object)})
    checks = [c for c in checks_for(source, ctx, declared_total, population_year)
              if not (set(_columns(c)) & absent)]
    by_id = {c.id: c for c in checks}
    # One suite per (network, source, year): a year's value sets differ, and workers checking files of
    # different years at the same time must not overwrite each other's suite in the store.
    suite_name = ".".join(str(p) for p in (ctx.tenant, source, ctx.year) if p)
    outcome.suite_name = suite_name

    if context is None:
        context = gx.context(Path(docs_dir) if docs_dir is not None else None)
    from runreport import privacy

    asset_name = gx.safe_name(privacy.file_name(file_name) if file_name else source)
    checkpoint = gx.checkpoint(context, source, suite_name, repr(checks),
                               lambda: build_suite(source, checks, suite_name))
    results = gx.validate(checkpoint, asset_name=asset_name, frame=frame, run_name=run_name)
    outcome.success = bool(results.success)
    outcome.statistics = dict(results.statistics)

    rows = frame["_row"].to_numpy()
    from runreport.validation.descriptions import describe, field_label

    # the reader's findings per field and line: an empty required field, else a value it could not
    # read or resolve (a formula in a text field has no line of its own: rows.read counts it); rows of
    # the file, once each (a population row's finding is given once per year)
    read_counts = Counter((f, line) for f, line, _ in {
        (i.field, "not_null" if i.rule == "required" else "type", i.row)
        for i in read_issues or [] if i.row and i.rule != "formula"})
    for check in reader_checks(source):
        if check.field not in absent:
            failed = read_counts[(check.field, check.reason)]
            outcome.checks.append(CheckResult(describe(source, check), field_label(source, check.field),
                                              False, failed == 0, failed))
    done = {res.expectation_config.meta["check_id"]: res for res in results.results}
    for check in checks:
        res = done.get(check.id)
        if res is not None:
            count = (res.result or {}).get("unexpected_count")
            if check.reason == "read":   # the file's rows (a population row is one row per year in GX)
                count = len(first_finding.keys() & set(rows.tolist()))
            outcome.checks.append(CheckResult(describe(source, check), field_label(source, check.field),
                                              check.critical, bool(res.success),
                                              None if count is None else int(count)))
    for res in results.results:
        check = by_id[res.expectation_config.meta["check_id"]]
        exc = res.exception_info or {}
        if exc.get("raised_exception"):
            log.error("%s: expectation %s raised %s", privacy.file_name(file_name or source), check.id,
                      privacy.mask(str(exc.get("exception_message"))))
            outcome.issues.append(RowIssue(
                0, check.field, check.rule,
                f"Kontrollen {check.rule} på {check.field} kunde inte köras: {exc.get('exception_message')}",
                f"The check {check.rule} on {check.field} could not run: {exc.get('exception_message')}",
                critical=True))
            continue
        if res.success or check.reason == "read":   # the reader's findings say it, per field
            continue
        if check.critical:
            outcome.issues.append(critical_issue(check, res, frame, ctx))
            continue
        idx = res.result.get("unexpected_index_list")
        if idx is None:  # a column-level failure (e.g. the whole column has the wrong dtype)
            observed = res.result.get("observed_value")
            outcome.issues.append(RowIssue(
                0, check.field, check.rule,
                f"Kolumnen {check.field} har fel typ ({observed}); väntat {check.params.get('type', '?')}",
                f"Column {check.field} has the wrong type ({observed}); expected {check.params.get('type', '?')}",
                critical=True))
            continue
        positions = np.asarray(idx, dtype=np.int64)
        if check.reason == "unique":
            outcome.issues.extend(unique_issues(check, frame, positions, personal))
            continue
        values = frame[check.field].to_numpy(dtype=object)[positions].tolist() if check.field else [None] * len(positions)
        sv, en = row_reasons(check, values, ctx, check.field in personal)
        field_name, rule = check.field, check.rule
        outcome.issues.extend(RowIssue(int(r), field_name, rule, s, e)
                              for r, s, e in zip(rows[positions].tolist(), sv, en, strict=True))

    return outcome


def _columns(check: Check) -> list[str]:
    k = check.kwargs
    cols = [k[c] for c in ("column", "column_A", "column_B") if c in k]
    return cols + list(k.get("column_list", []))
