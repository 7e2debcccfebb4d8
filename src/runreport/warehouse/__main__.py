"""``python -m runreport.warehouse migrate [--tenant T]``: bring the warehouse's schema to this
version (Alembic, idempotent). Run once per deployment (the stack's ``airflow-init`` does), not by
the tasks when ``warehouse.migrate`` is ``deploy``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m runreport.warehouse", description=__doc__.split("\n")[0])
    p.add_argument("command", choices=["migrate"])
    p.add_argument("--tenant", help="a network's settings (config/tenants/<T>.yaml); default: the configured one")
    ns = p.parse_args(argv)
    from runreport import settings
    from runreport.warehouse.engine import head_revision, migrate

    cfg = settings.load(ns.tenant)
    migrate(cfg.warehouse_url)
    print(f"Lagret har schemaversion {head_revision()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
