"""Run the SQL files of ``include/sql/<name>.sql`` (one question per file) — behind every figure.

The files use bound parameters only (``:tenant``, ``:year``, …) and portable SQL, so they run on
SQLite and PostgreSQL alike. What several questions share is a Jinja2 macro in ``_macros.sql``
(as in dbt), which a file imports with ``{% from "_macros.sql" import … %}``: every file is rendered
without any values before SQLAlchemy's ``text()``, so the values stay bound parameters. A file whose
name starts with ``_`` holds such pieces and is not a question.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import text
from sqlalchemy.orm import Session

_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")  # a question; "_…" files are the shared pieces
_SHARED = "_*.sql"


def default_sql_dir() -> Path:
    from runreport import settings

    return settings.load().path("sql")


class _Loader(FileSystemLoader):
    """Reads a file with its whole-line ``--`` comments blanked (its line numbers kept for Jinja2's
    errors): SQLAlchemy's text() would read a ``:word`` in a comment as a bind parameter."""

    def get_source(self, environment: Environment,
                   template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = super().get_source(environment, template)
        lines = source.splitlines()
        return "\n".join("" if line.lstrip().startswith("--") else line for line in lines), filename, uptodate


@lru_cache(maxsize=64)
def _read(path: Path, mtimes_ns: tuple[tuple[str, int], ...]) -> str:
    # The mtimes of the file and of the shared pieces in the key: an edited file is re-read.
    env = Environment(loader=_Loader(path.parent, encoding="utf-8-sig"), autoescape=False,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template(path.name).render().strip()  # no values: the macros yield SQL text only


def load_sql(name: str, sql_dir: Path | None = None) -> str:
    if not _NAME.match(name):
        raise ValueError(f"invalid SQL file name: {name!r}")
    sql_dir = sql_dir or default_sql_dir()
    path = sql_dir / f"{name}.sql"
    files = (path, *sorted(sql_dir.glob(_SHARED)))
    return _read(path, tuple((f.name, f.stat().st_mtime_ns) for f in files))


def run_sql(session: Session, name: str, /, sql_dir: Path | None = None, **params: Any) -> list[dict]:
    """Run ``<sql_dir>/<name>.sql`` with bound ``params``; rows as plain dicts."""
    result = session.execute(text(load_sql(name, sql_dir)), params)
    return [dict(row) for row in result.mappings()]
