"""parse_frame works on distinct values (partner files repeat the same organisation, date and e-mail
on thousands of rows): the result must be exactly what the row-by-row computation gives."""

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from runreport.ingest import parse
from runreport.ingest.organisations import OrganisationResolver
from runreport.ingest.parse import by_value, parse_dates, parse_frame
from runreport.ingest.pseudonym import person_key, pseudonymise

SECRET = b"speedup-test-secret"


def _registrations(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    orgs = ["Östersunds kommun", "2281", "2380 Östersund", "Sundsvalls kommun", "SPSM", "Gotham kommun", "",
            " sundsvall ", "Region Jämtland Härjedalen", "Krokoms kommunförvaltning", "=HYPERLINK(1)"]
    dates = ["2025-03-04", "4/3/2025", "04.03.2025", "20250304", "04-03-2025", "31/2/2025", "", "i morgon",
             "2025-03-04 10:30:00", " 2025-03-05 "]
    people = [("Anna Berg", "anna@example.se"), ("Per  Ek", "PER@example.se "), ("Eva Ö", ""), ("Eva  Ö", ""),
              ("", ""), ("Kim\x07", "kim@example.se")]
    rows = []
    for i in range(n):
        name, email = people[rng.integers(len(people))]
        rows.append({
            "activity_code": f"RUN25-0{rng.integers(1, 4)}",
            "person_name": name,
            "email": email,
            "organisation": orgs[rng.integers(len(orgs))],
            "role": ["Lärare", "Rektor", "", "@rektor"][rng.integers(4)],
            "registration_date": dates[rng.integers(len(dates))],
            "status": ["deltog", "anmäld", "avbokad\x00"][rng.integers(3)],
            "_row": i + 2,
        })
    return pd.DataFrame(rows).astype({c: "str" for c in rows[0] if c != "_row"})


def _ledger(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    amounts = ["12 500,00 kr", "-4 000", "1.234,50", "1,234.50", "45", "4,5", "abc", "", "3\u2212", "−300 SEK",
               "7:-", "12.5", "1e3"]
    return pd.DataFrame({
        "voucher_no": [f"V{rng.integers(1, 40)}" for _ in range(n)],
        "line_no": [["1", "2", "2.5", "x", ""][rng.integers(5)] for _ in range(n)],
        "booking_date": [["2025-02-01", "1/2/2025", "", "2025-13-01"][rng.integers(4)] for _ in range(n)],
        "account": ["5010"] * n,
        "activity_code": ["RUN25-01"] * n,
        "counterparty": [["Hotell AB", ""][rng.integers(2)] for _ in range(n)],
        "amount_sek": [amounts[rng.integers(len(amounts))] for _ in range(n)],
        "text": [f"rad {i}" for i in range(n)],
        "_row": range(2, n + 2),
    }).astype({"voucher_no": "str", "line_no": "str", "booking_date": "str", "account": "str",
               "activity_code": "str", "counterparty": "str", "amount_sek": "str", "text": "str"})


def _row_by_row(s, fn):
    return fn(s)


def _per_row_pseudonymise(df, secret):
    return pd.Series([person_key(secret, e, n) for e, n in zip(df["email"].astype(str), df["person_name"].astype(str),
                                                                strict=True)], index=df.index, dtype=object)


def _issues_before(df, mask, field, rule, sv, en):
    out = []
    for row, value in zip(df.loc[mask, "_row"], df.loc[mask, field], strict=True):
        v = str(value)[:60]
        out.append(parse.RowIssue(int(row), field, rule, sv.format(v=v), en.format(v=v)))
    return out


def _assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pdt.assert_frame_equal(a, b, check_exact=True)
    for c in a.columns:  # element types too: datetime.date or None, str or NaN
        assert [type(x) for x in a[c]] == [type(x) for x in b[c]], c


@pytest.mark.parametrize("source,frame", [("registrations", _registrations), ("ledger", _ledger)])
def test_parse_frame_on_distinct_values_equals_row_by_row(monkeypatch, source, frame):
    raw = frame()
    resolver = OrganisationResolver({"2380": "Östersund", "2281": "Sundsvall", "1737": "Krokom"},
                                    {"SPSM": ("Specialpedagogiska skolmyndigheten", ["SPSM"]),
                                     "RJH": ("Region Jämtland Härjedalen", ["Region Jämtland Härjedalen"])})
    typed, issues = parse_frame(source, raw, resolver, SECRET)
    with monkeypatch.context() as m:
        m.setattr(parse, "by_value", _row_by_row)
        m.setattr(parse, "pseudonymise", _per_row_pseudonymise)
        m.setattr(parse, "_clean", lambda s: s.str.replace(parse.CONTROL, "", regex=True).str.strip())
        m.setattr(parse, "_issues", _issues_before)
        ref_typed, ref_issues = parse_frame(source, raw, resolver, SECRET)
    _assert_same(typed, ref_typed)
    assert issues == ref_issues
    assert len(issues) > 10  # the frames do have problems to report
    pdt.assert_frame_equal(raw, frame())  # the raw frame is left alone


def test_by_value_keeps_values_dtype_index_and_name():
    s = pd.Series(["a", " b", "a", np.nan, "", " b"], index=[10, 11, 12, 13, 14, 15], dtype="str", name="x")
    for fn in (lambda u: u.str.strip(), lambda u: u == "a", lambda u: u.map(lambda v: v.upper() if isinstance(v, str) and v else None),
               lambda u: u.str.extract(r"^(\w)", expand=False)):
        pdt.assert_series_equal(by_value(s, fn), fn(s), check_exact=True)
    empty = pd.Series([], dtype="str", name="x")
    pdt.assert_series_equal(by_value(empty, lambda u: u.str.strip()), empty.str.strip())


def test_parse_dates_on_distinct_values():
    dates = pd.Series(["2025-03-04", "4/3/2025", "", "x", "2025-03-04", "20250304", "4/3/2025"] * 3, dtype="str")
    pdt.assert_series_equal(parse_dates(dates), parse._parse_dates(dates), check_exact=True)


def test_a_date_with_anything_but_a_time_after_it_is_no_date():
    """Found in review: '2025-01-01 rubbish' loaded as 2025-01-01 (the first ten characters were read).
    A time of day after the date (a spreadsheet's date-time cell) is still the date."""
    cells = pd.Series(["2025-01-01 rubbish", "2025-01-01x", "2025-01-01 14:30", "2025-01-01T14:30:05",
                       "2025-01-01 00:00:00.000", "2025-01-01"], dtype="str")
    parsed = parse_dates(cells)
    assert parsed.isna().tolist() == [True, True, False, False, False, False]
    assert {d.date().isoformat() for d in parsed.dropna()} == {"2025-01-01"}


def test_a_spreadsheet_error_value_in_a_text_field_is_a_finding_not_text():
    """Found in review: '#N/A' (a failed formula's value, as a CSV export writes it) loaded as the
    place of a session. Text such as 'NULL' is a partner's text and stays."""
    from runreport.ingest.mapping import load_mappings
    from runreport.ingest.read import read_table

    data = (b"activity_code;session_no;session_date;form;place;seats\n"
            b"A-2025-01;1;2025-02-03;C;#N/A;30\n"
            b"A-2025-01;2;2025-03-03;C;#div/0!;30\n"
            b"A-2025-01;3;2025-04-03;C;NULL;30\n")
    raw = read_table(data, "traffar_2025.csv", "sessions", load_mappings())
    typed, issues = parse_frame("sessions", raw.df, OrganisationResolver({}, {}), SECRET)
    found = {(i.row, i.field, i.rule) for i in issues}
    assert found == {(2, "place", "spreadsheet_error"), (3, "place", "spreadsheet_error")}, found
    assert "#N/A" in next(i.reason_sv for i in issues if i.row == 2)
    assert typed["place"].tolist()[2] == "NULL"


def test_pseudonymise_on_distinct_pairs_equals_person_key():
    df = _registrations(200)
    keys = pseudonymise(df, SECRET)
    assert keys.dtype == object and keys.index.equals(df.index)
    assert list(keys) == [person_key(SECRET, e, n) for e, n in zip(df["email"], df["person_name"], strict=True)]
    assert len(pseudonymise(df.iloc[:0], SECRET)) == 0


def test_control_characters_are_still_removed():
    s = pd.Series(["a\x07b", " c ", "d\x00"], dtype="str")
    assert list(parse._clean(s)) == ["ab", "c", "d"]
    assert list(parse._clean(pd.Series([" a ", "b"], dtype="str"))) == ["a", "b"]
