"""UBL invoices and credit notes checked with the official Peppol BIS Billing 3.0 Schematron rules
(``../shared/tools/peppol-validate/validate``: exit 0 = no fatal, 1 = fatal, 2 = unreadable)."""

from __future__ import annotations

import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from runreport import config
from runreport.invoicing import ubl
from runreport.invoicing.model import InvoiceDraft, InvoicingSettings, UblDocument

REPO = Path(__file__).resolve().parents[1]
VALIDATOR = (REPO / ".." / "shared" / "tools" / "peppol-validate" / "validate").resolve()
NS = {"cbc": ubl.NS_CBC, "cac": ubl.NS_CAC}
VAT = {
    "O": {"category": "O", "percent": 0, "exemption_reason": "Bidrag utanför mervärdesskattens tillämpningsområde"},
    "S": {"category": "S", "percent": 25},
}


def validate(*files: Path) -> subprocess.CompletedProcess:
    if not VALIDATOR.exists():
        pytest.skip(f"validator not found at {VALIDATOR}")
    return subprocess.run([str(VALIDATOR), *map(str, files)], capture_output=True, text=True,
                          timeout=900, check=False)


def settings(category: str) -> InvoicingSettings:
    cfg = config.load({"invoicing": {"vat": VAT[category]}}, environ={})
    return InvoicingSettings.from_config(cfg)


def draft(months: int = 12, population: int = 63_617, rate: str = "2.00") -> InvoiceDraft:
    amount = (Decimal(population) * Decimal(rate) * months / 12).to_integral_value()
    return InvoiceDraft(tenant="RUN", year=2026, municipality_code="2380", municipality_name="Östersund",
                        org_number="212000-2726", buyer_reference="KS-2026-17", quantity=population,
                        unit_price=Decimal(rate), months=months, amount=amount, population_year=2025)


def documents(category: str, months: int) -> list[UblDocument]:
    st, d = settings(category), draft(months)
    return [
        UblDocument("invoice", "RUN-2026-0001", date(2026, 1, 15), d, st, due_date=date(2026, 2, 14)),
        UblDocument("credit_note", "RUN-2026-0002", date(2026, 3, 2), d, st, credited_number="RUN-2026-0001",
                    credited_issue_date=date(2026, 1, 15)),
    ]


@pytest.mark.parametrize("months", [12, 6])
@pytest.mark.parametrize("category", ["O", "S"])
def test_invoice_and_credit_note_validate(tmp_path, category, months):
    files = []
    for doc in documents(category, months):
        files.append(ubl.write(doc, tmp_path / f"{doc.kind}_{category}_{months}.xml"))
    proc = validate(*files)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summaries = [ln for ln in proc.stdout.splitlines() if ": VALID" in ln or ": INVALID" in ln]
    assert len(summaries) == 2 and all(" 0 fatal" in ln for ln in summaries), proc.stdout
    assert "[fatal]" not in proc.stdout

    inv = etree.parse(str(files[0]))
    cn = etree.parse(str(files[1]))
    assert inv.findtext("cbc:InvoiceTypeCode", namespaces=NS) == "380"
    assert cn.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == "381"
    assert cn.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=NS) == "RUN-2026-0001"
    assert inv.findtext("cbc:CustomizationID", namespaces=NS) == ubl.CUSTOMIZATION_ID
    assert inv.findtext("cbc:ProfileID", namespaces=NS) == ubl.PROFILE_ID
    assert inv.findtext("cbc:BuyerReference", namespaces=NS) == "KS-2026-17"
    assert inv.findtext("cbc:DueDate", namespaces=NS) == "2026-02-14"
    endpoint = inv.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", namespaces=NS)
    assert (endpoint.get("schemeID"), endpoint.text) == ("0007", "2120002726")
    seller_ep = inv.find("cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", namespaces=NS)
    assert (seller_ep.get("schemeID"), seller_ep.text) == ("0007", "2021002841")
    line = inv.find("cac:InvoiceLine", namespaces=NS)
    qty = line.find("cbc:InvoicedQuantity", namespaces=NS)
    assert (qty.get("unitCode"), qty.text) == ("C62", "63617")
    assert line.findtext("cac:Price/cbc:PriceAmount", namespaces=NS) == "2.00"
    assert line.findtext("cac:Item/cbc:Name", namespaces=NS) == "Kommunbidrag RUN 2026"
    expected = draft(months).amount
    assert line.findtext("cbc:LineExtensionAmount", namespaces=NS) == f"{expected:.2f}"
    payable = Decimal(inv.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS))
    tax_cat = inv.find("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory", namespaces=NS)
    party_tax = inv.find("cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme", namespaces=NS)
    if category == "O":
        assert payable == expected
        assert tax_cat.findtext("cbc:TaxExemptionReason", namespaces=NS)
        assert tax_cat.find("cbc:Percent", namespaces=NS) is None and party_tax is None
    else:
        assert payable == expected * Decimal("1.25")
        assert tax_cat.findtext("cbc:Percent", namespaces=NS) == "25.00"
        assert party_tax.findtext("cbc:CompanyID", namespaces=NS) == "SE202100284101"
    if months < 12:
        allowance = line.find("cac:AllowanceCharge", namespaces=NS)
        assert allowance.findtext("cbc:ChargeIndicator", namespaces=NS) == "false"
        assert "6 av 12" in allowance.findtext("cbc:AllowanceChargeReason", namespaces=NS)
        assert Decimal(allowance.findtext("cbc:Amount", namespaces=NS)) == Decimal(63_617 * 2) - expected


def test_rounding_charge_validates(tmp_path):
    """A fractional rate whose contribution rounds up gets a line charge and still validates."""
    d = draft(population=12_345, rate="1.50")  # 18 517,50 -> 18 518
    assert d.adjustment == Decimal("-0.50")
    path = ubl.write(UblDocument("invoice", "RUN-2026-0009", date(2026, 1, 15), d, settings("S"),
                                 due_date=date(2026, 2, 14)), tmp_path / "rounding.xml")
    proc = validate(path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_validator_catches_a_broken_invoice(tmp_path):
    """The validator is live: a total that does not add up is a fatal finding."""
    path = ubl.write(documents("O", 12)[0], tmp_path / "broken.xml")
    tree = etree.parse(str(path))
    tree.find("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS).text = "1.00"
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    proc = validate(path)
    assert proc.returncode == 1 and "[fatal]" in proc.stdout
