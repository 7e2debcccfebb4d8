"""The column-wise warehouse load (Core executemany; COPY on PostgreSQL) stores exactly what the
row-by-row ORM load stored: money as Decimal with two decimals, Int64 as int or None, dates as
dates, missing text as None, and tenant / file_id / year set by the loader."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from runreport.warehouse import load as load_mod
from runreport.warehouse import models as m
from runreport.warehouse.engine import migrate, session_factory

STR = pd.StringDtype("python", na_value=np.nan)  # the validated frames' text dtype
TRICKY = ['He said "hej", then left', "a,b;c\tTab", "line 1\nline 2\r\nline 3", "back\\slash \\N",
          "", "  spaced  ", "åäö ÅÄÖ – €", "multi\n\\.\nline"]  # the last one is never sent by COPY


def _ledger() -> pd.DataFrame:
    return pd.DataFrame({
        "_row": np.array([2, 3, 4, 5], dtype="int64"),
        "voucher_no": pd.array(["1600001", "1600001", "1600002", "1600003"], dtype=STR),
        "line_no": pd.array([1, 2, 1, 1], dtype="Int64"),
        "booking_date": pd.Series([date(2016, 1, 21), date(2016, 1, 21), date(2016, 2, 29), date(2016, 12, 31)],
                                  dtype=object),
        "account": pd.array(["6550", "5010", "3010", "6550"], dtype=STR),
        "activity_code": pd.array(["A-01", "A-01", "A-02", "A-02"], dtype=STR),
        "counterparty": pd.array([TRICKY[0], None, TRICKY[2], TRICKY[6]], dtype=STR),
        "amount_sek": pd.Series([Decimal("110"), Decimal("-2500.5"), Decimal("0.30"), Decimal("1234.57")],
                                dtype=object),   # the parser's Decimals (ingest/numbers.py)
        "text": pd.array([TRICKY[1], TRICKY[3], None, TRICKY[4]], dtype=STR),
    })


LEDGER = [  # (voucher_no, line_no, booking_date, account, activity_code, counterparty, amount_sek, text)
    ("1600001", 1, date(2016, 1, 21), "6550", "A-01", TRICKY[0], Decimal("110.00"), TRICKY[1]),
    ("1600001", 2, date(2016, 1, 21), "5010", "A-01", None, Decimal("-2500.50"), TRICKY[3]),
    ("1600002", 1, date(2016, 2, 29), "3010", "A-02", TRICKY[2], Decimal("0.30"), None),
    ("1600003", 1, date(2016, 12, 31), "6550", "A-02", TRICKY[6], Decimal("1234.57"), ""),
]


def _budget() -> pd.DataFrame:
    return pd.DataFrame({
        "_row": np.array([2, 3], dtype="int64"),
        "activity_code": pd.array(["A-01", "A-02"], dtype=STR),
        "activity_name": pd.array([TRICKY[5], TRICKY[7]], dtype=STR),
        "section": pd.array(["Organisation", "Insats"], dtype=STR),
        "target_group": pd.array([None, "Rektorer"], dtype=STR),
        "form": pd.array(["C", None], dtype=STR),
        "goals": pd.array(["1,2,3", None], dtype=STR),
        "term": pd.array(["VT", "VT+HT"], dtype=STR),
        "municipal_budget_sek": np.array([55000, 0], dtype="int64"),
        "external_funder": pd.array([None, "Skolverket"], dtype=STR),
        "external_budget_sek": pd.Series([None, Decimal("12500")], dtype=object),
    })


BUDGET = [  # (activity_code, activity_name, section, target_group, form, goals, term, municipal, external_funder, external)
    ("A-01", TRICKY[5], "Organisation", None, "C", "1,2,3", "VT", Decimal("55000.00"), None, None),
    ("A-02", TRICKY[7], "Insats", "Rektorer", None, None, "VT+HT", Decimal("0.00"), "Skolverket", Decimal("12500.00")),
]


def _evaluations() -> pd.DataFrame:
    return pd.DataFrame({
        "_row": np.array([2, 3, 7], dtype="int64"),
        "response_id": pd.array(["R16-00001", "R16-00002", "R16-00003"], dtype=STR),
        "activity_code": pd.array(["A-01", "A-01", "A-02"], dtype=STR),
        "session_no": pd.array([None, 1, 2], dtype="Int64"),
        "org_code": pd.array(["SPSM", "9005", "9007"], dtype=STR),
        "role": pd.array(["Specialpedagog", None, "Rektor"], dtype=STR),
        "q_overall": pd.array([4, 5, 1], dtype="Int64"),
        "q_relevance": pd.array([5, 5, 2], dtype="Int64"),
        "q_apply": pd.array([4, 3, 3], dtype="Int64"),
        "free_text": pd.array([None, TRICKY[0], TRICKY[2]], dtype=STR),
        "submitted_date": pd.Series([date(2016, 1, 21), date(2016, 1, 22), date(2016, 3, 1)], dtype=object),
    })


EVALUATIONS = [  # (response_id, activity_code, session_no, org_code, role, q1, q2, q3, free_text, submitted, source_row)
    ("R16-00001", "A-01", None, "SPSM", "Specialpedagog", 4, 5, 4, None, date(2016, 1, 21), 2),
    ("R16-00002", "A-01", 1, "9005", None, 5, 5, 3, TRICKY[0], date(2016, 1, 22), 3),
    ("R16-00003", "A-02", 2, "9007", "Rektor", 1, 2, 3, TRICKY[2], date(2016, 3, 1), 7),
]


def _members() -> pd.DataFrame:  # a missing date (valid_to)
    return pd.DataFrame({
        "_row": np.array([2, 3], dtype="int64"),
        "municipality_code": pd.array(["9000", "9000"], dtype=STR),
        "municipality_name": pd.array(["Skogdal", "Skogdal"], dtype=STR),
        "county": pd.array(["Län 1", "Län 1"], dtype=STR),
        "subnetwork": pd.array(["västra", "västra"], dtype=STR),
        "org_number": pd.array(["2120005430", "2120005430"], dtype=STR),
        "buyer_reference": pd.array(["RUN-SKO00", TRICKY[0][:40]], dtype=STR),
        "valid_from": pd.Series([date(2014, 1, 1), date(2023, 1, 1)], dtype=object),
        "valid_to": pd.Series([date(2022, 12, 31), None], dtype=object),
    })


MEMBERS = [("9000", "Skogdal", "Län 1", "västra", "2120005430", "RUN-SKO00", date(2014, 1, 1), date(2022, 12, 31)),
           ("9000", "Skogdal", "Län 1", "västra", "2120005430", TRICKY[0][:40], date(2023, 1, 1), None)]


def _population() -> pd.DataFrame:  # keeps its own year column
    return pd.DataFrame({
        "_row": np.array([4, 4], dtype="int64"),
        "municipality_code": pd.array(["9000", "9000"], dtype=STR),
        "year": pd.array([2015, 2016], dtype="Int64"),
        "population": pd.array([19969, 19831], dtype="Int64"),
    })


CASES = {
    "ledger": (_ledger, m.LedgerLine, ["voucher_no", "line_no", "booking_date", "account", "activity_code",
                                       "counterparty", "amount_sek", "text"], LEDGER),
    "budget": (_budget, m.Activity, ["activity_code", "activity_name", "section", "target_group", "form", "goals",
                                     "term", "municipal_budget_sek", "external_funder", "external_budget_sek"], BUDGET),
    "evaluations": (_evaluations, m.Evaluation, ["response_id", "activity_code", "session_no", "org_code", "role",
                                                 "q_overall", "q_relevance", "q_apply", "free_text", "submitted_date",
                                                 "source_row"], EVALUATIONS),
    "members": (_members, m.Member, ["municipality_code", "municipality_name", "county", "subnetwork", "org_number",
                                     "buyer_reference", "valid_from", "valid_to"], MEMBERS),
    "population": (_population, m.Population, ["municipality_code", "year", "population"],
                   [("9000", 2015, 19969), ("9000", 2016, 19831)]),
}


def _load_and_read(url: str, source: str, frame: pd.DataFrame):
    migrate(url)
    Session = session_factory(url)
    with Session.begin() as s:
        log = load_file(s, source=source, frame=frame)
    model = CASES[source][1]
    with Session() as s:
        rows = s.scalars(select(model).order_by(model.id)).all()
        return log.id, [{c.name: getattr(r, c.name) for c in model.__table__.columns if c.name != "id"} for r in rows]


def load_file(s, *, source: str, frame: pd.DataFrame):
    return load_mod.load_file(s, tenant="T1", source=source, file_name=f"{source}_2016.csv", slot=f"{source}/2016",
                              year=2016, checksum=f"sum-{source}", size_bytes=100, rows_in=len(frame), frame=frame,
                              issues=[], raw_rows={})


def _check(rows, file_id, source):
    _, model, fields, expected = CASES[source]
    assert len(rows) == len(expected)
    for row, exp in zip(rows, expected, strict=True):
        got = tuple(row[f] for f in fields)
        assert got == exp
        # exact Python types (Decimal is not int, bool is not int, datetime is not date)
        assert [type(v) for v in got] == [type(v) for v in exp]
        for f, v in zip(fields, got, strict=True):
            if isinstance(v, Decimal):
                assert v.as_tuple().exponent == -2, (f, v)
        assert row["tenant"] == "T1" and row["file_id"] == file_id
        if "year" in row and source != "population":
            assert row["year"] == 2016 and type(row["year"]) is int


@pytest.mark.parametrize("source", list(CASES))
def test_load_exact_values_and_types(warehouse_url, source):
    file_id, rows = _load_and_read(warehouse_url, source, CASES[source][0]())
    _check(rows, file_id, source)


@pytest.mark.parametrize("source", ["ledger", "evaluations", "members"])
def test_insert_path_same_as_copy_path(warehouse_url, source, monkeypatch):
    """Without COPY (SQLite always; PostgreSQL when a value does not fit it) the rows are the same."""
    monkeypatch.setattr(load_mod, "_copy_postgresql", lambda *a, **k: False)
    file_id, rows = _load_and_read(warehouse_url, source, CASES[source][0]())
    _check(rows, file_id, source)


def test_copy_used_on_postgresql_unless_unsafe(pg_url, monkeypatch):
    used = []
    real = load_mod._copy_postgresql

    def spy(conn, table, columns):
        done = real(conn, table, columns)
        used.append((table.name, done))
        return done

    monkeypatch.setattr(load_mod, "_copy_postgresql", spy)
    _load_and_read(pg_url, "ledger", _ledger())
    _load_and_read(pg_url, "budget", _budget())  # an end-of-data marker line in a value: INSERT instead
    assert used == [("ledger_line", True), ("activity", False)]


def test_column_conversion_matches_row_by_row():
    """``_column`` gives what the former per-value loop gave (None for missing, Python scalars)."""
    frame = pd.DataFrame({
        "i": pd.array([1, None, 3], dtype="Int64"),
        "n": np.array([1, 2, 3], dtype="int64"),
        "f": np.array([1.5, np.nan, 2.0]),
        "s": pd.array(["a", None, ""], dtype=STR),
        "o": pd.Series([date(2020, 1, 1), None, np.int64(7)], dtype=object),
        "money": pd.Series([Decimal("1.01"), None, Decimal("-0")], dtype=object),
    })

    def old(v, money):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return None
        if money:
            return Decimal(v).quantize(Decimal("0.01"))
        return v.item() if hasattr(v, "item") else v

    for col in frame.columns:
        money = col == "money"
        got = load_mod._column(frame[col], money)
        want = [old(v, money) for v in frame[col].tolist()]
        assert got == want and [type(v) for v in got] == [type(v) for v in want], col
        assert [str(v) for v in got] == [str(v) for v in want], col


def test_an_amount_as_a_float_never_reaches_the_warehouse():
    """Money goes from the parser's Decimal to the database; a float would already have changed it
    (470 000 as 469 999.99999999994), so the loader refuses it instead of rounding it quietly."""
    import pytest

    with pytest.raises(TypeError, match="float"):
        load_mod._column(pd.Series([Decimal("1.00"), 469_999.99999999994], dtype=object), True)
    assert load_mod._column(pd.Series([Decimal("470000"), 12, None], dtype=object), True) == [
        Decimal("470000.00"), Decimal("12.00"), None]
