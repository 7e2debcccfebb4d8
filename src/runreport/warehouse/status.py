"""What the product has done for a network and year, kept where every host sees it (the warehouse):

- ``report_state``: the year's annual report is ``final`` (complete data) or ``draft`` (sources
  missing: marked UTKAST, never final, no invoices rely on it). The deadline callback reads it:
  no "missed" notice for a year whose report is done.
- ``notice_sent``: one row per notice that must go out once (a missed deadline per network and
  year, a reminder, a rejected file, a resolved file). ``claim_notice`` inserts it; a second claim
  of the same key answers False, so a rerun or backfill after the deadline does not notify again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from runreport.warehouse.models import Base, Keyed, OfYear

FINAL, DRAFT = "final", "draft"


class ReportState(OfYear, Base):
    __tablename__ = "report_state"
    __table_args__ = (UniqueConstraint("tenant", "year", name="uq_report_state"),)

    state: Mapped[str] = mapped_column(String(20))       # final, draft
    missing: Mapped[str | None] = mapped_column(Text)    # the missing sources, Swedish, one per line
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class NoticeSent(Keyed, Base):
    __tablename__ = "notice_sent"
    __table_args__ = (UniqueConstraint("tenant", "event", "key", name="uq_notice_sent"),)

    event: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(400))
    sent_at: Mapped[datetime] = mapped_column(DateTime)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def set_report_state(s: Session, tenant: str, year: int, state: str, missing: list[str] | None = None) -> None:
    row = s.scalars(select(ReportState).where(ReportState.tenant == tenant, ReportState.year == year)).first()
    if row is None:
        row = ReportState(tenant=tenant, year=year)
        s.add(row)
    row.state, row.missing, row.updated_at = state, "\n".join(missing or []) or None, _now()


def report_state(s: Session, tenant: str, year: int) -> str | None:
    return s.scalars(select(ReportState.state).where(ReportState.tenant == tenant, ReportState.year == year)).first()


def claim_notice(sessions, tenant: str, event: str, key: str) -> bool:
    """True exactly once per (tenant, event, key), across processes and hosts."""
    try:
        with sessions.begin() as s:
            s.add(NoticeSent(tenant=tenant, event=event, key=key, sent_at=_now()))
        return True
    except IntegrityError:
        return False


def release_notice(sessions, tenant: str, event: str, key: str) -> None:
    """Forget a claim (the notice could not be delivered at all: let the next attempt try)."""
    with sessions.begin() as s:
        for row in s.scalars(select(NoticeSent).where(NoticeSent.tenant == tenant, NoticeSent.event == event,
                                                      NoticeSent.key == key)):
            s.delete(row)
