"""Partner headings -> canonical fields, from ``config/mappings.yaml`` (configuration, not code)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml

from runreport.config import PROJECT_ROOT

DEFAULT_MAPPINGS = PROJECT_ROOT / "config" / "mappings.yaml"


INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None)   # BOM, zero-width, soft hyphen


def normalise_text(text: str) -> str:
    """NFC (a Mac export's decomposed Å/Ä/Ö are the same letters), no invisible characters, and
    no-break spaces as spaces: what looks the same is the same."""
    text = unicodedata.normalize("NFC", str(text)).translate(INVISIBLE)
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2007", " ")


def normalise_heading(text: str) -> str:
    text = normalise_text(text).strip().strip('"').strip()
    return re.sub(r"\s+", " ", text).casefold()


def mapped_twice(source: str, headings: list[str], mappings: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """Fields that two or more of the headings stand for ({field: [headings]}): which column holds
    the field would be a guess."""
    table = mappings.get(source, {})
    seen: dict[str, list[str]] = {}
    for h in headings:
        canonical = table.get(normalise_heading(h))
        if canonical:
            seen.setdefault(canonical, []).append(str(h).strip())
    return {k: v for k, v in seen.items() if len(v) > 1}


@lru_cache(maxsize=4)
def load_mappings(path: Path = DEFAULT_MAPPINGS) -> dict[str, dict[str, str]]:
    """{source: {normalised heading: canonical field}}."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out: dict[str, dict[str, str]] = {}
    for source, fields in raw.items():
        table: dict[str, str] = {}
        for canonical, variants in (fields or {}).items():
            for v in [canonical, *(variants or [])]:
                table[normalise_heading(v)] = canonical
        out[source] = table
    return out


def map_headings(source: str, headings: list[str], mappings: dict[str, dict[str, str]]) -> dict[int, str]:
    """Column index -> canonical field for the headings that are recognised (first match wins)."""
    table = mappings.get(source, {})
    found: dict[int, str] = {}
    taken: set[str] = set()
    for i, h in enumerate(headings):
        canonical = table.get(normalise_heading(h))
        if canonical and canonical not in taken:
            found[i] = canonical
            taken.add(canonical)
    return found


@lru_cache(maxsize=4)
def _declared(path: Path = DEFAULT_MAPPINGS) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def partner_headings(source: str, field: str, path: Path = DEFAULT_MAPPINGS) -> list[str]:
    """The headings a partner may give ``field`` of ``source`` (config/mappings.yaml), in its order,
    without the internal name: what a message to the partner names ("Belopp", not "amount_sek")."""
    variants = ((_declared(path).get(source) or {}).get(field)) or []
    return [str(v) for v in variants if str(v) != field] or [field]
