"""The receipt before the run (issue 17): one partner file checked against the data contract
*without loading it*, with the outcome the annual run would give the same file.

:func:`check` places the file as collect does (:mod:`runreport.ingest.collect`: the source from the
inbox folder it lies in, or ``--source``, or the one source whose file pattern its name follows; the
year from its name), then runs the run's own code on it: :func:`runreport.filecheck.check_file`
(read, parse, the Great Expectations suite, in a GX context kept in memory) and the validate step's
``_settle`` (keys already loaded, organisation numbers, plausibility, the quarantine policy
:func:`runreport.validation.policy.decide`), against the warehouse as it is, opened read-only.

Nothing is written: no warehouse row (the warehouse is opened read-only, and an absent one is
replaced by an empty one in memory), no file log, no staging, no output folder, no GX results
store; the file is only read. :meth:`Receipt.text_sv` is the receipt in Swedish; partner values are
shown only as :mod:`runreport.privacy` lets them be (e-mail addresses and names never).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from runreport.config import Config
from runreport.ingest.collect import (
    YEARLESS,
    SetAside,
    _pattern_matches,
    _set_aside,
    slot_of,
    source_folders,
    year_of,
)
from runreport.schema import SOURCES

MAX_ROWS_SHOWN = 200   # the text lists at most this many quarantined rows (the JSON all of them)
VERDICT_SV = {"loaded": "godkänd", "unchanged": "godkänd", "rejected": "avvisad", "set_aside": "avvisad",
              "held": "väntar på beslut", "replaced": "ersatt av en rättad fil",
              "not_checked": "kan inte kontrolleras ännu"}
NEEDS_MEMBERS = ("registrations", "evaluations")   # their organisations are checked against the members


@dataclass(frozen=True)
class ReceiptIssue:
    """One finding: the row as the partner's spreadsheet shows it (0: the whole file), the field
    (canonical name), the rule and the Swedish reason the run stores."""

    row: int
    field: str | None
    rule: str
    reason_sv: str


@dataclass
class Receipt:
    file_name: str
    source: str | None
    year: int | None                 # the file's year (None: a file of several years)
    run_year: int                    # the reporting year it was checked for
    tenant: str
    status: str                      # loaded, rejected, held, set_aside, unchanged, replaced (as the run's summary)
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    issues: list[ReceiptIssue] = field(default_factory=list)
    reason_sv: str | None = None     # why a file is rejected, held or not read at all
    rule: str | None = None          # the rule of a file that is not read (collect's set-aside rule)
    notes: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """The run would load the file (perhaps with rows in quarantine), or has loaded it already."""
        return self.status in ("loaded", "unchanged")

    @property
    def verdict_sv(self) -> str:
        if self.accepted and self.rows_quarantined:
            return "godkänd med rader i karantän"
        return VERDICT_SV[self.status]

    @property
    def delivery_sv(self) -> str:
        if self.source is None:
            return "okänd (namnet hör inte till någon källa)"
        label = SOURCES[self.source].label_sv
        if self.year is not None:
            return f"{label} {self.year}"
        return f"{label} (gäller flera år; kontrollerad för verksamhetsåret {self.run_year})"

    def as_dict(self) -> dict:
        """The receipt as data (``--json``), its texts shown as :mod:`runreport.privacy` allows."""
        from runreport import privacy

        d = asdict(self)
        d.update(file_name=privacy.file_name(self.file_name), verdict_sv=self.verdict_sv, accepted=self.accepted,
                 delivery_sv=self.delivery_sv, reason_sv=self.reason_sv and privacy.mask(self.reason_sv))
        for i in d["issues"]:
            i["reason_sv"] = privacy.mask(i["reason_sv"])
        return d

    def text_sv(self) -> str:
        """The receipt in Swedish, as a steward or partner reads it."""
        from runreport import privacy
        from runreport.validation.descriptions import field_label

        lines = [f"Kvitto för {privacy.file_name(self.file_name)} (nätverket {self.tenant})",
                 f"Leverans: {self.delivery_sv}",
                 f"Besked: {self.verdict_sv}"]
        if self.reason_sv:
            lines.append(f"Skäl: {privacy.mask(self.reason_sv)}")
        if self.status not in ("set_aside", "not_checked"):
            lines.append(f"Rader: {self.rows_in} in = {self.rows_loaded} läses in + {self.rows_quarantined} i karantän")
        lines += [f"Hela filen{_field(field_label, self.source, i.field)}: {privacy.mask(i.reason_sv)}"
                  for i in self.issues if i.row <= 0 and i.reason_sv not in (self.reason_sv or "")]
        rows = sorted((i for i in self.issues if i.row > 0), key=lambda i: i.row)
        # one line per row, field and reason (a wide file's row may hold the same finding per year)
        shown = list(dict.fromkeys(f"  rad {i.row}{_field(field_label, self.source, i.field)}: "
                                   f"{privacy.mask(i.reason_sv)}" for i in rows))
        if rows:
            lines.append(f"Rader i karantän ({len({i.row for i in rows})}):")
            lines += shown[:MAX_ROWS_SHOWN]
            if len(shown) > MAX_ROWS_SHOWN:
                lines.append(f"  … och {len(shown) - MAX_ROWS_SHOWN} fynd till (--json visar alla)")
        lines += self.notes
        lines.append("Detta är en kontroll före körningen: filen har inte lästs in och ingenting har sparats.")
        return "\n".join(lines) + "\n"


def _field(label, source: str | None, name: str | None) -> str:
    return f", {label(source, name)}" if name and source else ""


def _swedish(text: str | None, file_name: str) -> str | None:
    """The Swedish half of a run's message (``<file>[, rad <n>]: <sv> / <en>``), without the file's name."""
    return None if text is None else text.removeprefix(f"{file_name}: ").removeprefix(f"{file_name}, ").split(" / ")[0]


# ------------------------------------------------------------------------------ where the file belongs
def expected_names_sv() -> str:
    """The file names each source expects (schema.Source.file_pattern), in Swedish."""
    return "; ".join(f"{s.label_sv}: {', '.join(s.file_pattern.split('|'))}" for s in SOURCES.values())


def _not_placed(name: str, why: str) -> SetAside:
    return SetAside(None, name, "name_not_matching",
                    f"{why}: läses inte. Väntade namn (filer per år med året i namnet, t.ex. "
                    f"anmalningar_2025.csv): {expected_names_sv()}. Byt namn eller ange --source",
                    f"{why}: not read")


def place(path: Path, cfg: Config, source: str | None = None) -> tuple[str | None, SetAside | None]:
    """The file's source as collect would decide it, or the reason collect sets it aside.

    Inside the run's inbox its place decides (a source's folder, a subfolder, the inbox itself);
    elsewhere ``source``, the folder it lies in if that is named as a source, or the one source
    whose file pattern the name follows."""
    inbox = None if "://" in cfg.paths.inbox else cfg.path("inbox").resolve()
    where = path.resolve()
    if inbox is not None and where.is_relative_to(inbox) and where != inbox:
        parts = where.relative_to(inbox).parts
        if len(parts) == 1:
            return None, _set_aside(None, path, False)
        folder = source_folders(inbox).get(parts[0].casefold())
        if folder is None or folder.name != parts[0]:
            return None, _set_aside(None, inbox / parts[0], True)
        found = parts[0].casefold()
        if len(parts) > 2:
            return found, _set_aside(found, inbox / parts[0] / parts[1], True)
        return found, _set_aside(found, path, False)
    if source is None and path.parent.name.casefold() in SOURCES:
        source = path.parent.name.casefold()
    if source is None:
        matching = [s for s in SOURCES if _pattern_matches(s, path.name)]
        if len(matching) != 1:
            why = ("namnet följer ingen källas mönster" if not matching else
                   "namnet passar flera källor (" + ", ".join(SOURCES[s].label_sv for s in matching) + ")")
            return None, _not_placed(path.name, why)
        source = matching[0]
    return source, _set_aside(source, path, False)


# ------------------------------------------------------------------------------ the warehouse, read-only
def read_only_sessions(cfg: Config):
    """A session factory on the run's warehouse that cannot write: SQLite opened read-only (a file
    without a write-ahead log as immutable, so not even the log files are made), PostgreSQL in
    read-only transactions; a warehouse that does not exist yet is an empty one in memory."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker
    from sqlalchemy.pool import StaticPool

    url = cfg.warehouse_url
    if not url.startswith("sqlite"):
        return sessionmaker(create_engine(url, connect_args={"options": "-c default_transaction_read_only=on"}))
    db = _sqlite_file(url)
    if db is None:
        from runreport.warehouse.engine import metadata

        engine = create_engine("sqlite://", poolclass=StaticPool)
        metadata().create_all(engine)
    else:
        mode = "ro" if Path(f"{db}-wal").exists() else "ro&immutable=1"
        import sqlite3
        from urllib.parse import quote

        uri = f"file:{quote(str(db.resolve()))}?mode={mode}"   # given to sqlite3 as it is (no URL parsing)
        engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))
    return sessionmaker(engine)


