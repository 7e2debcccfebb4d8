"""Every regional network (tenant) in one run: for each network in ``config/tenants/`` (or
``$RUN_TENANTS_DIR``) collect -> validate -> load -> compute -> report -> prepare invoices, for
reporting year Y, then the network's run page for its data stewards (``publish``: ``korning.html``).

The networks are listed at run time (``networks``) and the per-network chain is a mapped task
group (``.expand(tenant=...)``): network *i*'s tasks wait only for network *i*'s upstream tasks,
so one network whose files are rejected blocks its own compute/report/invoices, never another's.
Each task is one call into ``runreport`` with that network's configuration
(:func:`runreport.tenants.load_tenant`: pipeline.yaml < Variable ``run_config`` < tenant file < env).

Invoices are only *prepared* here (status ``prepared``, in ``<output>/<tenant>/<Y>/invoices/prepared``);
finance approves and releases them per network with ``run_invoices``, as for a single network.
The warehouse is shared. PostgreSQL takes the networks' writes in parallel; SQLite has one writer,
so there a network's write waits (up to 300 s) while another's transaction commits.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task, task_group


def _config(tenant: str):
    from runreport import runcontext, settings

    cfg = settings.load(tenant)
    runcontext.learn_names(cfg)   # this network's registrants' names are masked in this process too
    return cfg


def _year(context, cfg) -> int:
    from runreport import runcontext

    return runcontext.year_from_context(context, cfg)


@dag(
    dag_id="run_all_networks",
    description="Alla nätverk: verksamhetsberättelse, kommunbidrag och fakturaunderlag per nätverk",
    schedule=None,
    start_date=pendulum.datetime(2020, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 0},
    tags=["run", "annual-report", "networks"],
    params={"year": Param(None, type=["null", "integer"], description="Reporting year (default: from the run)")},
    doc_md=__doc__,
)
def run_all_networks():
    @task
    def networks() -> list[str]:
        from runreport import tenants

        found = tenants.list_tenants()
        if not found:
            raise RuntimeError(f"no tenant files in {tenants.tenants_dir()}")
        return found

    @task_group(group_id="network")
    def network(tenant: str):
        @task
        def collect(tenant: str, **context) -> dict:
            from runreport import pipeline, runcontext

            cfg = _config(tenant)
            return pipeline.collect_files(cfg, _year(context, cfg), runcontext.staging_key(context))

        @task
        def validate(tenant: str, collected: dict, **context) -> dict:
            from runreport import pipeline, runcontext

            cfg = _config(tenant)
            year = _year(context, cfg)
            return pipeline.validate_files(cfg, year, runcontext.pseudonym_secret(cfg), run_name=str(year),
                                           run_key=runcontext.staging_key(context))

        # as in run_annual_report: load runs after a failed validation too (the other files load,
        # the rejected one is logged); compute and report stay blocked.
        @task(trigger_rule="all_done")
        def load(tenant: str, **context) -> dict:
            from runreport import pipeline, runcontext

            cfg = _config(tenant)
            return pipeline.load_files(cfg, _year(context, cfg), runcontext.staging_key(context))

        @task
        def compute(tenant: str, validated: dict, loaded: dict, **context) -> dict:
            from runreport import pipeline

            cfg = _config(tenant)
            return pipeline.compute(cfg, _year(context, cfg))

        @task
        def report(tenant: str, computed: dict, **context) -> dict:
            from runreport import pipeline

            cfg = _config(tenant)
            return pipeline.report(cfg, _year(context, cfg))

        @task
        def prepare_invoices(tenant: str, reported: dict, **context) -> dict:
            from runreport import pipeline
            from runreport.invoicing.issue import prepare_invoices as prepare

            cfg = _config(tenant)
            with pipeline.sessions(cfg)() as session:
                return prepare(session, cfg, _year(context, cfg))

        # The stewards' run page per network (korning.html), whatever happened before it: what was
        # collected, validated, quarantined and produced, as run_annual_report's publish writes it.
        # A teardown, so that it does not decide the run's state: a network that failed fails the run.
        @task
        def publish(tenant: str, **context) -> dict:
            from runreport import pipeline, run_summary, runcontext

            cfg = _config(tenant)
            ti = context["ti"]
            figures = ti.xcom_pull(task_ids="network.compute", map_indexes=ti.map_index) or {}
            year, key = _year(context, cfg), runcontext.staging_key(context)
            try:
                return run_summary.publish(cfg, year, run=run_summary.run_facts(context.get("dag_run")),
                                           figures=figures, run_key=key)
            finally:
                pipeline.clear_staging(cfg, year, key)  # the network's staging is not kept after the run

        collected = collect(tenant)
        validated = validate(tenant, collected)
        loaded = load(tenant)
        validated >> loaded
        prepared = prepare_invoices(tenant, report(tenant, compute(tenant, validated, loaded)))
        prepared >> publish(tenant).as_teardown(setups=collected)

    network.expand(tenant=networks())


run_all_networks()
