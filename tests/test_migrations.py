"""The warehouse's schema: a new warehouse is built from the models and stamped at the head; an
existing one is upgraded; one from before the baseline is refused with a message (SQLite and
PostgreSQL)."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from runreport.warehouse.engine import TooOld, _alembic_config, get_engine, head_revision, metadata, migrate


def _differences(url: str) -> list:
    with get_engine(url).connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata())


def _revision(url: str) -> str:
    with get_engine(url).connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_a_new_warehouse_is_the_models_at_the_head(warehouse_url):
    migrate(warehouse_url)
    assert _revision(warehouse_url) == head_revision() == "0004"
    assert _differences(warehouse_url) == []
    tables = set(metadata().tables)
    assert {"contribution", "balance", "invoice", "staged_file", "registrant_name"} <= tables
    migrate(warehouse_url)   # again: nothing to do, nothing changes
    assert _revision(warehouse_url) == head_revision() and _differences(warehouse_url) == []


def test_alembic_by_hand_on_an_empty_database_builds_the_same(warehouse_url):
    command.upgrade(_alembic_config(warehouse_url), "head")
    assert _revision(warehouse_url) == head_revision() and _differences(warehouse_url) == []


def test_a_warehouse_from_before_the_baseline_is_refused_with_what_to_do(warehouse_url):
    engine = get_engine(warehouse_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0002')"))
    with pytest.raises(TooOld, match=r"schemaversion 0002, äldre än baslinjen 0004: skapa ett nytt lager"):
        migrate(warehouse_url)
