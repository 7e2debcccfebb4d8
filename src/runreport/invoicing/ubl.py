"""Peppol BIS Billing 3.0 (UBL 2.1) Invoice (type 380) and CreditNote (type 381) for a contribution.

One line per document: "Kommunbidrag <tenant> <year>", quantity = inhabitants (unit C62),
price = rate per inhabitant. Elements are written in UBL 2.1 schema order.

Pro rata (months < 12) and rounding: the contribution in the warehouse is
``round(rate × inhabitants × months/12)`` to whole kronor. The line keeps the true quantity and
price and carries a **line allowance** ("Pro rata: medlem 6 av 12 månader") for the difference,
so the line net amount equals the contribution exactly and BR-41/PEPPOL-EN16931-R120
(net = quantity × price − allowances + charges) hold without rounding slack. If rounding to
whole kronor makes the contribution *higher* than quantity × price (fractional rates), the
difference is a line charge ("Avrundning till hela kronor") instead. No document-level
allowances or charges are used.

VAT: category ``O`` writes TaxExemptionReason and no rate, and no seller VAT number (BR-O-02);
category ``S`` writes the seller VAT number (PartyTaxScheme) and the rate.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from lxml import etree

from runreport.invoicing.model import UblDocument, money
from runreport.sweformat import kronor, number

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
SCHEME_SE_ORGNR = "0007"
UNIT_CODE = "C62"  # "one" (UN/ECE rec 20): one inhabitant
PAYMENT_CREDIT_TRANSFER = "30"


def _cac(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{NS_CAC}}}{name}")


def _cbc(parent: etree._Element, name: str, text: object, **attrib: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NS_CBC}}}{name}", attrib)
    el.text = _text(text)
    return el


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _amount(parent: etree._Element, name: str, value: Decimal, currency: str) -> etree._Element:
    return _cbc(parent, name, money(value), currencyID=currency)


def _address(party: etree._Element, *, street: str | None = None, city: str | None = None,
             postal_zone: str | None = None, country: str = "SE") -> None:
    addr = _cac(party, "PostalAddress")
    if street:
        _cbc(addr, "StreetName", street)
    if city:
        _cbc(addr, "CityName", city)
    if postal_zone:
        _cbc(addr, "PostalZone", postal_zone)
    _cbc(_cac(addr, "Country"), "IdentificationCode", country)


def _tax_category(parent: etree._Element, tag: str, doc: UblDocument, *, with_reason: bool) -> None:
    vat = doc.settings.vat
    cat = _cac(parent, tag)
    _cbc(cat, "ID", vat.category)
    if vat.category == "S":
        _cbc(cat, "Percent", money(vat.percent))
    if with_reason and vat.category == "O":
        _cbc(cat, "TaxExemptionReason", vat.exemption_reason)
    _cbc(_cac(cat, "TaxScheme"), "ID", "VAT")


def _seller(root: etree._Element, doc: UblDocument) -> None:
    s = doc.settings.seller
    party = _cac(_cac(root, "AccountingSupplierParty"), "Party")
    _cbc(party, "EndpointID", s.org_number, schemeID=SCHEME_SE_ORGNR)
    _cbc(_cac(party, "PartyName"), "Name", s.name)
    _address(party, street=s.street, city=s.city, postal_zone=s.postal_zone, country=s.country)
    if doc.settings.vat.category == "S":
        if not s.vat_number:
            raise ValueError("VAT category S needs invoicing.seller.vat_number")
        pts = _cac(party, "PartyTaxScheme")
        _cbc(pts, "CompanyID", s.vat_number)
        _cbc(_cac(pts, "TaxScheme"), "ID", "VAT")
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", s.name)
    _cbc(legal, "CompanyID", s.org_number, schemeID=SCHEME_SE_ORGNR)
    if s.contact_email:
        _cbc(_cac(party, "Contact"), "ElectronicMail", s.contact_email)


def _buyer(root: etree._Element, doc: UblDocument) -> None:
    d = doc.draft
    party = _cac(_cac(root, "AccountingCustomerParty"), "Party")
    _cbc(party, "EndpointID", d.org_number, schemeID=SCHEME_SE_ORGNR)
    _cbc(_cac(party, "PartyIdentification"), "ID", d.org_number, schemeID=SCHEME_SE_ORGNR)
    _cbc(_cac(party, "PartyName"), "Name", d.buyer_name)
    _address(party, country="SE")
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", d.buyer_name)
    _cbc(legal, "CompanyID", d.org_number, schemeID=SCHEME_SE_ORGNR)


def _line(root: etree._Element, doc: UblDocument, credit: bool) -> None:
    d = doc.draft
    cur = doc.settings.currency
    line = _cac(root, "CreditNoteLine" if credit else "InvoiceLine")
    _cbc(line, "ID", "1")
    if d.pro_rata:
        _cbc(line, "Note", f"Pro rata: medlem {d.months} av 12 månader {d.year}")
    _cbc(line, "CreditedQuantity" if credit else "InvoicedQuantity", d.quantity, unitCode=UNIT_CODE)
    _amount(line, "LineExtensionAmount", d.amount, cur)
    adjustment = d.adjustment
    if adjustment:
        ac = _cac(line, "AllowanceCharge")
        _cbc(ac, "ChargeIndicator", "false" if adjustment > 0 else "true")
        if d.pro_rata:
            reason = f"Pro rata: medlem {d.months} av 12 månader"
        else:
            reason = "Avrundning till hela kronor"
        _cbc(ac, "AllowanceChargeReason", reason)
        _amount(ac, "Amount", abs(adjustment), cur)
    item = _cac(line, "Item")
    pop = f" {d.population_year}" if d.population_year else ""
    _cbc(item, "Description",
         f"Bidrag {kronor(d.unit_price, 2)} per invånare och år, folkmängd{pop}: {number(d.quantity)} invånare")
    _cbc(item, "Name", d.line_name)
    _tax_category(item, "ClassifiedTaxCategory", doc, with_reason=False)
    price = _cac(line, "Price")
    _amount(price, "PriceAmount", d.unit_price, cur)


def build(doc: UblDocument) -> etree._Element:
    """The UBL element tree for ``doc``."""
    credit = doc.kind == "credit_note"
    ns_root = NS_CREDIT_NOTE if credit else NS_INVOICE
    root = etree.Element(f"{{{ns_root}}}{'CreditNote' if credit else 'Invoice'}",
                         nsmap={None: ns_root, "cac": NS_CAC, "cbc": NS_CBC})
    cur = doc.settings.currency
    _cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    _cbc(root, "ProfileID", PROFILE_ID)
    _cbc(root, "ID", doc.number)
    _cbc(root, "IssueDate", doc.issue_date)
    if not credit and doc.due_date:
        _cbc(root, "DueDate", doc.due_date)
    _cbc(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", "381" if credit else "380")
    note = doc.notes[0] if doc.notes else None
    if credit and not note:
        note = f"Kreditering av faktura {doc.credited_number}"
    if note:
        _cbc(root, "Note", note)
    _cbc(root, "DocumentCurrencyCode", cur)
    _cbc(root, "BuyerReference", doc.draft.buyer_reference)
    if not doc.draft.pro_rata:
        period = _cac(root, "InvoicePeriod")
        _cbc(period, "StartDate", date(doc.draft.year, 1, 1))
        _cbc(period, "EndDate", date(doc.draft.year, 12, 31))
    if credit:
        ref = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(ref, "ID", doc.credited_number)
        if doc.credited_issue_date:
            _cbc(ref, "IssueDate", doc.credited_issue_date)
    _seller(root, doc)
    _buyer(root, doc)

    s = doc.settings.seller
    if not credit:
        pm = _cac(root, "PaymentMeans")
        _cbc(pm, "PaymentMeansCode", PAYMENT_CREDIT_TRANSFER)
        _cbc(pm, "PaymentID", doc.number)
        account = _cac(pm, "PayeeFinancialAccount")
        _cbc(account, "ID", s.iban)
        if s.bic:
            _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", s.bic)
        _cbc(_cac(root, "PaymentTerms"), "Note", f"Betalningsvillkor {doc.settings.payment_terms_days} dagar netto")
    else:
        _cbc(_cac(root, "PaymentTerms"), "Note",
             f"Krediteras: avräknas mot faktura {doc.credited_number}")

    tax_total = _cac(root, "TaxTotal")
    _amount(tax_total, "TaxAmount", doc.tax, cur)
    sub = _cac(tax_total, "TaxSubtotal")
    _amount(sub, "TaxableAmount", doc.net, cur)
    _amount(sub, "TaxAmount", doc.tax, cur)
    _tax_category(sub, "TaxCategory", doc, with_reason=True)

    totals = _cac(root, "LegalMonetaryTotal")
    _amount(totals, "LineExtensionAmount", doc.net, cur)
    _amount(totals, "TaxExclusiveAmount", doc.net, cur)
    _amount(totals, "TaxInclusiveAmount", doc.gross_total, cur)
    _amount(totals, "PayableAmount", doc.gross_total, cur)

    _line(root, doc, credit)
    return root


def to_bytes(doc: UblDocument) -> bytes:
    return etree.tostring(build(doc), xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write(doc: UblDocument, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(to_bytes(doc))
    return path
