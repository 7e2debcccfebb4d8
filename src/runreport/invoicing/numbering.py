"""Invoice numbers: ``<series>-<year>-<nnnn>`` (e.g. ``RUN-2026-0001``), sequential per series and
year, never reused. Allocation locks the sequence row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
serialises writers) and happens in the caller's transaction, so a rolled-back issue run gives the
numbers back together with its invoice rows and a committed number can never be handed out again.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from runreport.warehouse.invoices import InvoiceSequence


def series_key(series: str, year: int) -> str:
    return f"{series}-{year}"


def format_number(key: str, n: int) -> str:
    return f"{key}-{n:04d}"


def lock_sequence(session: Session, tenant: str, key: str) -> InvoiceSequence:
    """Return the sequence row for ``key``, locked for this transaction (created at 0 if new)."""
    seq = session.scalars(
        select(InvoiceSequence)
        .where(InvoiceSequence.tenant == tenant, InvoiceSequence.series == key)
        .with_for_update()
    ).one_or_none()
    if seq is None:
        seq = InvoiceSequence(tenant=tenant, series=key, last_number=0)
        session.add(seq)
        session.flush()  # a concurrent creator fails on uq_invoice_sequence instead of duplicating numbers
    return seq


def next_number(session: Session, tenant: str, series: str, year: int) -> str:
    """Allocate the next number in ``series``/``year`` inside the current transaction."""
    key = series_key(series, year)
    seq = lock_sequence(session, tenant, key)
    seq.last_number += 1
    session.flush()
    return format_number(key, seq.last_number)
