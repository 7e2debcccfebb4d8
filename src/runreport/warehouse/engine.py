"""Engine and schema migrations for the warehouse."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    sqlite = url.startswith("sqlite")
    if url.startswith("sqlite:////") or (sqlite and url.startswith("sqlite:///") and url != "sqlite:///:memory:"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)   # the SQLite file's folder
    # SQLite has one writer: another process's writer (a second network's task) waits for it
    # instead of failing with "database is locked" after the driver's default 5 s.
    engine = create_engine(url, future=True, connect_args={"timeout": 300} if sqlite else {})
    if sqlite:
        @event.listens_for(engine, "connect")
        def _fk_on(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL never corrupts the file; a power cut may lose the last committed
            # file(s), whose file-log entries go with them, so the next run loads them again.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
    return engine


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


@lru_cache(maxsize=1)
def _head_revision() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def _at_head(url: str) -> bool:
    """One query instead of an Alembic run when the warehouse is already at the newest revision
    (every task step opens the warehouse; Alembic's own check costs ~0.1 s each time)."""
    try:
        with get_engine(url).connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == _head_revision()
    except SQLAlchemyError:
        return False


def migrate(url: str) -> None:
    """Bring the warehouse schema to the newest Alembic revision (idempotent)."""
    if _at_head(url):
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")


class NotMigrated(RuntimeError):
    """The warehouse's schema is behind the code and this deployment migrates only at deploy."""


def ready(url: str, when: str = "on_start") -> None:
    """Make sure the schema is the code's before a step opens the warehouse.

    ``when`` is the setting ``warehouse.migrate``: ``on_start`` (the embedded default: the first step
    that finds the schema behind migrates it) or ``deploy`` (production: only
    ``python -m runreport.warehouse migrate``, run once by the stack's ``airflow-init``, changes the
    schema; a step finding it behind stops and says so)."""
    if when == "deploy":
        if not _at_head(url):
            raise NotMigrated("Lagrets schema är inte uppdaterat till den här versionen: kör "
                              "`python -m runreport.warehouse migrate` (docs/operations.md)")
        return
    migrate(url)
