"""The daily ingest DAG through real Airflow (``airflow dags test``): it loads the inbox's new files and
publishes one Asset event per source whose ``extra["years"]`` names the affected reporting years; a
corrected file then yields one event, for its own source and year only; nothing new, no event.

Runs on a temp copy of the demo inbox, a temp SQLite warehouse and outputs, and a temp Airflow home
with its own SQLite metadata DB (queried for the ``asset_event`` rows).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import airflow_helpers as helpers
import pytest

from runreport import ingest_schedule
from runreport.ingest.collect import collect

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW = str(Path(sys.executable).parent / "airflow")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture
def airflow_env(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(ROOT / "data" / "demo" / "inbox", inbox)
    home = tmp_path / "airflow_home"
    home.mkdir()
    env = helpers.airflow_env(
        home,
        RUN_WAREHOUSE__URL=f"sqlite:///{tmp_path / 'warehouse.db'}",
        RUN_PATHS__INBOX=str(inbox),
        RUN_PATHS__OUTPUT=str(tmp_path / "output"),
        RUN_PATHS__NOTIFICATIONS=str(tmp_path / "notifications"),
        RUN_REPORTING__DEADLINE_ALERTS="false",  # `airflow dags test` parses the annual DAG too
        PYTHONWARNINGS="ignore::DeprecationWarning",
    )
    out = subprocess.run([AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return env, inbox, home / "airflow.db"


def _dags_test(env: dict, logical_date: str) -> None:
    out = subprocess.run([AIRFLOW, "dags", "test", "run_ingest", logical_date], env=env, capture_output=True,
                         text=True, timeout=400)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]


def _events(db: Path) -> list[tuple[str, dict, str]]:
    with sqlite3.connect(db) as c:
        rows = c.execute(
            "SELECT a.uri, e.extra, e.source_task_id FROM asset_event e JOIN asset a ON a.id = e.asset_id "
            "ORDER BY e.id").fetchall()
    return [(uri, json.loads(extra) if isinstance(extra, str) else (extra or {}), task) for uri, extra, task in rows]


def test_plan_is_pure():
    files = collect(ROOT / "data" / "demo" / "inbox")
    p = ingest_schedule.plan(files, set())
    assert p["years"] == [2023, 2024, 2025] and p["year"] == 2025
    assert p["by_source"]["registrations"] == [2023, 2024, 2025]
    assert p["by_source"]["members"] == [2023, 2024, 2025]  # year-less reference data: every year
    done = {f.checksum for f in files if not (f.source == "ledger" and f.year == 2024)}
    assert ingest_schedule.plan(files, done)["by_source"] == {"ledger": [2024]}
    assert ingest_schedule.plan(files, {f.checksum for f in files})["year"] is None


def test_ingest_emits_asset_events_per_source_and_year(airflow_env):
    env, inbox, db = airflow_env

    _dags_test(env, "2026-03-01")
    first = _events(db)
    by_uri = {uri: extra for uri, extra, _ in first}
    sources = ["members", "agreements", "population", "budget", "sessions", "registrations", "evaluations", "ledger"]
    assert sorted(by_uri) == sorted(f"run://RUN/{s}" for s in sources)
    assert len(first) == len(sources)  # one event per source
    for s in sources:
        assert by_uri[f"run://RUN/{s}"]["years"] == [2023, 2024, 2025], s
    assert {task for _, _, task in first} == {f"publish_{s}" for s in sources}
    assert "anmalningar_2024_vt.csv" in by_uri["run://RUN/registrations"]["files"]

    # A partner sends a corrected 2024 file (same slot, version suffix): one row fewer.
    original = inbox / "registrations" / "anmalningar_2024_vt.csv"
    lines = original.read_bytes().splitlines(keepends=True)
    (inbox / "registrations" / "anmalningar_2024_vt_v2.csv").write_bytes(b"".join(lines[:-1]))
    _dags_test(env, "2026-03-02")
    second = _events(db)[len(first):]
    assert [(uri, extra["years"]) for uri, extra, _ in second] == [("run://RUN/registrations", [2024])]
    assert second[0][1]["files"] == ["anmalningar_2024_vt_v2.csv"]

    # Nothing new: no event at all.
    _dags_test(env, "2026-03-03")
    assert len(_events(db)) == len(first) + len(second)


def test_year_from_asset_events():
    from runreport import config, runcontext

    cfg = config.load(environ={})
    events = {"run://RUN/registrations": [{"extra": {"years": [2024]}}],
              "run://RUN/ledger": [{"extra": {"years": [2023]}}, {"extra": {}}]}
    assert runcontext.years_from_asset_events(events) == [2023, 2024]
    ctx = {"triggering_asset_events": events, "params": {"year": None}}
    assert runcontext.year_from_context(ctx, cfg) == 2024
    assert runcontext.year_from_context({"triggering_asset_events": {}, "params": {"year": 2022}}, cfg) == 2022
