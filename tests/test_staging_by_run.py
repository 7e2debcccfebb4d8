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


def test_a_new_run_of_a_dag_removes_what_its_stopped_run_left_and_nothing_else(tmp_path, warehouse_url):
    """A run stopped before its clean-up leaves its staging; the next run of the same DAG (one at a
    time) removes it when it collects. Another DAG's run is left alone."""
    cfg = _cfg(tmp_path, warehouse_url)
    stopped = staging.run_key("run_ingest", "scheduled__2026-02-01T04:00:00+00:00")
    pipeline.collect_files(cfg, 2025, stopped)
    pipeline.collect_files(cfg, 2025, ANNUAL)
    pipeline.collect_files(cfg, 2025, INGEST)
    with pipeline.sessions(cfg)() as s:
        keys = set(s.scalars(select(m.StagedFile.run_key)))
    assert keys == {ANNUAL, INGEST}
