"""Validate hands load the accepted rows through the warehouse (staged_file.accepted_rows): every
value comes back with its type and exact value, and load clears them once the file is in."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal

import demo_expectations as expect
import pytest
from sqlalchemy import select

from runreport import config, pipeline
from runreport.ingest.mapping import load_mappings
from runreport.ingest.organisations import OrganisationResolver, load_partners
from runreport.ingest.parse import parse_frame
from runreport.ingest.read import read_table
from runreport.warehouse import models as m
from runreport.warehouse import staged_rows
from runreport.warehouse.load import table_columns

SECRET = b"staged-rows-secret"


@pytest.mark.parametrize("path", sorted(p for p in expect.INBOX.rglob("*") if p.is_file()), ids=lambda p: p.name)
def test_every_demo_file_round_trips_exactly(path):
    source = path.parent.name
    raw = read_table(path.read_bytes(), path.name, source, load_mappings())
    typed, _ = parse_frame(source, raw.df, OrganisationResolver({}, load_partners()), SECRET)
    columns = table_columns(source, typed)
    back = staged_rows.decode(source, staged_rows.encode(source, dict(columns)))
    assert back == columns
    for name, values in columns.items():   # the same Python types, not only equal values
        assert [type(v) for v in back[name]] == [type(v) for v in values], name


def test_money_keeps_every_ore_and_refuses_a_float():
    columns = {"line_no": [1, 2, 3], "amount_sek": [Decimal("1234.50"), Decimal("-0.30"), None],
               "booking_date": [date(2025, 3, 1), None, date(2025, 12, 31)]}
    back = staged_rows.decode("ledger", staged_rows.encode("ledger", dict(columns)))
    assert back["amount_sek"] == [Decimal("1234.50"), Decimal("-0.30"), None]
    assert str(back["amount_sek"][0]) == "1234.50"
    with pytest.raises(TypeError, match="Decimal"):
        staged_rows.encode("ledger", {"line_no": [1], "amount_sek": [1234.5]})


def _collected_demo(tmp_path, url):
    """A copy of the demo inbox, collected for 2025 into the warehouse at ``url``."""
    inbox = tmp_path / "inbox"
    shutil.copytree(expect.INBOX, inbox)
    cfg = config.load(overrides={"warehouse": {"url": url},
                                 "paths": {"inbox": str(inbox), "output": str(tmp_path / "out")}}, environ={})
    pipeline.collect_files(cfg, 2025)
    return cfg, inbox


def test_load_inserts_the_staged_rows_and_clears_them(tmp_path, warehouse_url):
    cfg, inbox = _collected_demo(tmp_path, warehouse_url)
    pipeline.validate_files(cfg, 2025, SECRET)
    with pipeline.sessions(cfg)() as s:
        staged = dict(s.execute(select(m.StagedFile.file_name, m.StagedFile.accepted_rows)).all())
    assert staged and all(blob for blob in staged.values())
    shutil.rmtree(inbox)   # load reads no file: the staged rows are all it needs (another host's disk)
    loaded = pipeline.load_files(cfg, 2025)
    with pipeline.sessions(cfg)() as s:
        assert loaded["rows_loaded"] == sum(f.rows_loaded for f in s.scalars(select(m.IngestedFile)))
        assert s.scalar(select(m.Registration.id).limit(1)) is not None
        assert s.scalars(select(m.StagedFile.accepted_rows)).all() == [None] * len(staged)


def test_a_date_column_refuses_a_datetime_at_validate_not_at_load():
    from datetime import datetime

    with pytest.raises(TypeError, match="datetime.date"):
        staged_rows.encode("ledger", {"line_no": [1], "booking_date": [datetime(2025, 3, 1, 12, 0)]})


def test_repeated_values_come_back_as_one_object_each():
    """A million rows of a few codes must not become a million string objects in load."""
    codes = ["2380", "2321"] * 600
    back = staged_rows.decode("ledger", staged_rows.encode("ledger", {
        "line_no": list(range(1200)), "account": list(codes), "amount_sek": [Decimal("12.50")] * 1200}))
    assert back["account"] == codes and back["account"][0] is back["account"][2]
    assert back["amount_sek"][0] is back["amount_sek"][1199] and str(back["amount_sek"][0]) == "12.50"
    assert back["line_no"] == list(range(1200))


def test_a_second_load_of_the_run_loads_nothing_again_and_fails_on_nothing(tmp_path, warehouse_url):
    cfg, inbox = _collected_demo(tmp_path, warehouse_url)
    pipeline.validate_files(cfg, 2025, SECRET)
    first = pipeline.load_files(cfg, 2025)
    again = pipeline.load_files(cfg, 2025)
    assert first["files_loaded"] > 0 and again["files_loaded"] == 0 and again["rows_loaded"] == 0
    with pipeline.sessions(cfg)() as s:
        assert sum(f.rows_loaded for f in s.scalars(select(m.IngestedFile))) == first["rows_loaded"]


def test_a_file_changed_after_collect_is_left_for_the_next_run(tmp_path):
    cfg, inbox = _collected_demo(tmp_path, f"sqlite:///{tmp_path / 'w.db'}")
    sessions_file = inbox / "sessions" / "traffar_2025.csv"
    sessions_file.write_bytes(sessions_file.read_bytes() + b"\n")   # still being written
    pipeline.validate_files(cfg, 2025, SECRET)
    pipeline.load_files(cfg, 2025)
    with pipeline.sessions(cfg)() as s:
        logged = {f.file_name for f in s.scalars(select(m.IngestedFile))}
    assert sessions_file.name not in logged and len(logged) > 0
