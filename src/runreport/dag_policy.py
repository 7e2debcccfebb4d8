"""How every scheduled RUN DAG runs: no catch-up of missed intervals (the year comes from the run,
not from a backlog), one run at a time (a year's steps never race each other), no automatic retry
(a rejected file is not fixed by trying again), and every failed task told to the stewards
(:class:`runreport.notifier.RunNotifier`). DAG files take it as ``**one_run_at_a_time()``."""

from __future__ import annotations

from typing import Any


def one_run_at_a_time() -> dict[str, Any]:
    from runreport.notifier import RunNotifier

    return {"catchup": False, "max_active_runs": 1,
            "default_args": {"on_failure_callback": RunNotifier(), "retries": 0}}
