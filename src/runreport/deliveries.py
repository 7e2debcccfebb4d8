"""Expected deliveries: for a network's reporting year, which partner owes which source, by when,
and where each delivery stands. The stewards' checklist ("Leveranskontroll <år>") and
``leveranser_<år>.csv`` are built from it.

Who delivers and by when is configuration (``deliveries`` in ``config/pipeline.yaml``); the
statuses are computed from the warehouse's file log after every run (:func:`deliveries`):

- ``väntas``: nothing usable has come, and the due moment has not passed;
- ``för sent``: nothing usable has come, and the due moment has passed;
- ``levererad``: the year's data is there (for members, agreements and population: what the year
  needs, as :mod:`runreport.completeness` counts it); ``levererad för sent`` when the file came after
  the due moment;
- ``avvisad``: the newest file of a slot was rejected and no corrected file has replaced it;
- ``väntar på beslut``: the file is held for a steward's decision (a plausibility finding);
- ``ersatt``: a file that a corrected file replaced (shown with the file that replaced it).

Pure where it can be: :func:`statuses` takes the file log's rows and the gaps; only
:func:`deliveries` reads the warehouse.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from runreport.schema import SOURCES

WAITING, LATE, DELIVERED, DELIVERED_LATE = "väntas", "för sent", "levererad", "levererad för sent"
REJECTED, HELD, REPLACED = "avvisad", "väntar på beslut", "ersatt"
OPEN = (WAITING, LATE, REJECTED, HELD)   # a steward must chase these

CSV_HEADER = ("nätverk", "källa", "leverantör", "kontakt", "senast", "status", "fil", "ersatt av",
              "rader in", "inlästa", "i karantän")


@dataclass(frozen=True)
class Expected:
    """One expected delivery of a reporting year."""

    source: str
    partner: str
    contact: str
    due: datetime            # aware UTC
    required: bool           # the report needs it (reporting.required_sources)

    @property
    def label(self) -> str:
        return SOURCES[self.source].label_sv if self.source in SOURCES else self.source


@dataclass(frozen=True)
class LoggedFile:
    """A file-log row as this module needs it (runreport.warehouse.models.IngestedFile)."""

    id: int
    source: str
    file_name: str
    slot: str
    year: int | None
    status: str                   # loaded, replaced, rejected, held
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    ingested_at: datetime         # naive UTC as stored, or aware
    replaced_by: str | None = None   # the file name that replaced it


@dataclass(frozen=True)
class Delivery:
    """One row of the checklist: an expected delivery and one of its files (or none)."""

    expected: Expected
    status: str
    file: LoggedFile | None = None

    @property
    def open(self) -> bool:
        return self.status in OPEN


def expected(cfg: Mapping, year: int) -> list[Expected]:
    """The deliveries ``year`` expects, from the configuration's ``deliveries`` (every source of the
    contract; required = in ``reporting.required_sources``). Due: Monday (``due_iso_weekday``) of
    ISO week ``due_iso_week`` of ``year + 1``, 06:00 Stockholm time (when the annual run reads
    them), unless a source sets its own."""
    from runreport import completeness, schedule
    from runreport.settings import DeliverySource

    conf = cfg.deliveries
    required = set(completeness.required(cfg, "report"))
    week = conf.due_iso_week or cfg.reporting.run_iso_week
    out = []
    for source in SOURCES:
        own = conf.sources.get(source) or DeliverySource()
        day = schedule.iso_date(year + 1, own.due_iso_week or week, own.due_iso_weekday or conf.due_iso_weekday)
        out.append(Expected(source, own.partner or "–", own.contact, schedule.local_datetime(day, 6), source in required))
    return out


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def statuses(wanted: Sequence[Expected], files: Iterable[LoggedFile], missing: set[str],
             now: datetime) -> list[Delivery]:
    """The checklist: for each expected source its files, newest first (a replaced file after the one
    that replaced it), or one row without a file. ``missing``: the sources the year still lacks
    (completeness.gaps over every source); ``now``: the moment the checklist is made (aware)."""
    by_source: dict[str, list[LoggedFile]] = {}
    for f in files:
        by_source.setdefault(f.source, []).append(f)
    out: list[Delivery] = []
    for exp in wanted:
        mine = sorted(by_source.get(exp.source, ()), key=lambda f: (f.status == "replaced", -f.id))
        rows: list[Delivery] = []
        for f in mine:
            if f.status == "replaced":
                status = REPLACED
            elif f.status == "rejected":
                status = REJECTED
            elif f.status == "held":
                status = HELD
            else:
                status = DELIVERED_LATE if _aware(f.ingested_at) > exp.due else DELIVERED
            rows.append(Delivery(exp, status, f))
        if exp.source in missing and not any(r.status in (REJECTED, HELD) for r in rows):
            rows.insert(0, Delivery(exp, LATE if now > exp.due else WAITING))
        if not rows:
            rows.append(Delivery(exp, DELIVERED))   # a year-less source that the year needs nothing of
        out += rows
    return out


def deliveries(session, cfg, year: int, now: datetime | None = None) -> list[Delivery]:  # noqa: ANN001
    """The checklist of ``cfg``'s network for ``year`` from the warehouse's file log."""
    from sqlalchemy import select

    from runreport import completeness
    from runreport.ingest.collect import YEARLESS
    from runreport.warehouse import models as m

    logged = session.scalars(select(m.IngestedFile).where(m.IngestedFile.tenant == cfg.tenant)).all()
    names = {r.id: r.file_name for r in logged}
    files = [LoggedFile(r.id, r.source, r.file_name, r.slot, r.year, r.status, r.rows_in or 0, r.rows_loaded or 0,
                        r.rows_quarantined or 0, r.ingested_at, names.get(r.replaced_by_id))
             for r in logged if r.year == year or (r.source in YEARLESS and r.year in (None, year, year - 1))]
    missing = {g.source for g in completeness.gaps(session, cfg.tenant, year, list(SOURCES))}
    return statuses(expected(cfg, year), files, missing, now or datetime.now(UTC))


def to_csv(tenant: str, rows: Sequence[Delivery]) -> str:
    """``leveranser_<år>.csv``: one line per delivery row (semicolon, UTF-8 with BOM: Excel opens it)."""
    from runreport import privacy, sweformat

    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    for d in rows:
        f = d.file
        counted = f is not None and d.status != REPLACED   # a replaced file's rows left with it
        w.writerow((tenant, d.expected.label, d.expected.partner, d.expected.contact, sweformat.stockholm(d.expected.due),
                    d.status, privacy.file_name(f.file_name) if f else "", privacy.file_name(f.replaced_by) if f and
                    f.replaced_by else "", f.rows_in if counted else "", f.rows_loaded if counted else "",
                    f.rows_quarantined if counted else ""))
    return "\ufeff" + buf.getvalue()


def headline(rows: Sequence[Delivery], year: int) -> str:
    """One line for the top of the page: what is missing or wrong, or that all is in."""
    open_ = [d for d in rows if d.open and d.expected.required]
    if not open_:
        return f"Alla leveranser för {year} som verksamhetsberättelsen behöver har kommit in."
    parts = []
    for status in (REJECTED, HELD, LATE, WAITING):
        labels = sorted({d.expected.label for d in open_ if d.status == status})
        if labels:
            parts.append(f"{status}: {', '.join(labels)}")
    return f"{len({d.expected.source for d in open_})} leveranser saknas eller behöver åtgärdas – " + "; ".join(parts)
