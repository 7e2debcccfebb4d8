"""Airflow plugin: the RUN annual-report timetable and the report-deadline reference.

``IsoWeekAnnualTimetable`` schedules one run per **reporting year** Y, at a configured ISO
week/weekday/hour of Y+1 (default Monday of week 6, 06:00 Europe/Stockholm). The run's data
interval is the reporting year itself, ``[Y-01-01, Y+1-01-01)`` in UTC, so a task reads the
year as ``data_interval_start.year``. Catchup and ``airflow backfill create`` work over
reporting years: ``--from-date 2020-01-01 --to-date 2024-12-31`` creates the runs for 2020–2024.

``ReportDeadline`` is a custom deadline reference (Airflow 3 deadline alerts): for a run whose
data interval starts in year Y it evaluates to the configured deadline moment of Y+1 (default
Monday of ISO week 8, 06:00 Europe/Stockholm). :func:`report_deadline_alert` builds the
``DeadlineAlert`` a DAG passes as ``deadline=``.

The date arithmetic lives in :mod:`runreport.schedule`; the weeks come from the
configuration (``reporting`` section), see :func:`timetable_from_config`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any

import pendulum
from airflow.plugins_manager import AirflowPlugin
from airflow.sdk import AsyncCallback, BaseDeadlineReference, DeadlineAlert
from airflow.timetables.base import DagRunInfo, DataInterval, Timetable

from runreport import schedule

if TYPE_CHECKING:
    from airflow.timetables.base import TimeRestriction
    from pendulum import DateTime
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _pendulum(dt) -> DateTime:
    return pendulum.instance(dt).in_timezone("UTC")



def _week_time(obj: Any) -> dict[str, Any]:
    """The ISO week, weekday, hour and time zone of a timetable or deadline, serialised."""
    return {"iso_week": obj.iso_week, "iso_weekday": obj.iso_weekday, "hour": obj.hour, "timezone": obj.timezone}

class IsoWeekAnnualTimetable(Timetable):
    """One run per reporting year Y, at ISO week ``iso_week``, day ``iso_weekday`` of Y+1.

    :param iso_week: ISO week of Y+1 in which the run happens (1..52).
    :param iso_weekday: 1 = Monday … 7 = Sunday.
    :param hour: wall-clock hour in ``timezone``.
    :param timezone: IANA zone of the wall-clock time (default Europe/Stockholm).
    """

    def __init__(
        self,
        iso_week: int = 6,
        iso_weekday: int = 1,
        hour: int = 6,
        timezone: str = schedule.DEFAULT_TIMEZONE,
    ) -> None:
        self.iso_week = int(iso_week)
        self.iso_weekday = int(iso_weekday)
        self.hour = int(hour)
        self.timezone = str(timezone)
        self.validate()
        self.description = (
            f"Yearly for the previous year: {_WEEKDAYS[self.iso_weekday - 1]} of ISO week "
            f"{self.iso_week}, {self.hour:02d}:00 {self.timezone}"
        )

    # -- Airflow Timetable protocol ---------------------------------------------------------

    def validate(self) -> None:
        from airflow.exceptions import AirflowTimetableInvalid

        # Week 53 exists only in some years; a yearly schedule needs a week every year has.
        if not 1 <= self.iso_week <= 52:
            raise AirflowTimetableInvalid(f"iso_week must be 1..52, got {self.iso_week}")
        if not 1 <= self.iso_weekday <= 7:
            raise AirflowTimetableInvalid(f"iso_weekday must be 1..7, got {self.iso_weekday}")
        if not 0 <= self.hour <= 23:
            raise AirflowTimetableInvalid(f"hour must be 0..23, got {self.hour}")
        try:
            pendulum.timezone(self.timezone)
        except Exception as exc:
            raise AirflowTimetableInvalid(f"unknown timezone {self.timezone!r}") from exc

    @property
    def summary(self) -> str:
        return f"ISO week {self.iso_week}/{self.iso_weekday} {self.hour:02d}:00 (year after)"

    def serialize(self) -> dict[str, Any]:
        return _week_time(self)

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> IsoWeekAnnualTimetable:
        return cls(
            iso_week=data["iso_week"],
            iso_weekday=data["iso_weekday"],
            hour=data["hour"],
            timezone=data.get("timezone", schedule.DEFAULT_TIMEZONE),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IsoWeekAnnualTimetable):
            return NotImplemented
        return self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.serialize().items())))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.serialize().items())
        return f"{type(self).__name__}({args})"

    # -- helpers ---------------------------------------------------------------------------

    def run_at(self, year: int) -> DateTime:
        """When the run for reporting year ``year`` is due (aware, UTC)."""
        day = schedule.run_date(year, self.iso_week, self.iso_weekday)
        return _pendulum(schedule.local_datetime(day, self.hour, self.timezone))

    def dagrun_info(self, year: int) -> DagRunInfo:
        start, end = schedule.reporting_interval(year)
        return DagRunInfo(
            run_after=self.run_at(year),
            data_interval=DataInterval(start=_pendulum(start), end=_pendulum(end)),
        )

    @staticmethod
    def _first_year_from(earliest: DateTime) -> int:
        """The first reporting year whose data interval starts at or after ``earliest``."""
        earliest = earliest.astimezone(UTC)
        start, _ = schedule.reporting_interval(earliest.year)
        return earliest.year if earliest == start else earliest.year + 1

    def _latest_due_year(self, now: DateTime) -> int:
        """The latest reporting year whose run time is not after ``now``."""
        year = now.astimezone(UTC).year
        while self.run_at(year) > now:
            year -= 1
        return year

    def generate_run_id(self, *, run_type, run_after: DateTime, data_interval: DataInterval | None,
                        **extra: Any) -> str:
        """The run id names the reporting year when the run has one: a scheduled run for 2025 is
        ``scheduled__verksamhetsar-2025_2026-02-02T05:00:00+00:00``, not only the day it runs."""
        from runreport.runcontext import whole_year_interval

        year = whole_year_interval(data_interval.start, data_interval.end) if data_interval else None
        suffix = run_after.isoformat()
        if year is not None:
            suffix = f"verksamhetsar-{year}_{suffix}"
        return run_type.generate_run_id(suffix=suffix)

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        """A manual run reports on the year before ``run_after`` (in the timetable's zone).

        Exception: a ``run_after`` exactly at a year start (``YYYY-01-01T00:00Z``, i.e. the logical
        date of a scheduled run, as ``airflow dags test DAG 2025-01-01`` passes it) selects that year.
        """
        utc = run_after.astimezone(UTC)
        start, _ = schedule.reporting_interval(utc.year)
        if utc == start:
            year = utc.year
        else:
            year = pendulum.instance(run_after).in_timezone(self.timezone).year - 1
        start, end = schedule.reporting_interval(year)
        return DataInterval(start=_pendulum(start), end=_pendulum(end))

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        earliest_year: int | None = None
        if restriction.earliest is not None:
            earliest_year = self._first_year_from(restriction.earliest)

        if last_automated_data_interval is not None:
            year = schedule.reporting_year_of(last_automated_data_interval.start) + 1
            if earliest_year is not None:
                year = max(year, earliest_year)
        elif earliest_year is None:
            return None  # no start_date: never scheduled automatically
        else:
            year = earliest_year

        if not restriction.catchup:
            # Skip missed years: only the latest run that is already due (or the next one).
            year = max(year, self._latest_due_year(_pendulum(pendulum.now("UTC"))))

        info = self.dagrun_info(year)
        if restriction.latest is not None and info.data_interval.start > restriction.latest:
            return None
        return info


@dataclass
class ReportDeadline(BaseDeadlineReference):
    """Deadline reference: the configured deadline moment of the year after the run's reporting year.

    The reporting year is the year of the DAG run's ``data_interval_start`` (its logical date when
    there is no data interval). The scheduler evaluates it when the run is created; with
    ``interval=timedelta(0)`` the callback fires if the run has not succeeded by then.
    """

    iso_week: int = 8
    iso_weekday: int = 1
    hour: int = 6
    timezone: str = schedule.DEFAULT_TIMEZONE

    required_kwargs = {"dag_id", "run_id"}

    def deadline_for(self, year: int):
        day = schedule.deadline(year, self.iso_week, self.iso_weekday)
        return _pendulum(schedule.local_datetime(day, self.hour, self.timezone))

    def _evaluate_with(self, *, session: Session, **kwargs: Any):
        """The deadline of the run's reporting year, decided as the tasks decide it
        (:func:`runreport.runcontext.decide_year`): a manual rerun with ``conf={"year": 2024}`` and no
        logical date gets 2024's deadline too."""
        from airflow.models import DagRun
        from sqlalchemy import select

        from runreport import runcontext

        dr = session.scalars(
            select(DagRun).where(DagRun.dag_id == kwargs["dag_id"], DagRun.run_id == kwargs["run_id"])
        ).one_or_none()
        if dr is None:
            log.warning("ReportDeadline: no run %s/%s; no deadline set", kwargs["dag_id"], kwargs["run_id"])
            return None
        decision = runcontext.decide_year(
            params_year=(dr.conf or {}).get("year"),
            asset_years=runcontext.years_from_asset_events(list(dr.consumed_asset_events or ())),
            data_interval_start=dr.data_interval_start, data_interval_end=dr.data_interval_end,
            run_after=dr.run_after or dr.logical_date, calendar=schedule.ReportingCalendar.from_config())
        return self.deadline_for(decision.year)

    def serialize_reference(self) -> dict[str, Any]:
        return {**super().serialize_reference(), **_week_time(self)}

    @classmethod
    def deserialize_reference(cls, reference_data: dict[str, Any]) -> ReportDeadline:
        return cls(
            iso_week=reference_data.get("iso_week", 8),
            iso_weekday=reference_data.get("iso_weekday", 1),
            hour=reference_data.get("hour", 6),
            timezone=reference_data.get("timezone", schedule.DEFAULT_TIMEZONE),
        )

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.serialize_reference().items())))


