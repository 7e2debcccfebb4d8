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


# --------------------------------------------------------------------------- main entry points

@dataclass
class FileFrame:
    """One file of a source, for :func:`validate_frames`: its typed frame (with ``_row``), its name,
    its ledger total row and the reader's findings on it."""

    df: pd.DataFrame
    file_name: str | None = None
    declared_total: Decimal | float | str | None = None
    read_issues: list[RowIssue] | None = None


def validate_frame(source: str, df: pd.DataFrame, ctx: ValidationContext,
                   declared_total: Decimal | float | None = None, docs_dir: Path | str | None = None,
                   run_name: str = "run", file_name: str | None = None,
                   population_year: int | None = None, context: Any = None,
                   read_issues: list[RowIssue] | None = None) -> ValidationOutcome:
    """Validate the typed frame of one file of ``source``: :func:`validate_frames` with one file."""
    (outcome,) = validate_frames(source, [FileFrame(df, file_name, declared_total, read_issues)], ctx,
                                 docs_dir=docs_dir, run_name=run_name, population_year=population_year,
                                 context=context)
    return outcome


def validate_frames(source: str, files: list[FileFrame], ctx: ValidationContext, *,
                    docs_dir: Path | str | None = None, run_name: str = "run",
                    population_year: int | None = None, context: Any = None) -> list[ValidationOutcome]:
    """Validate the files of one ``source`` (checked against the same ``ctx``) in one Great
    Expectations validation: one Checkpoint run on their frames together, not one per file. Returns
    one outcome per file, in order, the same as each file validated alone would have.

    Each file's frame holds the canonical columns of the source (typed: ints as Int64/int64, dates
    as ``datetime.date``, amounts as ``Decimal``, codes as strings) and ``_row``, the 1-based data
    row number in the file; ``declared_total`` is a ledger file's trailing total row, if any.
    ``population_year`` overrides the reference year of the population check (default
    ``ctx.year - 1``). GX stores the result in the stores beside ``docs_dir``
    (:func:`runreport.validation.gx.stores_root`), or in memory without it; a run validating many
    sources passes its one ``context`` (:func:`runreport.validation.gx.context`). ``read_issues`` are
    the reader's findings on a file (:func:`runreport.ingest.parse.parse_frame`): GX's ``rows.read``
    expectation checks that no row has one, and the stewards' lines for the reader's checks
    (:func:`runreport.validation.suites.reader_checks`) count them. Applying the quarantine policy to
    the issues is :func:`runreport.validation.policy.decide`.

    What stays per file inside the one validation (:mod:`runreport.validation.batch`): the key is
    unique within each file (another file's repeat is the validate step's cross-file duplicate), and
    a file-level check (the ledger's total row, the members' population) is one expectation per file
    on that file's rows. Files missing different required columns are validated apart (their suites
    differ).
    """
    from runreport.validation import batch

    prepared = [_prepare(source, f, ctx, population_year) for f in files]
    if context is None:
        context = gx.context(Path(docs_dir) if docs_dir is not None else None)
    groups: dict[frozenset[str], list[int]] = {}
    for i, p in enumerate(prepared):
        groups.setdefault(frozenset(p.absent), []).append(i)
    suite_name = ".".join(str(p) for p in (ctx.tenant, source, ctx.year) if p)
    from runreport import privacy

    def run(part: list[_Prepared]) -> list[list[batch.Found]]:
        plan = batch.plan(source, [p.checks for p in part], [p.frame for p in part])
        name = (privacy.file_name(part[0].file.file_name) if len(part) == 1 and part[0].file.file_name
                else f"{source}.{len(part)}_files")
        checkpoint = gx.checkpoint(context, source, suite_name, repr(plan.checks),
                                   lambda: build_suite(source, plan.checks, suite_name))
        found = batch.split(plan, gx.validate(checkpoint, asset_name=gx.safe_name(name), frame=plan.frame,
                                              run_name=run_name))
        if len(part) > 1 and any(f.exception is not None for per_file in found for f in per_file):
            # a check that could not run on the files together: each file alone decides whose it is
            return [run([p])[0] for p in part]
        return found

    for members in groups.values():
        part = [prepared[i] for i in members]
        for p, found in zip(part, run(part), strict=True):
            p.outcome.suite_name = suite_name
            _apply(source, p, found, ctx)
    return [p.outcome for p in prepared]


@dataclass
class _Prepared:
    """One file made ready for GX: the frame GX sees, the checks that apply to it, and what the reader found."""

    file: FileFrame
    outcome: ValidationOutcome
    frame: pd.DataFrame
    absent: set[str]
    checks: list[Check]
    first_finding: dict[int, str]


