"""Run a source's Great Expectations suite on a typed frame and map the result back to
:class:`~runreport.quality.RowIssue` objects (Swedish and English, naming the value).

Great Expectations is imported inside the functions only (never at DAG parse time).

Performance: GX computes every expectation vectorised on the pandas frame. The frame is given to
GX with a plain positional index and *without* ``unexpected_index_column_names``: GX then returns
the unexpected positions as a plain list (the named-column variant builds one dict per failing
row with ``DataFrame.at``, which costs ~25 s on 500 000 rows). Positions are mapped to the file's
row numbers (``df["_row"]``) with numpy. The validation result is stored for Data Docs only in a
trimmed form (partial lists), because serialising complete unexpected lists is the other
dominant cost. Suites are described once per (source, context) and cached
(:func:`runreport.validation.suites.checks_for`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from runreport.quality import CheckResult, RowIssue, ValidationContext
from runreport.schema import SOURCES
from runreport.validation.suites import LIKERT, Check, build_suite, checks_for

log = logging.getLogger(__name__)

RESULT_FORMAT = {"result_format": "COMPLETE", "return_unexpected_index_query": False}
DATA_DOCS_SITE = "run"
MISSING = "(tomt)"
MISSING_EN = "(empty)"
ALIASES = {"organisation": "org_code", "email": "person_key"}  # canonical field -> typed-frame column


@dataclass
class ValidationOutcome:
    source: str
    file_name: str | None
    rows_in: int
    issues: list[RowIssue] = field(default_factory=list)
    success: bool = True                    # every expectation passed
    statistics: dict[str, Any] = field(default_factory=dict)
    docs_index: Path | None = None          # <docs_dir>/index.html when Data Docs were built
    suite_name: str = ""
    checks: list[CheckResult] = field(default_factory=list)   # every check of the suite, in order

    @property
    def critical(self) -> list[RowIssue]:
        return [i for i in self.issues if i.critical]


def quiet_gx_logging() -> None:
    """Silence GX's import-time chatter ("Skipping registering function …") and metric progress."""
    logging.getLogger("great_expectations._docs_decorators").setLevel(logging.WARNING)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


quiet_gx_logging()


def _stores_root(docs_dir: Path) -> Path:
    return docs_dir.parent / "gx_stores"


def _site_config(docs_dir: Path) -> dict:
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }


def gx_context(docs_dir: Path | None = None):
    """An ephemeral GX context. With ``docs_dir``: suites and validation results are kept in
    ``<docs_dir>/../gx_stores`` (so every source validated in the run, in whichever process,
    appears in the index) and a local Data Docs site is configured at ``docs_dir``."""
    quiet_gx_logging()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        FilesystemStoreBackendDefaults,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    if docs_dir is None:
        cfg = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
                                progress_bars=ProgressBarsConfig(globally=False), analytics_enabled=False)
    else:
        docs_dir = Path(docs_dir)
        docs_dir.mkdir(parents=True, exist_ok=True)
        cfg = DataContextConfig(
            store_backend_defaults=FilesystemStoreBackendDefaults(root_directory=str(_stores_root(docs_dir))),
            data_docs_sites={DATA_DOCS_SITE: _site_config(docs_dir)},
            progress_bars=ProgressBarsConfig(globally=False),
            analytics_enabled=False,
        )
    return gx.get_context(project_config=cfg, mode="ephemeral")


# --------------------------------------------------------------------------- value formatting

def _fmt(value: Any) -> str:
    if value is None or (not isinstance(value, str | bytes | Decimal | date) and pd.isna(value)):
        return MISSING
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    from runreport import privacy

    text = str(value)
    return privacy.mask(text if len(text) <= 60 else text[:57] + "…")


def _fmt_en(value: Any) -> str:
    s = _fmt(value)
    return MISSING_EN if s == MISSING else s


def _fmt_sek(value: Any) -> str:
    from runreport.sweformat import kronor

    try:
        return kronor(Decimal(str(value)), 2)
    except Exception:  # noqa: BLE001 - a message must never fail
        return str(value)


# --------------------------------------------------------------------------- reasons