def latest_due_year_now(cfg: dict[str, Any] | None = None) -> int:
    """The reporting year a run started now with no year reports (for the trigger form's help)."""
    from runreport.runcontext import latest_due_year

    return latest_due_year(pendulum.now("UTC"), schedule.ReportingCalendar.from_config(cfg))


def reminder_timetable_from_config(cfg: dict[str, Any] | None = None) -> IsoWeekAnnualTimetable:
    """The reminder's timetable: ``reporting.reminder_iso_week``/``reminder_iso_weekday`` of Y+1."""
    if cfg is None:
        from runreport import settings

        cfg = settings.load()
    cal = schedule.ReportingCalendar.from_config(cfg)
    return IsoWeekAnnualTimetable(cfg.reporting.reminder_iso_week, cfg.reporting.reminder_iso_weekday,
                                  cal.hour, cal.timezone)


def timetable_from_config(cfg: dict[str, Any] | None = None) -> IsoWeekAnnualTimetable:
    """The annual-report timetable from the ``reporting`` configuration."""
    cal = schedule.ReportingCalendar.from_config(cfg)
    return IsoWeekAnnualTimetable(cal.run_iso_week, cal.run_iso_weekday, cal.hour, cal.timezone)


def deadline_from_config(cfg: dict[str, Any] | None = None) -> ReportDeadline:
    """The report-deadline reference from the ``reporting`` configuration."""
    cal = schedule.ReportingCalendar.from_config(cfg)
    return ReportDeadline(cal.deadline_iso_week, cal.deadline_iso_weekday, cal.hour, cal.timezone)


