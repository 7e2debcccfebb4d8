"""Collect: list the inbox (one folder per source), fingerprint each file and decide what is new.

Every entry of the inbox is accounted for (:func:`survey`): a file of a source folder is collected,
or set aside with a reason the stewards see on the run page (never dropped without a word):

- ``system_file``: hidden and system files (``.DS_Store``, ``Thumbs.db``, ``desktop.ini``);
- ``lock_file``: an office program's lock file (``~$anmalningar.xlsx``): the file is open somewhere;
- ``unsupported_type``: a type the reader does not read (``README.md``, ``.pdf``, ``.xls``);
- ``subfolder``: a folder inside a source folder (its files are not read: put them in the source folder);
- ``unknown_folder``: an entry of the inbox that is not a source's folder;
- ``symlink``: a symbolic link (never followed, docs/security.md);
- ``year_ambiguous``: a per-year file whose name holds two different years;
- ``being_written``: a file changed less than ``validation.settle_seconds`` ago (the next run takes it);
- ``name_not_matching``: a name that follows none of the source's file patterns (``README.txt``);
- ``not_a_file``: a pipe or other special file;
- ``later_year``: a file of a later year than the run's (its own year's run reads it).

A source's folder is found whatever its case (``Registrations/``). The year of a per-year file is
the year in its name that is not part of a date (``anmalningar_vt2025_export_2026-01-15.csv`` is
2025, not 2026); see docs/data-contract.md.

The inbox may be a local folder or any Airflow ObjectStoragePath (s3://…): this module only uses
``iterdir()``, ``is_dir()``, ``name`` and ``read_bytes()``, which both provide.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from runreport.schema import SOURCES

SOURCE_ORDER = list(SOURCES)   # reference data first (schema.SOURCES is in checking order)
YEARLESS = {name for name, s in SOURCES.items() if s.yearless}
VERSION_SUFFIX = re.compile(r"([_\- ](v\d+|version\d+|rättad|rattad|korr|korrigerad|corrected|rev\d*))+$",
                            re.IGNORECASE)
YEAR_IN_NAME = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
DATE_IN_NAME = re.compile(
    r"(?<!\d)20\d\d(-?)(?:0[1-9]|1[0-2])\1(?:0[1-9]|[12]\d|3[01])(?!\d)"       # 2026-01-15, 20260115
    r"|(?<!\d)20\d\d-(?:[1-9]|1[0-2])-(?:[1-9]|[12]\d|3[01])(?!\d)"             # 2026-1-15
    r"|(?<!\d)(?:0?[1-9]|[12]\d|3[01])[-.](?:0?[1-9]|1[0-2])[-.]20\d\d(?!\d)")   # 15-01-2026, 15.1.2026
READ_TYPES = {".csv", ".txt", ".tsv", ".xlsx"}
SYSTEM_FILES = {"thumbs.db", "desktop.ini", ".ds_store", "icon\r"}


@dataclass(frozen=True)
class SetAside:
    """An entry of the inbox that is not collected, and why (a rule of the module docstring)."""

    source: str | None
    name: str
    rule: str
    reason_sv: str
    reason_en: str


@dataclass(frozen=True)
class CollectedFile:
    source: str
    name: str
    data: bytes
    checksum: str
    slot: str
    year: int | None


def slot_of(source: str, name: str) -> str:
    """Files in the same slot are versions of one delivery: ``anmalningar_2025_vt_v2.csv`` corrects
    ``anmalningar_2025_vt.csv``."""
    stem = name.rsplit(".", 1)[0].strip().casefold()
    return f"{source}/{VERSION_SUFFIX.sub('', stem)}"


def years_in_name(name: str) -> set[int]:
    """The years a file name names, leaving out those that are part of a date (an export date)."""
    return {int(y) for y in YEAR_IN_NAME.findall(DATE_IN_NAME.sub(" ", name))}


def year_of(source: str, name: str) -> int | None:
    """The year of a per-year file: the one year its name names (None: no year or several)."""
    if source in YEARLESS:
        return None
    years = years_in_name(name)
    return years.pop() if len(years) == 1 else None


def _is_link(p) -> bool:
    return bool(getattr(p, "is_symlink", lambda: False)())


def _pattern_matches(source: str, name: str) -> bool:
    """The name follows one of the source's file patterns (``schema.Source.file_pattern``), any case."""
    import fnmatch

    return any(fnmatch.fnmatch(name.casefold(), pat.casefold()) for pat in SOURCES[source].file_pattern.split("|"))


def source_folders(inbox) -> dict[str, object]:
    """Each source's folder in the inbox, found whatever its case (``Registrations/``)."""
    found: dict[str, object] = {}
    if not inbox.exists():
        return found
    for p in sorted(inbox.iterdir(), key=lambda q: q.name):
        source = p.name.casefold()
        if source in SOURCES and not _is_link(p) and p.is_dir() and source not in found:
            found[source] = p
    return found


@dataclass
class Survey:
    files: list[CollectedFile]
    set_aside: list[SetAside]


