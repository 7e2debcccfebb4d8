"""The annual-report timetable (plugins/run_timetable.py) and the reporting calendar (runreport.schedule)."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pendulum
import pytest

from runreport import config, schedule

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))

from airflow.timetables.base import DataInterval, TimeRestriction  # noqa: E402
from run_timetable import (  # noqa: E402
    IsoWeekAnnualTimetable,
    ReportDeadline,
    RunSchedulingPlugin,
    deadline_from_config,
    report_deadline_alert,
    timetable_from_config,
)

CFG = config.load()
REP = CFG.reporting.model_dump()


def utc(*args) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="UTC")


@pytest.fixture
def tt() -> IsoWeekAnnualTimetable:
    return timetable_from_config(CFG)


# -- runreport.schedule ---------------------------------------------------------------------------


def test_weeks_in_year_long_years():
    assert schedule.weeks_in_year(2020) == 53
    assert schedule.weeks_in_year(2026) == 53
    assert [y for y in range(2019, 2033) if schedule.weeks_in_year(y) == 53] == [2020, 2026, 2032]
    assert schedule.weeks_in_year(2025) == 52


@pytest.mark.parametrize("year", range(2019, 2032))
def test_run_deadline_meeting_dates(year):
    cal = schedule.ReportingCalendar.from_config(CFG)
    assert cal.run_date(year) == date.fromisocalendar(year + 1, REP["run_iso_week"], REP["run_iso_weekday"])
    assert cal.deadline(year) == date.fromisocalendar(
        year + 1, REP["deadline_iso_week"], REP["deadline_iso_weekday"]
    )
    assert cal.meeting_thursday(year) == date.fromisocalendar(year + 1, REP["meeting_iso_week"], 4)
    assert cal.run_date(year) < cal.deadline(year) < cal.meeting_thursday(year)


def test_domain_meeting_examples():
    # DOMAIN.md: week 9 Thursday of 2026 is 26 Feb, of 2027 4 Mar (reports for 2025 and 2026).
    assert schedule.meeting_thursday(2025, 9) == date(2026, 2, 26)
    assert schedule.meeting_thursday(2026, 9) == date(2027, 3, 4)


def test_week_53_only_in_long_years():
    assert schedule.iso_date(2026, 53, 1) == date(2026, 12, 28)
    assert schedule.iso_date(2020, 53, 4) == date(2020, 12, 31)
    with pytest.raises(ValueError, match="does not exist"):
        schedule.iso_date(2025, 53, 1)
    with pytest.raises(ValueError):
        schedule.ReportingCalendar(run_iso_week=53)


def test_local_time_is_stockholm():
    # 06:00 in Stockholm in February (CET, UTC+1) is 05:00 UTC.
    assert schedule.local_datetime(date(2026, 2, 2), 6) == datetime(2026, 2, 2, 5, tzinfo=UTC)


def test_calendar_rejects_deadline_after_meeting():
    with pytest.raises(ValueError, match="deadline"):
        schedule.ReportingCalendar(deadline_iso_week=10, meeting_iso_week=9)


def test_calendar_follows_configuration_overrides():
    cfg = config.load(overrides={"reporting": {"run_iso_week": 5, "meeting_iso_week": 7,
                                               "deadline_iso_week": 6}}, environ={})
    cal = schedule.ReportingCalendar.from_config(cfg)
    assert cal.run_date(2025) == date(2026, 1, 26)
    assert cal.meeting_thursday(2025) == date(2026, 2, 12)


# -- the timetable ------------------------------------------------------------------------------


@pytest.mark.parametrize("year", range(2025, 2031))
def test_next_run_per_reporting_year(tt, year):
    last = DataInterval(utc(year - 1, 1, 1), utc(year, 1, 1))
    info = tt.next_dagrun_info(
        last_automated_data_interval=last,
        restriction=TimeRestriction(earliest=utc(2020, 1, 1), latest=None, catchup=True),
    )
    assert info is not None
    assert info.run_after.date() == date.fromisocalendar(year + 1, 6, 1)
    run_day = date.fromisocalendar(year + 1, 6, 1)
    assert info.run_after == pendulum.datetime(run_day.year, run_day.month, run_day.day, 6, tz="Europe/Stockholm")
    assert info.data_interval == DataInterval(utc(year, 1, 1), utc(year + 1, 1, 1))
    assert info.data_interval.start.year == year
    assert info.logical_date == utc(year, 1, 1)


def test_runs_after_53_week_years(tt):
    # 2026 has 53 weeks: the run for 2026 (week 6 of 2027) is 53 weeks after the run for 2025.
    assert tt.run_at(2025).date() == date(2026, 2, 2)
    assert tt.run_at(2026).date() == date(2027, 2, 8)
    assert tt.run_at(2026) - tt.run_at(2025) == timedelta(weeks=53)
    # 2020 too: the run for 2020 (week 6 of 2021) is 53 weeks after the run for 2019.
    assert tt.run_at(2019).date() == date(2020, 2, 3)
    assert tt.run_at(2020).date() == date(2021, 2, 8)
    assert tt.run_at(2021).date() == date(2022, 2, 7)


def test_first_run_with_catchup_starts_at_start_date_year(tt):
    info = tt.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=utc(2020, 1, 1), latest=None, catchup=True),
    )
    assert info.data_interval.start == utc(2020, 1, 1)
    assert info.run_after.date() == date(2021, 2, 8)


def test_start_date_mid_year_aligns_to_next_year(tt):
    info = tt.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=pendulum.datetime(2021, 1, 1, tz="Europe/Stockholm"),
                                    latest=None, catchup=True),
    )
    # 2021-01-01 00:00 Stockholm is 2020-12-31 23:00 UTC: the first whole year is 2021.
    assert info.data_interval.start == utc(2021, 1, 1)


def test_catchup_off_skips_to_latest_due_year(tt, monkeypatch):
    now = utc(2026, 11, 23, 12)
    monkeypatch.setattr(pendulum, "now", lambda tz=None: now)
    restriction = TimeRestriction(earliest=utc(2018, 1, 1), latest=None, catchup=False)
    info = tt.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    # The latest run already due on 2026-11-23 is the one for 2025 (run 2026-02-02).
    assert info.data_interval.start.year == 2025
    # After it, the next is 2026, due in 2027.
    info2 = tt.next_dagrun_info(last_automated_data_interval=info.data_interval, restriction=restriction)
    assert info2.data_interval.start.year == 2026
    assert info2.run_after.date() == date(2027, 2, 8)
    # An old last run is not caught up either.
    old = DataInterval(utc(2019, 1, 1), utc(2020, 1, 1))
    info3 = tt.next_dagrun_info(last_automated_data_interval=old, restriction=restriction)
    assert info3.data_interval.start.year == 2025


def test_catchup_off_before_the_run_week(tt, monkeypatch):
    now = utc(2026, 1, 15)
    monkeypatch.setattr(pendulum, "now", lambda tz=None: now)
    restriction = TimeRestriction(earliest=utc(2018, 1, 1), latest=None, catchup=False)
    info = tt.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert info.data_interval.start.year == 2024  # the 2025 report is not due until 2026-02-02


def test_catchup_on_iterates_every_year(tt):
    restriction = TimeRestriction(earliest=utc(2020, 1, 1), latest=utc(2024, 12, 31), catchup=True)
    years, last = [], None
    while (info := tt.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)):
        years.append(info.data_interval.start.year)
        last = info.data_interval
    assert years == [2020, 2021, 2022, 2023, 2024]


def test_no_start_date_no_schedule(tt):
    restriction = TimeRestriction(earliest=None, latest=None, catchup=True)
    assert tt.next_dagrun_info(last_automated_data_interval=None, restriction=restriction) is None


def test_latest_bounds_schedule(tt):
    restriction = TimeRestriction(earliest=utc(2020, 1, 1), latest=utc(2022, 6, 1), catchup=True)
    last = DataInterval(utc(2022, 1, 1), utc(2023, 1, 1))
    assert tt.next_dagrun_info(last_automated_data_interval=last, restriction=restriction) is None


@pytest.mark.parametrize(
    ("run_after", "year"),
    [
        (utc(2026, 2, 2, 5), 2025),
        (utc(2026, 11, 23, 7), 2025),
        (utc(2027, 1, 10), 2026),
        # New Year's night in Stockholm already counts as the new year.
        (utc(2026, 12, 31, 23, 30), 2026),
        # A logical date exactly at a year start selects that year (airflow dags test DAG 2025-01-01).
        (utc(2025, 1, 1), 2025),
    ],
)
def test_infer_manual_data_interval(tt, run_after, year):
    interval = tt.infer_manual_data_interval(run_after=run_after)
    assert interval == DataInterval(utc(year, 1, 1), utc(year + 1, 1, 1))


def test_serialization_round_trip():
    tt = IsoWeekAnnualTimetable(iso_week=5, iso_weekday=3, hour=7)
    data = tt.serialize()
    assert data == {"iso_week": 5, "iso_weekday": 3, "hour": 7, "timezone": "Europe/Stockholm"}
    assert IsoWeekAnnualTimetable.deserialize(data) == tt
    assert IsoWeekAnnualTimetable.deserialize(data).run_at(2025) == tt.run_at(2025)


def test_serialized_dag_round_trip(monkeypatch):
    """Through Airflow's own DAG serializer, with the timetable registered as a plugin."""
    from airflow import plugins_manager
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG
    from airflow.serialization.serialized_objects import DagSerialization

    monkeypatch.setattr(plugins_manager, "_get_plugins", lambda: ([RunSchedulingPlugin()], {}))
    for fn in ("get_timetables_plugins", "get_deadline_references_plugins"):
        getattr(plugins_manager, fn).cache_clear()
    try:
        with DAG("tt_roundtrip", schedule=timetable_from_config(CFG), start_date=utc(2020, 1, 1),
                 deadline=report_deadline_alert(CFG)) as dag:
            EmptyOperator(task_id="noop")
        data = DagSerialization.to_dict(dag)
        back = DagSerialization.from_dict(data)
    finally:
        for fn in ("get_timetables_plugins", "get_deadline_references_plugins"):
            getattr(plugins_manager, fn).cache_clear()
    assert isinstance(back.timetable, IsoWeekAnnualTimetable)
    assert back.timetable == timetable_from_config(CFG)
    assert back.timetable.summary.startswith("ISO week 6/1")
    assert "ISO week 6" in back.timetable.description


