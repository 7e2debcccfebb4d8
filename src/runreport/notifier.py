"""The DAGs' failure notifier, on Airflow's notifier mechanism (``BaseNotifier``):
``on_failure_callback=RunNotifier()``. What it says is :func:`runreport.notify.task_failed`."""

from __future__ import annotations

from airflow.sdk import BaseNotifier


class RunNotifier(BaseNotifier):
    """Tell the data stewards, in Swedish, that a task failed (or which files were rejected)."""

    template_fields = ()

    def notify(self, context):  # noqa: ANN001 - Airflow's Context
        from runreport.notify import task_failed

        task_failed(context)


class ApprovalWaiting(BaseNotifier):
    """Tell finance that invoices wait for its approval (the HITL step's ``notifiers``)."""

    template_fields = ()

    def notify(self, context):  # noqa: ANN001 - Airflow's Context
        from runreport.notify import approval_waiting

        approval_waiting(context)
