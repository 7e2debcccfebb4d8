"""What finance reads in the approval step: one row per document waiting, the totals, who is paid
to which account, and links to the register and each basis (through the stewards' view).

Markdown, as Airflow's "Required actions" page shows it. Every value from a partner's file (a
municipality's name, a buyer's reference) is escaped so it is text, never a link, markup or a table
cell of its own. Amounts are Swedish (``925 000 kr``, ``2,00 kr``).
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from runreport import sweformat
from runreport.invoicing.basis import population_date
from runreport.markdown import text  # noqa: F401 (a partner's value as Markdown text; tests import it here)
from runreport.orgnumber import format_orgnr


def kr(value: Decimal) -> str:
    value = Decimal(value)
    return sweformat.kronor(value, 0 if value == value.to_integral_value() else 2)


def change(amount: Decimal, previous: Decimal | None) -> str:
    if previous is None:
        return "ny"
    diff = Decimal(amount) - Decimal(previous)
    return "oförändrat" if diff == 0 else ("+" if diff > 0 else "") + kr(diff)


def rows(pending: list, previous: dict[str, Decimal], numbers: dict[int, str], ref_date: str) -> list[dict]:  # noqa: ANN001
    """One dict per waiting document (register rows), the amounts already Swedish."""
    out = []
    for inv in pending:
        credit = inv.kind == "credit_note"
        out.append({
            "draft_id": inv.draft_id,
            "kind": "Kreditnota" if credit else "Faktura",
            "municipality": f"{inv.municipality_name} ({inv.municipality_code})",
            "org_number": format_orgnr(inv.org_number),
            "buyer_reference": inv.buyer_reference,
            "inhabitants": sweformat.number(inv.quantity),
            "population_date": population_date(inv.population_year, ref_date),
            "rate": sweformat.kronor(inv.unit_price_sek, 2),
            "months": f"{inv.months} av 12",
            "amount": ("−" if credit else "") + kr(inv.total_sek),
            "change": (f"krediterar {numbers.get(inv.credited_invoice_id, '')}" if credit
                       else change(inv.total_sek, previous.get(inv.municipality_code))),
        })
    return out


def markdown(summary: dict, base_url: str) -> str:
    """The approval's body from ``prepare``'s summary (``include/templates/pages/attest.md.j2``; a
    partner's values escaped by the template, :mod:`runreport.markdown`)."""
    from runreport import markdown as md

    year, tenant = summary["year"], summary["tenant"]
    files = f"{base_url}/run-stewards/files/{quote(tenant)}/{year}/invoices"
    # one population date for all (the usual case) goes to the heading: a narrower table, which
    # Airflow's approval dialog shows without cutting columns off
    dates = {r.get("population_date") for r in summary["rows"]}
    same_date = dates.pop() if len(dates) == 1 and None not in dates else None
    rows = [{**r, "population": r["inhabitants"] if same_date else f"{r['inhabitants']} ({r['population_date']})",
             "basis": f"{files}/underlag/{quote(r['draft_id'])}_fakturaunderlag.docx"} for r in summary["rows"]]
    return md.render(
        "attest.md.j2", rows=rows, year=year, files=files,
        population_heading=f"Folkmängd ({same_date.replace('folkmängd ', '')})" if same_date else "Folkmängd",
        invoices_waiting=len(summary["invoices_waiting"]), credits_waiting=len(summary["credits_waiting"]),
        invoiced_sv=summary["invoiced_sv"], credited_sv=summary["credited_sv"],
        previous_total_sv=summary.get("previous_total_sv"), payee=summary["payee"],
        payee_org_number=format_orgnr(summary["payee_org_number"]), payee_iban=summary["payee_iban"],
        payee_bic=summary.get("payee_bic")).removesuffix("\n")
