"""RUN ingestion, daily: the partners' new or corrected files -> validated warehouse, published as
Assets so the annual report recomputes the years they affect.

plan -> collect -> validate -> load -> publish_<source> (one per source; outlet ``run://<tenant>/<source>``)

``plan`` compares the inbox with the warehouse's ``ingested_file`` log: a per-year file affects its
year, a year-less reference file (members, agreements, population) every year the inbox holds. One
pass stages them all (collect is cumulative up to the latest affected year). Each ``publish_<source>``
task emits its asset event with ``extra={"years": [...], "files": [...]}`` only when that source had
pending files (else it is skipped: no event). Nothing new: everything after ``plan`` is skipped.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronTriggerTimetable, dag, task

from runreport.dag_policy import one_run_at_a_time
from runreport.ingest_schedule import source_assets

SOURCE_ASSETS = source_assets()  # reads config/pipeline.yaml for the tenant; no DB, no Airflow calls


@dag(
    dag_id="run_ingest",
    description="RUN: nya och rättade filer från partnerna in i lagret, publicerade som Assets",
    schedule=CronTriggerTimetable("0 5 * * *", timezone="Europe/Stockholm"),  # daily, before the 06:00 report
    start_date=pendulum.datetime(2025, 1, 1, tz="Europe/Stockholm"),
    tags=["run", "ingest"],
    doc_md=__doc__,
    **one_run_at_a_time(),
)
def run_ingest():
    @task
    def plan() -> dict:
        from runreport import ingest_schedule, runcontext

        return ingest_schedule.pending_plan(runcontext.load_config())

    @task
    def collect(planned: dict, **context) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from runreport import pipeline, runcontext

        if planned["year"] is None:
            raise AirflowSkipException("Inga nya filer i inkorgen / no new files in the inbox")
        return pipeline.collect_files(runcontext.load_config(), planned["year"], runcontext.staging_key(context))

    @task
    def validate(collected: dict, planned: dict, **context) -> dict:
        from runreport import pipeline, runcontext

        cfg = runcontext.load_config()
        return pipeline.validate_files(cfg, planned["year"], runcontext.pseudonym_secret(cfg),
                                       run_name=f"ingest-{planned['year']}", run_key=runcontext.staging_key(context))

    # like the annual DAG: load also after a failed validation, so the rejected file is logged with
    # its reasons (and not re-validated every day) while the other files load
    @task(trigger_rule="all_done")
    def load(planned: dict, **context) -> dict:
        from runreport import delivery_page, notify, pipeline, runcontext

        if planned["year"] is None:
            return {"files_loaded": 0, "rows_loaded": 0, "rows_quarantined": 0, "resolved": []}
        cfg = runcontext.load_config()
        totals = pipeline.load_files(cfg, planned["year"], runcontext.staging_key(context))
        delivery_page.publish(cfg, planned["year"])   # the stewards' checklist after every ingest
        if totals["resolved"]:
            notify.files_resolved(cfg, planned["year"], totals["resolved"], dag_id=context["dag"].dag_id,
                                  run_id=context["run_id"])
        return totals

    # The run's state: failed when validate rejected a file (this leaf is then upstream_failed),
    # even though load and the publish tasks still run for the files that passed.
    @task(trigger_rule="none_failed", on_failure_callback=None)
    def done(loaded: dict) -> dict:
        return loaded

    # whatever happened, the partners' raw files do not stay in staging after the run
    @task
    def clear_staging(planned: dict, **context) -> bool:
        from runreport import pipeline, runcontext

        return planned["year"] is not None and pipeline.clear_staging(runcontext.load_config(), planned["year"],
                                                                      runcontext.staging_key(context))

    planned = plan()
    collected = collect(planned)
    validated = validate(collected, planned)
    loaded = load(planned)
    validated >> loaded
    finished = done(loaded)
    validated >> finished
    finished >> clear_staging(planned).as_teardown(setups=collected)

    for source, asset in SOURCE_ASSETS.items():

        @task(task_id=f"publish_{source}", outlets=[asset])
        def publish(loaded: dict, planned: dict, source: str = source, asset=asset, **context) -> dict:
            from airflow.sdk.exceptions import AirflowSkipException

            years = planned["by_source"].get(source)
            if not years:
                raise AirflowSkipException(f"Inga nya filer för {source} / no new files for {source}")
            extra = {"years": years, "files": planned["files"].get(source, [])}
            context["outlet_events"][asset].extra = extra
            return extra

        publish(loaded, planned) >> finished


run_ingest()
