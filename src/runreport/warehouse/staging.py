"""The run's staging, in the warehouse: what collect hands validate, and validate hands load and
publish (``models.StagedFile``). Keyed by (tenant, reporting year, run, file name): two files with the
same bytes under two names are two entries, never one, and two runs of the same year (the daily
ingest and the annual report it triggers, or a steward's manual run) never read, replace or clear
each other's files.

A run is named by its key (:func:`run_key`): ``<dag_id>/<run_id>`` for an Airflow run, the same on
every worker that runs one of its tasks, or :data:`MANUAL` for a run outside Airflow (the benchmark,
a test, a command line). Each run's teardown deletes its own entries; what a stopped run left is
deleted by a later collect once it is older than ``warehouse.staging_keep_hours``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from runreport.warehouse.models import StagedFile

COLUMNS = ("source", "file_name", "year", "checksum", "slot", "size_bytes", "status", "copy_of")
MANUAL = "manual"


def run_key(dag_id: str, run_id: str) -> str:
    """The staging key of an Airflow run: ``<dag_id>/<run_id>`` (a run id is unique within its DAG)."""
    return f"{dag_id}/{run_id}"


def _of(tenant: str, run_year: int, run: str):
    return (StagedFile.tenant == tenant, StagedFile.run_year == run_year, StagedFile.run_key == run)


def _entry(tenant: str, run_year: int, run: str, source: str, file_name: str):
    return (*_of(tenant, run_year, run), StagedFile.source == source, StagedFile.file_name == file_name)


def write_manifest(session: Session, tenant: str, run_year: int, entries: Iterable[dict], run: str = MANUAL,
                   keep_hours: float = 72, now: datetime | None = None) -> None:
    """Replace the run's manifest (collect again in the same run starts its staging anew). Another
    run's entries are left alone while that run may still be going (two runs of a DAG can overlap: a
    backfill does not count towards ``max_active_runs``); what a stopped run left (its teardown never
    ran) is deleted once it is older than ``keep_hours`` (``warehouse.staging_keep_hours``), as is
    what was staged before runs had keys."""
    now = now or datetime.now(UTC).replace(tzinfo=None, microsecond=0)   # naive UTC, as the warehouse keeps times
    session.execute(delete(StagedFile).where(*_of(tenant, run_year, run)))
    session.execute(delete(StagedFile).where(
        StagedFile.tenant == tenant,
        StagedFile.staged_at.is_(None) | (StagedFile.staged_at < now - timedelta(hours=keep_hours))))
    session.add_all(StagedFile(tenant=tenant, run_year=run_year, run_key=run, staged_at=now, position=i,
                               **{k: e.get(k) for k in COLUMNS})
                    for i, e in enumerate(entries))
    session.flush()


def manifest(session: Session, tenant: str, run_year: int, run: str = MANUAL) -> list[dict]:
    rows = session.scalars(select(StagedFile).where(*_of(tenant, run_year, run)).order_by(StagedFile.position)).all()
    return [{k: getattr(r, k) for k in COLUMNS} for r in rows]


def save_decision(session: Session, tenant: str, run_year: int, source: str, file_name: str, decision: dict,
                  run: str = MANUAL) -> None:
    session.execute(update(StagedFile).where(*_entry(tenant, run_year, run, source, file_name)).values(
        decision=json.dumps(decision, ensure_ascii=False, default=str)))


def save_accepted_rows(session: Session, tenant: str, run_year: int, source: str, file_name: str,
                       blob: bytes | None, run: str = MANUAL) -> None:
    """The file's accepted rows (:mod:`runreport.warehouse.staged_rows`), or None to clear them."""
    session.execute(update(StagedFile).where(*_entry(tenant, run_year, run, source, file_name)).values(
        accepted_rows=blob))


def accepted_rows(session: Session, tenant: str, run_year: int, source: str, file_name: str,
                  run: str = MANUAL) -> bytes | None:
    return session.scalar(select(StagedFile.accepted_rows).where(*_entry(tenant, run_year, run, source, file_name)))


def decisions(session: Session, tenant: str, run_year: int, run: str = MANUAL) -> list[tuple[dict, dict | None]]:
    """(manifest entry, decision or None) of every staged file of the run, in order."""
    rows = session.scalars(select(StagedFile).where(*_of(tenant, run_year, run)).order_by(StagedFile.position)).all()
    return [({k: getattr(r, k) for k in COLUMNS}, json.loads(r.decision) if r.decision else None) for r in rows]


def clear(session: Session, tenant: str, run_year: int, run: str = MANUAL) -> int:
    """Forget the run's staging; returns how many entries there were."""
    return session.execute(delete(StagedFile).where(*_of(tenant, run_year, run))).rowcount or 0
