"""The run's staging, in the warehouse: what collect hands validate, and validate hands load and
publish (``models.StagedFile``). Keyed by (tenant, reporting year, file name): two files with the
same bytes under two names are two entries, never one."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from runreport.warehouse.models import StagedFile

COLUMNS = ("source", "file_name", "year", "checksum", "slot", "size_bytes", "status", "copy_of")


def write_manifest(session: Session, tenant: str, run_year: int, entries: Iterable[dict]) -> None:
    """Replace the run's manifest (a new collect starts a new run's staging)."""
    clear(session, tenant, run_year)
    session.add_all(StagedFile(tenant=tenant, run_year=run_year, position=i, **{k: e.get(k) for k in COLUMNS})
                    for i, e in enumerate(entries))
    session.flush()


def manifest(session: Session, tenant: str, run_year: int) -> list[dict]:
    rows = session.scalars(select(StagedFile).where(StagedFile.tenant == tenant, StagedFile.run_year == run_year)
                           .order_by(StagedFile.position)).all()
    return [{k: getattr(r, k) for k in COLUMNS} for r in rows]


def save_decision(session: Session, tenant: str, run_year: int, source: str, file_name: str, decision: dict) -> None:
    session.execute(update(StagedFile).where(
        StagedFile.tenant == tenant, StagedFile.run_year == run_year, StagedFile.source == source,
        StagedFile.file_name == file_name).values(decision=json.dumps(decision, ensure_ascii=False, default=str)))


def save_accepted_rows(session: Session, tenant: str, run_year: int, source: str, file_name: str,
                       blob: bytes | None) -> None:
    """The file's accepted rows (:mod:`runreport.warehouse.staged_rows`), or None to clear them."""
    session.execute(update(StagedFile).where(
        StagedFile.tenant == tenant, StagedFile.run_year == run_year, StagedFile.source == source,
        StagedFile.file_name == file_name).values(accepted_rows=blob))


def accepted_rows(session: Session, tenant: str, run_year: int, source: str, file_name: str) -> bytes | None:
    return session.scalar(select(StagedFile.accepted_rows).where(
        StagedFile.tenant == tenant, StagedFile.run_year == run_year, StagedFile.source == source,
        StagedFile.file_name == file_name))


def decisions(session: Session, tenant: str, run_year: int) -> list[tuple[dict, dict | None]]:
    """(manifest entry, decision or None) of every staged file, in order."""
    rows = session.scalars(select(StagedFile).where(StagedFile.tenant == tenant, StagedFile.run_year == run_year)
                           .order_by(StagedFile.position)).all()
    return [({k: getattr(r, k) for k in COLUMNS}, json.loads(r.decision) if r.decision else None) for r in rows]


def clear(session: Session, tenant: str, run_year: int) -> int:
    """Forget the run's staging; returns how many entries there were."""
    return session.execute(delete(StagedFile).where(StagedFile.tenant == tenant,
                                                    StagedFile.run_year == run_year)).rowcount or 0
