"""Engine and schema migrations for the warehouse."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, event, inspect, text
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


def _alembic_config(url: str | None = None):  # noqa: ANN202 - alembic is imported lazily
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def metadata() -> MetaData:
    """Every table of the warehouse (the models, the invoices' and the run status's tables)."""
    from runreport.warehouse import invoices, models, status  # noqa: F401 - they register their tables

    return models.Base.metadata


def _revision(url: str) -> str | None:
    """The warehouse's Alembic revision; None for a database without the version table."""
    try:
        with get_engine(url).connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None


def _at_head(url: str) -> bool:
    """One query instead of an Alembic run when the warehouse is already at the newest revision
    (every task step opens the warehouse; Alembic's own check costs ~0.1 s each time)."""
    return _revision(url) == head_revision()


class TooOld(RuntimeError):
    """The warehouse is at a revision from before the baseline (squashed revisions)."""


def migrate(url: str) -> None:
    """Bring the warehouse schema to the newest revision (idempotent).

    A database without the warehouse's tables is created from the models and stamped at the head;
    an existing warehouse is upgraded by the revisions after its own (migrations/versions/)."""
    revision = _revision(url)
    if revision is not None and revision == head_revision():
        return
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(url)
    if revision is None and not inspect(get_engine(url)).has_table("contribution"):
        metadata().create_all(get_engine(url))
        command.stamp(cfg, "head")
        return
    scripts = ScriptDirectory.from_config(cfg)
    if revision is not None and revision not in {script.revision for script in scripts.walk_revisions()}:
        raise TooOld(f"Lagret har schemaversion {revision}, äldre än baslinjen {scripts.get_base()}: "
                     "skapa ett nytt lager och läs in filerna igen (docs/operations.md)")
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
