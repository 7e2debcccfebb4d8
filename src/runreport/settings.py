"""Typed settings and the one loader every part of the product uses.

Where the settings come from (later wins; :func:`runreport.config.load` merges them):
``config/pipeline.yaml`` < ``RUN_CONFIG_FILE`` < the Airflow Variable ``run_config`` < a network's
tenant file < ``RUN_<SECTION>__<KEY>`` environment variables.

:func:`load` is the loader for every process: a task on a worker, a DAG file being parsed, the
scheduler's listener and timetable, the stewards' view in the API server, the notifier in the
triggerer and the command line. Each gets the Variable its own way (:func:`run_config_text`), so
a setting put in ``run_config`` applies everywhere, not only in tasks.

:func:`validate` checks the merged settings against the typed model below (:class:`Settings`):
a wrong type or value names the setting (``reporting.run_iso_week: …``) instead of failing later
in a task. The seller's section may not carry bank details: those come only from finance's
connection (docs/security.md).
"""

from __future__ import annotations

import logging
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from runreport.schedule import ReportingCalendar  # the calendar's defaults are the settings' defaults

log = logging.getLogger(__name__)
VARIABLE = "run_config"


class _Section(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)   # a loaded setting is never changed in place


class Warehouse(_Section):
    url: str
    migrate: Literal["on_start", "deploy"] = "on_start"   # deploy: only `python -m runreport.warehouse migrate`
    staging_keep_hours: float = Field(default=72, gt=0)   # a run's staging left by a stopped run goes after this


class Paths(_Section):
    inbox: str
    output: str
    narrative: str
    templates: str
    sql: str
    notifications: str = "var/notifications"   # the notices sent (one JSON line each), relative to the project home
    organisations: str | None = None            # partner organisations (config/organisations.yaml when not set)

    @field_validator("notifications", mode="before")
    @classmethod
    def _default_when_empty(cls, value: Any) -> Any:
        """Left empty (or null): the default folder, never the project home itself."""
        return value if value not in (None, "") else cls.model_fields["notifications"].default


class Reporting(_Section):
    demo_year: int = Field(ge=2000, le=2100)
    meeting_iso_week: int = Field(ge=1, le=53)
    run_iso_week: int = Field(ge=1, le=53)
    run_iso_weekday: int = Field(ge=1, le=7)
    deadline_iso_week: int = Field(ge=1, le=53)
    deadline_iso_weekday: int = Field(ge=1, le=7)
    deadline_alerts: bool = True
    reminder_iso_week: int = Field(ge=1, le=53)
    reminder_iso_weekday: int = Field(ge=1, le=7)
    required_sources: list[str]
    run_hour: int = Field(default=ReportingCalendar.hour, ge=0, le=23)   # the runs start at this hour, local time
    timezone: str = ReportingCalendar.timezone

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Europe/Stockholm)") from None
        return value


class Population(_Section):
    reference_date: str = Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class Contribution(_Section):
    rounding: Literal["whole_kronor_half_up"] = "whole_kronor_half_up"   # the one rule the money code applies
    in_kind: str | dict[int, str] = ""   # one text, or texts by the year from which each applies


class Ledger(_Section):
    cost_accounts: tuple[str, str]
    income_accounts: tuple[str, str]


class Validation(_Section):
    max_rejected_share: float = Field(ge=0, le=1)
    pseudonym_secret_variable: str
    workers: Literal["auto"] | int = "auto"
    pool_min_bytes: int = Field(default=8_000_000, ge=0)   # "auto": a pool only for at least this much new data
    population_change_share: float = Field(default=0.2, gt=0, le=10)
    accept_population_change: list[str] = []      # "<municipality code>:<year>"
    ledger_line_budget_share: float = Field(default=1.0, gt=0)   # one ledger line above this share of its budget is held
    accept_over_budget: list[str] = []            # "<voucher>:<line>" of lines that really are that large
    settle_seconds: float = Field(default=0, ge=0)   # a file changed more recently is left for the next run
    corrected_drop_share: float = Field(default=0.5, gt=0, le=1)
    accept_corrected_drop: list[str] = []         # file names whose drop of rows is real


class Seller(BaseModel):
    """The invoicing organisation as it appears on invoices; never its bank account."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    vat_number: str
    street: str
    city: str
    postal_zone: str
    country: str = Field(pattern=r"^[A-Z]{2}$")
    contact_email: str


class Vat(_Section):
    category: Literal["O", "S", "E", "Z"] = "O"
    percent: Decimal = Field(default=Decimal(0), ge=0, le=100)
    exemption_reason: str | None = None


class Invoicing(_Section):
    series: str = Field(pattern=r"^[A-Z0-9]{1,10}$")
    required_sources: list[str]
    issue_month_day: str = Field(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
    payment_terms_days: int = Field(ge=0, le=365)
    currency: Literal["SEK"] = "SEK"
    vat: Vat = Vat()
    seller: Seller
    approvers: list[str] = []
    basis_pdf: bool = True
    # the Peppol BIS Billing 3.0 validator every document must pass before release (a command taking
    # XML paths, exit 0 = no fatal); relative paths from the project root; "" = not checked (said in the log)
    peppol_validator: str = ""
    outbox_manifest: bool = True


class GoalSet(_Section):
    """The goals of a planning period (``report.goal_sets``): the report's goal chapter. ``term`` and
    ``described_as`` left out: the report's words (``report.compose.goal_terms``). Codes may be numbers."""

    model_config = ConfigDict(extra="allow", frozen=True, coerce_numbers_to_str=True)
    from_: int = Field(alias="from")
    to: int | None = None
    term: str | None = None
    described_as: str | None = None
    goals: list[tuple[str, str]]


