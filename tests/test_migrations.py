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
    assert _revision(warehouse_url) == head_revision() == "0007"
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


def test_invoices_numbered_before_0005_keep_their_numbers_as_draft_ids(warehouse_url):
    """0005 (numbers at release): a warehouse at the baseline with an issued invoice is upgraded in
    place; the invoice keeps its number, which becomes its draft id, and a new draft has no number."""
    migrate(warehouse_url)
    command.downgrade(_alembic_config(warehouse_url), "0004")
    with get_engine(warehouse_url).begin() as conn:
        conn.execute(text(
            "INSERT INTO invoice (tenant, year, series, number, kind, municipality_code, municipality_name, "
            "org_number, buyer_reference, quantity, unit_price_sek, months, amount_sek, vat_sek, total_sek, "
            "status, issue_date, issued_at, xml_path, checksum) VALUES ('RUN', 2025, 'RUN-2025', 'RUN-2025-0007', "
            "'invoice', '2380', 'Östersund', '2120002380', 'R', 64000, 2, 12, 128000, 0, 128000, 'released', "
            "'2025-01-15', '2025-01-15 06:00:00', 'x.xml', 'c')"))
    migrate(warehouse_url)
    assert _revision(warehouse_url) == "0007" and _differences(warehouse_url) == []
    with get_engine(warehouse_url).connect() as conn:
        row = conn.execute(text("SELECT number, draft_id, decision FROM invoice")).one()
    assert tuple(row) == ("RUN-2025-0007", "RUN-2025-0007", None)


def test_a_warehouse_at_0005_gets_the_staged_rows_column(warehouse_url):
    """0006: validate stages the accepted rows for load (staged_file.accepted_rows)."""
    from sqlalchemy import inspect

    migrate(warehouse_url)
    command.downgrade(_alembic_config(warehouse_url), "0005")
    assert "accepted_rows" not in {c["name"] for c in inspect(get_engine(warehouse_url)).get_columns("staged_file")}
    migrate(warehouse_url)
    assert _revision(warehouse_url) == "0007" and _differences(warehouse_url) == []


def test_a_warehouse_at_0006_gets_staging_by_run(warehouse_url):
    """0007: each run has its own staging (staged_file.run_key, staged_at); what was staged before the
    upgrade is kept as the manual run's, without a time."""
    from sqlalchemy import inspect

    from runreport.warehouse import staging
    from runreport.warehouse.engine import session_factory

    migrate(warehouse_url)
    command.downgrade(_alembic_config(warehouse_url), "0006")
    assert "run_key" not in {c["name"] for c in inspect(get_engine(warehouse_url)).get_columns("staged_file")}
    with get_engine(warehouse_url).begin() as conn:
        conn.execute(text("INSERT INTO staged_file (tenant, run_year, position, source, file_name, checksum, slot, "
                          "size_bytes, status) VALUES ('RUN', 2025, 0, 'members', 'm.csv', 'c', 's', 1, 'new')"))
    migrate(warehouse_url)
    assert _revision(warehouse_url) == "0007" and _differences(warehouse_url) == []
    with session_factory(warehouse_url)() as s:
        assert [e["file_name"] for e in staging.manifest(s, "RUN", 2025)] == ["m.csv"]
        assert s.execute(text("SELECT run_key, staged_at FROM staged_file")).one() == ("manual", None)
        assert staging.manifest(s, "RUN", 2025, run=staging.run_key("run_ingest", "x")) == []
