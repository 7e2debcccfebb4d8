"""Several regional networks (tenants) in one deployment.

Each network has one file ``config/tenants/<tenant>.yaml`` that overlays ``config/pipeline.yaml``:
its id, ``network_name``, ``host_university``, ``paths.inbox``, ``paths.narrative`` (optionally
``paths.templates``), ``contribution.in_kind`` (the host university's in-kind share; not inherited
from another network) and ``invoicing.seller`` / ``invoicing.series``. Everything else (warehouse,
output root, rules) is shared. The warehouse is one database: every table has a ``tenant`` column
and every query filters on it; outputs go to ``<paths.output>/<tenant>/<year>/``.

Precedence (later wins): ``config/pipeline.yaml`` (+ ``RUN_CONFIG_FILE``), the Airflow Variable
``run_config`` (``overrides``), the tenant's file, then ``RUN_<SECTION>__<KEY>`` environment
variables (so a deployment's warehouse URL or output root applies to every network).

The folder is ``config/tenants/`` or ``$RUN_TENANTS_DIR``. A tenant file may leave
``invoicing.series`` out: it is then the tenant id (invoice numbers are unique across networks).

    python -m runreport.tenants                  # list the networks
    python -m tools.demo.networks [--out data/demo-networks] [--scale 1.0]   (from the repository)
                                                 # generate the demo networks' partner files
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from pathlib import Path

import yaml

from runreport import config as config_mod
from runreport.config import PROJECT_ROOT, Config

DEFAULT_DIR = PROJECT_ROOT / "config" / "tenants"
TENANT_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")


def tenants_dir(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    raw = path or environ.get("RUN_TENANTS_DIR")
    if not raw:
        return DEFAULT_DIR
    p = Path(raw)
    return p if p.is_absolute() else PROJECT_ROOT / p


def _read(file: Path) -> dict:
    data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{file}: a tenant file holds a mapping")
    tenant = str(data.get("tenant") or file.stem)
    if tenant != file.stem:
        raise ValueError(f"{file}: tenant {tenant!r} must match the file name ({file.stem}.yaml)")
    if not TENANT_ID.match(tenant):
        raise ValueError(f"{file}: tenant id {tenant!r} must be a letter followed by letters, digits, - or _")
    data["tenant"] = tenant
    inv = data.setdefault("invoicing", {})
    inv.setdefault("series", tenant)
    return data


def list_tenants(path: str | Path | None = None, environ: dict[str, str] | None = None) -> list[str]:
    """The tenant ids with a file in the tenants folder, sorted; checks that invoice series differ."""
    folder = tenants_dir(path, environ)
    if not folder.is_dir():
        return []
    overlays = {f.stem: _read(f) for f in sorted(folder.glob("*.yaml"))}
    series: dict[str, str] = {}
    for tid, data in overlays.items():
        s = str(data["invoicing"]["series"])
        if s in series:
            raise ValueError(f"tenants {series[s]} and {tid} share the invoice series {s!r}: give each "
                             "network its own invoicing.series")
        series[s] = tid
    return sorted(overlays)


def load_tenant(tenant: str, overrides: dict | str | None = None, environ: dict[str, str] | None = None,
                path: str | Path | None = None) -> Config:
    """The merged configuration of one network: pipeline.yaml < overrides < tenant file < env.
    ``tenant`` must be one of :func:`list_tenants` (a run's parameter is never a path)."""
    if tenant not in list_tenants(path, environ):
        raise KeyError(f"okänt nätverk {tenant!r} / unknown network (config/tenants/<TENANT>.yaml)")
    file = tenants_dir(path, environ) / f"{tenant}.yaml"
    if isinstance(overrides, str):
        overrides = yaml.safe_load(overrides) or {}
    data = _read(file)
    # The host university's in-kind share is the base network's own sentence in pipeline.yaml: another
    # network says its own in its file, or the report has none (never the base network's).
    base = data["tenant"] == config_mod.load(overrides=overrides or {}, environ={}).tenant
    if "in_kind" not in (data.get("contribution") or {}) and not base:
        data["contribution"] = {**(data.get("contribution") or {}), "in_kind": ""}
    # Likewise the partners and contacts of the expected deliveries: a reminder must never go to the
    # base network's contact on another network's behalf.
    if not base:
        from runreport.schema import SOURCES

        own = (data.get("deliveries") or {}).get("sources") or {}
        sources = {name: {"partner": "–", "contact": "", **(own.get(name) or {})} for name in SOURCES}
        data["deliveries"] = {**(data.get("deliveries") or {}), "sources": sources}
    return config_mod.load(overrides=overrides, environ=environ, network=data)


def load_all(overrides: dict | str | None = None, environ: dict[str, str] | None = None,
             path: str | Path | None = None) -> dict[str, Config]:
    return {t: load_tenant(t, overrides, environ, path) for t in list_tenants(path, environ)}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m runreport.tenants", description=__doc__.split("\n")[0])
    p.parse_args(argv)
    for t in list_tenants():
        cfg = load_tenant(t)
        print(f"{t}\t{cfg.network_name}\t{cfg.paths.inbox}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
