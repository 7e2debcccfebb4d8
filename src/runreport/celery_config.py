"""Airflow's Celery configuration, plus a worker that imports RUN's libraries once, at start-up.

Airflow's Celery worker runs each task in a process forked from its pool process, so whatever the
worker imported before forking, every task starts with. :data:`CELERY_CONFIG` is Airflow's own
default Celery configuration with one module added to Celery's ``imports`` (imported by the worker
when it starts, before its pool forks): :mod:`runreport.warm_worker`, which imports pandas,
SQLAlchemy, python-docx, matplotlib's figure API and Great Expectations. A validate task then starts
with GX imported (about 1.7 s and 150 MB saved per task; the forked tasks share those pages).

Deployments set ``[celery] celery_config_options = runreport.celery_config.CELERY_CONFIG``
(``docker-compose.yaml``; the Celery stack test ``tests/test_distributed.py``). Only the Celery app
imports this module, never a DAG file. The validate step logs whether it found GX imported.
"""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

CELERY_CONFIG = {**DEFAULT_CELERY_CONFIG,
                 "imports": (*(DEFAULT_CELERY_CONFIG.get("imports") or ()), "runreport.warm_worker")}
