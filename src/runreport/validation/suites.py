"""One Great Expectations suite per source, derived from :mod:`runreport.schema` and a
:class:`~runreport.quality.ValidationContext`.

The suites are described first as plain data (:class:`Check`: which GX expectation, its
arguments, the field, whether a failure is critical and how to word the reason), so that this
module does not import Great Expectations at import time; :func:`build_suite` turns the checks
into a ``gx.ExpectationSuite``. Every expectation carries ``meta["check_id"]`` so a validation
result can be mapped back to its check (GX reorders results by domain).

Severity: row-level checks are GX ``warning`` (a failing row is quarantined, the file loads);
file-level checks are GX ``critical`` (the whole source is rejected, see
:mod:`runreport.validation.policy`):

- ledger: the file's trailing total row (``declared_total``) equals the sum of ``amount_sek``;
- population: every member municipality has a figure for the reference year (the year before
  the reporting year: the contribution uses the population of 31 December / 1 November of Y-1).

Cross-source checks use the reference data in the context: a ledger activity code must exist in
the budget (``ctx.budget_activity_codes``); sessions', registrations' and evaluations' activity
must exist in the year's action plan (``ctx.activity_codes``); a registration's/evaluation's
organisation must be a member municipality that year (``ctx.member_codes``) or a known partner
(``ctx.partner_codes``). A cross-source check whose reference set is empty (e.g. no budget
loaded yet) is skipped, with a warning in the log, rather than rejecting every row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from runreport.quality import ValidationContext
from runreport.schema import SOURCES

log = logging.getLogger(__name__)

SECTIONS = ("Organisation", "Nätverk", "Aktiviteter", "Projekt", "Uppdragsutbildning")
STATUSES = ("anmäld", "avbokad", "deltog")
FORMS = ("C", "CD", "D")
TERMS = ("VT", "HT", "VT+HT")
SUBNETWORKS = ("västra", "östra")
LIKERT = (1, 5)
LIKERT_FIELDS = ("q_overall", "q_relevance", "q_apply")

# Schema types the reader reads from text (a value it cannot read, or a municipality or organisation
# it cannot resolve to a code, is its finding, and the typed frame holds nothing else). Plain strings
# have no such line.
READ_TYPES = ("int", "date", "decimal", "municipality", "organisation")
# The column of the frame given to GX that holds the reader's first finding on each row (None: the
# row was read cleanly); runreport.validation.run adds it.
READ_FINDING = "_read_finding"

# Dates that must fall within the reporting year (registration dates may fall in the year before:
# registration opens in the autumn for activities in the spring).
DATE_IN_YEAR = {name: s.date_in_year for name, s in SOURCES.items() if s.date_in_year}


def known_sections() -> tuple[str, ...]:
    return SECTIONS


@dataclass(frozen=True)
class Check:
    """One expectation of a suite, as data."""

    id: str                    # unique within the suite; stored as the expectation's meta["check_id"]
    expectation: str           # GX expectation class name, e.g. "ExpectColumnValuesToBeBetween"
    kwargs: dict[str, Any]     # arguments of the GX expectation (column, value_set, …)
    field: str | None          # the field a failing row is reported on (None: whole table)
    reason: str                # the reason template key used by runreport.validation.run
    critical: bool = False     # a failure rejects the whole source
    params: dict[str, Any] = field(default_factory=dict)  # extra facts for the reason text

    @property
    def rule(self) -> str:
        """The GX expectation type, e.g. ``expect_column_values_to_be_between``."""
        out = []
        for ch in self.expectation:
            if ch.isupper() and out:
                out.append("_")
            out.append(ch.lower())
        return "".join(out)


def population_reference_year(ctx: ValidationContext) -> int | None:
    """The statistics year whose population the contribution of ``ctx.year`` is based on."""
    return None if ctx.year is None else ctx.year - 1


def _float(value: Decimal | float | int | str) -> float:
    """A declared total as a float; accepts the raw text of a total row ('1 234,50 kr', '−12,5')."""
    if isinstance(value, str):
        text = (value.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("kr", "")
                .replace("\u2212", "-").strip())
        if "," in text:
            text = text.replace(".", "").replace(",", ".")
        return float(Decimal(text))
    return float(value)


def _cache_key(source: str, ctx: ValidationContext, declared_total: Decimal | float | None,
               population_year: int | None) -> tuple:
    return (source, ctx.tenant, ctx.year, frozenset(ctx.member_codes), frozenset(ctx.known_municipalities),
            frozenset(ctx.partner_codes), frozenset(ctx.activity_codes), frozenset(ctx.budget_activity_codes),
            None if declared_total is None else str(declared_total), population_year)


_CACHE: dict[tuple, list[Check]] = {}


def reader_checks(source: str) -> list[Check]:
    """What the reader (:func:`runreport.ingest.parse.parse_frame`) decides for every row before GX
    sees the file: a required field is filled in; a date, number or amount can be read; a region
    starts with its municipality code; an organisation is a known municipality or partner. They are not
    given to GX again: the typed frame holds nothing else, so GX found the same rows (and the reader's
    finding was shown first), at ~7 ms of GX bookkeeping per expectation and file. The stewards' page
    shows each of them with the reader's count; GX's suite keeps one expectation for all of them
    (``rows.read``: the rows with a reader finding). ``expectation`` is ``"reader"``."""
    src = SOURCES[source]
    out = [Check(f"{f.name}.not_null", "reader", {"column": f.name}, f.name, "not_null")
           for f in src.fields if f.required]
    out += [Check(f"{f.name}.type", "reader", {"column": f.name}, f.name, "type", params={"type": f.type})
            for f in src.fields if f.type in READ_TYPES]
    return out


def checks_for(source: str, ctx: ValidationContext, declared_total: Decimal | float | None = None,
               population_year: int | None = None) -> list[Check]:
    """The checks of ``source`` against ``ctx``; built once per (source, context) and cached."""
    key = _cache_key(source, ctx, declared_total, population_year)
    if key not in _CACHE:
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[key] = _build_checks(source, ctx, declared_total, population_year)
    return _CACHE[key]


def _build_checks(source_name: str, ctx: ValidationContext, declared_total: Decimal | float | None,
                  population_year: int | None) -> list[Check]:
    src = SOURCES[source_name]
    checks: list[Check] = []

    def add(check: Check) -> None:
        checks.append(check)

    # What the reader decided (reader_checks), as one expectation: every row was read cleanly.
    add(Check("rows.read", "ExpectColumnValuesToBeNull", {"column": READ_FINDING}, None, "read"))
    # Uniqueness of the schema key within the file.
    if len(src.key) == 1:
        add(Check(f"{src.key[0]}.unique", "ExpectColumnValuesToBeUnique", {"column": src.key[0]},
                  src.key[0], "unique", params={"key": list(src.key)}))
    else:
        add(Check("key.unique", "ExpectCompoundColumnsToBeUnique", {"column_list": list(src.key)},
                  src.key[-1], "unique", params={"key": list(src.key)}))

    def in_set(column: str, values, reason: str, **params) -> None:
        add(Check(f"{column}.in_set", "ExpectColumnValuesToBeInSet",
                  {"column": column, "value_set": sorted(values)}, column, reason, params=params))

    def between(column: str, lo, hi, reason: str, **params) -> None:
        kwargs: dict[str, Any] = {"column": column}
        if lo is not None:
            kwargs["min_value"] = lo
        if hi is not None:
            kwargs["max_value"] = hi
        add(Check(f"{column}.between", "ExpectColumnValuesToBeBetween", kwargs, column, reason,
                  params={"min": lo, "max": hi, **params}))

    def regex(column: str, pattern: str, reason: str, **params) -> None:
        add(Check(f"{column}.regex", "ExpectColumnValuesToMatchRegex", {"column": column, "regex": pattern},
                  column, reason, params=params))

    def cross(column: str, values: set[str], reason: str) -> None:
        if values:
            in_set(column, values, reason, year=ctx.year)
        else:
            log.warning("%s: no reference codes for %s (%s); cross-source check skipped",
                        source_name, column, reason)

    year = ctx.year
    if source_name in DATE_IN_YEAR and year is not None:
        between(DATE_IN_YEAR[source_name], date(year, 1, 1), date(year, 12, 31), "in_year", year=year)

    if source_name == "members":
        regex("municipality_code", r"^\d{4}$", "code4", what="kommunkod", what_en="municipality code")
        regex("org_number", r"^\d{10}$", "orgnr")
        in_set("subnetwork", SUBNETWORKS, "value_set", label="delnätverk", label_en="sub-network")
        add(Check("valid_to.after_from", "ExpectColumnPairValuesAToBeGreaterThanB",
                  {"column_A": "valid_to", "column_B": "valid_from", "or_equal": True,
                   "ignore_row_if": "either_value_is_missing"}, "valid_to", "pair_order",
                  params={"a": "valid_to", "b": "valid_from"}))
    elif source_name == "agreements":
        between("rate_sek", 0, None, "non_negative", label="avgiften per invånare", label_en="the rate per inhabitant")
        add(Check("year_to.after_from", "ExpectColumnPairValuesAToBeGreaterThanB",
                  {"column_A": "year_to", "column_B": "year_from", "or_equal": True,
                   "ignore_row_if": "either_value_is_missing"}, "year_to", "pair_order",
                  params={"a": "year_to", "b": "year_from"}))
    elif source_name == "population":
        regex("municipality_code", r"^\d{4}$", "code4", what="kommunkod", what_en="municipality code")
        between("population", 1, None, "positive", label="Folkmängden", label_en="The population")
        ref = population_year if population_year is not None else population_reference_year(ctx)
        if ref is not None and ctx.member_codes:
            add(Check("population.members_covered", "ExpectColumnDistinctValuesToContainSet",
                      {"column": "municipality_code", "value_set": sorted(ctx.member_codes),
                       "row_condition_year": ref},
                      "population", "population_members", critical=True,
                      params={"ref_year": ref, "members": sorted(ctx.member_codes)}))
    elif source_name == "budget":
        in_set("section", SECTIONS, "value_set", label="avsnitt", label_en="section")
        in_set("form", FORMS, "value_set", label="form", label_en="form")
        in_set("term", TERMS, "value_set", label="termin", label_en="term")
        between("municipal_budget_sek", 0, None, "non_negative", label="Kommunbudgeten",
                label_en="The municipal budget")
        between("external_budget_sek", 0, None, "non_negative", label="Den externa budgeten",
                label_en="The external budget")
    elif source_name == "sessions":
        cross("activity_code", ctx.activity_codes, "activity")
        between("session_no", 1, None, "min1", label="Träffnumret", label_en="The session number")
        in_set("form", FORMS, "value_set", label="form", label_en="form")
        between("seats", 0, None, "non_negative", label="Antalet platser", label_en="The number of seats")
    elif source_name == "registrations":
        cross("activity_code", ctx.activity_codes, "activity")
        cross("organisation", set(ctx.member_codes) | set(ctx.partner_codes), "organisation")
        in_set("status", STATUSES, "value_set", label="status", label_en="status")
        if year is not None:
            between("registration_date", date(year - 1, 1, 1), date(year, 12, 31), "in_year_or_before",
                    year=year)
    elif source_name == "evaluations":
        cross("activity_code", ctx.activity_codes, "activity")
        cross("organisation", set(ctx.member_codes) | set(ctx.partner_codes), "organisation")
        between("session_no", 1, None, "min1", label="Träffnumret", label_en="The session number")
        for f in LIKERT_FIELDS:
            between(f, LIKERT[0], LIKERT[1], "likert")
    elif source_name == "ledger":
        cross("activity_code", ctx.budget_activity_codes, "budget_activity")
        regex("account", r"^\d{4}$", "account")
        between("line_no", 1, None, "min1", label="Radnumret", label_en="The line number")
        try:
            total = None if declared_total is None else _float(declared_total)
        except (ArithmeticError, ValueError):
            log.warning("ledger: the declared total %r is not a number; reconciliation skipped", declared_total)
            total = None
        if total is not None:
            add(Check("amount_sek.total", "ExpectColumnSumToBeBetween",
                      {"column": "amount_sek", "min_value": total - 0.005, "max_value": total + 0.005},
                      "amount_sek", "ledger_total", critical=True, params={"declared_total": str(declared_total)}))
    return checks


def build_suite(source: str, checks: list[Check], name: str | None = None):
    """The ``gx.ExpectationSuite`` for ``checks`` (Great Expectations imported here, lazily)."""
    from runreport.validation import gx_import

    gx = gx_import.load()
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    # The expectations are given to the constructor: ``suite.add_expectation`` persists the whole
    # suite to the context's store after every expectation once a suite of that name was saved.
    expectations = []
    for check in checks:
        kwargs = dict(check.kwargs)
        # row conditions: a year of the population file; a file of a batch (runreport.validation.batch)
        conditions = [Column(col) == kwargs.pop(key) for key, col in (("row_condition_year", "year"),
                                                                      ("row_condition_file", "_file"))
                      if key in kwargs]
        if conditions:
            kwargs["row_condition"] = conditions[0] if len(conditions) == 1 else conditions[0] & conditions[1]
        cls = getattr(gxe, check.expectation)
        expectations.append(cls(
            **kwargs,
            severity="critical" if check.critical else "warning",
            meta={"check_id": check.id, "field": check.field, "critical": check.critical},
            notes=_note(check),
        ))
    return gx.ExpectationSuite(name=name or source, meta={"source": source}, expectations=expectations)


def _note(check: Check) -> str:
    kind = "Kritisk: hela filen avvisas" if check.critical else "Rader som inte uppfyller kravet sätts i karantän"
    return f"{kind} / {'Critical: the whole file is rejected' if check.critical else 'Failing rows are quarantined'}"
