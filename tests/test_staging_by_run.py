"""Two runs of the same year keep their staging apart (staged_file.run_key): the daily ingest and the
annual report it triggers, or a steward's manual run, never replace, read or clear each other's files.

Before: staging was keyed by (tenant, year) only, so the annual run's collect replaced the ingest's
manifest and the ingest's clean-up at its end cleared the annual run's staging in the middle of it."""

from __future__ import annotations

import shutil

import demo_expectations as expect
from sqlalchemy import func, select

from runreport import config, pipeline
from runreport.warehouse import models as m
from runreport.warehouse import staging

SECRET = b"staging-by-run-secret"
INGEST = staging.run_key("run_ingest", "scheduled__2026-02-02T04:00:00+00:00")
ANNUAL = staging.run_key("run_annual_report", "asset_triggered__2026-02-02T04:20:00+00:00")


def _cfg(tmp_path, url):
    inbox = tmp_path / "inbox"
    shutil.copytree(expect.INBOX, inbox)
    return config.load(overrides={"warehouse": {"url": url},
                                  "paths": {"inbox": str(inbox), "output": str(tmp_path / "out")}}, environ={})


def test_a_run_triggered_in_the_middle_of_another_neither_replaces_nor_clears_its_files(tmp_path, warehouse_url):
    cfg = _cfg(tmp_path, warehouse_url)
    pipeline.collect_files(cfg, 2025, INGEST)
    pipeline.validate_files(cfg, 2025, SECRET, run_name="ingest-2025", run_key=INGEST)
    ingest_files = [e["file_name"] for e in pipeline.staged_summary(cfg, 2025, INGEST)[0]]
    assert len(ingest_files) >= 9

    # the annual report starts (an asset event) before the ingest has loaded: its own collect and clean-up
    pipeline.collect_files(cfg, 2025, ANNUAL)
    assert [e["file_name"] for e in pipeline.staged_summary(cfg, 2025, ANNUAL)[0]] == ingest_files
    assert pipeline.clear_staging(cfg, 2025, ANNUAL) is True

    # the ingest goes on: every file it validated is still staged, decided, and loads
    collected, outcomes = pipeline.staged_summary(cfg, 2025, INGEST)
    assert [e["file_name"] for e in collected] == ingest_files and len(outcomes) == len(ingest_files)
    loaded = pipeline.load_files(cfg, 2025, INGEST)
    with pipeline.sessions(cfg)() as s:
        assert loaded["files_loaded"] == s.scalar(select(func.count(m.IngestedFile.id))) >= 9
        assert loaded["rows_loaded"] == sum(o["rows_loaded"] for o in outcomes) > 12_000
        assert loaded["rows_loaded"] == s.scalar(select(func.sum(m.IngestedFile.rows_loaded)))
    assert pipeline.clear_staging(cfg, 2025, INGEST) is True
    with pipeline.sessions(cfg)() as s:
        assert s.scalar(select(func.count(m.StagedFile.id))) == 0


def test_a_stopped_run_s_leftovers_go_after_the_keep_time_and_no_running_run_s_do(tmp_path, warehouse_url):
    """A run stopped before its teardown leaves its staging: a later collect deletes it once it is
    older than warehouse.staging_keep_hours. Runs that may still be going are left alone: another
    DAG's, a backfill of the same DAG (backfills do not count towards max_active_runs), a DAG whose
    id differs only in case, and a run key of Airflow's longest ids (250 + 250 characters)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    cfg = _cfg(tmp_path, warehouse_url)
    stopped = staging.run_key("run_ingest", "scheduled__2026-01-29T04:00:00+00:00")
    backfill = staging.run_key("run_ingest", "backfill__2025-06-01T04:00:00+00:00")
    other_case = staging.run_key("RUN_INGEST", "manual__1")
    longest = staging.run_key("d" * 250, "r" * 250)
    pipeline.collect_files(cfg, 2025, stopped)
    with pipeline.sessions(cfg).begin() as s:
        s.execute(update(m.StagedFile).where(m.StagedFile.run_key == stopped).values(
            staged_at=datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=73)))
    for run in (ANNUAL, backfill, other_case, longest):
        pipeline.collect_files(cfg, 2025, run)
    pipeline.collect_files(cfg, 2025, INGEST)
    with pipeline.sessions(cfg)() as s:
        keys = set(s.scalars(select(m.StagedFile.run_key)))
    assert keys == {ANNUAL, backfill, other_case, longest, INGEST}
    assert len(pipeline.staged_summary(cfg, 2025, longest)[0]) >= 9
