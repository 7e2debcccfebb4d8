"""The finance approval step of ``run_invoices``: Airflow's Human-in-the-loop branch operator, with
the two choices in Swedish and finance's reason.

``Avslå`` without a reason is not carried out: nothing is rejected or released, and the step asks
again (a new try of the step, with a new form and a new notice to finance, after ``RETRY_DELAY``),
up to ``ASKS`` times in all; after that it fails and a steward starts ``run_invoices`` again. The
drafts have no numbers, so nothing is lost. Finance cannot re-run a step itself (its role may only
answer), which is why the step asks again by itself. The
answer (who, and the reason) is kept as this step's XCom ``answer``, which only the step writes;
the release and reject steps record it with the invoices.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.providers.standard.operators.hitl import HITLBranchOperator
from airflow.sdk import Param

APPROVE, REJECT = "Godkänn och skicka", "Avslå"
REASON = "skal"
ASKS = 3                              # Avslå without a reason: the question is asked again, this many times in all
RETRY_DELAY = timedelta(seconds=10)


class ReasonMissing(Exception):
    """Avslå without a reason: nothing done; the step asks again while it has tries left."""


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
        # the DAG's policy is no automatic retry; this step's retry is finance being asked again
        kwargs["retries"] = max(int(kwargs.get("retries") or 0), ASKS - 1)
        kwargs["retry_delay"] = RETRY_DELAY
        super().__init__(**kwargs)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        if "error" not in event:
            reason = str((event.get("params_input") or {}).get(REASON) or "").strip()
            if REJECT in (event.get("chosen_options") or []) and not reason:
                raise ReasonMissing(
                    "Avslå kräver ett skäl (fältet Skäl): inget avslogs och inget skickades. Frågan ställs igen om "
                    f"en stund (högst {ASKS} gånger); annars får en förvaltare starta run_invoices igen. Utkasten "
                    "väntar kvar utan nummer / a rejection needs a reason; nothing done, asking again")
            who = event.get("responded_by_user") or {}
            by = who.get("name") or who.get("id") if isinstance(who, dict) else str(who)
            context["ti"].xcom_push(key="answer", value={"reason": reason, "by": str(by or "")})
        return super().execute_complete(context=context, event=event)
