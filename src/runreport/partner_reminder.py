"""Reminders to the partners whose delivery for a year is missing or rejected, sent with the
stewards' reminder before the deadline (``run_deadline_reminder``, ``reporting.reminder_iso_week``)
through the notifier the deployment configures (SMTP connection ``run_smtp``, else recorded). Each
goes once per year, source and file (claimed in the warehouse), to the contact that
``deliveries.sources.<source>.contact`` names; a rejected or held file's reminder is its "begär
rättad fil" message (runreport.delivery_page). The stewards' reminder lists who was reminded."""

from __future__ import annotations

from datetime import datetime

from runreport import deliveries as dl
from runreport import delivery_page, notify, sweformat

EVENT = "partner_reminder"


def _missing_text(network: str, year: int, label: str, partner: str, due: datetime) -> list[str]:
    return [f"Hej {partner}!", "",
            f"Vi har ännu inte fått {label.lower()} för {year} till {network}s uppföljning. Underlaget "
            f"behövs för verksamhetsberättelsen och ska ha kommit in senast {sweformat.long_day(due)}.", "",
            "Tack!", f"Dataförvaltarna, {network}"]


def remind_partners(cfg, year: int, *, now: datetime | None = None) -> list[dict]:  # noqa: ANN001
    """Send the reminders that have not gone out; returns one line of facts per reminder sent."""
    from runreport.steps.common import sessions

    with sessions(cfg)() as session:
        data = delivery_page.build(session, cfg, year, now)
    network = data["network"]
    sent = []
    for d in data["rows"]:
        exp = d.expected
        # a held file waits for the stewards' decision, not for the partner: no automatic reminder
        if not (d.status in (dl.WAITING, dl.LATE, dl.REJECTED) and exp.required and exp.contact):
            continue
        if not notify._once(cfg, EVENT, f"{year}:{exp.source}:{d.file.id if d.file else '-'}"):
            continue
        request = data["requests"].get(d.file.id) if d.file else None
        if request is not None:
            subject, lines = request.subject, request.body.splitlines()
        else:
            subject = f"{network} {year}: påminnelse – {exp.label} saknas"
            lines = _missing_text(network, year, exp.label, exp.partner, exp.due)
        facts = {"tenant": cfg.tenant, "reporting_year": year, "source": exp.source, "to": exp.contact,
                 "status": d.status}
        notify.deliver(notify.Notice(EVENT, subject, lines, facts), cfg=cfg, to=[exp.contact])
        sent.append({"source": exp.source, "label": exp.label, "partner": exp.partner, "status": d.status})
    return sent
