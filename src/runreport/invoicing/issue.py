"""Plan, record and release the year's invoices.

* ``prepare_invoices``: compares the year's contributions with the invoice register. A municipality
  without a valid (not rejected, not credited) invoice gets a new draft; one whose amount is
  unchanged gets nothing. One whose amount changed: a draft not yet released is **superseded** by a
  new draft (it never had a number, nothing is credited); a released invoice gets a **credit note
  plus a new invoice** (never an overwrite); a released invoice whose contribution disappeared is
  credited. Drafts carry a draft id (``UTKAST-RUN-2026-0001``), are recorded with status
  ``prepared`` and written to ``<output>/invoices/prepared/`` together with the invoice basis
  (``underlag/``) and the register ``fakturor_<year>.xlsx``.
* ``release_invoices`` (after finance's approval): each approved draft takes the next number of the
  unbroken series (``RUN-2026-0001``), is rendered with that number and the release date into
  ``invoices/outbox/``, and must pass the Peppol rules there (``invoicing.peppol_validator``) or
  nothing is released.
* ``reject_invoices`` (a reason is required): prepared -> rejected, the draft moved to
  ``invoices/rejected/``. No number was used, so none is lost; the next ``prepare_invoices`` plans
  afresh.

Each function runs in one transaction on the given session and commits it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runreport.invoicing import approval_text, basis, ubl
from runreport.invoicing.model import InvoiceDraft, InvoicingSettings, UblDocument, money
from runreport.invoicing.numbering import lock_sequence, next_number, series_key
from runreport.memory import freed_promptly
from runreport.warehouse.invoices import (
    KIND_CREDIT_NOTE,
    KIND_INVOICE,
    STATUS_PREPARED,
    STATUS_RELEASED,
    STATUS_SUPERSEDED,
    Invoice,
)
from runreport.warehouse.models import Contribution, Member

log = logging.getLogger(__name__)

DRAFT_PREFIX = "UTKAST-"   # draft ids: a series of their own, never the invoice numbers


@dataclass(frozen=True)
class Action:
    municipality_code: str
    credit: Invoice | None  # released invoice to credit
    draft: InvoiceDraft | None  # new invoice to issue
    supersede: Invoice | None = None  # a draft not yet released, replaced by the new one


def invoice_dirs(cfg, year: int) -> dict[str, Path]:  # noqa: ANN001
    root = cfg.output_dir(year) / "invoices"
    return {name: root / name for name in ("prepared", "outbox", "rejected", "underlag")} | {"root": root}


def _member_for_year(members: list[Member], year: int) -> Member | None:
    start, end = date(year, 1, 1), date(year, 12, 31)
    valid = [m for m in members if m.valid_from <= end and (m.valid_to is None or m.valid_to >= start)]
    return max(valid, key=lambda m: m.valid_from) if valid else None


def load_drafts(session: Session, tenant: str, year: int) -> list[InvoiceDraft]:
    """The year's contributions joined with the member row valid in that year."""
    contributions = session.scalars(
        select(Contribution).where(Contribution.tenant == tenant, Contribution.year == year)
        .order_by(Contribution.municipality_code)
    ).all()
    members: dict[str, list[Member]] = {}
    for m in session.scalars(select(Member).where(Member.tenant == tenant)):
        members.setdefault(m.municipality_code, []).append(m)
    drafts = []
    for c in contributions:
        member = _member_for_year(members.get(c.municipality_code, []), year)
        if member is None:
            raise ValueError(f"no member row valid in {year} for municipality {c.municipality_code} "
                             f"(tenant {tenant}): cannot invoice its contribution")
        drafts.append(InvoiceDraft(
            tenant=tenant, year=year, municipality_code=c.municipality_code,
            municipality_name=member.municipality_name, org_number=member.org_number,
            buyer_reference=member.buyer_reference, quantity=c.population, unit_price=c.rate_sek,
            months=c.months, amount=Decimal(c.amount_sek), population_year=c.population_year,
        ))
    return drafts


def _register(session: Session, tenant: str, year: int) -> list[Invoice]:
    return list(session.scalars(
        select(Invoice).where(Invoice.tenant == tenant, Invoice.year == year).order_by(Invoice.id)
    ))


def ref(inv: Invoice) -> str:
    """How a person names the document: its number once released, else its draft id."""
    return inv.number or inv.draft_id


