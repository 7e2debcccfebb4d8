"""Notifications to the RUN data stewards: missed report deadlines and failed tasks.

Two entry points:

- :func:`deadline_missed`: the callback of the annual-report ``DeadlineAlert`` (an
  ``AsyncCallback``, run by the Airflow triggerer when a run has not succeeded by the deadline);
- :func:`task_failed`: usable as
  ``on_failure_callback`` of a DAG or task; runs in the task's worker process.

Channel: an e-mail through the Airflow SMTP connection ``run_smtp`` when that connection is
configured; otherwise (no connection, or sending failed) a clear WARNING log line and one JSON
record appended to ``<notifications dir>/<event>.jsonl`` (default ``var/notifications/``,
configurable as ``paths.notifications`` or env ``RUN_PATHS__NOTIFICATIONS``).

Recipients: ``notifications.stewards`` in the configuration (a list or comma-separated string;
env ``RUN_NOTIFICATIONS__STEWARDS``), else the seller's ``invoicing.seller.contact_email``.
Records never hold personal data: only DAG/run/task identifiers and times.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("runreport.notify")

SMTP_CONN_ID = "run_smtp"
DEADLINE_EVENT = "deadline_missed"
FAILURE_EVENT = "task_failed"


# -- configuration ---------------------------------------------------------------------------


def _config() -> dict[str, Any]:
    try:
        from runreport import config

        return config.load()
    except Exception:  # a broken config must not stop a notification
        log.exception("runreport.notify: could not load the configuration; using defaults")
        return {}


def notifications_dir(cfg: dict[str, Any] | None = None) -> Path:
    cfg = _config() if cfg is None else cfg
    raw = (cfg.get("paths") or {}).get("notifications") or "var/notifications"
    path = Path(raw)
    if not path.is_absolute():
        from runreport.config import PROJECT_ROOT

        path = PROJECT_ROOT / path
    return path


def stewards(cfg: dict[str, Any] | None = None) -> list[str]:
    cfg = _config() if cfg is None else cfg
    raw = (cfg.get("notifications") or {}).get("stewards")
    if not raw:
        raw = ((cfg.get("invoicing") or {}).get("seller") or {}).get("contact_email")
    if not raw:
        return []
    if isinstance(raw, str):
        raw = raw.split(",")
    return [addr.strip() for addr in raw if addr and str(addr).strip()]


# -- the fallback channel ---------------------------------------------------------------------


def record(event: str, payload: dict[str, Any], *, directory: Path | None = None) -> Path:
    """Log ``payload`` clearly and append it as one JSON line to ``<directory>/<event>.jsonl``."""
    directory = directory or notifications_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{event}.jsonl"
    entry = {"event": event, "recorded_at": datetime.now(UTC).isoformat(), **payload}
    line = json.dumps(entry, ensure_ascii=False, default=str, sort_keys=True)
    # One write of a line shorter than PIPE_BUF with O_APPEND: concurrent writers do not interleave.
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
    finally:
        os.close(fd)
    log.warning("RUN NOTIFICATION %s (no SMTP connection %r; recorded in %s): %s",
                event, SMTP_CONN_ID, target, line)
    return target


# -- the SMTP channel -------------------------------------------------------------------------


def _smtp_configured(conn_id: str = SMTP_CONN_ID) -> bool:
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return False
    except Exception:  # no metadata DB / API reachable: treat as not configured
        log.debug("runreport.notify: looking up connection %r failed", conn_id, exc_info=True)
        return False
    return True


async def _asmtp_configured(conn_id: str = SMTP_CONN_ID) -> bool:
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        await BaseHook.aget_connection(conn_id)
    except AirflowNotFoundException:
        return False
    except Exception:
        log.debug("runreport.notify: looking up connection %r failed", conn_id, exc_info=True)
        return False
    return True


def _html(subject: str, payload: dict[str, Any]) -> str:
    from html import escape

    rows = "".join(
        f"<tr><th align='left'>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>"
        for k, v in payload.items()
    )
    return f"<p>{escape(subject)}</p><table>{rows}</table>"


def _send_smtp(to: Iterable[str], subject: str, payload: dict[str, Any]) -> None:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    with SmtpHook(smtp_conn_id=SMTP_CONN_ID) as hook:
        hook.send_email_smtp(to=list(to), subject=subject, html_content=_html(subject, payload))


async def _asend_smtp(to: Iterable[str], subject: str, payload: dict[str, Any]) -> None:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    async with SmtpHook(smtp_conn_id=SMTP_CONN_ID) as hook:
        await hook.asend_email_smtp(to=list(to), subject=subject, html_content=_html(subject, payload))


def notify(event: str, subject: str, payload: dict[str, Any], *, cfg: dict[str, Any] | None = None) -> str:
    """Send via SMTP when ``run_smtp`` is configured, else record. Returns ``"smtp"`` or ``"log"``."""
    cfg = _config() if cfg is None else cfg
    to = stewards(cfg)
    if to and _smtp_configured():
        try:
            _send_smtp(to, subject, payload)
            log.info("RUN NOTIFICATION %s e-mailed to %s: %s", event, ", ".join(to), subject)
            return "smtp"
        except Exception:
            log.exception("RUN NOTIFICATION %s: sending via %r failed; recording instead", event, SMTP_CONN_ID)
    record(event, {"subject": subject, **payload}, directory=notifications_dir(cfg))
    return "log"


async def anotify(event: str, subject: str, payload: dict[str, Any], *,
                  cfg: dict[str, Any] | None = None) -> str:
    """Async :func:`notify`, for the triggerer's event loop (file work is done in a thread)."""
    cfg = await asyncio.to_thread(_config) if cfg is None else cfg
    to = stewards(cfg)
    if to and await _asmtp_configured():
        try:
            await _asend_smtp(to, subject, payload)
            log.info("RUN NOTIFICATION %s e-mailed to %s: %s", event, ", ".join(to), subject)
            return "smtp"
        except Exception:
            log.exception("RUN NOTIFICATION %s: sending via %r failed; recording instead", event, SMTP_CONN_ID)
    await asyncio.to_thread(record, event, {"subject": subject, **payload}, directory=notifications_dir(cfg))
    return "log"


