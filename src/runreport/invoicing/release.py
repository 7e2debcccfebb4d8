"""Finance's decision on the waiting drafts of a year: release (numbers, Peppol check, outbox,
manifest) or reject (with a reason). See :mod:`runreport.invoicing.issue` for the whole cycle."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from runreport.invoicing import manifest, peppol, ubl
from runreport.invoicing.issue import (
    _all_or_nothing,
    _draft_of,
    _register,
    _sha256,
    invoice_dirs,
    write_documents,
)
from runreport.invoicing.model import InvoicingSettings, UblDocument
from runreport.invoicing.numbering import lock_sequence, next_number, series_key
from runreport.warehouse.invoices import (
    KIND_INVOICE,
    STATUS_PREPARED,
    STATUS_REJECTED,
    STATUS_RELEASED,
    Invoice,
)

log = logging.getLogger(__name__)


def _payee_account(xml: Path) -> str | None:
    """The IBAN a prepared document pays to (``cac:PayeeFinancialAccount/cbc:ID``)."""
    from lxml import etree

    ids = etree.parse(str(xml)).xpath("//*[local-name()='PayeeFinancialAccount']/*[local-name()='ID']/text()")
    return ids[0].strip() if ids else None


def _pending(session: Session, tenant: str, year: int) -> list[Invoice]:
    return [i for i in _register(session, tenant, year) if i.status == STATUS_PREPARED]


def _chosen(pending: list[Invoice], drafts: Iterable[str] | None, what: str) -> list[Invoice]:
    """The waiting drafts finance decided on. A credit note and the new invoice prepared with it for
    the same municipality are one decision: releasing one without the other would leave two invoices
    in force (or none), so a choice that splits them is refused and nothing is done."""
    if drafts is None:
        return pending
    chosen = set(drafts)
    left = [inv.draft_id for inv in pending if inv.draft_id not in chosen]
    if left:
        log.warning("Not %s in this run, left prepared: %s", what, ", ".join(left))
    picked = [inv for inv in pending if inv.draft_id in chosen]
    codes = {inv.municipality_code for inv in picked}
    split = sorted({inv.draft_id for inv in pending if inv.municipality_code in codes and inv.draft_id not in chosen})
    if split:
        raise ValueError(f"Kreditnotan och den nya fakturan för samma kommun hör ihop; {', '.join(split)} måste med "
                         f"i samma beslut. Inget gjordes / a credit note and its new invoice are decided together; "
                         f"{', '.join(split)} missing from the choice; nothing done")
    return picked


def _check_draft(inv: Invoice, account: str) -> None:
    """The approved draft is the one prepared: same bytes, same bank account as finance's now."""
    if _sha256(Path(inv.xml_path)) != inv.checksum:
        raise RuntimeError(f"{inv.xml_path} was changed after it was prepared (checksum mismatch); "
                           "nothing released")
    prepared_with = _payee_account(Path(inv.xml_path))
    if inv.kind == KIND_INVOICE and prepared_with != account:
        raise RuntimeError(
            f"Utkastet {inv.draft_id} förbereddes med bankkontot {prepared_with}, men ekonomis anslutning anger nu "
            f"{account}: inget släpps. Avvisa och förbered fakturorna på nytt / draft {inv.draft_id} was "
            f"prepared with another bank account than the finance connection now holds; nothing released")