def _sqlite_file(url: str) -> Path | None:
    """The SQLite warehouse's file, None when there is none (yet)."""
    db = url.split("///", 1)[1] if "///" in url else ""
    return Path(db) if db and db != ":memory:" and Path(db).is_file() else None


def default_year(today: date | None = None) -> int:
    """The reporting year of a file without a year when none is given: the year before this one."""
    return (today or date.today()).year - 1


# ------------------------------------------------------------------------------ the check
def check(path: Path | str, cfg: Config, secret: bytes, source: str | None = None, year: int | None = None
          ) -> Receipt:
    """The receipt for the file at ``path`` (``year``: the run's reporting year; default the
    file's own, or :func:`default_year` for a file of several years). Reads, never writes."""
    path = Path(path)
    found, aside = place(path, cfg, source)
    file_year = year_of(found, path.name) if found else None
    run_year = year or file_year or default_year()
    receipt = Receipt(path.name, found, file_year, run_year, cfg.tenant, "set_aside")
    if aside is None and year is not None and file_year is not None and file_year > year:
        aside = SetAside(found, path.name, "later_year", f"hör till {file_year}: läses i körningen för det året",
                         f"belongs to {file_year}: read by that year's run")
    if aside is not None:
        receipt.rule, receipt.reason_sv = aside.rule, aside.reason_sv
        return receipt
    data = path.read_bytes()
    with read_only_sessions(cfg)() as s:
        if found in NEEDS_MEMBERS and not _has_members(s, cfg.tenant):
            receipt.status, receipt.rule = "not_checked", "no_members"
            receipt.reason_sv = ("lagret har inga medlemskommuner ännu, så kommun eller organisation på raderna kan "
                                 "inte kontrolleras; läs in medlemsfilen först eller kontrollera mot nätverkets lager")
            return receipt
        fo, logged = _checked(s, cfg, found, path.name, file_year, run_year, data, secret)
    receipt.status = "loaded" if fo.status == "new" else fo.status
    receipt.rows_in, receipt.rows_loaded, receipt.rows_quarantined = fo.rows_in, fo.rows_loaded, fo.rows_quarantined
    receipt.issues = [ReceiptIssue(i.row, i.field, i.rule, _swedish(i.reason_sv, path.name)
                                   if i.reason_sv == i.reason_en else i.reason_sv)   # a bilingual message
                      for i in fo.issues]
    if fo.status in ("rejected", "held"):
        receipt.reason_sv = _swedish(fo.message, path.name)
    if cfg.warehouse_url.startswith("sqlite") and _sqlite_file(cfg.warehouse_url) is None:
        receipt.notes.append("Obs: lagret finns inte ännu, så filen är kontrollerad utan medlemmar, aktiviteter "
                             "och tidigare inlästa rader.")
    if logged:
        receipt.notes.append("Filen är redan inläst (samma innehåll): körningen läser inte in den igen; "
                             "beskedet är det den fick då.")
    return receipt


