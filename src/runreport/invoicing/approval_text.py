"""What finance reads in the approval step: one row per document waiting, the totals, who is paid
to which account, and links to the register and each basis (through the stewards' view).

Markdown, as Airflow's "Required actions" page shows it. Every value from a partner's file (a
municipality's name, a buyer's reference) is escaped so it is text, never a link, markup or a table
cell of its own. Amounts are Swedish (``925 000 kr``, ``2,00 kr``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import quote

from runreport import sweformat
from runreport.invoicing.basis import population_date
from runreport.orgnumber import format_orgnr

_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>#+!|~])")


# what a GFM renderer (Airflow's remark-gfm, markdown-it's linkify) turns into a link by itself,
# escaped or not: a URL, a www. address, an e-mail address
_LINKISH = re.compile(r"(?i)(?:\b(?:https?|ftp|mailto|xmpp):[^\s`|]*|\bwww\.[^\s`|]*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)")


def text(value) -> str:  # noqa: ANN001
    """A partner's value as literal Markdown text on one line: markup characters escaped, and an
    address (``https://…``, ``www.…``, ``namn@…``) shown as code, which no renderer makes a link of
    (a payment approval must not offer a partner's link to click)."""
    s = " ".join(str(value).split())
    out, pos = [], 0
    for m in _LINKISH.finditer(s):
        out += [_MARKDOWN.sub(r"\\\1", s[pos:m.start()]), f"`{m.group()}`"]
        pos = m.end()
    out.append(_MARKDOWN.sub(r"\\\1", s[pos:]))
    return "".join(out)


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
    """The approval's body from ``prepare``'s summary."""
    year, tenant = summary["year"], summary["tenant"]
    files = f"{base_url}/run-stewards/files/{quote(tenant)}/{year}/invoices"
    # one population date for all (the usual case) goes to the heading: a narrower table, which
    # Airflow's approval dialog shows without cutting columns off
    dates = {r.get("population_date") for r in summary["rows"]}
    same_date = dates.pop() if len(dates) == 1 and None not in dates else None
    pop_heading = f"Folkmängd ({same_date.replace('folkmängd ', '')})" if same_date else "Folkmängd"
    lines = [
        f"**{len(summary['rows'])} dokument väntar på ditt beslut** "
        f"({len(summary['invoices_waiting'])} fakturor, {len(summary['credits_waiting'])} kreditnotor). "
        "Fakturanumren ges först när du godkänner; ett avslag förbrukar inga nummer.",
        "",
        f"| Kommun | Organisationsnummer | Referens | {pop_heading} | Bidrag per invånare | Medlem | Belopp "
        f"| Mot bidraget {year - 1} | Utkast |",
        "|---|---|---|---:|---:|---|---:|---|---|",
    ]
    def population(r: dict) -> str:
        return r["inhabitants"] if same_date else f"{r['inhabitants']} ({r['population_date']})"

    for r in summary["rows"]:
        basis = f"{files}/underlag/{quote(r['draft_id'])}_fakturaunderlag.docx"
        lines.append(
            f"| {text(r['municipality'])}{' (kreditnota)' if r['kind'] == 'Kreditnota' else ''} "
            f"| {r['org_number']} | {text(r['buyer_reference'])} | {population(r)} "
            f"| {r['rate']} "
            f"| {r['months']} | {r['amount']} | {r['change']} | [{r['draft_id']}]({basis}) |")
    lines += [
        "",
        f"**Att fakturera totalt:** {summary['invoiced_sv']}"
        + (f"; att kreditera: {summary['credited_sv']}" if summary["credits_waiting"] else "")
        + (f" (kommunbidraget för {year - 1} var {summary['previous_total_sv']})"
           if summary.get("previous_total_sv") else ""),
        "",
        f"**Betalningsmottagare:** {text(summary['payee'])}, organisationsnummer {format_orgnr(summary['payee_org_number'])}. "
        f"**Bankkonto (IBAN):** {summary['payee_iban']}"
        + (f", BIC {summary['payee_bic']}" if summary.get("payee_bic") else ""),
        "",
        f"**Fakturaregistret:** [fakturor_{year}.xlsx]({files}/fakturor_{year}.xlsx) · "
        f"[alla fakturaunderlag]({files}/underlag/)",
        "",
        "**Godkänn och skicka** ger fakturorna nummer, kontrollerar dem mot Peppol-reglerna och lägger dem i "
        "utkorgen. **Avslå** kräver ett skäl (fältet Skäl); inget skickas och skälet sparas i registret. "
        "Avslå utan skäl gör ingenting, och frågan ställs igen efter en stund.",
    ]
    return "\n".join(lines)