def _row_reasons(check: Check, values: list[Any], ctx: ValidationContext, personal: bool) -> tuple[list[str], list[str]]:
    """Swedish and English reason per failing value of a row-level check."""
    f = check.field
    p = check.params
    if personal:
        values = ["(personuppgift)"] * len(values)
    sv: list[str]
    en: list[str]
    r = check.reason
    if r == "not_null":
        return ([f"Obligatoriskt fält {f} saknar värde"] * len(values),
                [f"Required field {f} is empty"] * len(values))
    if r == "type":
        sv = [f"Värdet '{_fmt(v)}' i {f} har fel typ ({type(v).__name__}); väntat {p['type']}" for v in values]
        en = [f"The value '{_fmt_en(v)}' in {f} has the wrong type ({type(v).__name__}); expected {p['type']}"
              for v in values]
        return sv, en
    if r == "likert":
        lo, hi = LIKERT
        sv = [f"Likertvärdet {_fmt(v)} ligger utanför {lo}–{hi} ({f})" for v in values]
        en = [f"Likert value {_fmt_en(v)} is outside {lo}–{hi} ({f})" for v in values]
        return sv, en
    if r == "in_year":
        y = p["year"]
        sv = [f"Datumet {_fmt(v)} i {f} ligger utanför rapportåret {y}" for v in values]
        en = [f"The date {_fmt_en(v)} in {f} is outside the reporting year {y}" for v in values]
        return sv, en
    if r == "in_year_or_before":
        y = p["year"]
        sv = [f"Datumet {_fmt(v)} i {f} ligger utanför {y - 1}–{y}" for v in values]
        en = [f"The date {_fmt_en(v)} in {f} is outside {y - 1}–{y}" for v in values]
        return sv, en
    if r in ("non_negative", "positive", "min1"):
        bound = {"non_negative": ("får inte vara negativt", "must not be negative"),
                 "positive": ("måste vara större än 0", "must be greater than 0"),
                 "min1": ("måste vara minst 1", "must be at least 1")}[r]
        sv = [f"{p['label']} {_fmt(v)} ({f}) {bound[0]}" for v in values]
        en = [f"{p['label_en']} {_fmt_en(v)} ({f}) {bound[1]}" for v in values]
        return sv, en
    if r == "value_set":
        allowed = ", ".join(check.kwargs["value_set"])
        sv = [f"Värdet '{_fmt(v)}' för {p['label']} är inte ett av: {allowed}" for v in values]
        en = [f"The value '{_fmt_en(v)}' for {p['label_en']} is not one of: {allowed}" for v in values]
        return sv, en
    if r == "activity":
        y = p.get("year")
        sv = [f"Aktiviteten '{_fmt(v)}' finns inte i handlingsplanen för {y}" for v in values]
        en = [f"Activity '{_fmt_en(v)}' is not in the action plan for {y}" for v in values]
        return sv, en
    if r == "budget_activity":
        y = p.get("year")
        sv = [f"Aktivitets-/projektkoden '{_fmt(v)}' finns inte i budgeten för {y}" for v in values]
        en = [f"Activity/project code '{_fmt_en(v)}' is not in the budget for {y}" for v in values]
        return sv, en
    if r == "organisation":
        y = p.get("year")
        sv, en = [], []
        for v in values:
            if isinstance(v, str) and v in ctx.known_municipalities:
                sv.append(f"Kommun {v} är inte medlem i nätverket {y}")
                en.append(f"Municipality {v} is not a member of the network in {y}")
            else:
                sv.append(f"Okänd kommun eller organisation '{_fmt(v)}'")
                en.append(f"Unknown municipality or organisation '{_fmt_en(v)}'")
        return sv, en
    if r == "code4":
        sv = [f"Kommunkoden '{_fmt(v)}' är inte fyra siffror" for v in values]
        en = [f"The municipality code '{_fmt_en(v)}' is not four digits" for v in values]
        return sv, en
    if r == "orgnr":
        sv = [f"Organisationsnumret '{_fmt(v)}' är inte tio siffror" for v in values]
        en = [f"The organisation number '{_fmt_en(v)}' is not ten digits" for v in values]
        return sv, en
    if r == "account":
        sv = [f"Kontot '{_fmt(v)}' är inte ett BAS-konto med fyra siffror" for v in values]
        en = [f"The account '{_fmt_en(v)}' is not a four-digit BAS account" for v in values]
        return sv, en
    if r == "pair_order":
        sv = [f"{p['a']} ({_fmt(v)}) ligger före {p['b']}" for v in values]
        en = [f"{p['a']} ({_fmt_en(v)}) is before {p['b']}" for v in values]
        return sv, en
    sv = [f"Värdet '{_fmt(v)}' i {f} uppfyller inte {check.rule}" for v in values]
    en = [f"The value '{_fmt_en(v)}' in {f} fails {check.rule}" for v in values]
    return sv, en


