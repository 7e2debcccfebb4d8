"""The hand-over of a released batch: ``<outbox>/leverans_<year>_<first>_<last>.csv``.

The outbox is the folder the access point provider collects from (docs/operations.md). Each
release writes, beside its XML files, one manifest that finance reconciles against the provider's
receipt and the ledger: file, SHA-256, document type, buyer, amounts. Semicolon-separated, UTF-8
with BOM, decimal comma: it opens as columns in Swedish Excel. Buyer names are municipalities, never
people; a value that a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from runreport.orgnumber import format_orgnr
from runreport.sweformat import spreadsheet_decimal
from runreport.validation.summary import csv_cell

HEADINGS = ["Fil", "SHA-256", "Typ", "Fakturanummer", "Utkast", "Krediterar", "Kommunkod", "Köpare",
            "Organisationsnummer", "Köparens referens", "Fakturadatum", "Förfallodatum",
            "Belopp exkl. moms", "Moms", "Att betala", "Valuta"]


def _amount(value) -> str:  # noqa: ANN001
    return spreadsheet_decimal(value, 2)


def write(invoices: list, outbox: Path, year: int, credited_numbers: dict) -> Path:  # noqa: ANN001
    """One manifest for the released ``invoices`` (rows of the register, numbered)."""
    numbers = [inv.number for inv in invoices]
    path = outbox / f"leverans_{year}_{numbers[0]}_{numbers[-1]}.csv"
    buf = io.StringIO()
    out = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    out.writerow(HEADINGS)
    for inv in invoices:
        out.writerow([csv_cell(v) for v in (
            Path(inv.xml_path).name, inv.checksum, "Kreditnota" if inv.kind == "credit_note" else "Faktura",
            inv.number, inv.draft_id, credited_numbers.get(inv.credited_invoice_id, ""), inv.municipality_code,
            inv.municipality_name, format_orgnr(inv.org_number), inv.buyer_reference, inv.issue_date.isoformat(),
            inv.due_date.isoformat() if inv.due_date else "", _amount(inv.amount_sek), _amount(inv.vat_sek),
            _amount(inv.total_sek), "SEK")])
    path.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))
    return path


_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,59}")


def number_for_draft(outbox: Path, draft_id: str) -> str | None:
    """The number a released draft was given, from the outbox's manifests (None: not released).
    The approval's links name drafts; once released, a draft's basis carries its number."""
    for path in sorted(outbox.glob("leverans_*.csv")):
        rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";")
        for row in rows:
            number = (row.get("Fakturanummer") or "").strip()
            if row.get("Utkast") == draft_id and _NUMBER.fullmatch(number):
                return number
    return None
