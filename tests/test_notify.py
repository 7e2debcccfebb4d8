"""runreport.notify: Swedish notices with links, the fallback (log + JSONL) channel, the choice of
channel, and notices that must go out once (a missed deadline per network and year)."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from runreport import config, notify, sweformat
from runreport.quality import SourceRejected


@pytest.fixture
def notes(tmp_path, monkeypatch):
    monkeypatch.setenv("RUN_PATHS__NOTIFICATIONS", str(tmp_path / "notes"))
    monkeypatch.setenv("RUN_WAREHOUSE__URL", f"sqlite:///{tmp_path / 'wh.db'}")
    monkeypatch.setenv("RUN_NOTIFICATIONS__BASE_URL", "https://airflow.example.se")
    monkeypatch.delenv("AIRFLOW_CONN_RUN_SMTP", raising=False)
    return tmp_path / "notes"


def _context(exc=None):
    ti = SimpleNamespace(dag_id="run_annual_report", run_id="scheduled__verksamhetsar-2025_2026-02-02",
                         task_id="load", map_index=-1, try_number=2, log_url="http://airflow/log")
    dag_run = SimpleNamespace(dag_id="run_annual_report", run_id=ti.run_id, run_after=datetime(2026, 2, 2, 5, tzinfo=UTC))
    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    return {"ti": ti, "dag_run": dag_run, "exception": exc or ValueError("bad ledger row 17"),
            "data_interval_start": start, "data_interval_end": end, "params": {}}


def _records(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_task_failed_is_swedish_with_year_stockholm_time_and_links(notes):
    handler = _Collect()
    notify.log.addHandler(handler)
    try:
        assert notify.task_failed(_context()) == "log"
    finally:
        notify.log.removeHandler(handler)
    [rec] = _records(notes / "task_failed.jsonl")
    assert rec["subject"] == "RUN 2025: steget load misslyckades"
    assert rec["reporting_year"] == 2025 and rec["tenant"] == "RUN"
    assert "Verksamhetsår: 2025" in rec["text"] and "(svensk tid)" in rec["text"]
    assert "Orsak: bad ledger row 17" in rec["text"]
    assert rec["links"]["Körningen i Airflow"] == (
        "https://airflow.example.se/dags/run_annual_report/runs/scheduled__verksamhetsar-2025_2026-02-02")
    assert rec["links"]["Förvaltarsidan för året"] == "https://airflow.example.se/run-stewards/files/RUN/2025/korning.html"
    assert any("RUN NOTIFICATION task_failed" in m for m in handler.messages)


def test_rejected_file_is_named_once(notes):
    exc = SourceRejected("x", files=[{"file_name": "huvudbok_2025.csv", "source": "ledger", "source_sv": "Ekonomi",
                                      "year": 2025, "checksum": "abc", "reason": "Kolumnen belopp saknas"}])
    assert notify.task_failed(_context(exc)) == "log"
    assert notify.task_failed(_context(exc)) == "already"   # the next run's failure: nothing new to say
    [rec] = _records(notes / "file_rejected.jsonl")
    assert rec["subject"] == "RUN 2025: filen huvudbok_2025.csv avvisades"
    assert "Filen huvudbok_2025.csv (Ekonomi, 2025) avvisades: Kolumnen belopp saknas" in rec["text"]


def test_stockholm_time():
    assert sweformat.stockholm("2026-02-16T05:00:00+00:00") == "2026-02-16 06:00"
    assert sweformat.long_day(datetime(2026, 2, 16, 5, tzinfo=UTC)) == "måndag 16 februari 2026 kl. 06:00"


def test_smtp_used_when_connection_configured(notes, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_RUN_SMTP", "smtp://user:secret@mail.example.org:587")
    assert notify._smtp_configured() is True
    sent = []
    monkeypatch.setattr(notify, "_send_smtp", lambda to, notice, context=None: sent.append((to, notice.subject)))
    assert notify.task_failed(_context()) == "smtp"
    assert sent and sent[0][0] == ["run@miun.se"]
    assert not (notes / "task_failed.jsonl").exists()


def test_smtp_notifier_is_airflows():
    notifier = notify._smtp_notifier(["a@x.se"], notify.Notice("e", "Ämne", ["rad"]))
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    assert isinstance(notifier, SmtpNotifier) and notifier.smtp_conn_id == "run_smtp"


def test_smtp_failure_falls_back_to_record(notes, monkeypatch):
    monkeypatch.setattr(notify, "_smtp_configured", lambda conn_id=notify.SMTP_CONN_ID: True)

    def boom(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(notify, "_send_smtp", boom)
    assert notify.task_failed(_context()) == "log"
    assert (notes / "task_failed.jsonl").exists()


def test_stewards_from_config():
    assert notify.stewards(config.load({"notifications": {"stewards": "a@x.se, b@x.se"}}, environ={})) \
        == ["a@x.se", "b@x.se"]
    seller_only = config.load({"notifications": {"stewards": []}, "invoicing": {"seller": {"contact_email": "run@miun.se"}}},
                              environ={})
    assert notify.stewards(seller_only) == ["run@miun.se"]
    assert notify.stewards(config.load({"notifications": {"stewards": []}, "invoicing": {"seller": {"contact_email": ""}}},
                                       environ={})) == []


def _deadline_context(run_id):
    return {"dag_run": {"dag_id": "run_annual_report", "dag_run_id": run_id, "state": "failed",
                        "data_interval_start": "2025-01-01T00:00:00Z", "data_interval_end": "2026-01-01T00:00:00Z"},
            "deadline": {"id": "0199", "deadline_time": "2026-02-16T05:00:00+00:00"}}


def test_deadline_missed_once_per_network_and_year(notes):
    assert asyncio.run(notify.deadline_missed(context=_deadline_context("scheduled__verksamhetsar-2025_x"))) == "log"
    # a rerun after the deadline creates a new deadline that fires at once: no second notice
    assert asyncio.run(notify.deadline_missed(context=_deadline_context("manual__late"))) == "already"
    [rec] = _records(notes / "deadline_missed.jsonl")
    assert rec["reporting_year"] == 2025 and rec["run_id"] == "scheduled__verksamhetsar-2025_x"
    assert rec["subject"] == "RUN 2025: verksamhetsberättelsen blev inte klar i tid"
    assert "2026-02-16 06:00 (svensk tid)" in rec["text"] and "misslyckad" in rec["text"]


def test_no_deadline_notice_when_the_final_report_is_written(notes):
    from runreport.pipeline import sessions
    from runreport.warehouse.status import FINAL, set_report_state

    cfg = config.load()
    with sessions(cfg).begin() as s:
        set_report_state(s, "RUN", 2025, FINAL)
    assert asyncio.run(notify.deadline_missed(context=_deadline_context("manual__late"))) == "final"
    assert not (notes / "deadline_missed.jsonl").exists()


def test_reminder_names_missing_sources_once_and_only_before_the_deadline(notes):
    cfg = config.load()
    before = datetime(2026, 1, 26, 5, tzinfo=UTC)
    assert notify.remind(cfg, 2025, now=before) == "log"
    [rec] = _records(notes / "deadline_reminder.jsonl")
    assert rec["subject"] == "RUN 2025: påminnelse – underlag saknas inför tidsgränsen"
    assert "Utvärderingar: ingen godkänd fil för 2025 har kommit in" in rec["text"]
    assert "måndag 16 februari 2026 kl. 06:00" in rec["text"]
    assert notify.remind(cfg, 2025, now=before) == "already"
    assert notify.remind(cfg, 2024, now=datetime(2025, 3, 1, tzinfo=UTC)) == "after_deadline"
    # each partner whose required delivery is open got its own reminder, to its configured contact, once
    partners = _records(notes / "partner_reminder.jsonl")
    by_source = {r["source"]: r for r in partners}
    assert len(partners) == len(by_source) and "evaluations" in by_source
    evaluations = by_source["evaluations"]
    assert evaluations["to"] == cfg.deliveries.sources["evaluations"].contact
    assert evaluations["subject"] == "RUN 2025: påminnelse – Utvärderingar saknas"
    assert "Vi har ännu inte fått utvärderingar för 2025" in evaluations["text"]
    assert "Påminnelse skickad till:" in rec["text"] and "Utvärderingar" in rec["text"].split("Påminnelse")[1]


def test_notice_html_escapes_what_it_shows():
    """The e-mail's HTML comes from an autoescaped template: a file name or reason with markup is text."""
    html = notify.Notice("task_failed", "Fil <b>x</b>", ["rad <script>alert(1)</script>"], {},
                         {"Körningen": 'https://airflow.example/?a=1&b="2'}).html()
    assert "<script>" not in html and "&lt;script&gt;" in html and "Fil &lt;b&gt;x&lt;/b&gt;" in html
    assert 'href="https://airflow.example/?a=1&amp;b=&#34;2"' in html


