"""What a DAG task needs from Airflow, reduced to plain values: the reporting year, the
configuration (file + Airflow Variable ``run_config``) and the pseudonym secret (Airflow Variable
``run_pseudonym_secret``). Imported inside tasks only."""

from __future__ import annotations

import os
from datetime import datetime

from runreport import config as config_mod


def reporting_year(params_year, data_interval_start: datetime | None, logical_date: datetime | None,
                   default_year: int) -> int:
    """Explicit ``year`` param first; else the data interval (the timetable's interval is the reporting
    year); else the year before the logical date (the report for Y runs in Y+1); else the default."""
    if params_year not in (None, "", "null"):
        return int(params_year)
    if data_interval_start is not None and logical_date is not None and data_interval_start != logical_date:
        return data_interval_start.year
    if logical_date is not None:
        return logical_date.year - 1
    return int(default_year)


def _variable(name: str) -> str | None:
    try:
        from airflow.sdk import Variable

        return Variable.get(name, default=None)
    except Exception:  # noqa: BLE001 - outside a task (tests, CLI): fall back to the environment
        return os.environ.get(f"AIRFLOW_VAR_{name.upper()}")


def load_config():
    return config_mod.load(overrides=_variable("run_config"))


def pseudonym_secret(cfg) -> bytes:
    name = cfg["validation"]["pseudonym_secret_variable"]
    value = _variable(name) or os.environ.get("RUN_PSEUDONYM_SECRET")
    if not value:
        raise RuntimeError(
            f"Hemlig nyckel för pseudonymisering saknas: sätt Airflow-variabeln {name} / "
            f"pseudonymisation secret missing: set the Airflow Variable {name}")
    return value.encode("utf-8")


def years_from_asset_events(triggering_asset_events) -> list[int]:
    """The reporting years named in the ``extra["years"]`` of the asset events that triggered a run
    (published by ``dags/run_ingest.py``), ascending; empty for a run not triggered by assets.

    ``triggering_asset_events`` is the task context's mapping asset -> events (Airflow 3: each event
    has ``.extra``); plain dicts with an ``"extra"`` key are accepted too (tests)."""
    years: set[int] = set()
    if not triggering_asset_events:
        return []
    for asset in list(triggering_asset_events):
        for event in triggering_asset_events[asset] or ():
            extra = event.get("extra") if isinstance(event, dict) else getattr(event, "extra", None)
            for y in (extra or {}).get("years") or ():
                years.add(int(y))
    return sorted(years)


def year_from_context(context: dict, cfg) -> int:
    """The run's reporting year: from the triggering asset events (a corrected file for year Y
    recomputes Y; several years: the latest, since ``compute`` recalculates every year up to it),
    else the ``year`` param, else the data interval / logical date (see :func:`reporting_year`)."""
    asset_years = years_from_asset_events(context.get("triggering_asset_events"))
    if asset_years:
        return asset_years[-1]
    params = context.get("params") or {}
    return reporting_year(params.get("year"), context.get("data_interval_start"), context.get("logical_date"),
                          cfg["reporting"]["demo_year"])
