"""Notifications to the data stewards, in Swedish, with Stockholm time and links.

Every notice names the network, the reporting year and (where there is one) the file, and links to
the run page in Airflow and to the stewards' page of the year (``/run-stewards/…/korning.html``).

Events:

- ``task_failed``: a task failed (the DAGs' ``on_failure_callback`` is a :class:`RunNotifier`,
  Airflow's notifier mechanism). A failure caused by rejected partner files says which files, for
  which year and why; a file already reported is not reported again.
- ``file_resolved``: a corrected file for a slot whose earlier file was rejected has loaded.
- ``deadline_reminder``: sent by ``run_deadline_reminder`` a configured time before the deadline,
  naming the sources still missing and the files still rejected.
- ``deadline_missed``: the annual report's ``DeadlineAlert`` callback (run by the triggerer).
  Exactly one per network and year (``notice_sent`` in the warehouse), and none for a year whose
  final report is already written: a rerun or backfill after the deadline stays quiet.

Channel: Airflow's SMTP provider (``SmtpNotifier``/``SmtpHook``) when the connection ``run_smtp``
exists; otherwise (no connection, or sending failed) a WARNING log line and one JSON record in
``<notifications dir>/<event>.jsonl`` (``paths.notifications``, env ``RUN_PATHS__NOTIFICATIONS``).
Notices never carry personal data: run identifiers, sources, file names and reasons only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from runreport.sweformat import stockholm

log = logging.getLogger("runreport.notify")

SMTP_CONN_ID = "run_smtp"
DEADLINE_EVENT = "deadline_missed"
REMINDER_EVENT = "deadline_reminder"
FAILURE_EVENT = "task_failed"
RESOLVED_EVENT = "file_resolved"


# -- configuration ---------------------------------------------------------------------------


class _Unreadable:
    """Settings that could not be read (logged once): the notice still goes out, recorded in the default
    folder, and the helpers below take this for "no settings" without loading them again."""

    def __bool__(self) -> bool:
        return False


UNREADABLE = _Unreadable()


def _config():  # -> runreport.settings.Settings, or UNREADABLE
    try:
        from runreport import runcontext

        return runcontext.load_config()
    except Exception:  # a broken config must not stop a notification
        log.exception("runreport.notify: could not load the configuration; using defaults")
        return UNREADABLE


def notifications_dir(cfg=None) -> Path:  # noqa: ANN001 (Settings; None: loaded here)
    cfg = _config() if cfg is None else cfg
    if cfg:
        return cfg.path("notifications")
    from runreport.config import PROJECT_ROOT
    from runreport.settings import Paths

    return PROJECT_ROOT / Paths.model_fields["notifications"].default   # the settings could not be read


def stewards(cfg=None) -> list[str]:  # noqa: ANN001 (Settings; None: loaded here)
    """``notifications.stewards``, else the seller's contact address (none when the settings cannot be read)."""
    cfg = _config() if cfg is None else cfg
    if not cfg:
        return []
    raw = cfg.notifications.stewards or cfg.invoicing.seller.contact_email
    if not raw:
        return []
    if isinstance(raw, str):
        raw = raw.split(",")
    return [addr.strip() for addr in raw if addr and str(addr).strip()]


def base_url(cfg=None) -> str:  # noqa: ANN001 (Settings; None: loaded here)
    """The Airflow UI's address: ``notifications.base_url``, else Airflow's ``[api] base_url``."""
    cfg = _config() if cfg is None else cfg
    url = cfg.notifications.base_url if cfg else None
    if not url:
        url = os.environ.get("AIRFLOW__API__BASE_URL")
    if not url:
        try:
            from airflow.configuration import conf

            url = conf.get("api", "base_url", fallback=None)
        except Exception:  # noqa: BLE001 - outside Airflow
            url = None
    return (url or "http://localhost:8080").rstrip("/")


# -- the words ------------------------------------------------------------------------------------


