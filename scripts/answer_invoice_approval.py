"""Run dags/run_invoices.py with ``dag.test()`` and answer its approval step as a person in
finance would in the Airflow UI (same Core API route function as the UI's "Required actions").

Used by the demo (``scripts/demo.sh``: approved as user ``demo-ekonomi``, and said so) and by the
tests (approve and reject). In production nobody runs this: finance answers in the UI.

    python scripts/answer_invoice_approval.py Approve|Reject YEAR [USER] [REASON] [ANSWER REASON ...]

``Approve`` answers "Godkänn och skicka"; ``Reject`` answers "Avslå" with REASON (default: a
demo reason; pass "" to try a rejection without one, which the step refuses and asks again).
Further ANSWER REASON pairs answer the step's next questions (after such a refusal).

Prints one line ``RESULT {json}`` with the run state, task states and what the approver saw.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(answer: str, year: int, user: str, reason: str | None = None,
         then: list[tuple[str, str | None]] | None = None) -> dict:
    sys.path.insert(0, str(ROOT / "dags"))
    import run_invoices as mod  # the DAG file
    from airflow import settings
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from airflow.api_fastapi.core_api.datamodels.hitl import UpdateHITLDetailPayload
    from airflow.api_fastapi.core_api.routes.public.hitl import update_hitl_detail
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance

    from runreport.config import load
    from runreport.finance_approval import APPROVE, REASON, REJECT

    def as_option(answer: str, reason: str | None) -> tuple[str, str | None]:
        option = {"Approve": APPROVE, "Reject": REJECT}.get(answer, answer)
        return option, ("Avslaget i demon: kontrollera underlaget" if option == REJECT and reason is None else reason)

    queue = [(answer, *as_option(answer, reason))] + [(a, *as_option(a, r)) for a, r in (then or [])]

    outbox = load().output_dir(year) / "invoices" / "outbox"
    seen: dict = {}

    def respond() -> None:
        deadline = time.time() + 240 * len(queue)
        while queue and time.time() < deadline:
            time.sleep(1)
            session = settings.Session()
            try:
                detail = session.query(HITLDetail).filter(HITLDetail.responded_at.is_(None)).first()
                if detail is None:
                    continue
                ti = session.get(TaskInstance, detail.ti_id)
                if ti.state != "awaiting_input":
                    continue
                name, option, reason = queue[0]
                seen.setdefault("subject", detail.subject)
                seen.setdefault("body", detail.body)
                seen.setdefault("form", sorted((detail.params or {}).keys()))   # the fields the UI's form shows
                seen.setdefault("outbox_files_before_answer", sorted(os.listdir(outbox)) if outbox.is_dir() else [])
                update_hitl_detail(
                    dag_id=ti.dag_id, dag_run_id=ti.run_id, task_id=ti.task_id,
                    update_hitl_detail_payload=UpdateHITLDetailPayload(chosen_options=[option],
                                                                       params_input={REASON: reason or None}),
                    user=SimpleAuthManagerUser(username=user, role="admin"), session=session, map_index=-1,
                )
                session.commit()
                seen.setdefault("answered", name)
                seen.setdefault("answers", []).append(name)
                queue.pop(0)
            except Exception as exc:  # noqa: BLE001 - sqlite busy etc.: try again
                session.rollback()
                seen.setdefault("errors", []).append(repr(exc))
            finally:
                session.close()

    threading.Thread(target=respond, daemon=True).start()
    dr = mod.invoices_dag.test(logical_date=datetime(year, 1, 15, 6, tzinfo=UTC))
    session = settings.Session()
    states = {ti.task_id: str(ti.state) for ti in dr.get_task_instances(session=session)}
    return {"run": str(dr.state), "tasks": states, "seen": seen,
            "outbox": sorted(os.listdir(outbox)) if outbox.is_dir() else []}


if __name__ == "__main__":
    rest = sys.argv[5:]
    result = main(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "ekonomi",
                  sys.argv[4] if len(sys.argv) > 4 else None, then=list(zip(rest[::2], rest[1::2], strict=False)))
    print("RESULT " + json.dumps(result))