def _prepare(source: str, f: FileFrame, ctx: ValidationContext, population_year: int | None) -> _Prepared:
    src = SOURCES[source]
    df = f.df
    if "_row" not in df.columns:
        raise ValueError("validate_frame needs the '_row' column (1-based data row in the file)")
    outcome = ValidationOutcome(source=source, file_name=f.file_name, rows_in=len(df))
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
    amounts = [fd.name for fd in src.fields if fd.type == "decimal" and fd.name in frame.columns
               and frame[fd.name].dtype == object]
    if amounts:
        frame = frame.assign(**{c: pd.array([None if v is None else float(v) for v in frame[c]], dtype="Float64")
                                for c in amounts})
    missing_required = [fd.name for fd in src.fields if fd.required and fd.name not in frame.columns
                        and not (pseudonymised and fd.personal)]
    missing_optional = [fd.name for fd in src.fields if not fd.required and fd.name not in frame.columns]
    if missing_optional:
        frame = frame.assign(**{c: None for c in missing_optional})
    for col in missing_required:
        from runreport.validation.descriptions import field_label

        outcome.checks.append(CheckResult(f"Kolumnen {field_label(source, col)} finns i filen",
                                          field_label(source, col), True, False))
        outcome.issues.append(RowIssue(0, col, "expect_column_to_exist",
                                       f"Den obligatoriska kolumnen {field_label(source, col)} saknas i filen",
                                       f"Required column {col} is missing from the file", critical=True))

    absent = set(missing_required) | {fd.name for fd in src.fields if fd.name not in frame.columns}
    first_finding: dict[int, str] = {}
    for issue in f.read_issues or []:
        if issue.row:
            first_finding.setdefault(issue.row, issue.rule)
    frame = frame.assign(**{READ_FINDING: pd.array([first_finding.get(r) for r in frame["_row"].tolist()],
                                                   dtype=object)})
    checks = [c for c in checks_for(source, ctx, f.declared_total, population_year)
              if not (set(_columns(c)) & absent)]
    return _Prepared(f, outcome, frame, absent, checks, first_finding)


def _apply(source: str, p: _Prepared, found: list, ctx: ValidationContext) -> None:
    """Turn the results of one file's checks (:func:`runreport.validation.batch.split`: the file's
    part of each expectation's result) into the file's check lines and row issues."""
    from runreport import privacy
    from runreport.validation.descriptions import describe, field_label

    outcome, frame, absent, checks = p.outcome, p.frame, p.absent, p.checks
    personal = {f.name for f in SOURCES[source].fields if f.personal}
    outcome.success = all(r.success for r in found)
    outcome.statistics = {"evaluated_expectations": len(found),
                          "successful_expectations": sum(r.success for r in found),
                          "unsuccessful_expectations": sum(not r.success for r in found)}
    rows = frame["_row"].to_numpy()
    file_name = p.file.file_name
    # the reader's findings per field and line: an empty required field, else a value it could not
    # read or resolve (a formula in a text field has no line of its own: rows.read counts it); rows of
    # the file, once each (a population row's finding is given once per year)
    read_counts = Counter((f, line) for f, line, _ in {
        (i.field, "not_null" if i.rule == "required" else "type", i.row)
        for i in p.file.read_issues or [] if i.row and i.rule != "formula"})
    for check in reader_checks(source):
        if check.field not in absent:
            failed = read_counts[(check.field, check.reason)]
            outcome.checks.append(CheckResult(describe(source, check), field_label(source, check.field),
                                              False, failed == 0, failed))
    for check, res in zip(checks, found, strict=True):
        count = res.count
        if check.reason == "read":   # the file's rows (a population row is one row per year in GX)
            count = len(p.first_finding.keys() & set(rows.tolist()))
        outcome.checks.append(CheckResult(describe(source, check), field_label(source, check.field),
                                          check.critical, bool(res.success), None if count is None else int(count)))
    for check, res in sorted(zip(checks, found, strict=True), key=lambda cr: cr[1].rank):   # GX's order
        if res.exception is not None:
            said = privacy.mask(str(res.exception))   # GX's message may quote a partner's value
            log.error("%s: expectation %s raised %s", privacy.file_name(file_name or source), check.id, said)
            outcome.issues.append(RowIssue(
                0, check.field, check.rule, f"Kontrollen {check.rule} på {check.field} kunde inte köras: {said}",
                f"The check {check.rule} on {check.field} could not run: {said}", critical=True))
            continue
        if res.success or check.reason == "read":   # the reader's findings say it, per field
            continue
        if check.critical:
            outcome.issues.append(critical_issue(check, res.observed, frame, ctx))
            continue
        if res.positions is None:  # a column-level failure (e.g. the whole column has the wrong dtype)
            outcome.issues.append(RowIssue(
                0, check.field, check.rule,
                f"Kolumnen {check.field} har fel typ ({res.observed}); väntat {check.params.get('type', '?')}",
                f"Column {check.field} has the wrong type ({res.observed}); expected {check.params.get('type', '?')}",
                critical=True))
            continue
        positions = res.positions
        if check.reason == "unique":
            outcome.issues.extend(unique_issues(check, frame, positions, personal))
            continue
        values = frame[check.field].to_numpy(dtype=object)[positions].tolist() if check.field else [None] * len(positions)
        sv, en = row_reasons(check, values, ctx, check.field in personal)
        outcome.issues.extend(RowIssue(int(r), check.field, check.rule, s, e)
                              for r, s, e in zip(rows[positions].tolist(), sv, en, strict=True))


def _columns(check: Check) -> list[str]:
    k = check.kwargs
    cols = [k[c] for c in ("column", "column_A", "column_B") if c in k]
    return cols + list(k.get("column_list", []))
