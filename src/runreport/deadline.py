"""The annual report's deadline: the missed-deadline notice (the ``DeadlineAlert`` callback, run by
the triggerer; one per network and year, none once the final report is written) and the reminder
``run_deadline_reminder`` sends before it. Delivery is :func:`runreport.notify.deliver`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from runreport.notify import (
    DEADLINE_EVENT,
    REMINDER_EVENT,
    Notice,
    _config,
    _once,
    adeliver,
    deliver,
    links,
    log,
)
from runreport.sweformat import long_day, stockholm


def _report_final(cfg, year: int) -> bool:
    from runreport.pipeline import sessions
    from runreport.warehouse.status import FINAL, report_state

    with sessions(cfg)() as s:
        return report_state(s, cfg.tenant, year) == FINAL


# -- deadline alert callback and the reminder ---------------------------------------------------------


def deadline_payload(context: dict[str, Any] | None, **kwargs: Any) -> dict[str, Any]:
    """The facts of a missed deadline from the (JSON) context the scheduler gives the callback."""
    from runreport import runcontext

    context = context or {}
    dag_run = context.get("dag_run") or {}
    dl = context.get("deadline") or {}
    cfg = kwargs.pop("cfg", None)
    if cfg is None:   # (UNREADABLE is falsy: the notice goes out with what is known, loaded once)
        cfg = _config()
    year = None
    try:
        year = runcontext.decide_year(
            params_year=(dag_run.get("conf") or {}).get("year"),
            data_interval_start=dag_run.get("data_interval_start"), data_interval_end=dag_run.get("data_interval_end"),
            run_after=dag_run.get("run_after") or dag_run.get("logical_date"),
            default_year=cfg.reporting.demo_year if cfg else None).year
    except Exception:  # noqa: BLE001 - the notice goes out with what is known
        log.exception("deadline_payload: could not decide the reporting year")
    return {
        "dag_id": dag_run.get("dag_id"),
        "run_id": dag_run.get("dag_run_id") or dag_run.get("run_id"),
        "tenant": cfg.tenant if cfg else None,
        "reporting_year": year,
        "state": dag_run.get("state"),
        "deadline": dl.get("deadline_time"),
        "deadline_sv": stockholm(dl.get("deadline_time")),
        "deadline_id": dl.get("id"),
        **kwargs,
    }


def missed_notice(cfg, payload: dict[str, Any]) -> Notice:
    year, tenant = payload["reporting_year"], payload["tenant"]
    network = (cfg.network_name if cfg else None) or tenant
    lines = [f"Nätverk: {network}", f"Verksamhetsår: {year}",
             f"Tidsgränsen var {payload['deadline_sv']} (svensk tid); körningen {payload['run_id']} är "
             f"{_STATE_SV.get(payload['state'], payload['state'])}.",
             "Förvaltarsidan visar vilka underlag som saknas eller har avvisats."]
    return Notice(DEADLINE_EVENT, f"{tenant} {year}: verksamhetsberättelsen blev inte klar i tid",
                  lines, payload, links(cfg, tenant, year, payload["dag_id"], payload["run_id"]))


_STATE_SV = {"running": "igång", "queued": "i kö", "failed": "misslyckad", "success": "klar"}


def _deadline_decision(cfg, payload: dict[str, Any]) -> str:
    """"send", or why not: the report is final, or this year's notice went out already."""
    year = payload["reporting_year"]
    if year is None or not cfg:   # nothing to look up (no year, or no settings for the warehouse): tell
        return "send"
    if _report_final(cfg, year):
        return "final"
    if not _once(cfg, DEADLINE_EVENT, str(year)):
        return "already"
    return "send"


async def deadline_missed(context: dict[str, Any] | None = None, **kwargs: Any) -> str:
    """``AsyncCallback`` of the annual-report ``DeadlineAlert``: the report for the year is late.
    Returns the channel, or ``"final"``/``"already"`` when nothing was sent."""
    cfg = await asyncio.to_thread(_config)
    payload = deadline_payload(context, cfg=cfg, **kwargs)
    decision = await asyncio.to_thread(_deadline_decision, cfg, payload)
    if decision != "send":
        log.info("Deadline passed for %s %s; no notice (%s)", payload["tenant"], payload["reporting_year"],
                 "the final report is written" if decision == "final" else "the notice went out already")
        return decision
    return await adeliver(missed_notice(cfg, payload), cfg=cfg)


def remind(cfg, year: int, *, now: datetime | None = None, dag_id: str | None = None,
           run_id: str | None = None) -> str:
    """The reminder before the deadline: what is still missing or rejected for ``year``. Nothing
    when the final report is written, when nothing is missing, or after the deadline (then the
    "missed" notice speaks). Returns what was done."""
    from runreport import completeness, schedule
    from runreport.pipeline import sessions

    cal = schedule.ReportingCalendar.from_config(cfg)
    deadline_at = cal.deadline_at(year)
    now = now or datetime.now(UTC)
    if now >= deadline_at:
        return "after_deadline"
    with sessions(cfg)() as s:
        from runreport.warehouse.status import FINAL, report_state

        if report_state(s, cfg.tenant, year) == FINAL:
            return "final"
        gaps = completeness.gaps(s, cfg.tenant, year, completeness.required(cfg, "report"))
        rejected = completeness.rejected_files(s, cfg.tenant, year)
    if not gaps and not rejected:
        return "complete"
    from runreport import privacy
    from runreport.partner_reminder import remind_partners

    reminded = remind_partners(cfg, year, now=now)   # each partner once; before the stewards' own
    if not _once(cfg, REMINDER_EVENT, str(year)):
        return "already"
    lines = [f"Nätverk: {cfg.network_name or cfg.tenant}", f"Verksamhetsår: {year}",
             f"Verksamhetsberättelsen ska vara klar {long_day(deadline_at)}."]
    if gaps:
        lines += ["Saknas:", *(f"- {g}" for g in gaps)]
    if rejected:
        lines += ["Avvisade filer som väntar på en rättad version:",
                  *(f"- {privacy.file_name(r.file_name)}: {privacy.mask((r.message or '').split(' / ')[0])}"
                    for r in rejected)]
    if reminded:
        lines += ["Påminnelse skickad till:", *(f"- {r['partner']}: {r['label']} ({r['status']})" for r in reminded)]
    facts = {"tenant": cfg.tenant, "reporting_year": year, "missing": [g.source for g in gaps],
             "rejected_files": [privacy.file_name(r.file_name) for r in rejected], "deadline_sv": stockholm(deadline_at)}
    notice = Notice(REMINDER_EVENT, f"{cfg.tenant} {year}: påminnelse – underlag saknas inför tidsgränsen",
                    lines, facts, links(cfg, cfg.tenant, year, dag_id, run_id))
    return deliver(notice, cfg=cfg)


# -- failures, rejections, resolutions -------------------------------------------------------------
