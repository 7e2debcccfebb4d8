"""What a DAG task needs from Airflow, reduced to plain values: the reporting year, the
configuration (file + Airflow Variable ``run_config``) and the pseudonym secret (Airflow Variable
``run_pseudonym_secret``). Imported inside tasks only.

**The reporting year is decided here and only here** (:func:`decide_year`), for the tasks of every
DAG, for the run note the scheduler plugin writes (``plugins/run_listeners.py``) and for the
notifications. What the scheduler gives, in this order:

1. an explicit ``year`` param (a person chose it in the trigger form or the REST API's ``conf``);
2. the years of the asset events that triggered the run (``run_ingest`` publishes
   ``extra["years"]``; several: the latest, since ``compute`` recalculates every year up to it);
3. the run's data interval when it is one whole reporting year, ``[Y-01-01, Y+1-01-01)``: that is
   what the annual timetable gives its scheduled runs (in Airflow 3 their logical date *equals*
   the interval start, so the logical date alone says nothing about Y+1);
4. otherwise (a manual trigger with no year, an asset run without years): the **latest due year**,
   the latest Y whose scheduled run time (Monday of ISO week 6 of Y+1 by default) is not after the
   run's ``run_after``. On 2026-12-01 that is 2025.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

from runreport import schedule

HOW_SV = {
    "param": "angivet vid start (parametern year)",
    "assets": "från de nya eller rättade filerna som startade körningen",
    "schedule": "från schemat (körningens dataintervall är verksamhetsåret)",
    "latest_due": "inget år angavs: det senaste år vars rapport är förfallen",
    "default": "inget år angavs och körningen har ingen tid: konfigurationens demoår",
}


@dataclass(frozen=True)
class YearDecision:
    """A reporting year and how it was decided (``how`` is a key of :data:`HOW_SV`)."""

    year: int
    how: str

    @property
    def note_sv(self) -> str:
        return f"Verksamhetsår {self.year} ({HOW_SV[self.how]})"


def _aware(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def whole_year_interval(start, end) -> int | None:
    """Y when ``[start, end)`` is exactly the reporting year Y (UTC), else None."""
    start, end = _aware(start), _aware(end)
    if start is None or end is None:
        return None
    y_start, y_end = schedule.reporting_interval(start.astimezone(UTC).year)
    return y_start.year if (start == y_start and end == y_end) else None


def latest_due_year(moment, calendar: schedule.ReportingCalendar) -> int:
    """The latest reporting year whose scheduled run time is not after ``moment``."""
    moment = _aware(moment)
    year = moment.astimezone(UTC).year
    while calendar.run_at(year) > moment:
        year -= 1
    return year


def decide_year(*, params_year=None, asset_years=(), data_interval_start=None, data_interval_end=None,
                run_after=None, calendar: schedule.ReportingCalendar | None = None,
                default_year: int | None = None) -> YearDecision:
    """The run's reporting year from what the scheduler gives (see the module docstring)."""
    if params_year not in (None, "", "null"):
        return YearDecision(int(params_year), "param")
    if asset_years:
        return YearDecision(max(int(y) for y in asset_years), "assets")
    whole = whole_year_interval(data_interval_start, data_interval_end)
    if whole is not None:
        return YearDecision(whole, "schedule")
    calendar = calendar or schedule.ReportingCalendar()
    if run_after not in (None, ""):
        return YearDecision(latest_due_year(run_after, calendar), "latest_due")
    if default_year is None:
        raise ValueError("no year given and the run has no time: cannot decide the reporting year")
    return YearDecision(int(default_year), "default")


def _variable(name: str) -> str | None:
    try:
        from airflow.sdk import Variable

        return Variable.get(name, default=None)
    except Exception:  # noqa: BLE001 - outside a task (tests, CLI): fall back to the environment
        return os.environ.get(f"AIRFLOW_VAR_{name.upper()}")


def load_config():
    """The configuration (file + Variable ``run_config``); also makes this process mask the network's
    registrants' names (:func:`learn_names`)."""
    from runreport import settings

    cfg = settings.load()
    learn_names(cfg)
    return cfg


def learn_names(cfg) -> int:
    """Load the network's registrant-name digests (stored by the validate step) into
    ``privacy``, so this process (a later task on any worker, the notifier in the triggerer)
    masks those names too. Best effort: a warehouse not yet created has none. Returns how many."""
    import logging

    from runreport import privacy

    try:
        secret = _variable(cfg.validation.pseudonym_secret_variable)
        if not secret:
            return 0
        from runreport.warehouse import names
        from runreport.warehouse.engine import session_factory

        privacy.use_key(secret.encode("utf-8"))
        with session_factory(cfg.warehouse_url)() as s:
            digests = names.load(s, cfg.tenant)
        privacy.remember_digests(digests)
        return len(digests)
    except Exception as exc:  # noqa: BLE001 - never stops a task; without digests names are not masked
        logging.getLogger(__name__).info("Names of registrants not loaded for masking (%s)", type(exc).__name__)
        return 0


