"""RUN annual report: partner files -> validated warehouse -> contributions and carry-over -> the
Swedish annual report (verksamhetsberättelse) for reporting year Y, before ISO week 9 of Y+1.

Each task is one call into the ``runreport`` package; every task is idempotent and keyed by the
reporting year (the triggering asset events' ``extra["years"]``, else param ``year``, else the
run's data interval). ``publish`` writes the stewards' page ``<output>/<tenant>/<year>/korning.html``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import AssetAny, AssetOrTimeSchedule, Param, dag, task
from run_timetable import annual_report_deadline, timetable_from_config  # plugins/: the ISO-week schedule

from runreport.dag_policy import one_run_at_a_time
from runreport.ingest_schedule import source_assets


def _year_help() -> str:
    """The trigger form's help for ``year``, naming the year an empty field reports today."""
    from run_timetable import latest_due_year_now

    return (f"Verksamhetsåret som rapporten gäller. Lämna tomt för det senaste år vars rapport är förfallen "
            f"(i dag {latest_due_year_now()}).")


@dag(
    dag_id="run_annual_report",
    description="RUN: verksamhetsberättelse, kommunbidrag och överskjutande medel för ett år",
    # Monday of ISO week 6 of Y+1 for year Y (config/pipeline.yaml), and also whenever run_ingest
    # publishes a new or corrected partner file (run://<tenant>/<source>): then the year comes from
    # the asset event's extra["years"].
    schedule=AssetOrTimeSchedule(timetable=timetable_from_config(), assets=AssetAny(*source_assets().values())),
    deadline=annual_report_deadline(),   # stewards are told if Y is not done by Monday of week 8
    start_date=pendulum.datetime(2020, 1, 1, tz="UTC"),
    tags=["run", "annual-report"],
    params={"year": Param(None, type=["null", "integer"], title="Verksamhetsår", description=_year_help())},
    doc_md=__doc__,
    **one_run_at_a_time(),
)
def run_annual_report():
    @task
    def collect(**context) -> dict:
        from runreport import pipeline, runcontext

        cfg = runcontext.load_config()
        return pipeline.collect_files(cfg, runcontext.year_from_context(context, cfg), runcontext.staging_key(context))

    @task
    def validate(collected: dict, **context) -> dict:
        from runreport import pipeline, runcontext

        cfg = runcontext.load_config()
        year = runcontext.year_from_context(context, cfg)
        return pipeline.validate_files(cfg, year, runcontext.pseudonym_secret(cfg), run_name=str(year),
                                       run_key=runcontext.staging_key(context))

    # load runs after a failed validation too: the other files load and the rejected one is logged
    # with its reasons, while compute and report (downstream of validate) stay blocked.
    @task(trigger_rule="all_done")
    def load(**context) -> dict:
        from runreport import notify, pipeline, runcontext

        cfg = runcontext.load_config()
        year = runcontext.year_from_context(context, cfg)
        totals = pipeline.load_files(cfg, year, runcontext.staging_key(context))
        if totals["resolved"]:
            notify.files_resolved(cfg, year, totals["resolved"], dag_id=context["dag"].dag_id, run_id=context["run_id"])
        return totals

    @task
    def compute(validated: dict, loaded: dict, **context) -> dict:
        from runreport import pipeline, runcontext

        cfg = runcontext.load_config()
        return pipeline.compute(cfg, runcontext.year_from_context(context, cfg))

    @task
    def report(computed: dict, **context) -> dict:
        from runreport import pipeline, runcontext

        cfg = runcontext.load_config()
        return pipeline.report(cfg, runcontext.year_from_context(context, cfg))

    # The stewards' page is written whatever happened upstream (a rejected file is exactly what they
    # need to read about). As a teardown it does not decide the run's state: report (or the task that
    # failed before it) does.
    @task
    def publish(**context) -> dict:
        from runreport import run_summary, runcontext

        cfg = runcontext.load_config()
        from runreport import pipeline

        figures = context["ti"].xcom_pull(task_ids="compute") or {}
        year = runcontext.year_from_context(context, cfg)
        try:
            return run_summary.publish(cfg, year, run=run_summary.run_facts(context.get("dag_run")), figures=figures,
                                       run_key=runcontext.staging_key(context))
        finally:
            pipeline.clear_staging(cfg, year, runcontext.staging_key(context))  # the partners' raw files are not kept after the run

    collected = collect()
    validated = validate(collected)
    loaded = load()
    validated >> loaded
    reported = report(compute(validated, loaded))
    reported >> publish().as_teardown(setups=collected)


run_annual_report()
