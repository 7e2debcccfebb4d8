"""Parse a frame of strings into typed canonical columns, collecting a RowIssue for every value that
cannot be understood. Vectorised: per-row Python only for the (few) rows with problems, and the
string work (cleaning, dates, numbers, organisations) done once per distinct value: partner files
repeat the same activity, organisation, date and role on thousands of rows."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from runreport import privacy
from runreport.ingest.numbers import INTEGER, MONEY, read_number
from runreport.ingest.numbers import REASONS as NUMBER_REASONS
from runreport.ingest.organisations import OrganisationResolver
from runreport.ingest.pseudonym import pseudonymise
from runreport.quality import RowIssue
from runreport.schema import SOURCES

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORMULA = re.compile(r"^\s*[=@]")
# A spreadsheet's error values (what a cell shows when its formula failed): never a partner's value
SPREADSHEET_ERRORS = frozenset({"#N/A", "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!",
                                "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!",
                                "#UNKNOWN!", "#GETTING_DATA"})
INVISIBLE_CHARS = re.compile("[\ufeff\u200b\u200c\u200d\u2060\u00ad]")
NO_BREAK = re.compile("[\u00a0\u202f\u2007]")


def by_value(s: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``fn(s)`` for an element-wise ``fn``, computed on the distinct values of ``s`` only and spread
    back over its rows (same values, dtype, index and name as ``fn(s)``)."""
    if len(s) == 0:
        return fn(s)
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    if len(uniques) == len(s):
        return fn(s)
    done = fn(pd.Series(uniques, name=s.name))
    out = done.take(codes)
    out.index = s.index
    return out


def _issues(df: pd.DataFrame, mask: pd.Series, field: str, rule: str, sv: str, en: str) -> list[RowIssue]:
    if not mask.any():
        return []
    if mask.dtype == bool and mask.index.equals(df.index):
        picked = mask.to_numpy()
        rows, values = df["_row"].to_numpy()[picked], df[field].to_numpy(dtype=object)[picked]
    else:
        rows, values = df.loc[mask, "_row"], df.loc[mask, field]
    out = []
    hidden = field == "free_text"  # free text is never shown (runreport.privacy)
    for row, value in zip(rows, values, strict=True):
        v = privacy.shown(value, personal=hidden)
        out.append(RowIssue(int(row), field, rule, sv.format(v=v), en.format(v=v)))
    return out


def parse_dates(s: pd.Series) -> pd.Series:
    return by_value(s, _parse_dates)


# An ISO date, or an ISO date with a time of day after it (a spreadsheet's date-time cell): the date
# part is taken; anything else after the date ("2025-01-01 rubbish") is no date at all
ISO_DATE_TIME = r"\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"


def _parse_dates(s: pd.Series) -> pd.Series:
    s = s.astype(str).str.strip()
    iso = pd.to_datetime(s.str[:10].where(s.str.fullmatch(ISO_DATE_TIME)), format="%Y-%m-%d", errors="coerce")
    for fmt in ("%d/%m/%Y", "%d.%m.%Y", "%Y%m%d", "%d-%m-%Y"):
        missing = iso.isna() & (s != "")
        if not missing.any():
            break
        iso = iso.fillna(pd.to_datetime(s.where(missing), format=fmt, errors="coerce"))
    return iso


def _clean(s: pd.Series) -> pd.Series:
    """No control characters, Unicode in NFC (a decomposed Ö is an Ö) without invisible characters,
    no-break spaces as spaces, stripped. One search over all the values decides what is needed."""
    try:
        joined = "\n".join(s.to_numpy(dtype=object))
    except TypeError:  # a missing value among them
        joined = None
    if joined is None or CONTROL.search(joined) is not None:  # "\n" is not in CONTROL
        s = s.str.replace(CONTROL, "", regex=True)
    if joined is None or not joined.isascii():
        s = s.str.normalize("NFC").str.replace(INVISIBLE_CHARS, "", regex=True).str.replace(NO_BREAK, " ", regex=True)
    return s.str.strip()


def _to_date(parsed: pd.Series) -> pd.Series:
    return pd.Series([d.date() if not pd.isna(d) else None for d in parsed], index=parsed.index, dtype=object)


