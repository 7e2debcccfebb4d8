"""What every step shares: the run's file outcome, the warehouse session and the inbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from runreport.config import Config
from runreport.quality import RowIssue
from runreport.warehouse import staging
from runreport.warehouse.engine import ready, session_factory

log = logging.getLogger(__name__)


@dataclass
class FileOutcome:
    source: str
    file_name: str
    year: int | None
    checksum: str
    slot: str
    status: str                     # new, unchanged, rejected
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    issues: list[RowIssue] = field(default_factory=list)
    message: str | None = None
    critical: bool = False
    checks: list = field(default_factory=list)   # quality.CheckResult of each check (this run only)


def clear_staging(cfg: Config, year: int, run_key: str = staging.MANUAL) -> bool:
    """Forget the run's staging (the manifest and the files' decisions in the warehouse) when the run
    ends, whatever its outcome. Raw partner files are never copied anywhere (validate and load read
    them from the inbox and check their checksum), so nothing personal is left behind. Only the run's
    own staging (``run_key``): another run of the same year goes on."""
    with sessions(cfg).begin() as s:
        return staging.clear(s, cfg.tenant, year, run=run_key) > 0


def staged_summary(cfg: Config, year: int, run_key: str = staging.MANUAL) -> tuple[list[dict], list[dict]]:
    """The run's collected files and per-file outcomes (for the run page), from the warehouse."""
    with sessions(cfg)() as s:
        pairs = staging.decisions(s, cfg.tenant, year, run=run_key)
    return [e for e, _ in pairs], [_outcome_view(d) for _, d in pairs if d is not None]


def _outcome_view(decision: dict) -> dict:
    return {k: v for k, v in decision.items() if k not in ("raw_rows", "names")}


class FileChanged(RuntimeError):
    """The file in the inbox is no longer the one collected (still being written, replaced)."""


def read_inbox_file(cfg: Config, source: str, file_name: str, checksum: str) -> bytes:
    """The collected file's bytes, read again from the inbox (shared by every worker, local or an
    ObjectStoragePath), and checked against the checksum taken when it was collected."""
    import hashlib

    from runreport.ingest.collect import source_folders

    root = inbox(cfg)
    data = (source_folders(root).get(source, root / source) / file_name).read_bytes()
    if hashlib.sha256(data).hexdigest() != checksum:
        raise FileChanged(f"{source}/{file_name}")
    return data


def inbox(cfg: Config):
    raw = cfg.paths.inbox
    if "://" in raw:
        from airflow.sdk import ObjectStoragePath  # only for remote inboxes

        return ObjectStoragePath(raw)
    return cfg.path("inbox")


def sessions(cfg: Config):
    """The warehouse's session factory, its schema checked (or migrated: ``warehouse.migrate``)."""
    ready(cfg.warehouse_url, cfg.warehouse.migrate)
    return session_factory(cfg.warehouse_url)