def _unique_issues(check: Check, frame: pd.DataFrame, positions: np.ndarray, personal_fields: set[str]) -> list[RowIssue]:
    """Duplicated keys: the first occurrence is kept, every later one is quarantined and names the
    row it repeats (values of personal key fields are never shown)."""
    key = check.params["key"]
    sub = frame.iloc[positions][key + ["_row"]].copy()
    sub["_first"] = sub.groupby(key, dropna=False, sort=False)["_row"].transform("min")
    later = sub[sub["_row"] != sub["_first"]]
    shown = [k for k in key if k not in personal_fields]
    hidden = [k for k in key if k in personal_fields]
    issues = []
    cols = list(later[shown].itertuples(index=False, name=None)) if shown else [()] * len(later)
    for (row, first), vals in zip(later[["_row", "_first"]].itertuples(index=False, name=None), cols, strict=True):
        desc = ", ".join(f"{k}={_fmt(v)}" for k, v in zip(shown, vals, strict=True))
        if hidden:
            desc = (desc + ", " if desc else "") + "samma " + "/".join(hidden)
        desc_en = desc.replace("samma ", "same ").replace(MISSING, MISSING_EN)
        issues.append(RowIssue(
            int(row), check.field, check.rule,
            f"Dubblett: nyckeln ({desc}) finns redan på rad {int(first)}",
            f"Duplicate: the key ({desc_en}) already occurs on row {int(first)}"))
    return issues


def _critical_issue(check: Check, result: Any, frame: pd.DataFrame, ctx: ValidationContext) -> RowIssue:
    p = check.params
    if check.reason == "ledger_total":
        observed = result.result.get("observed_value")
        sv = (f"Summan av beloppen ({_fmt_sek(observed)}) stämmer inte med filens totalrad "
              f"({_fmt_sek(p['declared_total'])})")
        en = (f"The sum of the amounts ({observed}) does not match the file's total row "
              f"({p['declared_total']})")
    elif check.reason == "population_members":
        ref = p["ref_year"]
        have = set(frame.loc[frame["year"] == ref, "municipality_code"].dropna().astype(str))
        missing = ", ".join(sorted(set(p["members"]) - have)) or "?"
        sv = f"Folkmängd för {ref} saknas för medlemskommun(er) {missing}"
        en = f"Population for {ref} is missing for member municipality(-ies) {missing}"
    else:
        sv = f"Kritiskt krav {check.rule} på {check.field} är inte uppfyllt"
        en = f"Critical expectation {check.rule} on {check.field} failed"
    return RowIssue(0, check.field, check.rule, sv, en, critical=True)


# --------------------------------------------------------------------------- main entry point

def _safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)[:120] or "file"


