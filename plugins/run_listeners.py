"""Airflow plugin: the scheduler writes each run's reporting year on the run as its note.

When a run of one of the product's DAGs starts, the scheduler calls :func:`on_dag_run_running`
(an Airflow listener); it decides the year with the same function the tasks use
(:func:`runreport.runcontext.run_note`) and sets the run's note, e.g. "Verksamhetsår 2025 (från
schemat …)" or "Verksamhetsår 2025 (inget år angavs: det senaste år vars rapport är förfallen)".
The note shows on the run page and in the runs list. A note a person already wrote is kept.
"""

from __future__ import annotations

import logging
import sys

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

log = logging.getLogger(__name__)


@hookimpl
def on_dag_run_running(dag_run, msg):  # noqa: ANN001 - Airflow's listener spec
    try:
        if dag_run.note:
            return
        from runreport import runcontext, settings

        note = runcontext.run_note(
            dag_run.dag_id, conf=dag_run.conf, asset_events=list(dag_run.consumed_asset_events or ()),
            data_interval_start=dag_run.data_interval_start, data_interval_end=dag_run.data_interval_end,
            logical_date=dag_run.logical_date, run_after=dag_run.run_after, cfg=settings.load())
        if note:
            dag_run.note = note
    except Exception:  # a listener must never stop the scheduler
        log.exception("run_listeners: could not write the reporting year on %s", getattr(dag_run, "run_id", "?"))


class RunListenersPlugin(AirflowPlugin):
    name = "run_listeners"
    listeners = [sys.modules[__name__]]
