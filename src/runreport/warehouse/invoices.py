"""Invoice register: every invoice and credit note ever prepared, and the number series.

Rows are never deleted or overwritten: a changed contribution produces a credit note for the old
invoice and a new invoice; a rejected document keeps its number (numbers are never reused).
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


class Invoice(OfYear, Base):
    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("number", name="uq_invoice_number"),
        Index("ix_invoice_year", "tenant", "year", "municipality_code"),
    )

    series: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(60))
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
    status: Mapped[str] = mapped_column(String(20))  # prepared | released | rejected
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
