"""RUN reminder before the report deadline: a configured time before the deadline (default Monday
of ISO week 5 of Y+1, ``reporting.reminder_iso_week``), tell the data stewards which required
sources for year Y are still missing and which files are rejected and await a corrected version.

Nothing is sent when the final report for Y is written, when nothing is missing, after the
deadline (the "missed" notice speaks then) or a second time for the same year.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task
from run_timetable import reminder_timetable_from_config  # plugins/: the ISO-week schedule

from runreport.dag_policy import one_run_at_a_time


@dag(
    dag_id="run_deadline_reminder",
    description="RUN: påminnelse före tidsgränsen om underlag som saknas eller har avvisats",
    schedule=reminder_timetable_from_config(),
    start_date=pendulum.datetime(2020, 1, 1, tz="UTC"),
    tags=["run", "reminder"],
    params={"year": Param(None, type=["null", "integer"], title="Verksamhetsår",
                          description="Tomt: året som schemat anger (det senaste år vars rapport är förfallen)")},
    doc_md=__doc__,
    **one_run_at_a_time(),
)
def run_deadline_reminder():
    @task
    def remind(**context) -> str:
        from runreport import notify, runcontext

        cfg = runcontext.load_config()
        year = runcontext.year_from_context(context, cfg)
        return notify.remind(cfg, year, dag_id=context["dag"].dag_id, run_id=context["run_id"])

    remind()


run_deadline_reminder()
