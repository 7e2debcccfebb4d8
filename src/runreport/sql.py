"""Run the SQL files of ``include/sql/<name>.sql`` (one question per file) — behind every figure.

The files use bound parameters only (``:tenant``, ``:year``, …) and portable SQL, so they run on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

_NAME = re.compile(r"^[a-z0-9_]+$")


def default_sql_dir() -> Path:
    from runreport import settings

    return settings.load().path("sql")


@lru_cache(maxsize=64)
def _read(path: Path, mtime_ns: int) -> str:  # mtime in the key: an edited file is re-read
    # Whole-line ``--`` comments are dropped: SQLAlchemy's text() would read a ``:word`` in a
    # comment as a bind parameter.
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("--"))


def load_sql(name: str, sql_dir: Path | None = None) -> str:
    if not _NAME.match(name):
        raise ValueError(f"invalid SQL file name: {name!r}")
    path = (sql_dir or default_sql_dir()) / f"{name}.sql"
    return _read(path, path.stat().st_mtime_ns)


def run_sql(session: Session, name: str, /, sql_dir: Path | None = None, **params: Any) -> list[dict]:
    """Run ``<sql_dir>/<name>.sql`` with bound ``params``; rows as plain dicts."""
    result = session.execute(text(load_sql(name, sql_dir)), params)
    return [dict(row) for row in result.mappings()]
