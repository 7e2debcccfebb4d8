"""The reporting calendar: when the annual report for a year is run, due and presented.

Pure date logic, no Airflow. Every function takes the **reporting year** ``Y`` (the year the
report is about) and answers with a date in ``Y + 1``, the year the report is produced:

- :func:`run_date`: the annual report DAG runs (default Monday of ISO week 6 of ``Y + 1``);
- :func:`deadline`: the report must be finished (default Monday of ISO week 8 of ``Y + 1``);
- :func:`meeting_thursday`: RUN-riksdagen / dialogmöte 1 meets Thursday–Friday of the meeting
  week (default ISO week 9 of ``Y + 1``), where the report is presented.

The weeks come from ``config/pipeline.yaml`` (section ``reporting``); use
:meth:`ReportingCalendar.from_config` rather than literals. ISO years have 52 or 53 weeks
(2020 and 2026 have 53), so week 53 exists only in some years and is rejected where it
does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Europe/Stockholm"
THURSDAY = 4


def weeks_in_year(year: int) -> int:
    """The number of ISO weeks (52 or 53) of ``year``: 28 December is always in the last week."""
    return date(year, 12, 28).isocalendar().week


def iso_date(year: int, iso_week: int, iso_weekday: int) -> date:
    """The date of ``iso_weekday`` (1 = Monday … 7 = Sunday) in ISO week ``iso_week`` of ``year``."""
    if not 1 <= iso_weekday <= 7:
        raise ValueError(f"ISO weekday must be 1..7, got {iso_weekday}")
    last = weeks_in_year(year)
    if not 1 <= iso_week <= last:
        raise ValueError(f"ISO week {iso_week} does not exist in {year} (it has {last} weeks)")
    return date.fromisocalendar(year, iso_week, iso_weekday)


def run_date(year: int, iso_week: int, iso_weekday: int = 1) -> date:
    """The day the annual report for reporting year ``year`` is run (in ``year + 1``)."""
    return iso_date(year + 1, iso_week, iso_weekday)


def deadline(year: int, iso_week: int, iso_weekday: int = 1) -> date:
    """The day the report for reporting year ``year`` must be finished (in ``year + 1``)."""
    return iso_date(year + 1, iso_week, iso_weekday)


def meeting_thursday(year: int, meeting_week: int) -> date:
    """Thursday of the meeting week in ``year + 1``: the report for ``year`` is presented then."""
    return iso_date(year + 1, meeting_week, THURSDAY)


def local_datetime(day: date, hour: int = 0, tz: str = DEFAULT_TIMEZONE) -> datetime:
    """``day`` at ``hour``:00 wall-clock time in ``tz``, converted to an aware UTC datetime."""
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0..23, got {hour}")
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def reporting_interval(year: int) -> tuple[datetime, datetime]:
    """The data interval of reporting year ``year``: [``year``-01-01, ``year + 1``-01-01) in UTC.

    UTC, not local time, so that ``data_interval_start.year`` is the reporting year wherever it
    is read.
    """
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def reporting_year_of(moment: datetime | date) -> int:
    """The reporting year a data-interval start (or any moment inside the year, UTC) belongs to."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware")
        return moment.astimezone(UTC).year
    return moment.year


@dataclass(frozen=True)
class ReportingCalendar:
    """The configured reporting calendar (``reporting`` section of the configuration)."""

    run_iso_week: int = 6
    run_iso_weekday: int = 1
    deadline_iso_week: int = 8
    deadline_iso_weekday: int = 1
    meeting_iso_week: int = 9
    hour: int = 6
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        for name in ("run_iso_week", "deadline_iso_week", "meeting_iso_week"):
            week = getattr(self, name)
            # Week 53 exists only in some years; a yearly schedule needs a week every year has.
            if not 1 <= week <= 52:
                raise ValueError(f"reporting.{name} must be 1..52, got {week}")
        for name in ("run_iso_weekday", "deadline_iso_weekday"):
            if not 1 <= getattr(self, name) <= 7:
                raise ValueError(f"reporting.{name} must be 1..7, got {getattr(self, name)}")
        if (self.run_iso_week, self.run_iso_weekday) > (self.deadline_iso_week, self.deadline_iso_weekday):
            raise ValueError("reporting: the run must not be after the deadline")
        if (self.deadline_iso_week, self.deadline_iso_weekday) > (self.meeting_iso_week, THURSDAY):
            raise ValueError("reporting: the deadline must not be after the meeting Thursday")
        ZoneInfo(self.timezone)  # raises for an unknown zone

    @classmethod
    def from_config(cls, cfg: dict[str, Any] | None = None) -> ReportingCalendar:
        """Build from a loaded configuration (:func:`runreport.settings.load` when ``cfg`` is None)."""
        if cfg is None:
            from runreport import settings

            cfg = settings.load()
        rep = cfg.reporting
        return cls(run_iso_week=rep.run_iso_week, run_iso_weekday=rep.run_iso_weekday,
                   deadline_iso_week=rep.deadline_iso_week, deadline_iso_weekday=rep.deadline_iso_weekday,
                   meeting_iso_week=rep.meeting_iso_week, hour=rep.run_hour, timezone=rep.timezone)

    def run_date(self, year: int) -> date:
        return run_date(year, self.run_iso_week, self.run_iso_weekday)

    def run_at(self, year: int) -> datetime:
        return local_datetime(self.run_date(year), self.hour, self.timezone)

    def deadline(self, year: int) -> date:
        return deadline(year, self.deadline_iso_week, self.deadline_iso_weekday)

    def deadline_at(self, year: int) -> datetime:
        return local_datetime(self.deadline(year), self.hour, self.timezone)

    def meeting_thursday(self, year: int) -> date:
        return meeting_thursday(year, self.meeting_iso_week)

    def days_before_meeting(self, year: int) -> int:
        return (self.meeting_thursday(year) - self.deadline(year)) // timedelta(days=1)