@dataclass
class Notice:
    """One notice: subject and lines in Swedish, the facts, and links."""

    event: str
    subject: str
    lines: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        body = [self.subject, "", *self.lines]
        if self.links:
            body += ["", *(f"{label}: {url}" for label, url in self.links.items())]
        return "\n".join(body)

    def html(self) -> str:
        """The e-mail's HTML (``include/templates/pages/notice.html.j2``, autoescaped)."""
        from runreport.pages import render

        return render("notice.html.j2", subject=self.subject, lines=self.lines, links=self.links)

    def record(self) -> dict[str, Any]:
        return {"subject": self.subject, "text": self.text(), "links": self.links, **self.facts}


def links(cfg, tenant: str | None, year: int | None, dag_id: str | None = None,
          run_id: str | None = None) -> dict[str, str]:
    base = base_url(cfg)
    out = {}
    if dag_id and run_id:
        out["Körningen i Airflow"] = f"{base}/dags/{quote(dag_id)}/runs/{quote(run_id, safe='')}"
    if tenant and year:
        out["Förvaltarsidan för året"] = f"{base}/run-stewards/files/{quote(tenant)}/{year}/korning.html"
    return out


# -- the fallback channel ---------------------------------------------------------------------


def record(event: str, payload: dict[str, Any], *, directory: Path | None = None) -> Path:
    """Log ``payload`` clearly and append it as one JSON line to ``<directory>/<event>.jsonl``."""
    directory = directory or notifications_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{event}.jsonl"
    entry = {"event": event, "recorded_at": datetime.now(UTC).isoformat(), **payload}
    line = json.dumps(entry, ensure_ascii=False, default=str, sort_keys=True)
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
    finally:
        os.close(fd)
    log.warning("RUN NOTIFICATION %s (no SMTP connection %r; recorded in %s): %s",
                event, SMTP_CONN_ID, target, payload.get("subject", ""))
    return target


# -- the SMTP channel (Airflow's SMTP provider) ------------------------------------------------


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


def _smtp_notifier(to: Iterable[str], notice: Notice):
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    return SmtpNotifier(to=list(to), subject=notice.subject, html_content=notice.html(), smtp_conn_id=SMTP_CONN_ID)


def _send_smtp(to: Iterable[str], notice: Notice, context: Any = None) -> None:
    _smtp_notifier(to, notice).notify(context or {})


async def _asend_smtp(to: Iterable[str], notice: Notice, context: Any = None) -> None:
    await _smtp_notifier(to, notice).async_notify(context or {})


def deliver(notice: Notice, *, cfg: Any = None, context: Any = None,
            to: list[str] | None = None) -> str:
    """Send via SMTP when ``run_smtp`` is configured, else record. Returns ``"smtp"`` or ``"log"``.
    ``to``: the recipients (a partner's contact); default the stewards."""
    cfg = _config() if cfg is None else cfg
    to = stewards(cfg) if to is None else to
    if to and _smtp_configured():
        try:
            _send_smtp(to, notice, context)
            log.info("RUN NOTIFICATION %s e-mailed to %s: %s", notice.event, ", ".join(to), notice.subject)
            return "smtp"
        except Exception:
            log.exception("RUN NOTIFICATION %s: sending via %r failed; recording instead", notice.event,
                          SMTP_CONN_ID)
    record(notice.event, notice.record(), directory=notifications_dir(cfg))
    return "log"


async def adeliver(notice: Notice, *, cfg: Any = None) -> str:
    """Async :func:`deliver`, for the triggerer's event loop (file work is done in a thread)."""
    cfg = await asyncio.to_thread(_config) if cfg is None else cfg
    to = stewards(cfg)
    if to and await _asmtp_configured():
        try:
            await _asend_smtp(to, notice)
            log.info("RUN NOTIFICATION %s e-mailed to %s: %s", notice.event, ", ".join(to), notice.subject)
            return "smtp"
        except Exception:
            log.exception("RUN NOTIFICATION %s: sending via %r failed; recording instead", notice.event,
                          SMTP_CONN_ID)
    await asyncio.to_thread(record, notice.event, notice.record(), directory=notifications_dir(cfg))
    return "log"


