"""The stewards' checklist of a year: ``<output>/<tenant>/<year>/leveranser.html`` ("Leveranskontroll
<år>") and ``leveranser_<år>.csv``, written after every run that changes the file log (ingest,
annual). For each rejected delivery it holds a ready "begär rättad fil" message to the partner:
the file, the reason and the rejected rows as the partner's spreadsheet numbers them, masked
(:func:`runreport.privacy.mask`), never a value from a personal field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from runreport import deliveries as dl
from runreport import privacy, sweformat

PAGE, MAX_ROWS = "leveranser.html", 20


@dataclass(frozen=True)
class Request:
    """A "begär rättad fil" message for one rejected delivery."""

    to: str
    subject: str
    body: str


def correction_request(network: str, year: int, d: dl.Delivery, rows: list[tuple[int, str | None, str]],
                       due: datetime, now: datetime) -> Request:
    """The message to the partner of the rejected delivery ``d``: what came, what is wrong (``rows``:
    (row as in the spreadsheet, field, reason), 0 = the whole file) and by when a corrected file is needed."""
    f = d.file
    name = privacy.file_name(f.file_name) if f else "–"
    lines = [f"Hej {d.expected.partner}!", "",
             f"Filen {name} – {d.expected.label} för {year} – som kom in "
             f"{sweformat.stockholm(f.ingested_at) if f else '–'} kunde inte läsas in i {network}s uppföljning.", ""]
    whole = [reason for row, _, reason in rows if row == 0]
    if whole:
        lines += ["Det här gäller hela filen:", *(f"- {privacy.mask(r)}" for r in whole), ""]
    per_row = [(row, field, reason) for row, field, reason in rows if row]
    if per_row:
        lines.append(f"Rader med fel ({len(per_row)}; radnumren är som i ert kalkylblad):")
        lines += [f"- rad {row}{f' ({field})' if field else ''}: {privacy.mask(reason)}" for row, field, reason in
                  per_row[:MAX_ROWS]]
        if len(per_row) > MAX_ROWS:
            lines.append(f"- … och {len(per_row) - MAX_ROWS} rader till.")
        lines.append("")
    when = f"senast {sweformat.long_day(due)}" if due > now else "så snart som möjligt (tiden har gått ut)"
    lines += [f"Svara på det här meddelandet med en rättad fil {when} (samma filnamn med _v2 i slutet går bra).",
              "", "Tack!", f"Dataförvaltarna, {network}"]
    subject = f"{network} {year}: rättad fil behövs – {d.expected.label} ({name})"
    return Request(d.expected.contact, subject, "\n".join(lines))


def _rejected_rows(session, file_id: int) -> list[tuple[int, str | None, str]]:  # noqa: ANN001
    from sqlalchemy import select

    from runreport.warehouse import models as m

    q = (select(m.QuarantinedRow.row_number, m.QuarantinedRow.field, m.QuarantinedRow.reason_sv)
         .where(m.QuarantinedRow.file_id == file_id).order_by(m.QuarantinedRow.row_number))
    seen: dict[int, tuple[int, str | None, str]] = {}
    for row, field, reason in session.execute(q):
        seen.setdefault(int(row), (int(row), field, reason))   # one line per row, its first reason
    return list(seen.values())


def build(session, cfg, year: int, now: datetime | None = None) -> dict:  # noqa: ANN001
    """What the page and the CSV show (plain data, for the template and tests)."""
    now = now or datetime.now(UTC)
    rows = dl.deliveries(session, cfg, year, now)
    due = min((d.expected.due for d in rows), default=now)
    network = cfg.tenant
    requests = {}
    for d in rows:
        if d.status in (dl.REJECTED, dl.HELD) and d.file is not None:
            requests[d.file.id] = correction_request(network, year, d, _rejected_rows(session, d.file.id),
                                                     d.expected.due, now)
    days_left = (due.astimezone(sweformat.STOCKHOLM).date() - now.astimezone(sweformat.STOCKHOLM).date()).days
    return {"network": network, "year": year, "rows": rows, "requests": requests, "due": due,
            "due_text": sweformat.long_day(due), "days_left": days_left, "headline": dl.headline(rows, year),
            "made": sweformat.stockholm(now)}


def write(session, cfg, year: int, now: datetime | None = None) -> dict[str, str]:  # noqa: ANN001
    """Write ``leveranser.html`` and ``leveranser_<år>.csv`` into the year's output folder."""
    from runreport.pages import render

    data = build(session, cfg, year, now)
    out = Path(cfg.output_dir(year))
    out.mkdir(parents=True, exist_ok=True)
    csv_path, page = out / f"leveranser_{year}.csv", out / PAGE
    csv_path.write_text(dl.to_csv(data["network"], data["rows"]), encoding="utf-8")
    page.write_text(render("leveranser.html.j2", **data, privacy=privacy, csv_name=csv_path.name,
                           stockholm=sweformat.stockholm), encoding="utf-8")
    return {"html": str(page), "csv": str(csv_path)}


def publish(cfg, year: int) -> dict[str, str]:  # noqa: ANN001
    """Rebuild the year's checklist from the warehouse (after an ingest or an annual run)."""
    from runreport.steps.common import sessions

    with sessions(cfg)() as session:
        return write(session, cfg, year)
