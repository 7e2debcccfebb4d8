"""Alembic environment for the warehouse (run via runreport.warehouse.engine.migrate)."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from runreport.warehouse import models  # noqa: F401  (registers tables)
from runreport.warehouse.models import Base

try:  # invoice tables live in their own module
    from runreport.warehouse import (
        invoices,  # noqa: F401
        status,  # noqa: F401
    )
except ImportError:  # pragma: no cover
    pass

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