def release_invoices(session: Session, cfg, year: int, drafts: Iterable[str] | None = None,  # noqa: ANN001
                     *, release_date: date | None = None, decided_by: str | None = None) -> list[Path]:
    """After finance's approval: give the approved drafts of the year (``drafts``, the draft ids the
    approval showed; None: every prepared one) their invoice numbers and send them to the outbox.

    Numbers are taken in draft order from the unbroken series of the seller and year, inside this
    transaction: if anything fails (a draft changed since it was prepared, another bank account, a
    document failing the Peppol rules) nothing is released, no number is used and no file stays in
    the outbox. A draft prepared after the approval was asked for stays prepared for the next one."""
    settings = InvoicingSettings.from_config(cfg)
    release_date = release_date or date.today()
    dirs = invoice_dirs(cfg, year)
    dirs["outbox"].mkdir(parents=True, exist_ok=True)
    pending = _chosen(_pending(session, cfg.tenant, year), drafts, "approved")
    for inv in pending:
        _check_draft(inv, settings.seller.iban)
    series = cfg.invoicing.series
    drafts_done: list[Path] = []
    with _all_or_nothing(session) as written:
        lock_sequence(session, cfg.tenant, series_key(series, year))
        now = datetime.now()
        register = {i.id: i for i in _register(session, cfg.tenant, year)}
        for inv in pending:
            number = next_number(session, cfg.tenant, series, year)
            credited = register.get(inv.credited_invoice_id)
            due = (release_date + timedelta(days=settings.payment_terms_days)) if inv.kind == KIND_INVOICE else None
            doc = UblDocument(
                kind=inv.kind, number=number, issue_date=release_date, draft=_draft_of(inv), settings=settings,
                due_date=due, credited_number=credited.number if credited else None,
                credited_issue_date=credited.issue_date if credited else None,
            )
            if doc.gross_total != inv.total_sek:   # the document must say what finance approved
                raise RuntimeError(f"{inv.draft_id}: {doc.gross_total} != approved {inv.total_sek}; nothing released")
            target = dirs["outbox"] / f"{number}.xml"
            if target.exists():   # a document in the outbox is never rewritten (nor removed by a rollback)
                raise RuntimeError(f"{target} finns redan i utkorgen, men registret har inte numret {number}: "
                                   "inget släpps (återställdes lagret från en äldre kopia?) / already in the outbox "
                                   "but not in the register; nothing released")
            written.append(target)
            ubl.write(doc, target)
            drafts_done.append(Path(inv.xml_path))   # the draft and its basis give way to the numbered ones
            drafts_done += [dirs["underlag"] / f"{inv.draft_id}_fakturaunderlag.{ext}" for ext in ("docx", "pdf")]
            inv.number, inv.issue_date, inv.due_date = number, release_date, due
            inv.xml_path, inv.checksum = str(target), _sha256(target)
            inv.status, inv.released_at = STATUS_RELEASED, now
            inv.decided_by = decided_by
            inv.decision = "Godkänd och skickad" + (f" av {decided_by}" if decided_by else "")
        session.flush()
        peppol.check(cfg, written)   # refuses the whole release if one document breaks the rules
        if pending:
            written.append(manifest.write(pending, dirs["outbox"], year,
                                          {i.id: i.number for i in register.values() if i.number}))
        write_documents(session, cfg, year, pending, out=written)
    for path in drafts_done:   # the drafts are now in the outbox and the bases under their numbers
        path.unlink(missing_ok=True)
    log.info("Released %d document(s) for %s to %s", len(pending), year, dirs["outbox"])
    return [Path(inv.xml_path) for inv in pending]


def reject_invoices(session: Session, cfg, year: int, drafts: Iterable[str] | None = None,  # noqa: ANN001
                    *, reason: str, decided_by: str | None = None) -> list[str]:
    """Mark the drafts of the year that finance rejected (``drafts``; None: every prepared one)
    rejected, with finance's reason (required); nothing reaches the outbox and no number is used."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("Ett avslag måste ha ett skäl; inget avslogs / a rejection needs a reason; nothing rejected")
    dirs = invoice_dirs(cfg, year)
    dirs["rejected"].mkdir(parents=True, exist_ok=True)
    pending = _chosen(_pending(session, cfg.tenant, year), drafts, "rejected")
    moved: list[tuple[Path, Path]] = []
    try:
        for inv in pending:
            src = Path(inv.xml_path)
            target = dirs["rejected"] / src.name
            if src.exists():
                shutil.move(str(src), target)
                moved.append((target, src))
            inv.status = STATUS_REJECTED
            inv.xml_path = str(target)
            inv.decision = f"Avslagen: {reason[:450]}"
            inv.decided_by = decided_by
        session.flush()
        write_documents(session, cfg, year)
        session.commit()
    except BaseException:
        session.rollback()
        for target, src in moved:
            shutil.move(str(target), src)
        raise
    log.info("Rejected %d prepared document(s) for %s", len(pending), year)
    return [i.draft_id for i in pending]