def _once(cfg, event: str, key: str) -> bool:
    """Claim the notice ``(tenant, event, key)`` in the warehouse; False if it went out before. Without
    readable settings there is no warehouse to ask: the notice goes out (twice rather than never)."""
    if not cfg:
        return True
    from runreport.pipeline import sessions
    from runreport.warehouse.status import claim_notice

    return claim_notice(sessions(cfg), cfg.tenant, event, key)


def failure_notice(context: Any, cfg) -> Notice | None:
    """The notice for a failed task (None: nothing new to say, e.g. a file reported before)."""
    from runreport import runcontext
    from runreport.quality import SourceRejected

    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    exc = context.get("exception")
    dag_id = getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", None)
    run_id = getattr(ti, "run_id", None) or getattr(dag_run, "run_id", None)
    task_id = getattr(ti, "task_id", None)
    year = context.get("run_year")
    if year is None:
        try:
            year = runcontext.year_for_task(context, cfg)
        except Exception:  # noqa: BLE001
            year = None
    tenant = cfg.tenant if cfg else None
    network = (cfg.network_name if cfg else None) or tenant
    facts = {"tenant": tenant, "dag_id": dag_id, "run_id": run_id, "task_id": task_id,
             "try_number": getattr(ti, "try_number", None), "reporting_year": year,
             "at_sv": stockholm(datetime.now(UTC)),
             "exception": f"{type(exc).__name__}: {exc}" if exc is not None else None}
    head = [f"Nätverk: {network}", f"Verksamhetsår: {year}", f"Tid: {facts['at_sv']} (svensk tid)"]
    if isinstance(exc, SourceRejected) and exc.files:
        file_years = {f.get("year") for f in exc.files if f.get("year")}
        if len(file_years) == 1:  # an ingest run's own "year" is not the files' year
            year = facts["reporting_year"] = file_years.pop()
            head[1] = f"Verksamhetsår: {year}"
        new = [f for f in exc.files if f.get("checksum") is None or _once(cfg, "file_rejected", f["checksum"])]
        if not new:
            log.info("Rejected files already reported: %s", ", ".join(f["file_name"] for f in exc.files))
            return None
        from runreport import privacy

        new = [{**f, "file_name": privacy.file_name(f["file_name"]), "reason": privacy.mask(f["reason"])} for f in new]
        facts["files"] = [f["file_name"] for f in new]
        lines = [*head, *(f"Filen {f['file_name']} ({f.get('source_sv') or f.get('source')}, "
                          f"{f.get('year') or 'alla år'}) avvisades: {f['reason']}" for f in new),
                 "Lägg en rättad fil med samma namn och _v2 i inkorgen; nästa körning läser in den."]
        names = ", ".join(f["file_name"] for f in new)
        subject = (f"{tenant} {year}: filen {names} avvisades" if len(new) == 1
                   else f"{tenant} {year}: {len(new)} filer avvisades")
        return Notice("file_rejected", subject, lines, facts, links(cfg, tenant, year, dag_id, run_id))
    from runreport import privacy

    reason = privacy.mask(str(exc).split(" / ")[0]) if exc is not None else "okänd orsak"
    facts["exception"] = privacy.mask(facts["exception"] or "") or None
    lines = [*head, f"Steget {task_id} i {dag_id} misslyckades (försök {facts['try_number']}).", f"Orsak: {reason}"]
    return Notice(FAILURE_EVENT, f"{tenant} {year}: steget {task_id} misslyckades", lines, facts,
                  links(cfg, tenant, year, dag_id, run_id))


def task_failed(context: Any) -> str:
    """``on_failure_callback``: tell the data stewards that a task failed."""
    cfg = _config()
    notice = failure_notice(context, cfg)
    return deliver(notice, cfg=cfg, context=context) if notice else "already"