def test_finance_is_told_where_the_approval_waits(notes):
    """The notice leads finance straight to the form (the task's Required Action page), with the
    register; no link to a stewards' page that an invoice run in January may come before."""
    summary = {"year": 2026, "tenant": "RUN", "rows": [{}, {}], "pending": ["UTKAST-RUN-2026-0001"],
               "invoiced_sv": "932\u00a0932\u00a0kr", "credits_waiting": []}
    ti = SimpleNamespace(dag_id="run_invoices", run_id="scheduled__2026-01-15T05:00:00+00:00", task_id="approval",
                         map_index=-1, try_number=1, xcom_pull=lambda task_ids: summary)
    dag_run = SimpleNamespace(dag_id="run_invoices", run_id=ti.run_id)
    notify.approval_waiting({"ti": ti, "dag_run": dag_run, "params": {}})
    [rec] = _records(notes / "invoice_approval_waiting.jsonl")
    assert rec["subject"] == "Fakturor för kommunbidrag 2026 väntar på ditt godkännande"
    assert "att fakturera 932\u00a0932\u00a0kr" in rec["text"] and "Skäl" in rec["text"]
    assert rec["links"]["Godkännandet"] == ("https://airflow.example.se/dags/run_invoices/runs/"
                                            "scheduled__2026-01-15T05%3A00%3A00%2B00%3A00/tasks/approval/required_actions")
    assert rec["links"]["Fakturaregistret 2026"].endswith("/run-stewards/files/RUN/2026/invoices/fakturor_2026.xlsx")
    assert "Förvaltarsidan för året" not in rec["links"]