def test_summary_and_validation():
    from airflow.exceptions import AirflowTimetableInvalid

    assert IsoWeekAnnualTimetable().summary == "ISO week 6/1 06:00 (year after)"
    with pytest.raises(AirflowTimetableInvalid):
        IsoWeekAnnualTimetable(iso_week=53)
    with pytest.raises(AirflowTimetableInvalid):
        IsoWeekAnnualTimetable(iso_weekday=8)


def test_plugin_registers_timetable_and_deadline_reference():
    assert IsoWeekAnnualTimetable in RunSchedulingPlugin.timetables
    assert ReportDeadline in RunSchedulingPlugin.deadline_references


# -- the deadline reference ---------------------------------------------------------------------


@pytest.mark.parametrize("year", range(2025, 2031))
def test_report_deadline_is_configured_monday(year):
    ref = deadline_from_config(CFG)
    moment = ref.deadline_for(year)
    local = moment.in_timezone("Europe/Stockholm")
    assert local.date() == date.fromisocalendar(year + 1, REP["deadline_iso_week"], REP["deadline_iso_weekday"])
    assert local.hour == 6
    assert local.date() < schedule.meeting_thursday(year, REP["meeting_iso_week"])


def test_report_deadline_serialization_round_trip():
    ref = ReportDeadline(iso_week=7, iso_weekday=2, hour=9)
    data = ref.serialize_reference()
    assert data["reference_type"] == "ReportDeadline"
    assert ReportDeadline.deserialize_reference(data) == ref


