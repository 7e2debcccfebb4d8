"""Shared fixtures: warehouses on SQLite and PostgreSQL, a project-local Airflow home."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The finance connections with the seller's payment details (run_payee_<tenant>), as Airflow reads
# connections from the environment; tests that need them missing or changed override these.
from runreport.demo_payees import connection_env  # noqa: E402

for _name, _value in connection_env().items():
    os.environ.setdefault(_name, _value)
PG_ADMIN_URL = os.environ.get("RUN_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def services_required() -> bool:
    return os.environ.get("RUN_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str):
    if services_required():
        pytest.fail(f"{reason} (RUN_REQUIRE_SERVICES=1: services are required here)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server():
    from sqlalchemy import create_engine, text

    try:
        eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001
        skip_or_fail(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}")
    return eng


@pytest.fixture
def pg_url(pg_server):
    from sqlalchemy import text

    name = f"run_test_{uuid.uuid4().hex[:10]}"
    with pg_server.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from runreport.warehouse.engine import get_engine

    get_engine.cache_clear()
    with pg_server.connect() as c:
        c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def run_cfg(tmp_path, warehouse_url):
    """A configuration on a fresh warehouse whose outputs go to tmp_path (demo inbox)."""
    from runreport import config

    return config.load(overrides={"warehouse": {"url": warehouse_url},
                                  "paths": {"output": str(tmp_path / "output")}}, environ={})
