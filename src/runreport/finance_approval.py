"""The finance approval step of ``run_invoices``: Airflow's Human-in-the-loop branch operator, with
the two choices in Swedish and finance's reason.

``Avslå`` without a reason is not carried out: the step fails saying so, nothing is rejected or
released and the drafts wait for the next approval (they have no numbers, so nothing is lost). The
answer (who, and the reason) is kept as this step's XCom ``answer``, which only the step writes;
the release and reject steps record it with the invoices.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.hitl import HITLBranchOperator
from airflow.sdk import Param

APPROVE, REJECT = "Godkänn och skicka", "Avslå"
REASON = "skal"


def reason_param() -> dict[str, Param]:
    # source="task": the HITL operator keeps only a task's own params (it drops those without a
    # source, and the form in the UI then has no field for the reason: Avslå could never succeed)
    return {REASON: Param(None, type=["null", "string"], maxLength=450, title="Skäl (krävs vid Avslå)",
                          description="Varför fakturorna avslås; sparas i fakturaregistret.", source="task")}


class FinanceApproval(HITLBranchOperator):
    """``Godkänn och skicka`` -> the task ``release``, ``Avslå`` (with a reason) -> ``reject``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("options", [APPROVE, REJECT])
        kwargs.setdefault("options_mapping", {APPROVE: "release", REJECT: "reject"})
        # the DAG hands its own params (year, tenant) to every task through ``params``, so ours would be
        # lost to a setdefault; they are added to whatever comes (the HITL operator keeps only ours)
        given = kwargs.get("params") or {}
        merged = {k: given.get_param(k) for k in given} if hasattr(given, "get_param") else dict(given)
        kwargs["params"] = {**merged, **reason_param()}
        super().__init__(**kwargs)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        if "error" not in event:
            from airflow.sdk.exceptions import AirflowFailException

            reason = str((event.get("params_input") or {}).get(REASON) or "").strip()
            if REJECT in (event.get("chosen_options") or []) and not reason:
                raise AirflowFailException(
                    "Avslå kräver ett skäl (fältet Skäl): inget avslogs och inget skickades. Utkasten väntar kvar "
                    "och visas igen vid nästa körning av run_invoices / a rejection needs a reason; nothing done")
            who = event.get("responded_by_user") or {}
            by = who.get("name") or who.get("id") if isinstance(who, dict) else str(who)
            context["ti"].xcom_push(key="answer", value={"reason": reason, "by": str(by or "")})
        return super().execute_complete(context=context, event=event)
