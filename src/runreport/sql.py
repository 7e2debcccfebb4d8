"""Run the named SQL files of ``include/sql/`` (one query per file, named by the question it answers)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from runreport.config import PROJECT_ROOT

SQL_DIR = PROJECT_ROOT / "include" / "sql"


@lru_cache(maxsize=64)
def load_sql(name: str, folder: Path = SQL_DIR) -> str:
    return (folder / f"{name}.sql").read_text(encoding="utf-8")


def run_sql(session: Session, name: str, **params) -> list[dict]:
    result = session.execute(text(load_sql(name)), params)
    return [dict(r._mapping) for r in result]
