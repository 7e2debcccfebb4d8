"""runreport.notify: the fallback (log + JSONL) path and the choice of channel."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from runreport import notify


@pytest.fixture
def notes(tmp_path, monkeypatch):
    monkeypatch.setenv("RUN_PATHS__NOTIFICATIONS", str(tmp_path / "notes"))
    monkeypatch.delenv("AIRFLOW_CONN_RUN_SMTP", raising=False)
    return tmp_path / "notes"


def _context():
    ti = SimpleNamespace(dag_id="run_annual_report", run_id="scheduled__2026-02-02", task_id="load_finance",
                         map_index=-1, try_number=2, log_url="http://airflow/log")
    dag_run = SimpleNamespace(dag_id="run_annual_report", run_id="scheduled__2026-02-02",
                              data_interval_start=datetime(2025, 1, 1, tzinfo=UTC))
    return {"ti": ti, "dag_run": dag_run, "exception": ValueError("bad ledger row 17")}


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_task_failed_without_smtp_logs_and_records(notes):
    # Airflow routes stdlib logging through structlog, so collect on the logger itself.
    handler = _Collect()
    notify.log.addHandler(handler)
    try:
        assert notify.task_failed(_context()) == "log"
    finally:
        notify.log.removeHandler(handler)
    lines = (notes / "task_failed.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    rec = json.loads(lines[0])
    assert rec["event"] == "task_failed"
    assert rec["dag_id"] == "run_annual_report"
    assert rec["task_id"] == "load_finance"
    assert rec["reporting_year"] == 2025
    assert rec["exception"] == "ValueError: bad ledger row 17"
    assert "load_finance" in rec["subject"]
    assert any("RUN NOTIFICATION task_failed" in m for m in handler.messages)
    # A second failure appends.
    notify.task_failed(_context())
    assert len((notes / "task_failed.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_smtp_used_when_connection_configured(notes, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_RUN_SMTP", "smtp://user:secret@mail.example.org:587")
    assert notify._smtp_configured() is True
    sent = []
    monkeypatch.setattr(notify, "_send_smtp", lambda to, subject, payload: sent.append((to, subject)))
    assert notify.task_failed(_context()) == "smtp"
    assert sent and sent[0][0] == ["run@miun.se"]
    assert not (notes / "task_failed.jsonl").exists()


def test_smtp_failure_falls_back_to_record(notes, monkeypatch):
    monkeypatch.setattr(notify, "_smtp_configured", lambda conn_id=notify.SMTP_CONN_ID: True)

    def boom(*args):
        raise OSError("connection refused")

    monkeypatch.setattr(notify, "_send_smtp", boom)
    assert notify.task_failed(_context()) == "log"
    assert (notes / "task_failed.jsonl").exists()


def test_stewards_from_config(monkeypatch):
    assert notify.stewards({"notifications": {"stewards": "a@x.se, b@x.se"}}) == ["a@x.se", "b@x.se"]
    assert notify.stewards({"invoicing": {"seller": {"contact_email": "run@miun.se"}}}) == ["run@miun.se"]
    assert notify.stewards({}) == []


def test_deadline_missed_callback_records(notes):
    context = {
        "dag_run": {"dag_id": "run_annual_report", "dag_run_id": "manual__report_2025", "state": "running",
                    "data_interval_start": "2025-01-01T00:00:00Z"},
        "deadline": {"id": "0199", "deadline_time": "2026-02-16T05:00:00+00:00"},
    }
    assert asyncio.run(notify.deadline_missed(context=context)) == "log"
    rec = json.loads((notes / "deadline_missed.jsonl").read_text(encoding="utf-8"))
    assert rec["reporting_year"] == 2025
    assert rec["run_id"] == "manual__report_2025"
    assert "2025" in rec["subject"] and "missed its deadline" in rec["subject"]
