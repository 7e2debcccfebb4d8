"""What finance's answer to the approval step allows (``dags/run_invoices.py``).

Only an answer given through the approval step itself counts: Airflow records the branch the step
followed (its skip-mixin XCom, which only the step writes; a steward may not write XComs). A step marked "success" by hand, or cleared and re-run in another
run, has no such answer in this run, and then nothing is released or rejected. What may be released
is exactly what the approval showed: the documents prepared in this run (``prepare``'s summary).
"""

from __future__ import annotations


class NoApproval(RuntimeError):
    """The approval step of this run holds no answer from finance for this action."""


def documents_answered(branch_result, summary: dict, action: str) -> list[str]:
    """The numbers finance's answer lets ``action`` ("release" or "reject") act on.

    ``branch_result`` is the approval step's result in this run (the list of branches it chose,
    e.g. ``["release"]``; None when nobody answered); ``summary`` is ``prepare``'s summary, whose
    ``pending`` numbers are what the approval showed."""
    chosen = branch_result if isinstance(branch_result, list | tuple) else [branch_result]
    if action not in chosen:
        raise NoApproval(
            f"Ekonomi har inte svarat på godkännandet i den här körningen ({action} valdes inte); inget görs. "
            f"Starta run_invoices och låt ekonomi godkänna / finance has not answered the approval in this "
            f"run; nothing is done")
    return list(summary.get("pending") or [])
