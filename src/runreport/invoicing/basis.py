"""Human-readable invoice basis (fakturaunderlag) per document as Word (and PDF when LibreOffice is
installed), and the year's register ``fakturor_<year>.xlsx``. Swedish text and number formats.
No personal data: municipalities, organisation numbers and the buyer's reference only.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

from runreport import sweformat
from runreport.orgnumber import format_orgnr

KIND_SV = {"invoice": "Faktura", "credit_note": "Kreditnota"}
STATUS_SV = {"prepared": "väntar på godkännande", "released": "skickad", "rejected": "avslagen",
             "superseded": "ersatt av nytt utkast"}
SHEET_HEADERS = ["Nummer", "Utkast", "Typ", "Kommunkod", "Kommun", "Organisationsnummer", "Referens",
                 "Belopp exkl. moms", "Moms", "Att betala", "Status", "Status (sv)", "Beslut", "Beslutat av",
                 "Fakturadatum", "Förfallodatum", "Krediterar"]


def shown_number(inv) -> str:  # noqa: ANN001
    """The invoice number, or for a draft its draft id and that the number comes at release."""
    return inv.number or f"{inv.draft_id} (utkast: numret ges när fakturan skickas)"


def kr(value: Decimal | int) -> str:
    """``925000`` -> ``925 000 kr``; öre shown only when there are any (``32 561,50 kr``)."""
    d = Decimal(str(value))
    return sweformat.kronor(d, 0 if d == d.to_integral_value() else 2)


def population_date(population_year: int | None, reference_date: str) -> str:
    if not population_year:
        return "folkmängd"
    month, day = (int(x) for x in str(reference_date).split("-"))
    return f"folkmängd per {sweformat.long_date(date(population_year, month, day))}"


USED_STYLES = ("Normal", "Heading 1", "Table Grid")   # what write_docx applies


class Template:
    """The basis's Word template (python-docx's own, Normal set to Calibri 11 pt), parsed once for a
    batch of bases: each basis starts as a copy of the parsed document, not a second read of the file.

    Only the styles a basis uses are kept (:data:`USED_STYLES`, the styles they are based on, their
    linked character styles and each type's default): python-docx's template defines 164 styles and
    137 latent ones, 350 kB of XML that every basis copied and wrote again: half of a basis's time
    (benchmarks/profile_network.py, 12 bases: 0.22 -> 0.11 s)."""

    def __init__(self) -> None:
        from docx import Document
        from docx.shared import Pt

        self._doc = Document()
        style = self._doc.styles["Normal"]
        style.font.name = "Calibri"
        style.font.size = Pt(11)
        _keep_only(self._doc.styles, USED_STYLES)

    def new(self):  # noqa: ANN201 (docx.document.Document)
        return copy.deepcopy(self._doc)


def _keep_only(styles, used: Iterable[str]) -> None:  # noqa: ANN001 (docx.styles.styles.Styles)
    from docx.enum.style import WD_STYLE_TYPE

    keep = set()
    for name in used:
        style = styles[name]
        while style is not None:
            keep |= {style.name, f"{style.name} Char"}
            style = style.base_style
    keep |= {d.name for d in (styles.default(t) for t in WD_STYLE_TYPE) if d is not None}
    for style in list(styles):
        if style.name not in keep:
            style.delete()
    for latent in list(styles.latent_styles):
        latent.delete()


def write_docx(inv, cfg, path: Path, credited_number: str | None = None,  # noqa: ANN001
               template: Template | None = None) -> Path:
    """The basis for one ``runreport.warehouse.invoices.Invoice`` row, from ``template`` (parsed here
    when not given)."""
    from runreport.invoicing.payee import payee as finance_payee

    seller = cfg.invoicing.seller
    payee = finance_payee(cfg.tenant)
    tenant_name = cfg.network_name or cfg.tenant
    credit = inv.kind == "credit_note"
    doc = (template or Template()).new()
    title = "Underlag för kreditnota" if credit else "Fakturaunderlag"
    doc.add_heading(f"{title}: kommunbidrag {inv.year}", level=1)
    doc.add_paragraph(
        f"{tenant_name}. Kommunbidraget beräknas som bidrag per invånare × folkmängd"
        + (f" × {inv.months}/12 (medlem {inv.months} av 12 månader)" if inv.months < 12 else "")
        + ", avrundat till hela kronor."
    )
    ref_date = cfg.population.reference_date
    rows = [
        ("Kommun", f"{inv.municipality_name} ({inv.municipality_code})"),
        ("Organisationsnummer", format_orgnr(inv.org_number)),
        ("Referens", inv.buyer_reference),
        (population_date(inv.population_year, ref_date).capitalize(),
         f"{sweformat.number(inv.quantity)} invånare"),
        ("Bidrag per invånare", sweformat.kronor(inv.unit_price_sek, 2)),   # a rate: always in öre, as on the invoice
    ]
    if inv.months < 12:
        rows.append(("Medlemsmånader", f"{inv.months} av 12 (pro rata)"))
    rows += [
        ("Belopp", kr(inv.amount_sek)),
        ("Moms", kr(inv.vat_sek)),
        ("Att kreditera" if credit else "Att betala", kr(inv.total_sek)),
        ("Kreditnotanummer" if credit else "Fakturanummer", shown_number(inv)),
        ("Fakturadatum", inv.issue_date.isoformat()),
    ]
    if credit:
        rows.append(("Krediterar faktura", credited_number or ""))
    else:
        rows.append(("Förfallodatum", inv.due_date.isoformat() if inv.due_date else ""))
        rows.append(("Betalning till", f"IBAN {payee.iban_spaced}" + (f", BIC {payee.bic}" if payee.bic else "")))
        rows.append(("Betalningsreferens", inv.number or "fakturanumret (ges när fakturan skickas)"))
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text = label
        cells[1].text = value
    doc.add_paragraph()
    doc.add_paragraph(
        f"Fakturan skickas som e-faktura (Peppol BIS Billing 3.0) till {inv.municipality_name} "
        f"(Peppol-id 0007:{inv.org_number}). Avsändare: {seller.name}, organisationsnummer "
        f"{format_orgnr(payee.org_number)}."
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def to_pdfs(docxs: list[Path]) -> dict[Path, Path | None]:
    """PDF copies of a batch of bases, made by one LibreOffice process (``runreport.report.pdf``);
    without LibreOffice the bases stay Word only, said once in the log."""
    from runreport.report.pdf import to_pdfs as convert

    return convert(docxs)


def write_register(invoices: Iterable, year: int, path: Path) -> Path:  # noqa: ANN001
    """``fakturor_<year>.xlsx``: every invoice and credit note of the year, the numbered ones in number
    order, then the drafts (waiting, rejected, superseded) in draft order, each with the decision
    behind its state: the register the auditors read."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    invoices = sorted(invoices, key=lambda i: (i.number is None, i.number or "", i.draft_id))
    by_id = {i.id: i.number or i.draft_id for i in invoices}
    wb = Workbook()
    ws = wb.active
    ws.title = f"Fakturor {year}"
    ws.append(SHEET_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for inv in invoices:
        ws.append([
            inv.number or "", inv.draft_id, KIND_SV.get(inv.kind, inv.kind), inv.municipality_code,
            inv.municipality_name, format_orgnr(inv.org_number), inv.buyer_reference, float(inv.amount_sek),
            float(inv.vat_sek), float(inv.total_sek), inv.status, STATUS_SV.get(inv.status, inv.status),
            inv.decision or "", inv.decided_by or "", inv.issue_date, inv.due_date,
            by_id.get(inv.credited_invoice_id, ""),
        ])
    money_fmt = "# ##0.00"
    for row in ws.iter_rows(min_row=2):
        for idx in (7, 8, 9):
            row[idx].number_format = money_fmt
        for idx in (14, 15):
            row[idx].number_format = "yyyy-mm-dd"
    widths = (16, 22, 11, 10, 16, 14, 16, 16, 12, 14, 10, 20, 40, 14, 12, 13, 16)
    for col, width in zip("ABCDEFGHIJKLMNOPQ", widths, strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")   # a failed write never leaves half a register
    try:
        wb.save(str(part))
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return path