class Report(_Section):
    model_config = ConfigDict(extra="allow", frozen=True, coerce_numbers_to_str=True)
    funders: dict[str, str] = {}            # the ledger's funder codes and what the report calls them
    goal_sets: list[GoalSet] | None = None  # None: the report's built-in periods (report.goals)


class Balance(_Section):
    first_year: int = Field(ge=2000, le=2100)
    opening_balance_sek: Decimal


class Notifications(_Section):
    stewards: list[str] | str = []
    finance: list[str] | str = []     # told when invoices wait for approval (default: the stewards)
    base_url: str | None = None


class DeliverySource(_Section):
    partner: str = "–"
    contact: str = ""
    due_iso_week: int | None = Field(default=None, ge=1, le=53)
    due_iso_weekday: int | None = Field(default=None, ge=1, le=7)


class Deliveries(_Section):
    """Who delivers each source of a reporting year and by when (runreport.deliveries)."""

    due_iso_week: int | None = Field(default=None, ge=1, le=53)   # default: reporting.run_iso_week
    due_iso_weekday: int = Field(default=1, ge=1, le=7)
    sources: dict[str, DeliverySource] = {}


class Settings(BaseModel):
    """The product's settings (``config/pipeline.yaml`` documents each), typed and read-only: code
    reads ``cfg.validation.workers``; a default is the model's, never a caller's own."""

    model_config = ConfigDict(extra="allow", frozen=True)
    tenant: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,31}$")
    network_name: str
    host_university: str
    warehouse: Warehouse
    paths: Paths
    reporting: Reporting
    population: Population
    contribution: Contribution
    ledger: Ledger
    validation: Validation
    invoicing: Invoicing
    balance: Balance
    report: Report = Report()
    notifications: Notifications = Notifications()
    deliveries: Deliveries = Deliveries()

    # -- what the settings say about places (no I/O: writers create what they write into) --

    def path(self, key: str) -> Path:
        """``paths.<key>``, a relative path taken from the project home (:data:`runreport.config.PROJECT_ROOT`)."""
        from runreport.config import PROJECT_ROOT

        raw = getattr(self.paths, key)
        if raw is None:
            raise KeyError(f"paths.{key} is not set")
        p = Path(raw)
        return p if p.is_absolute() else PROJECT_ROOT / p

    @property
    def warehouse_url(self) -> str:
        """The URL with a relative SQLite file resolved against the project home."""
        from runreport.config import PROJECT_ROOT

        url = self.warehouse.url
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            rel = url[len("sqlite:///"):]
            if rel and rel != ":memory:":
                url = "sqlite:///" + str(PROJECT_ROOT / rel)
        return url

    def output_dir(self, year: int) -> Path:
        """``<paths.output>/<tenant>/<year>``."""
        return self.path("output") / self.tenant / str(year)


class SettingsError(ValueError):
    """The settings are wrong; the message names each wrong setting."""


def validate(data: dict[str, Any]) -> Settings:
    """The typed settings of ``data`` (the merged dict), or :class:`SettingsError` naming each problem."""
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SettingsError(f"Felaktiga inställningar: {problems}") from None
    unknown = sorted(set(settings.model_extra or {}))
    if unknown:
        log.warning("Unknown settings ignored: %s", ", ".join(unknown))
    return settings


# ------------------------------------------------------------------------------- the Variable

def _in_task() -> bool:
    """A task (or DAG parsing) under Airflow's supervisor: it answers Variable lookups. Only a
    process that has Airflow's task runner loaded can be one (never imported here: importing
    Airflow costs a second and a half in a CLI or benchmark that has nothing to ask it)."""
    task_runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
    return task_runner is not None and getattr(task_runner, "SUPERVISOR_COMMS", None) is not None


def _from_metadata_db(name: str) -> str | None:
    """The Variable read with a session of its own: the scheduler's loop shares one scoped session,
    and a lookup through it (``@provide_session``) closes it under the scheduler's feet."""
    from airflow import settings as airflow_settings
    from airflow.models.variable import Variable as VariableRow
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    if airflow_settings.engine is None:
        return None
    with Session(bind=airflow_settings.engine) as session:
        row = session.scalar(select(VariableRow).where(VariableRow.key == name))
        return None if row is None else row.val


def run_config_text(name: str = VARIABLE) -> str | None:
    """The Variable ``run_config`` (YAML/JSON text) in whichever process asks, or None:
    a secrets backend's environment variable ``AIRFLOW_VAR_RUN_CONFIG`` first; in a task, Airflow's
    task SDK; in the scheduler, API server or triggerer (``_AIRFLOW_PROCESS_CONTEXT=server``), the
    metadata database with a session of its own; anywhere else (the CLI, a benchmark) nothing: there
    is no Airflow to ask."""
    env = os.environ.get(f"AIRFLOW_VAR_{name.upper()}")
    if env is not None:
        return env
    try:
        if _in_task():
            from airflow.sdk import Variable

            return Variable.get(name, default=None)
        if os.environ.get("_AIRFLOW_PROCESS_CONTEXT") == "server":
            return _from_metadata_db(name)
    except Exception as exc:  # noqa: BLE001 - Airflow cannot answer: the file and environment decide
        log.warning("run_config not read from Airflow (%s): the settings file and environment apply",
                    type(exc).__name__)
    return None


def load(tenant: str | None = None):
    """The configuration (:class:`runreport.config.Config`, validated) for ``tenant`` (a file in
    ``config/tenants/``) or the default network, with the Variable ``run_config`` applied."""
    overrides = run_config_text()
    if tenant:
        from runreport import tenants

        return tenants.load_tenant(tenant, overrides=overrides)
    from runreport import config

    return config.load(overrides=overrides)