def report_deadline_alert(
    cfg: dict[str, Any] | None = None,
    *,
    reference: ReportDeadline | None = None,
    callback: str = "runreport.notify.deadline_missed",
    callback_kwargs: dict[str, Any] | None = None,
) -> DeadlineAlert:
    """The ``DeadlineAlert`` for an annual-report DAG: notify the data stewards when a run misses it.

    The callback runs in the triggerer (``AsyncCallback``); it is given by dotted path so the DAG
    file does not import it.
    """
    return DeadlineAlert(
        reference=reference or deadline_from_config(cfg),
        interval=timedelta(0),
        callback=AsyncCallback(callback, kwargs=callback_kwargs or {}),
        name="annual_report_deadline",
    )


def annual_report_deadline(cfg: dict[str, Any] | None = None) -> DeadlineAlert | None:
    """The deadline alert, unless ``reporting.deadline_alerts`` is false.

    ``airflow dags test`` / ``dag.test()`` in Airflow 3.3.2 cannot finish a run of a DAG with a
    deadline (DagRun.update_state looks the in-memory alerts up as database ids), so the one-off demo
    and the in-process tests switch it off with RUN_REPORTING__DEADLINE_ALERTS=false; the scheduler
    path (production, and tests/test_deadline_alert.py) keeps it.
    """
    if cfg is None:
        from runreport import settings

        cfg = settings.load()
    if not cfg.reporting.deadline_alerts:
        return None
    return report_deadline_alert(cfg)


class RunSchedulingPlugin(AirflowPlugin):
    name = "run_scheduling"
    timetables = [IsoWeekAnnualTimetable]
    deadline_references = [ReportDeadline]