def finance(cfg=None) -> list[str]:  # noqa: ANN001 (Settings; None: loaded here)
    """``notifications.finance``: who is told that invoices wait for approval (default: the stewards)."""
    cfg = _config() if cfg is None else cfg
    raw = cfg.notifications.finance if cfg else None
    if not raw:
        return stewards(cfg)
    return [a.strip() for a in (raw.split(",") if isinstance(raw, str) else raw) if a and str(a).strip()]


def approval_waiting(context: Any) -> str:
    """The approval step's notifier: tell finance that drafts wait, how many and how much, and where."""
    cfg = _config()
    ti = context["ti"]
    summary = ti.xcom_pull(task_ids="prepare") or {}
    year, tenant = summary.get("year"), summary.get("tenant") or (cfg.tenant if cfg else None)
    dag_run = context.get("dag_run")
    run_id = getattr(dag_run, "run_id", None)
    dag_id = getattr(dag_run, "dag_id", None) or "run_invoices"
    notice = Notice(
        event="invoice_approval_waiting",
        subject=f"Fakturor för kommunbidrag {year} väntar på ditt godkännande",
        lines=[f"{len(summary.get('rows') or [])} dokument väntar: att fakturera {summary.get('invoiced_sv', '')}"
               + (f", att kreditera {summary['credited_sv']}" if summary.get("credits_waiting") else "") + ".",
               "Öppna länken Godkännandet nedan (Airflow, fliken Required Action på steget approval), läs "
               "tabellen och välj Godkänn och skicka, eller Avslå med ett skäl i fältet Skäl."],
        facts={"year": year, "tenant": tenant, "drafts": summary.get("pending") or []},
        # finance goes straight to the form; the stewards' page of the year may not exist yet (an
        # invoice run in January comes before the year's annual run)
        links=({"Godkännandet": f"{base_url(cfg)}/dags/{quote(dag_id)}/runs/{quote(run_id, safe='')}/tasks/"
                                f"approval/required_actions"} if run_id else {})
        | {k: v for k, v in links(cfg, tenant, year, dag_id, run_id).items() if k != "Förvaltarsidan för året"}
        | ({f"Fakturaregistret {year}": f"{base_url(cfg)}/run-stewards/files/{quote(str(tenant))}/{year}/invoices/"
            f"fakturor_{year}.xlsx"} if year and tenant else {}),
    )
    return deliver(notice, cfg=cfg, context=context, to=finance(cfg))


def files_resolved(cfg, year: int | None, resolved: list[dict], *, dag_id: str | None = None,
                   run_id: str | None = None) -> str | None:
    """A corrected file loaded where an earlier one was rejected: say the issue is resolved."""
    from runreport import privacy

    new = [{**r, "file_name": privacy.file_name(r["file_name"]), "replaces": privacy.file_name(r["replaces"])}
           for r in resolved if _once(cfg, RESOLVED_EVENT, r["checksum"])]
    if not new:
        return None
    lines = [f"Nätverk: {cfg.network_name or cfg.tenant}", f"Verksamhetsår: {year}",
             *(f"Den rättade filen {r['file_name']} är inläst och ersätter den avvisade {r['replaces']}: "
               f"problemet är löst." for r in new)]
    facts = {"tenant": cfg.tenant, "reporting_year": year, "files": [r["file_name"] for r in new]}
    names = ", ".join(r["file_name"] for r in new)
    return deliver(Notice(RESOLVED_EVENT, f"{cfg.tenant} {year}: löst – {names} är inläst", lines, facts,
                          links(cfg, cfg.tenant, year, dag_id, run_id)), cfg=cfg)


# The deadline's notices live in runreport.deadline; their names stay reachable here (the
# DeadlineAlert's callback path is runreport.notify.deadline_missed).
from runreport.deadline import deadline_missed, deadline_payload, missed_notice, remind  # noqa: E402, F401
