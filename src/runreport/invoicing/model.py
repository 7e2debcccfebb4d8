"""What an invoice is made of: the contribution to invoice (``InvoiceDraft``) and the settings and
numbers a UBL document needs (``Seller``, ``VatSettings``, ``UblDocument``). Frozen dataclasses;
money as ``Decimal``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from runreport.orgnumber import normalise

CENT = Decimal("0.01")
VOWELS = set("aeiouyåäöAEIOUYÅÄÖ")


def money(value: Decimal | int | float | str) -> Decimal:
    """Round to öre (2 decimals), half up."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def municipality_legal_name(name: str) -> str:
    """``"Östersund"`` -> ``"Östersunds kommun"``, ``"Åre"`` -> ``"Åre kommun"`` (names already
    containing "kommun" or "region" are kept)."""
    name = name.strip()
    if any(word in name.lower() for word in ("kommun", "region", "förbund")):
        return name
    genitive = name if name[-1] in VOWELS or name[-1] in "sxz" else name + "s"
    return f"{genitive} kommun"


@dataclass(frozen=True)
class InvoiceDraft:
    """One municipality's contribution for a year, ready to invoice.

    ``quantity`` is the number of inhabitants, ``unit_price`` the rate per inhabitant and year,
    ``months`` the months of membership in the year (pro rata when < 12) and ``amount`` the
    contribution in kronor as computed in the warehouse (the amount invoiced)."""

    tenant: str
    year: int
    municipality_code: str
    municipality_name: str
    org_number: str
    buyer_reference: str
    quantity: int
    unit_price: Decimal
    months: int
    amount: Decimal
    population_year: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "org_number", normalise(self.org_number))
        object.__setattr__(self, "unit_price", Decimal(str(self.unit_price)))
        object.__setattr__(self, "amount", money(self.amount))
        if not self.buyer_reference or not self.buyer_reference.strip():
            raise ValueError(f"buyer reference (referens) missing for municipality {self.municipality_code}")
        if not 1 <= self.months <= 12:
            raise ValueError(f"months must be 1..12, got {self.months} for {self.municipality_code}")

    @property
    def buyer_name(self) -> str:
        return municipality_legal_name(self.municipality_name)

    @property
    def pro_rata(self) -> bool:
        return self.months < 12

    @property
    def gross(self) -> Decimal:
        """Inhabitants × rate, before pro rata and rounding."""
        return money(self.quantity * self.unit_price)

    @property
    def adjustment(self) -> Decimal:
        """Gross − contribution: positive is an allowance (pro rata, rounding down), negative a charge."""
        return self.gross - self.amount

    @property
    def line_name(self) -> str:
        return f"Kommunbidrag {self.tenant} {self.year}"


@dataclass(frozen=True)
class Seller:
    name: str
    org_number: str
    street: str
    city: str
    postal_zone: str
    country: str
    iban: str
    bic: str | None = None
    vat_number: str | None = None
    contact_email: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "org_number", normalise(self.org_number))

    @classmethod
    def from_config(cls, seller: dict[str, Any], payee) -> Seller:  # noqa: ANN001 - invoicing.payee.Payee
        """Name, address and contact from the configuration; organisation number and bank account
        only from ``payee`` (the finance connection, :mod:`runreport.invoicing.payee`)."""
        from runreport.invoicing.payee import ignored_keys

        ignored_keys(seller)
        vat = seller.get("vat_number")
        if vat and normalise(payee.org_number) not in str(vat):
            raise ValueError(f"invoicing.seller.vat_number {vat} does not belong to the payee's organisation number")
        return cls(
            name=seller["name"], org_number=payee.org_number, street=seller["street"],
            city=seller["city"], postal_zone=str(seller["postal_zone"]), country=seller.get("country", "SE"),
            iban=payee.iban, bic=payee.bic, vat_number=vat, contact_email=seller.get("contact_email"),
        )


@dataclass(frozen=True)
class VatSettings:
    """The finance department's VAT decision: ``O`` (outside the scope, with an exemption reason,
    no rate) or ``S`` (standard rate, 25 %)."""

    category: str
    percent: Decimal = Decimal(0)
    exemption_reason: str | None = None

    def __post_init__(self) -> None:
        cat = str(self.category).upper()
        object.__setattr__(self, "category", cat)
        object.__setattr__(self, "percent", Decimal(str(self.percent)))
        if cat == "O":
            if not self.exemption_reason:
                raise ValueError("VAT category O needs invoicing.vat.exemption_reason")
            object.__setattr__(self, "percent", Decimal(0))
        elif cat == "S":
            if self.percent not in (Decimal(25), Decimal(12), Decimal(6)):
                raise ValueError(f"VAT category S needs a Swedish rate (25, 12 or 6), got {self.percent}")
        else:
            raise ValueError(f"unsupported VAT category {cat!r} (use O or S)")

    @classmethod
    def from_config(cls, vat: dict[str, Any]) -> VatSettings:
        return cls(category=vat.get("category", "O"), percent=vat.get("percent", 0),
                   exemption_reason=vat.get("exemption_reason"))

    def tax(self, taxable: Decimal) -> Decimal:
        return money(taxable * self.percent / 100)


@dataclass(frozen=True)
class InvoicingSettings:
    seller: Seller
    vat: VatSettings
    currency: str = "SEK"
    payment_terms_days: int = 30

    @classmethod
    def from_config(cls, cfg: dict[str, Any], payee=None) -> InvoicingSettings:  # noqa: ANN001
        from runreport.invoicing.payee import payee as finance_payee

        inv = cfg.invoicing
        payee = payee or finance_payee(cfg.tenant)
        return cls(seller=Seller.from_config(inv.seller.model_dump(), payee),
                   vat=VatSettings.from_config(inv.vat.model_dump()), currency=inv.currency,
                   payment_terms_days=inv.payment_terms_days)


@dataclass(frozen=True)
class UblDocument:
    """Everything to render one Invoice (380) or CreditNote (381)."""

    kind: str  # "invoice" | "credit_note"
    number: str
    issue_date: date
    draft: InvoiceDraft
    settings: InvoicingSettings
    due_date: date | None = None
    credited_number: str | None = None  # credit note: the invoice it credits
    credited_issue_date: date | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.kind not in ("invoice", "credit_note"):
            raise ValueError(f"unknown document kind {self.kind!r}")
        if self.kind == "credit_note" and not self.credited_number:
            raise ValueError("a credit note needs the number of the invoice it credits")

    @property
    def net(self) -> Decimal:
        return self.draft.amount

    @property
    def tax(self) -> Decimal:
        return self.settings.vat.tax(self.net)

    @property
    def gross_total(self) -> Decimal:
        return self.net + self.tax
