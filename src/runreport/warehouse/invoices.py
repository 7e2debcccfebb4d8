"""Invoice register: every invoice and credit note ever prepared, and the number series.

A prepared document carries a **draft id** from a series of its own (``UTKAST-RUN-2026-0001``); it
gets its **invoice number** (``RUN-2026-0001``) only when finance releases it, from an unbroken series
per seller and year (Swedish bookkeeping practice: issued invoices are numbered without gaps). A
rejected or superseded draft never had a number, so a rejection burns none. Rows are never deleted:
a released invoice is corrected only by a credit note; ``decision`` says why a draft ended as it did.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from runreport.warehouse.models import Base, Keyed, Money, OfYear

KIND_INVOICE = "invoice"
KIND_CREDIT_NOTE = "credit_note"

STATUS_PREPARED = "prepared"
STATUS_RELEASED = "released"
STATUS_REJECTED = "rejected"
STATUS_SUPERSEDED = "superseded"   # a draft replaced by a newer draft before anyone released it


class Invoice(OfYear, Base):
    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("number", name="uq_invoice_number"),
        UniqueConstraint("draft_id", name="uq_invoice_draft_id"),
        Index("ix_invoice_year", "tenant", "year", "municipality_code"),
    )

    series: Mapped[str] = mapped_column(String(40))
    draft_id: Mapped[str] = mapped_column(String(60))            # UTKAST-<series>-<year>-<nnnn>, from prepare
    number: Mapped[str | None] = mapped_column(String(60))       # <series>-<year>-<nnnn>, given at release
    kind: Mapped[str] = mapped_column(String(20))  # invoice | credit_note
    municipality_code: Mapped[str] = mapped_column(String(4))
    # snapshot of what was invoiced, so a later credit note repeats exactly the credited line
    municipality_name: Mapped[str] = mapped_column(String(80))
    org_number: Mapped[str] = mapped_column(String(10))
    buyer_reference: Mapped[str] = mapped_column(String(80))
    quantity: Mapped[int] = mapped_column(Integer)  # inhabitants
    unit_price_sek: Mapped[Decimal] = mapped_column(Money)  # rate per inhabitant and year
    months: Mapped[int] = mapped_column(Integer)
    population_year: Mapped[int | None] = mapped_column(Integer)
    amount_sek: Mapped[Decimal] = mapped_column(Money)  # net amount (excl. VAT), positive for both kinds
    vat_sek: Mapped[Decimal] = mapped_column(Money)
    total_sek: Mapped[Decimal] = mapped_column(Money)  # amount to pay (credit: to credit)
    credited_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    status: Mapped[str] = mapped_column(String(20))  # prepared | released | rejected | superseded
    decision: Mapped[str | None] = mapped_column(String(500))    # why it was rejected / superseded / who released it
    decided_by: Mapped[str | None] = mapped_column(String(120))  # the finance user who answered the approval
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    released_at: Mapped[datetime | None] = mapped_column(DateTime)
    xml_path: Mapped[str] = mapped_column(String(500))
    checksum: Mapped[str] = mapped_column(String(64))  # sha256 of the XML file


class InvoiceSequence(Keyed, Base):
    """The last number used in a series (e.g. ``RUN-2026``); locked while numbers are allocated."""

    __tablename__ = "invoice_sequence"
    __table_args__ = (UniqueConstraint("tenant", "series", name="uq_invoice_sequence"),)

    series: Mapped[str] = mapped_column(String(40))
    last_number: Mapped[int] = mapped_column(Integer, default=0)
