"""RUN invoices: each member municipality's contribution (kommunbidrag) for year Y as Peppol BIS
Billing 3.0 e-invoices, issued at the start of year Y.

prepare -> anything_to_approve -> approval (finance, in the Airflow UI: Required actions)
-> release (copies to the outbox) | reject (marks the prepared documents rejected).

Nothing reaches ``<output>/invoices/outbox/`` before someone approves. A re-run with unchanged
contributions issues nothing and asks nothing; a changed contribution gives a credit note plus a new
invoice. The year is the ``year`` param, else the year of the scheduled day (15 January of Y
invoices Y), else the calendar year the run was started in; the scheduler writes it on the run as
its note. Any year from ``balance.first_year`` works; a year before it, or one whose members,
agreement rate or population are missing, fails at once and says why (nothing is prepared).
The schedule is ``invoicing.issue_month_day`` of the configuration ("01-15" -> 15 January, 06:00).
"""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.hitl import HITLBranchOperator
from airflow.sdk import Param, dag, task

from runreport.dag_policy import one_run_at_a_time


def _issue_cron() -> str:
    """Cron for the issue day from the settings (:func:`runreport.settings.load`, the Variable too)."""
    try:
        from runreport import settings

        month_day = str(settings.load()["invoicing"].get("issue_month_day", "01-15"))
        month, day = (int(x) for x in month_day.split("-"))
    except Exception:  # noqa: BLE001 - a broken config must not break DAG parsing
        month, day = 1, 15
    return f"0 6 {day} {month} *"


APPROVE, REJECT = "Approve", "Reject"


def _approvers() -> list[dict] | None:
    """``invoicing.approvers``: the finance users who may answer the approval ({"id", "name"});
    none configured: anyone Airflow lets act on the DAG."""
    try:
        from runreport import settings

        raw = settings.load()["invoicing"].get("approvers") or []
        return [{"id": str(a["id"]), "name": str(a.get("name", a["id"]))} for a in raw] or None
    except Exception:  # noqa: BLE001 - a broken config must not break DAG parsing
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
        with sessions() as session:
            return prepare_invoices(session, cfg, year)

    @task.short_circuit
    def anything_to_approve(summary: dict) -> bool:
        return bool(summary["pending"])

    approval = HITLBranchOperator(
        task_id="approval",
        subject="Godkänn fakturor för kommunbidrag {{ ti.xcom_pull(task_ids='prepare')['year'] }}"
                "{% if params.tenant %} ({{ params.tenant }}){% endif %}",
        body=(
            "**Fakturor att skicka:** {{ ti.xcom_pull(task_ids='prepare')['pending'] | join(', ') }}\n\n"
            "Fakturerat (inkl. moms): {{ ti.xcom_pull(task_ids='prepare')['pending_invoiced_sek'] }} kr, "
            "krediterat: {{ ti.xcom_pull(task_ids='prepare')['pending_credited_sek'] }} kr.\n\n"
            "**Betalningsmottagare:** {{ ti.xcom_pull(task_ids='prepare')['payee'] }}, organisationsnummer "
            "{{ ti.xcom_pull(task_ids='prepare')['payee_org_number'] }}\n\n"
            "**Bankkonto (IBAN):** {{ ti.xcom_pull(task_ids='prepare')['payee_iban'] }}"
            "{% if ti.xcom_pull(task_ids='prepare')['payee_bic'] %}, BIC "
            "{{ ti.xcom_pull(task_ids='prepare')['payee_bic'] }}{% endif %}\n\n"
            "**Att betala totalt:** {{ ti.xcom_pull(task_ids='prepare')['pending_total_sv'] }}\n\n"
            "Fakturaunderlag och `fakturor_{{ ti.xcom_pull(task_ids='prepare')['year'] }}.xlsx` ligger i "
            "`{{ ti.xcom_pull(task_ids='prepare')['prepared_dir'] }}/..`. "
            "Approve skickar fakturorna till utkorgen, Reject markerar dem som avslagna."
        ),
        options=[APPROVE, REJECT],
        assigned_users=_approvers(),
        options_mapping={APPROVE: "release", REJECT: "reject"},
    )

    def _answered(context, summary: dict, action: str) -> list[str]:  # noqa: ANN001
        """Finance's answer in this run (the approval step's result), or fail: a step marked done
        by hand, or one cleared in another run, releases nothing (runreport.invoicing.approval)."""
        from airflow.providers.standard.utils.skipmixin import XCOM_SKIPMIXIN_FOLLOWED, XCOM_SKIPMIXIN_KEY
        from airflow.sdk.exceptions import AirflowFailException

        from runreport.invoicing.approval import NoApproval, documents_answered

        # the branch the approval step followed, recorded by Airflow only when finance answered it
        decided = context["ti"].xcom_pull(task_ids="approval", key=XCOM_SKIPMIXIN_KEY) or {}
        try:
            return documents_answered(decided.get(XCOM_SKIPMIXIN_FOLLOWED), summary, action)
        except NoApproval as exc:
            raise AirflowFailException(str(exc)) from exc

    @task
    def release(summary: dict, **context) -> list[str]:
        from runreport import run_summary
        from runreport.invoicing.issue import release_invoices

        numbers = _answered(context, summary, "release")
        cfg, year, sessions = _setup(context)
        with sessions() as session:
            released = [str(p) for p in release_invoices(session, cfg, year, numbers=numbers)]
        run_summary.refresh(cfg, year)   # the run page's "Fakturor i utkorgen" now counts them
        return released

    @task
    def reject(summary: dict, **context) -> list[str]:
        from runreport import run_summary
        from runreport.invoicing.issue import reject_invoices

        numbers = _answered(context, summary, "reject")
        cfg, year, sessions = _setup(context)
        with sessions() as session:
            rejected = reject_invoices(session, cfg, year, numbers=numbers)
        run_summary.refresh(cfg, year)
        return rejected

    summary = prepare()
    anything_to_approve(summary) >> approval >> [release(summary), reject(summary)]


invoices_dag = run_invoices()
