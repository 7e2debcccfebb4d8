"""The reporting year is decided in one place (runreport.runcontext.decide_year) from what the
scheduler gives. The first case is the harm of issue 13: Airflow 3.3's scheduler creates the week-6
run with logical date == data interval start (2025-01-01), and the run reported 2024."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pendulum
import pytest

from runreport import config, schedule
from runreport.runcontext import decide_year, latest_due_year, year_from_context

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))

from run_timetable import IsoWeekAnnualTimetable  # noqa: E402

CAL = schedule.ReportingCalendar()


def test_scheduled_week6_run_reports_the_previous_calendar_year():
    tt = IsoWeekAnnualTimetable()
    info = tt.dagrun_info(2025)   # what the scheduler creates on Monday of week 6 of 2026
    assert info.run_after.date().isoformat() == "2026-02-02"
    # Airflow 3.3: the run's logical date equals its data interval start
    ctx = {"params": {"year": None}, "logical_date": info.data_interval.start,
           "data_interval_start": info.data_interval.start, "data_interval_end": info.data_interval.end}
    assert year_from_context(ctx, config.load({"reporting": {"demo_year": 2001}}, environ={})) == 2025
    d = decide_year(data_interval_start=info.data_interval.start, data_interval_end=info.data_interval.end,
                    run_after=info.run_after, calendar=CAL)
    assert (d.year, d.how) == (2025, "schedule")
    assert "Verksamhetsår 2025" in d.note_sv


def test_scheduled_run_id_names_the_reporting_year():
    from airflow.utils.types import DagRunType

    tt = IsoWeekAnnualTimetable()
    info = tt.dagrun_info(2025)
    run_id = tt.generate_run_id(run_type=DagRunType.SCHEDULED, run_after=info.run_after,
                                data_interval=info.data_interval)
    assert run_id.startswith("scheduled__verksamhetsar-2025_2026-02-02")
    manual = tt.generate_run_id(run_type=DagRunType.MANUAL, run_after=pendulum.datetime(2026, 12, 1),
                                data_interval=None)
    assert manual.startswith("manual__2026-12-01") and "verksamhetsar" not in manual


@pytest.mark.parametrize(("now", "year"), [
    (datetime(2026, 12, 1, tzinfo=UTC), 2025),
    (datetime(2026, 2, 2, 4, 59, tzinfo=UTC), 2024),   # 05:59 Stockholm: week-6 run not yet due
    (datetime(2026, 2, 2, 5, 0, tzinfo=UTC), 2025),    # 06:00 Stockholm
    (datetime(2027, 1, 3, tzinfo=UTC), 2025),          # 2026 is reported only in Feb 2027
])
def test_manual_trigger_without_year_reports_the_latest_due_year(now, year):
    assert latest_due_year(now, CAL) == year
    d = decide_year(run_after=now, calendar=CAL)
    assert (d.year, d.how) == (year, "latest_due")
    assert "senaste år vars rapport är förfallen" in d.note_sv


def test_explicit_param_then_asset_years_then_interval():
    start, end = schedule.reporting_interval(2023)
    assert decide_year(params_year=2021, asset_years=[2024], data_interval_start=start,
                       data_interval_end=end).year == 2021
    d = decide_year(asset_years=[2023, 2024], run_after=datetime(2026, 12, 1, tzinfo=UTC))
    assert (d.year, d.how) == (2024, "assets")
    # an interval that is not one whole year (e.g. a daily cron) says nothing about the year
    d = decide_year(data_interval_start=datetime(2026, 3, 1, tzinfo=UTC),
                    data_interval_end=datetime(2026, 3, 2, tzinfo=UTC), run_after=datetime(2026, 3, 2, tzinfo=UTC))
    assert (d.year, d.how) == (2025, "latest_due")


def test_no_information_at_all_is_an_error_not_a_guess():
    with pytest.raises(ValueError):
        decide_year()
    assert decide_year(default_year=2025).how == "default"