def _set_aside(source: str | None, p, is_dir: bool) -> SetAside | None:
    name = p.name
    low = name.casefold()
    if _is_link(p):
        return SetAside(source, name, "symlink", "symbolisk länk: följs aldrig", "a symbolic link: never followed")
    if source is None and low in SOURCES and not is_dir:
        return SetAside(None, name, "unknown_folder", f"en fil med källan {low}s namn, inte en mapp: läses inte",
                        f"a file named like the source {low}, not a folder: not read")
    if source is None and low in SOURCES:
        return SetAside(None, name, "unknown_folder", f"en andra mapp för {low} (annat skiftläge): läses inte",
                        f"a second folder for {low} (other case): not read")
    if source is None:
        return SetAside(None, name, "unknown_folder", "ingen källas mapp: läses inte (källorna: "
                        + ", ".join(SOURCES) + ")", "not a source's folder: not read")
    if name.startswith(("~$", ".~lock.")):
        return SetAside(source, name, "lock_file", "låsfil (filen är öppen i ett program): läses inte",
                        "a lock file (the file is open in a program): not read")
    if low in SYSTEM_FILES or name.startswith("."):
        return SetAside(source, name, "system_file", "dold fil eller systemfil: läses inte",
                        "a hidden or system file: not read")
    if name.startswith("~$"):
        return SetAside(source, name, "lock_file", "låsfil (filen är öppen i ett program): läses inte",
                        "a lock file (the file is open in a program): not read")
    if not is_dir and not _is_regular(p):
        return SetAside(source, name, "not_a_file", "inte en vanlig fil (t.ex. en pipe): läses inte",
                        "not a regular file (e.g. a pipe): not read")
    if is_dir:
        return SetAside(source, name, "subfolder", f"undermapp: filerna i den läses inte, lägg dem direkt i {source}/",
                        f"a subfolder: its files are not read, put them directly in {source}/")
    suffix = ("." + low.rsplit(".", 1)[1]) if "." in low else ""
    if suffix not in READ_TYPES:
        return SetAside(source, name, "unsupported_type",
                        f"filtypen {suffix or '(ingen)'} läses inte (spara som CSV eller .xlsx)",
                        f"the type {suffix or '(none)'} is not read (save as CSV or .xlsx)")
    if not _pattern_matches(source, name):
        patterns = ", ".join(SOURCES[source].file_pattern.split("|"))
        return SetAside(source, name, "name_not_matching",
                        f"namnet följer inte källans mönster ({patterns}): läses inte, byt namn om det är data",
                        f"the name does not follow the source's patterns ({patterns}): rename it if it is data")
    if source not in YEARLESS and len(years_in_name(name)) > 1:
        years = ", ".join(str(y) for y in sorted(years_in_name(name)))
        return SetAside(source, name, "year_ambiguous", f"namnet anger flera år ({years}): byt namn så att "
                        "bara verksamhetsåret står i det", f"the name gives several years ({years}): rename it")
    return None


def _is_regular(p) -> bool:
    try:
        return bool(p.is_file())
    except (AttributeError, OSError):
        return True   # a store that cannot tell: read it


def _being_written(p, settle_seconds: float, now: float) -> bool:
    """Changed less than ``settle_seconds`` ago: perhaps still being copied or exported."""
    if settle_seconds <= 0:
        return False
    try:
        return now - p.stat().st_mtime < settle_seconds
    except (AttributeError, OSError, TypeError):   # a store without modification times: the checksum decides
        return False


def survey(inbox, max_year: int | None = None, settle_seconds: float = 0) -> Survey:
    """Every entry of the inbox: the files collected, in load order (reference data first), and the
    entries set aside with their reason. Per-year files later than ``max_year`` are left for their
    own run (neither collected nor set aside). A file changed less than ``settle_seconds`` ago is set
    aside as ``being_written`` and collected by the next run."""
    import time

    now = time.time()
    files: list[CollectedFile] = []
    aside: list[SetAside] = []
    folders = source_folders(inbox)
    chosen = {f.name for f in folders.values()}
    if inbox.exists():
        for p in sorted(inbox.iterdir(), key=lambda q: q.name):
            if p.name in chosen or p.name.startswith(".") or p.name.casefold() in SYSTEM_FILES:
                continue   # a source's folder, or the inbox's own hidden entries (.gitkeep)
            aside.append(_set_aside(None, p, not _is_link(p) and p.is_dir()))
    for source in SOURCE_ORDER:
        folder = folders.get(source)
        if folder is None:
            continue
        for p in sorted(folder.iterdir(), key=lambda q: q.name):
            reason = _set_aside(source, p, not _is_link(p) and p.is_dir())
            if reason is not None:
                aside.append(reason)
                continue
            year = year_of(source, p.name)
            if max_year is not None and year is not None and year > max_year:
                aside.append(SetAside(source, p.name, "later_year", f"hör till {year}: läses i körningen för det året",
                                      f"belongs to {year}: read by that year's run"))
                continue
            if _being_written(p, settle_seconds, now):
                aside.append(SetAside(source, p.name, "being_written",
                                      f"ändrades för mindre än {settle_seconds:.0f} s sedan (skrivs den fortfarande?): "
                                      "tas med i nästa körning",
                                      f"changed less than {settle_seconds:.0f} s ago (still being written?): "
                                      "the next run takes it"))
                continue
            data = p.read_bytes()
            files.append(CollectedFile(source, p.name, data, hashlib.sha256(data).hexdigest(),
                                       slot_of(source, p.name), year))
    files.sort(key=lambda f: (SOURCE_ORDER.index(f.source), f.year or 0, f.slot, f.name))
    return Survey(files, aside)


def collect(inbox, max_year: int | None = None) -> list[CollectedFile]:
    """The files of the inbox collected for a run (see :func:`survey`)."""
    return survey(inbox, max_year).files
