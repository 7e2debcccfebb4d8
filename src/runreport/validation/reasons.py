"""Why a row failed a check, in Swedish and English, naming the value (masked) and the field.

:mod:`runreport.validation.run` gives each failing check of a file's suite here: row-level checks
get one reason per failing row (:func:`row_reasons`, :func:`unique_issues`), file-level ones one
critical finding (:func:`critical_issue`). Values are shown through :mod:`runreport.privacy`;
personal fields are never shown.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from runreport.quality import RowIssue, ValidationContext
from runreport.validation.suites import LIKERT, Check

MISSING = "(tomt)"
MISSING_EN = "(empty)"
# reasons of the checks of a code's form: (Swedish, English) of (what, what is wrong)
_FORMATS = {
    "code4": (("Kommunkoden", "är inte fyra siffror"), ("The municipality code", "is not four digits")),
    "orgnr": (("Organisationsnumret", "är inte tio siffror"), ("The organisation number", "is not ten digits")),
    "account": (("Kontot", "är inte ett BAS-konto med fyra siffror"), ("The account", "is not a four-digit BAS account")),
}


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

def row_reasons(check: Check, values: list[Any], ctx: ValidationContext, personal: bool) -> tuple[list[str], list[str]]:
    """Swedish and English reason per failing value of a row-level check."""
    f = check.field
    p = check.params
    if personal:
        values = ["(personuppgift)"] * len(values)
    sv: list[str]
    en: list[str]
    r = check.reason
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
    if r in _FORMATS:
        (what_sv, rule_sv), (what_en, rule_en) = _FORMATS[r]
        return ([f"{what_sv} '{_fmt(v)}' {rule_sv}" for v in values],
                [f"{what_en} '{_fmt_en(v)}' {rule_en}" for v in values])
    if r == "pair_order":
        sv = [f"{p['a']} ({_fmt(v)}) ligger före {p['b']}" for v in values]
        en = [f"{p['a']} ({_fmt_en(v)}) is before {p['b']}" for v in values]
        return sv, en
    sv = [f"Värdet '{_fmt(v)}' i {f} uppfyller inte {check.rule}" for v in values]
    en = [f"The value '{_fmt_en(v)}' in {f} fails {check.rule}" for v in values]
    return sv, en


def unique_issues(check: Check, frame: pd.DataFrame, positions: np.ndarray, personal_fields: set[str]) -> list[RowIssue]:
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


def critical_issue(check: Check, observed: Any, frame: pd.DataFrame, ctx: ValidationContext) -> RowIssue:
    """The finding of a failed file-level check; ``observed`` is GX's observed value (the ledger's sum)."""
    p = check.params
    if check.reason == "ledger_total":
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