def test_notices_go_out_once_each_when_the_settings_cannot_be_read(tmp_path, monkeypatch):
    """A broken setting must not silence a notice: it is recorded in the default folder (never the
    project home), and the settings are tried once per notice, not once per helper."""
    from runreport import runcontext

    monkeypatch.setenv("RUN_VALIDATION__WORKERS", "banana")
    monkeypatch.delenv("AIRFLOW_CONN_RUN_SMTP", raising=False)
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path)
    loads = []
    real = runcontext.load_config
    monkeypatch.setattr(runcontext, "load_config", lambda *a, **k: loads.append(1) or real(*a, **k))
    assert notify.task_failed(_context()) == "log"
    assert len(loads) == 1
    [failed] = _records(tmp_path / "var" / "notifications" / "task_failed.jsonl")
    assert failed["tenant"] is None and failed["subject"].endswith("steget load misslyckades")
    loads.clear()
    assert asyncio.run(notify.deadline_missed(context=_deadline_context("scheduled__verksamhetsar-2025_x"))) == "log"
    assert len(loads) == 1
    [missed] = _records(tmp_path / "var" / "notifications" / "deadline_missed.jsonl")
    assert missed["reporting_year"] == 2025
    assert not list(tmp_path.glob("*.jsonl"))


def test_an_empty_notifications_folder_setting_is_the_default_folder():
    cfg = config.load(environ={"RUN_PATHS__NOTIFICATIONS": ""})
    assert notify.notifications_dir(cfg) == config.PROJECT_ROOT / "var" / "notifications"