def validate_frame(source: str, df: pd.DataFrame, ctx: ValidationContext,
                   declared_total: Decimal | float | None = None, docs_dir: Path | str | None = None,
                   run_name: str = "run", file_name: str | None = None,
                   population_year: int | None = None, context: Any = None,
                   build_docs: bool = True) -> ValidationOutcome:
    """Validate the typed frame of one file of ``source``.

    ``df`` holds the canonical columns of the source (typed: ints as Int64/int64, dates as
    ``datetime.date``, amounts as ``Decimal``, codes as strings) and ``_row``, the 1-based data
    row number in the file. ``declared_total`` is the ledger file's trailing total row, if any.
    ``population_year`` overrides the reference year of the population check (default
    ``ctx.year - 1``). With ``docs_dir`` the result is stored and Data Docs are (re)built there;
    a run validating many files passes its one ``context`` (:func:`gx_context` of ``docs_dir``) and
    ``build_docs=False``, and calls :func:`runreport.filecheck.build_docs` once at the end (building the site per
    file re-renders every earlier result each time: quadratic in the number of files).
    Returns the issues; applying the quarantine policy is :func:`runreport.validation.policy.decide`.
    """
    quiet_gx_logging()
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.validator.v1_validator import Validator

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
                                       f"Obligatorisk kolumn {col} saknas i filen",
                                       f"Required column {col} is missing from the file", critical=True))

    absent = set(missing_required) | {f.name for f in src.fields if f.name not in frame.columns}
    checks = [c for c in checks_for(source, ctx, declared_total, population_year)
              if not (set(_columns(c)) & absent)]
    by_id = {c.id: c for c in checks}
    # One suite per (network, source, year): a year's value sets differ, and workers checking files of
    # different years at the same time must not overwrite each other's suite in the store.
    suite_name = ".".join(str(p) for p in (ctx.tenant, source, ctx.year) if p)
    outcome.suite_name = suite_name

    if context is None:
        context = gx_context(Path(docs_dir) if docs_dir is not None else None)
    from runreport import privacy

    asset_name = _safe_name(privacy.file_name(file_name) if file_name else source)
    try:
        ds = context.data_sources.get(source)
    except (KeyError, ValueError, LookupError):
        ds = context.data_sources.add_pandas(source)
    if asset_name in {a.name for a in ds.assets}:
        ds.delete_asset(asset_name)
    batch_def = ds.add_dataframe_asset(asset_name).add_batch_definition_whole_dataframe("whole_file")
    # The suite is stored once per context and content: re-storing an unchanged suite for every file
    # (``suites.add_or_update`` compares, serialises and writes it) was ~5 % of a file's validation.
    cache = context.__dict__.setdefault("_runreport_suites", {})
    suite_key = repr(checks)
    cached = cache.get(suite_name)
    if cached is not None and cached[0] == suite_key:
        suite = cached[1]
    else:
        suite = context.suites.add_or_update(build_suite(source, checks, suite_name))
        cache[suite_name] = (suite_key, suite)

    validator = Validator(batch_definition=batch_def, batch_parameters={"dataframe": frame},
                          result_format=RESULT_FORMAT)
    results = validator.validate_expectation_suite(suite)
    outcome.success = bool(results.success)
    outcome.statistics = dict(results.statistics)

    rows = frame["_row"].to_numpy()
    from runreport.validation.descriptions import describe, field_label

    done = {res.expectation_config.meta["check_id"]: res for res in results.results}
    for check in checks:
        res = done.get(check.id)
        if res is not None:
            count = (res.result or {}).get("unexpected_count")
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
        if res.success:
            continue
        if check.critical:
            outcome.issues.append(_critical_issue(check, res, frame, ctx))
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
            outcome.issues.extend(_unique_issues(check, frame, positions, personal))
            continue
        values = frame[check.field].to_numpy(dtype=object)[positions].tolist() if check.field else [None] * len(positions)
        sv, en = _row_reasons(check, values, ctx, check.field in personal)
        field_name, rule = check.field, check.rule
        outcome.issues.extend(RowIssue(int(r), field_name, rule, s, e)
                              for r, s, e in zip(rows[positions].tolist(), sv, en, strict=True))

    if docs_dir is not None:
        _store_for_docs(context, results, frame, by_id, personal, validator, suite_name, run_name, file_name,
                        RunIdentifier, ExpectationSuiteIdentifier, ValidationResultIdentifier)
        if build_docs:
            context.build_data_docs(site_names=[DATA_DOCS_SITE])
        outcome.docs_index = Path(docs_dir) / "index.html"
    return outcome


def _columns(check: Check) -> list[str]:
    k = check.kwargs
    cols = [k[c] for c in ("column", "column_A", "column_B") if c in k]
    return cols + list(k.get("column_list", []))


def _store_for_docs(context, results, frame, by_id, personal, validator, suite_name, run_name, file_name,
                    RunIdentifier, ExpectationSuiteIdentifier, ValidationResultIdentifier) -> None:  # noqa: N803
    """Store a trimmed copy of the result (partial lists, row numbers instead of positions)."""
    rows = frame["_row"].to_numpy()
    for res in results.results:
        r = res.result or {}
        for key in ("unexpected_list", "unexpected_index_list", "unexpected_index_query"):
            r.pop(key, None)
        if "partial_unexpected_index_list" in r:
            r["partial_unexpected_index_list"] = [int(rows[i]) for i in r["partial_unexpected_index_list"]
                                                  if isinstance(i, int | np.integer)]
        # Data Docs show row numbers, never the partner's values (they may be markup or personal
        # data): the stewards' own pages give the reasons, masked (runreport.privacy)
        for key in ("partial_unexpected_list", "partial_unexpected_counts", "observed_value", "details"):
            r.pop(key, None)
    run_id = RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
    results.meta["run_id"] = run_id
    from runreport import privacy

    results.meta["file_name"] = privacy.file_name(file_name or "")
    suite_id = ExpectationSuiteIdentifier(name=suite_name)
    result_id = ValidationResultIdentifier(batch_identifier=validator.active_batch_id,
                                           expectation_suite_identifier=suite_id, run_id=run_id)
    context.validation_results_store.store_validation_results(
        suite_validation_result=results, suite_validation_result_identifier=result_id,
        expectation_suite_identifier=suite_id)