def _open_invoices(register: list[Invoice]) -> dict[str, Invoice]:
    """Per municipality the invoice currently in force: not rejected and not credited."""
    credited = {i.credited_invoice_id for i in register
                if i.kind == KIND_CREDIT_NOTE and i.status in (STATUS_PREPARED, STATUS_RELEASED)}
    out: dict[str, Invoice] = {}
    for inv in register:
        if inv.kind == KIND_INVOICE and inv.status in (STATUS_PREPARED, STATUS_RELEASED) and inv.id not in credited:
            if inv.municipality_code in out:  # pragma: no cover - guarded by planning
                raise RuntimeError(f"two open invoices for {inv.municipality_code}: "
                                   f"{ref(out[inv.municipality_code])}, {ref(inv)}")
            out[inv.municipality_code] = inv
    return out


def plan(session: Session, tenant: str, year: int) -> tuple[list[Action], int]:
    """What to issue: list of actions and the number of unchanged municipalities."""
    drafts = {d.municipality_code: d for d in load_drafts(session, tenant, year)}
    open_invoices = _open_invoices(_register(session, tenant, year))
    actions, unchanged = [], 0
    for code in sorted(set(drafts) | set(open_invoices)):
        draft, current = drafts.get(code), open_invoices.get(code)
        if current is not None and draft is not None and money(current.amount_sek) == draft.amount:
            unchanged += 1
        elif current is not None and current.status == STATUS_PREPARED:
            actions.append(Action(code, None, draft, supersede=current))   # never sent: nothing to credit
        else:
            actions.append(Action(code, current, draft))
    return actions, unchanged


