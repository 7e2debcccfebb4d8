"""The registrants' name digests of a network (``privacy``): stored by the validate step, loaded by
every process that shows partner values."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from runreport.warehouse.models import RegistrantName


def store(session: Session, tenant: str, digests: Iterable[str]) -> int:
    """Add the digests not yet stored (idempotent); returns how many were new."""
    new = set(digests) - load(session, tenant)
    if new:   # one executemany, not an ORM object per digest (a national network has ~10 000)
        session.execute(insert(RegistrantName), [{"tenant": tenant, "digest": d} for d in sorted(new)])
    return len(new)


def load(session: Session, tenant: str) -> set[str]:
    return set(session.scalars(select(RegistrantName.digest).where(RegistrantName.tenant == tenant)))