def pseudonym_secret(cfg) -> bytes:
    name = cfg.validation.pseudonym_secret_variable
    value = _variable(name)   # the Variable or a secrets backend; never RUN_* environment (docs/security.md)
    if not value:
        raise RuntimeError(
            f"Hemlig nyckel för pseudonymisering saknas: sätt Airflow-variabeln {name} / "
            f"pseudonymisation secret missing: set the Airflow Variable {name}")
    return value.encode("utf-8")


def years_from_asset_events(triggering_asset_events) -> list[int]:
    """The reporting years named in the ``extra["years"]`` of the asset events that triggered a run
    (published by ``dags/run_ingest.py``), ascending; empty for a run not triggered by assets.

    ``triggering_asset_events`` is the task context's mapping asset -> events (Airflow 3: each event
    has ``.extra``); plain dicts with an ``"extra"`` key are accepted too (tests). A plain list of
    events (the scheduler's ``dag_run.consumed_asset_events``) works as well."""
    years: set[int] = set()
    if not triggering_asset_events:
        return []
    if isinstance(triggering_asset_events, dict) or hasattr(triggering_asset_events, "keys"):
        events = [e for asset in list(triggering_asset_events) for e in (triggering_asset_events[asset] or ())]
    else:
        events = list(triggering_asset_events)
    for event in events:
        extra = event.get("extra") if isinstance(event, dict) else getattr(event, "extra", None)
        for y in (extra or {}).get("years") or ():
            years.add(int(y))
    return sorted(years)


def decide_from_context(context: dict, cfg) -> YearDecision:
    """:func:`decide_year` for a task context."""
    params = context.get("params") or {}
    dag_run = context.get("dag_run")
    run_after = getattr(dag_run, "run_after", None) if dag_run is not None else None
    return decide_year(
        params_year=params.get("year"),
        asset_years=years_from_asset_events(context.get("triggering_asset_events")),
        data_interval_start=context.get("data_interval_start"),
        data_interval_end=context.get("data_interval_end"),
        run_after=run_after or context.get("logical_date"),
        calendar=schedule.ReportingCalendar.from_config(cfg),
        default_year=cfg.reporting.demo_year,
    )


def staging_key(context: dict) -> str:
    """The run's key in the warehouse's staging (``<dag_id>/<run_id>``): the same on every worker that
    runs one of the run's tasks, never another run's, so two runs of one year (the daily ingest and
    the annual report it triggers) keep their files apart."""
    from runreport.warehouse.staging import run_key

    ti = context["ti"]
    return run_key(ti.dag_id, ti.run_id)


def year_from_context(context: dict, cfg) -> int:
    """The run's reporting year (see :func:`decide_year`)."""
    return decide_from_context(context, cfg).year


def decide_invoice_year(*, params_year=None, logical_date=None, run_after=None,
                        timezone: str = schedule.DEFAULT_TIMEZONE) -> YearDecision:
    """The year ``run_invoices`` invoices: the ``year`` param, else the year of its scheduled day
    (15 January of Y invoices Y), else the calendar year (Stockholm) the run was started in."""
    from zoneinfo import ZoneInfo

    if params_year not in (None, "", "null"):
        return YearDecision(int(params_year), "param")
    moment = _aware(logical_date) or _aware(run_after)
    if moment is None:
        raise ValueError("no year given and the run has no time: cannot decide the invoicing year")
    return YearDecision(moment.astimezone(ZoneInfo(timezone)).year, "schedule" if logical_date else "calendar")


HOW_SV["calendar"] = "inget år angavs: innevarande kalenderår"


def run_note(dag_id: str, *, conf: dict | None, asset_events, data_interval_start, data_interval_end,
             logical_date, run_after, cfg) -> str | None:
    """The note the scheduler writes on a run of one of the product's DAGs (None: not ours)."""
    conf = conf or {}
    if dag_id == "run_invoices":
        d = decide_invoice_year(params_year=conf.get("year"), logical_date=logical_date, run_after=run_after)
        return f"Fakturaår {d.year} ({HOW_SV[d.how]})"
    if dag_id in ("run_annual_report", "run_all_networks", "run_deadline_reminder"):
        d = decide_year(params_year=conf.get("year"), asset_years=years_from_asset_events(asset_events),
                        data_interval_start=data_interval_start, data_interval_end=data_interval_end,
                        run_after=run_after, calendar=schedule.ReportingCalendar.from_config(cfg),
                        default_year=cfg.reporting.demo_year)
        return d.note_sv
    return None


def year_for_task(context: dict, cfg) -> int:
    """The year a task of any of the product's DAGs works on (invoicing year for ``run_invoices``)."""
    dag = context.get("dag")
    dag_id = getattr(dag, "dag_id", None) or getattr(context.get("ti"), "dag_id", None)
    if dag_id == "run_invoices":
        dag_run = context.get("dag_run")
        return decide_invoice_year(params_year=(context.get("params") or {}).get("year"),
                                   logical_date=context.get("logical_date"),
                                   run_after=getattr(dag_run, "run_after", None)).year
    return year_from_context(context, cfg)