def _draft_of(inv: Invoice) -> InvoiceDraft:
    return InvoiceDraft(
        tenant=inv.tenant, year=inv.year, municipality_code=inv.municipality_code,
        municipality_name=inv.municipality_name, org_number=inv.org_number,
        buyer_reference=inv.buyer_reference, quantity=inv.quantity, unit_price=inv.unit_price_sek,
        months=inv.months, amount=inv.amount_sek, population_year=inv.population_year,
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _record(session: Session, cfg, settings: InvoicingSettings, *, kind: str, draft: InvoiceDraft,  # noqa: ANN001
            issue_date: date, prepared_dir: Path, credited: Invoice | None, written: list[Path]) -> Invoice:
    series = cfg.invoicing.series
    draft_id = next_number(session, cfg.tenant, DRAFT_PREFIX + series, draft.year)
    due = issue_date + timedelta(days=settings.payment_terms_days) if kind == KIND_INVOICE else None
    doc = UblDocument(
        kind=kind, number=draft_id, issue_date=issue_date, draft=draft, settings=settings, due_date=due,
        credited_number=credited.number if credited else None,
        credited_issue_date=credited.issue_date if credited else None,
    )
    path = prepared_dir / f"{draft_id}.xml"
    written.append(path)
    ubl.write(doc, path)
    inv = Invoice(
        tenant=cfg.tenant, year=draft.year, series=series_key(series, draft.year), draft_id=draft_id, number=None,
        kind=kind,
        municipality_code=draft.municipality_code, municipality_name=draft.municipality_name,
        org_number=draft.org_number, buyer_reference=draft.buyer_reference, quantity=draft.quantity,
        unit_price_sek=draft.unit_price, months=draft.months, population_year=draft.population_year,
        amount_sek=doc.net, vat_sek=doc.tax, total_sek=doc.gross_total,
        credited_invoice_id=credited.id if credited else None, status=STATUS_PREPARED,
        issue_date=issue_date, due_date=due, issued_at=datetime.now(), released_at=None,
        xml_path=str(path), checksum=_sha256(path),
    )
    session.add(inv)
    session.flush()
    return inv


def write_documents(session: Session, cfg, year: int, invoices: list[Invoice] | None = None,  # noqa: ANN001
                    out: list[Path] | None = None) -> list[Path]:
    """Invoice basis (docx, pdf when possible) for ``invoices`` and the year's register. Each file is
    added to ``out`` (the caller's all-or-nothing list) as soon as it exists, so a failure half-way
    leaves no basis behind for a number that was never issued."""
    dirs = invoice_dirs(cfg, year)
    register = _register(session, cfg.tenant, year)
    numbers = {i.id: ref(i) for i in register}
    out = [] if out is None else out
    template = basis.Template() if invoices else None   # parsed once for the batch
    docxs = []
    for inv in invoices or []:
        with freed_promptly():   # each basis document freed once written, not at the next full collection
            docx = basis.write_docx(inv, cfg, dirs["underlag"] / f"{ref(inv)}_fakturaunderlag.docx",
                                    credited_number=numbers.get(inv.credited_invoice_id), template=template)
        out.append(docx)
        docxs.append(docx)
    if docxs and cfg.invoicing.basis_pdf:
        try:   # one LibreOffice for the batch; interrupted, it leaves no PDF of the batch behind
            out.extend(pdf for pdf in basis.to_pdfs(docxs).values() if pdf)
        except BaseException:
            for docx in docxs:
                docx.with_suffix(".pdf").unlink(missing_ok=True)
            raise
    out.append(basis.write_register(register, year, dirs["root"] / f"fakturor_{year}.xlsx"))
    return out


@contextmanager
def _all_or_nothing(session: Session) -> Iterator[list[Path]]:
    """Commit the session and keep the files written into the yielded list, or, on any failure,
    roll back and delete those files: the register and the folders never disagree."""
    written: list[Path] = []
    try:
        yield written
        session.commit()
    except BaseException:
        session.rollback()
        for path in written:
            path.unlink(missing_ok=True)
        raise


def prepare_invoices(session: Session, cfg, year: int, issue_date: date | None = None) -> dict[str, Any]:  # noqa: ANN001
    """Issue what the contributions require (status ``prepared``) and return a summary."""
    settings = InvoicingSettings.from_config(cfg)
    issue_date = issue_date or date.today()
    dirs = invoice_dirs(cfg, year)
    with _all_or_nothing(session) as written:
        # Lock the year's number series first: concurrent runs for the same year are serialised.
        lock_sequence(session, cfg.tenant, series_key(cfg.invoicing.series, year))
        actions, unchanged = plan(session, cfg.tenant, year)
        new: list[Invoice] = []
        superseded: list[Invoice] = []
        for action in actions:
            if action.supersede is not None:
                old = action.supersede
                old.status = STATUS_SUPERSEDED
                old.decision = ("Ersatt av ett nytt utkast: kommunbidraget ändrades innan fakturan skickades"
                                if action.draft is not None else
                                "Kommunbidraget finns inte längre: utkastet skickas inte")
                superseded.append(old)
            if action.credit is not None:
                new.append(_record(session, cfg, settings, kind=KIND_CREDIT_NOTE, draft=_draft_of(action.credit),
                                   issue_date=issue_date, prepared_dir=dirs["prepared"],
                                   credited=action.credit, written=written))
            if action.draft is not None:
                new.append(_record(session, cfg, settings, kind=KIND_INVOICE, draft=action.draft,
                                   issue_date=issue_date, prepared_dir=dirs["prepared"],
                                   credited=None, written=written))
        write_documents(session, cfg, year, new, out=written)
    register = _register(session, cfg.tenant, year)
    pending = [i for i in register if i.status == STATUS_PREPARED]
    invoiced = sum((i.total_sek for i in pending if i.kind == KIND_INVOICE), Decimal(0))
    credited = sum((i.total_sek for i in pending if i.kind == KIND_CREDIT_NOTE), Decimal(0))
    previous = _previous_year(session, cfg.tenant, year)
    summary = {
        "year": year,
        "tenant": cfg.tenant,
        "invoices": [i.draft_id for i in new if i.kind == KIND_INVOICE],
        "credit_notes": [i.draft_id for i in new if i.kind == KIND_CREDIT_NOTE],
        "superseded": [i.draft_id for i in superseded],
        "unchanged": unchanged,
        "pending": [i.draft_id for i in pending],
        "invoices_waiting": [i.draft_id for i in pending if i.kind == KIND_INVOICE],
        "credits_waiting": [i.draft_id for i in pending if i.kind == KIND_CREDIT_NOTE],
        "pending_invoiced_sek": str(invoiced),
        "pending_credited_sek": str(credited),
        "invoiced_sv": approval_text.kr(invoiced),
        "credited_sv": approval_text.kr(credited),
        "previous_total_sv": approval_text.kr(sum(previous.values(), Decimal(0))) if previous else "",
        "rows": approval_text.rows(pending, previous, {i.id: ref(i) for i in register},
                                   cfg.population.reference_date),
        "prepared_dir": str(dirs["prepared"]),
        # what finance must see to approve: who is paid, to which account, how much
        "payee": settings.seller.name,
        "payee_org_number": settings.seller.org_number,
        "payee_iban": " ".join(settings.seller.iban[i:i + 4] for i in range(0, len(settings.seller.iban), 4)),
        "payee_bic": settings.seller.bic or "",
        "pending_total_sv": approval_text.kr(invoiced),
    }
    log.info("Invoices %s: %d new invoice(s), %d credit note(s), %d unchanged, %d awaiting approval",
             year, len(summary["invoices"]), len(summary["credit_notes"]), unchanged, len(pending))
    return summary


def _previous_year(session: Session, tenant: str, year: int) -> dict[str, Decimal]:
    """Last year's contribution per municipality (what the approval compares with)."""
    return {c.municipality_code: Decimal(c.amount_sek) for c in session.scalars(
        select(Contribution).where(Contribution.tenant == tenant, Contribution.year == year - 1))}
