"""RUN invoices: each member municipality's contribution (kommunbidrag) for year Y as Peppol BIS
Billing 3.0 e-invoices, issued at the start of year Y.

prepare (drafts, no numbers) -> anything_to_approve -> approval (finance, in the Airflow UI:
Required actions; a table per municipality) -> release ("Godkänn och skicka": numbers from the
unbroken series, Peppol check, outbox + manifest) | reject ("Avslå", with a reason; no number used).

Nothing reaches ``<output>/invoices/outbox/`` before someone in finance approves. A re-run with unchanged
contributions issues nothing and asks nothing; a changed contribution gives a credit note plus a new
invoice. The year is the ``year`` param, else the year of the scheduled day (15 January of Y
invoices Y), else the calendar year the run was started in; the scheduler writes it on the run as
its note. Any year from ``balance.first_year`` works; a year before it, or one whose members,
agreement rate or population are missing, fails at once and says why (nothing is prepared).
The schedule is ``invoicing.issue_month_day`` of the configuration ("01-15" -> 15 January, 06:00).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from runreport.dag_policy import one_run_at_a_time
from runreport.finance_approval import FinanceApproval
from runreport.notifier import ApprovalWaiting


def _issue_cron() -> str:
    """Cron for the issue day from the settings (:func:`runreport.settings.load`, the Variable too)."""
    try:
        from runreport import settings

        month_day = settings.load().invoicing.issue_month_day
        month, day = (int(x) for x in month_day.split("-"))
    except Exception:  # noqa: BLE001 - a broken config must not break DAG parsing
        month, day = 1, 15
    return f"0 6 {day} {month} *"


def _approvers() -> list[dict] | None:
    """``invoicing.approvers``: the user ids of the finance users who may answer the approval (as
    Airflow's ``assigned_users``, {"id", "name"}); none configured: anyone Airflow lets act on the DAG."""
    try:
        from runreport import settings

        return [{"id": user, "name": user} for user in settings.load().invoicing.approvers] or None
    except Exception:  # noqa: BLE001 - a broken config must not break DAG parsing
        import logging

        logging.getLogger(__name__).exception("invoicing.approvers not read: anyone allowed may approve")
        return None


@dag(
    dag_id="run_invoices",
    description="RUN: fakturor för kommunbidrag (Peppol BIS Billing 3.0), godkänns av ekonomi",
    schedule=_issue_cron(),
    start_date=pendulum.datetime(2020, 1, 1, tz="Europe/Stockholm"),
    tags=["run", "invoices"],
    params={
        "year": Param(None, type=["null", "integer"], title="Fakturaår",
                      description="Året vars kommunbidrag faktureras. Tomt: schemats år, annars innevarande år."),
        "tenant": Param(None, type=["null", "string"],
                        description="Network (config/tenants/<tenant>.yaml); default: config/pipeline.yaml"),
    },
    doc_md=__doc__,
    **one_run_at_a_time(),
)
def run_invoices():
    def _setup(context) -> tuple:  # noqa: ANN001
        from runreport import settings
        from runreport.runcontext import decide_invoice_year
        from runreport.steps.common import sessions

        cfg = settings.load(context["params"].get("tenant"))
        dag_run = context.get("dag_run")
        year = decide_invoice_year(params_year=context["params"].get("year"), logical_date=context.get("logical_date"),
                                   run_after=getattr(dag_run, "run_after", None)).year
        return cfg, int(year), sessions(cfg)

    @task
    def prepare(**context) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from runreport.invoicing.issue import prepare_invoices
        from runreport.pipeline import InvoicingRefused, contributions_for_invoicing

        cfg, year, sessions = _setup(context)
        try:
            contributions_for_invoicing(cfg, year)
        except InvoicingRefused as exc:
            raise AirflowFailException(str(exc)) from exc
        from runreport import notify
        from runreport.invoicing import approval_text

        with sessions() as session:
            summary = prepare_invoices(session, cfg, year)
        return summary | {"approval_md": approval_text.markdown(summary, notify.base_url(cfg))}

    @task.short_circuit
    def anything_to_approve(summary: dict) -> bool:
        return bool(summary["pending"])

    approval = FinanceApproval(
        task_id="approval",
        subject="Godkänn fakturor för kommunbidrag {{ ti.xcom_pull(task_ids='prepare')['year'] }}"
                "{% if params.tenant %} ({{ params.tenant }}){% endif %}",
        body="{{ ti.xcom_pull(task_ids='prepare')['approval_md'] }}",
        assigned_users=_approvers(),
        notifiers=[ApprovalWaiting()],
    )

    def _answered(context, summary: dict, action: str) -> tuple[list[str], dict]:  # noqa: ANN001
        """Finance's answer in this run (the approval step's result) and its reason and author, or
        fail: a step marked done by hand, or one cleared in another run, releases nothing
        (runreport.invoicing.approval)."""
        from airflow.providers.standard.utils.skipmixin import XCOM_SKIPMIXIN_FOLLOWED, XCOM_SKIPMIXIN_KEY
        from airflow.sdk.exceptions import AirflowFailException

        from runreport.invoicing.approval import NoApproval, documents_answered

        # the branch the approval step followed, recorded by Airflow only when finance answered it
        decided = context["ti"].xcom_pull(task_ids="approval", key=XCOM_SKIPMIXIN_KEY) or {}
        answer = context["ti"].xcom_pull(task_ids="approval", key="answer") or {}
        try:
            return documents_answered(decided.get(XCOM_SKIPMIXIN_FOLLOWED), summary, action), answer
        except NoApproval as exc:
            raise AirflowFailException(str(exc)) from exc

    @task
    def release(summary: dict, **context) -> list[str]:
        from airflow.sdk.exceptions import AirflowFailException

        from runreport import run_summary
        from runreport.invoicing.peppol import PeppolRejected
        from runreport.invoicing.release import release_invoices

        drafts, answer = _answered(context, summary, "release")
        cfg, year, sessions = _setup(context)
        with sessions() as session:
            try:
                released = [str(p) for p in release_invoices(session, cfg, year, drafts=drafts,
                                                             decided_by=answer.get("by") or None)]
            except PeppolRejected as exc:   # nothing released, no number used: said as it is
                raise AirflowFailException(str(exc)) from exc
        run_summary.refresh(cfg, year)   # the run page's "Fakturor i utkorgen" now counts them
        return released

    @task
    def reject(summary: dict, **context) -> list[str]:
        from runreport import run_summary
        from runreport.invoicing.release import reject_invoices

        drafts, answer = _answered(context, summary, "reject")
        cfg, year, sessions = _setup(context)
        with sessions() as session:
            rejected = reject_invoices(session, cfg, year, drafts=drafts, reason=answer.get("reason") or "",
                                       decided_by=answer.get("by") or None)
        run_summary.refresh(cfg, year)
        return rejected

    summary = prepare()
    anything_to_approve(summary) >> approval >> [release(summary), reject(summary)]


invoices_dag = run_invoices()
