"""Collect: list the inbox (one folder per source), fingerprint each file and decide what is new.

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


def year_of(source: str, name: str) -> int | None:
    if source in YEARLESS:
        return None
    m = YEAR_IN_NAME.findall(name)
    return int(m[-1]) if m else None


def collect(inbox, max_year: int | None = None) -> list[CollectedFile]:
    """Every file of the inbox in load order (reference data first), skipping hidden files.
    Per-year files later than ``max_year`` are left for their own run."""
    files: list[CollectedFile] = []
    for source in SOURCE_ORDER:
        folder = inbox / source
        if not folder.exists() or not folder.is_dir():
            continue
        for p in sorted(folder.iterdir(), key=lambda q: q.name):
            if p.name.startswith((".", "~$")) or p.is_dir():
                continue
            if getattr(p, "is_symlink", lambda: False)():  # never followed (docs/security.md)
                import logging

                logging.getLogger(__name__).warning("Inkorgen: %s/%s är en symbolisk länk och läses inte",
                                                    source, p.name)
                continue
            year = year_of(source, p.name)
            if max_year is not None and year is not None and year > max_year:
                continue
            data = p.read_bytes()
            files.append(CollectedFile(source, p.name, data, hashlib.sha256(data).hexdigest(),
                                       slot_of(source, p.name), year))
    files.sort(key=lambda f: (SOURCE_ORDER.index(f.source), f.year or 0, f.slot, f.name))
    return files