def _has_members(s, tenant: str) -> bool:  # noqa: ANN001
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from runreport.warehouse import models as m

    try:
        return s.scalars(select(m.Member.id).where(m.Member.tenant == tenant).limit(1)).first() is not None
    except SQLAlchemyError:   # no warehouse at all
        return False


def _checked(s, cfg: Config, source: str, name: str, file_year: int | None, run_year: int, data: bytes,
             secret: bytes) -> tuple:
    """The file's outcome (:class:`runreport.steps.common.FileOutcome`) as the run's validate step
    decides it, with the warehouse session ``s`` only read; and whether it is the outcome of the
    file log (the same bytes were read before)."""
    from runreport import privacy
    from runreport.filecheck import FileCheck, check_file
    from runreport.ingest.mapping import load_mappings
    from runreport.ingest.organisations import load_partners
    from runreport.steps.collect import _superseded
    from runreport.steps.common import FileOutcome
    from runreport.steps.validate import NO_YEAR_IN_NAME, _from_log, _job, _settle
    from runreport.validation.reference import RunReference, reference_context
    from runreport.warehouse import names as name_store
    from runreport.warehouse.load import already_ingested

    checksum = hashlib.sha256(data).hexdigest()
    fo = FileOutcome(source, name, file_year, checksum, slot_of(source, name), "new")
    known = already_ingested(s, cfg.tenant, checksum)
    if known is not None and not (known.status == "held" and not _superseded(s, known)):
        _from_log(s, cfg, fo)   # the run's collect calls it unchanged: read and decided before
        return fo, True
    privacy.use_key(secret)
    privacy.remember_digests(name_store.load(s, cfg.tenant))
    mappings = load_mappings()
    _learn_names(source, name, data, mappings)
    ref = RunReference(*reference_context(s, cfg), partners=load_partners())
    ref.replacing.setdefault((source, file_year), set()).add(fo.slot)
    if source not in YEARLESS and file_year is None:
        result = FileCheck(rejected=NO_YEAR_IN_NAME)
    else:
        result = check_file(_job(cfg, run_year, fo, data, ref, secret, mappings, None, "kvitto"))
    _settle(s, cfg, fo, data, result, ref)
    return fo, False


def _learn_names(source: str, name: str, data: bytes, mappings: dict) -> None:
    """A registration file's names, masked wherever they would show (in this process's memory only)."""
    if source != "registrations":
        return
    from runreport import privacy
    from runreport.ingest.read import read_table

    try:
        df = read_table(data, name, source, mappings).df
    except Exception:  # noqa: BLE001 - an unreadable file is rejected by its check
        return
    if "person_name" in df.columns:
        privacy.remember_names(df["person_name"].dropna().astype(str).unique().tolist())