def parse_frame(source: str, raw: pd.DataFrame, resolver: OrganisationResolver,
                secret: bytes | None = None) -> tuple[pd.DataFrame, list[RowIssue]]:
    """Typed frame (personal fields replaced by ``person_key``) and the parse issues."""
    spec = SOURCES[source]
    df = raw.copy()
    issues: list[RowIssue] = []
    out = pd.DataFrame({"_row": df["_row"].astype(int)}, index=df.index)

    for f in spec.fields:
        written = df[f.name].astype(str)
        col = by_value(written, _clean)
        df[f.name] = col
        empty = col == ""
        if f.required:
            issues += _issues(df, empty, f.name, "required",
                              "Obligatoriskt fält är tomt", "Required field is empty")
        if f.personal:
            if f.name == "person_name":  # names of this run's registrants are masked wherever they appear
                privacy.remember_names(col[~empty].unique().tolist())
            continue
        if f.type == "date":
            parsed = parse_dates(col)
            bad = parsed.isna() & ~empty
            issues += _issues(df, bad, f.name, "date_format",
                              "Datumet '{v}' kan inte tolkas (använd ÅÅÅÅ-MM-DD)",
                              "Date '{v}' cannot be parsed (use YYYY-MM-DD)")
            out[f.name] = by_value(parsed, _to_date)
        elif f.type in ("int", "decimal"):
            number = INTEGER if f.type == "int" else MONEY
            # read from the cell as written: cleaning must not join digits around a control or
            # zero-width character ("1\u200b234" is not a number)
            as_written = by_value(written, lambda u: u.str.strip(" \t\u00a0\u202f")).where(~empty, "")
            read = by_value(as_written, lambda u, n=number: u.map(lambda v, n=n: read_number(v, n) if v else None))
            rules = read.map(lambda r: None if r is None else r.rule)
            for rule in sorted(set(rules.dropna())):
                sv, en = NUMBER_REASONS[rule]
                issues += _issues(df, rules == rule, f.name, rule, sv.replace("{places}", str(number.places)),
                                  en.replace("{places}", str(number.places)))
            values = read.map(lambda r: None if r is None else r.value)
            if f.type == "int":
                out[f.name] = pd.array([None if x is None else int(x) for x in values], dtype="Int64")
            else:   # Decimal from the file to the warehouse: never a float on the way
                out[f.name] = values.astype(object)
        elif f.type == "municipality":
            code = by_value(col, lambda u: u.str.extract(r"^(\d{4})", expand=False))
            bad = code.isna() & ~empty
            issues += _issues(df, bad, f.name, "municipality_code",
                              "Regionen '{v}' saknar kommunkod (väntat '2380 Östersund')",
                              "Region '{v}' has no municipality code (expected '2380 Östersund')")
            out[f.name] = code
        elif f.type == "organisation":
            codes = by_value(col, lambda u: u.map(lambda v: resolver.resolve(v) if v else None))
            bad = codes.isna() & ~empty
            issues += _issues(df, bad, f.name, "unknown_organisation",
                              "Okänd kommun eller organisation '{v}'", "Unknown municipality or organisation '{v}'")
            out["org_code"] = codes
        else:
            formula = by_value(col, lambda u: u.str.match(FORMULA))
            issues += _issues(df, formula, f.name, "formula",
                              "Cellen börjar med '=' eller '@' (formel) och tas inte in",
                              "The cell starts with '=' or '@' (a formula) and is not taken in")
            failed = by_value(col, lambda u: u.str.upper().isin(SPREADSHEET_ERRORS))
            issues += _issues(df, failed, f.name, "spreadsheet_error",
                              "Cellen visar kalkylbladets felvärde '{v}' i stället för ett värde",
                              "The cell shows the spreadsheet's error value '{v}' instead of a value")
            if f.name == "free_text":  # stored with e-mail, personnummer and phone numbers redacted
                col = by_value(col, lambda u: u.map(privacy.redact_free_text))
            out[f.name] = col.where(~empty, None)

    if any(f.personal for f in spec.fields):
        out["person_key"] = pseudonymise(df, secret or b"")
    return out, issues
