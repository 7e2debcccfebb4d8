"""Which reporting years have new or corrected files in the inbox: the plan of the daily ingest DAG
(``dags/run_ingest.py``) and the Asset URIs it publishes.

A file is *pending* when its checksum is not in the warehouse's ``ingested_file`` log (a new delivery,
or a corrected version of an earlier one: ``anmalningar_2024_vt_v2.csv``). A pending per-year file
affects its own year; a pending year-less reference file (members, agreements, population) affects
every reporting year the inbox holds files for. Pure apart from reading the inbox and the log.
"""

from __future__ import annotations

from collections.abc import Iterable

from runreport.ingest.collect import SOURCE_ORDER, YEARLESS, CollectedFile, collect

ASSET_SCHEME = "run"


def asset_uri(tenant: str, source: str) -> str:
    """The Asset URI of one partner source of one tenant: ``run://<tenant>/<source>``."""
    return f"{ASSET_SCHEME}://{tenant}/{source}"


def asset_name(tenant: str, source: str) -> str:
    return f"run_{tenant}_{source}".lower()


def affected_years(pending: Iterable[CollectedFile], inbox_years: Iterable[int]) -> dict[str, list[int]]:
    """``{source: sorted years}`` for the sources that have pending files (sources in load order)."""
    all_years = sorted({int(y) for y in inbox_years})
    by_source: dict[str, set[int]] = {}
    for f in pending:
        years = set(all_years) if (f.source in YEARLESS or f.year is None) else {int(f.year)}
        by_source.setdefault(f.source, set()).update(years)
    return {s: sorted(by_source[s]) for s in SOURCE_ORDER if s in by_source and by_source[s]}


def plan(files: list[CollectedFile], ingested_checksums: set[str]) -> dict:
    """The ingest plan from the inbox listing and the checksums already in the log.

    ``years``: every affected year, ascending; ``year``: the latest, the one pass that stages them all
    (collect is cumulative up to its year); ``by_source``: the years per source (the asset events);
    ``files``: the pending file names per source.
    """
    pending = [f for f in files if f.checksum not in ingested_checksums]
    inbox_years = {f.year for f in files if f.year is not None and f.source not in YEARLESS}
    by_source = affected_years(pending, inbox_years)
    years = sorted({y for ys in by_source.values() for y in ys})
    names: dict[str, list[str]] = {}
    for f in pending:
        names.setdefault(f.source, []).append(f.name)
    return {"years": years, "year": years[-1] if years else None, "by_source": by_source, "files": names}


def pending_plan(cfg) -> dict:
    """:func:`plan` for the configured inbox and warehouse."""
    from sqlalchemy import select

    from runreport.steps.common import inbox as _inbox
    from runreport.steps.common import sessions
    from runreport.warehouse import models as m

    files = collect(_inbox(cfg))
    with sessions(cfg)() as s:
        known = set(s.scalars(select(m.IngestedFile.checksum).where(m.IngestedFile.tenant == cfg.tenant)))
    return plan(files, known)


def configured_tenant() -> str:
    """The tenant from the configuration (:func:`runreport.settings.load`). For DAG parsing."""
    try:
        from runreport import settings

        return settings.load().tenant
    except Exception:  # noqa: BLE001 - a broken config must not break DAG parsing
        return "RUN"


def source_assets(tenant: str | None = None) -> dict:
    """``{source: airflow.sdk.Asset}``: one Asset per partner source, ``run://<tenant>/<source>``,
    in load order. The ingest DAG publishes them; the annual-report DAG is scheduled on them."""
    from airflow.sdk import Asset

    tenant = tenant or configured_tenant()
    return {s: Asset(uri=asset_uri(tenant, s), name=asset_name(tenant, s), group="run-partner-files")
            for s in SOURCE_ORDER}
