"""Partner headings -> canonical fields, from ``config/mappings.yaml`` (configuration, not code)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from runreport.config import PROJECT_ROOT

DEFAULT_MAPPINGS = PROJECT_ROOT / "config" / "mappings.yaml"


def normalise_heading(text: str) -> str:
    text = str(text).replace("\ufeff", "").replace("\u00a0", " ").strip().strip('"').strip()
    return re.sub(r"\s+", " ", text).casefold()


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