# -- deadline alert callback --------------------------------------------------------------------


def deadline_payload(context: dict[str, Any] | None, **kwargs: Any) -> dict[str, Any]:
    """The facts of a missed deadline from the (JSON) context the scheduler gives the callback."""
    context = context or {}
    dag_run = context.get("dag_run") or {}
    dl = context.get("deadline") or {}
    start = dag_run.get("data_interval_start") or dag_run.get("logical_date")
    year = None
    if start:
        year = datetime.fromisoformat(str(start).replace("Z", "+00:00")).astimezone(UTC).year
    return {
        "dag_id": dag_run.get("dag_id"),
        "run_id": dag_run.get("dag_run_id") or dag_run.get("run_id"),
        "reporting_year": year,
        "state": dag_run.get("state"),
        "deadline": dl.get("deadline_time"),
        "deadline_id": dl.get("id"),
        **kwargs,
    }


async def deadline_missed(context: dict[str, Any] | None = None, **kwargs: Any) -> str:
    """``AsyncCallback`` for the annual-report ``DeadlineAlert``: the report run is late."""
    payload = deadline_payload(context, **kwargs)
    subject = (
        f"RUN: the annual report for {payload['reporting_year']} missed its deadline "
        f"({payload['deadline']}); DAG {payload['dag_id']}, run {payload['run_id']} is {payload['state']}"
    )
    return await anotify(DEADLINE_EVENT, subject, payload)


# -- failure callbacks ---------------------------------------------------------------------------


def failure_payload(context: Any) -> dict[str, Any]:
    """The facts of a failed task from an Airflow task context (no personal data)."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    exc = context.get("exception")
    start = getattr(dag_run, "data_interval_start", None) or context.get("data_interval_start")
    return {
        "dag_id": getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", None),
        "run_id": getattr(ti, "run_id", None) or getattr(dag_run, "run_id", None),
        "task_id": getattr(ti, "task_id", None),
        "map_index": getattr(ti, "map_index", None),
        "try_number": getattr(ti, "try_number", None),
        "reporting_year": start.year if start is not None else None,
        "exception": f"{type(exc).__name__}: {exc}" if exc is not None else None,
        "log_url": getattr(ti, "log_url", None),
    }


def task_failed(context: Any) -> str:
    """``on_failure_callback``: tell the data stewards that a task failed."""
    payload = failure_payload(context)
    subject = (
        f"RUN: task {payload['task_id']} failed in {payload['dag_id']} "
        f"(run {payload['run_id']}, try {payload['try_number']})"
    )
    return notify(FAILURE_EVENT, subject, payload)