def test_report_deadline_decodes_as_custom_reference(monkeypatch):
    from airflow import plugins_manager
    from airflow.serialization.decoders import decode_deadline_reference
    from airflow.serialization.encoders import encode_deadline_reference

    monkeypatch.setattr(plugins_manager, "_get_plugins", lambda: ([RunSchedulingPlugin()], {}))
    plugins_manager.get_deadline_references_plugins.cache_clear()
    try:
        encoded = encode_deadline_reference(ReportDeadline(iso_week=7))
        assert encoded["__class_path"] == "run_timetable.ReportDeadline"
        decoded = decode_deadline_reference(encoded)
    finally:
        plugins_manager.get_deadline_references_plugins.cache_clear()
    assert decoded.inner_ref == ReportDeadline(iso_week=7)


def test_deadline_alert_uses_async_callback():
    from airflow.sdk import AsyncCallback

    alert = report_deadline_alert(CFG)
    assert isinstance(alert.callback, AsyncCallback)
    assert alert.callback.path == "runreport.notify.deadline_missed"
    assert alert.interval == timedelta(0)
    assert alert.reference == ReportDeadline(8, 1, 6, "Europe/Stockholm")


def test_the_plugins_schedules_follow_the_variable_run_config(monkeypatch):
    """The reminder's timetable and the deadline alert are built by the scheduler's plugin with the one
    loader, so the Variable ``run_config`` applies to them as to the annual timetable."""
    import json

    from run_timetable import annual_report_deadline, reminder_timetable_from_config

    monkeypatch.setenv("AIRFLOW_VAR_RUN_CONFIG", json.dumps(
        {"reporting": {"deadline_alerts": False, "run_hour": 5, "reminder_iso_week": 4}}))
    reminder = reminder_timetable_from_config()
    assert (reminder.iso_week, reminder.hour) == (4, 5)
    assert annual_report_deadline() is None
