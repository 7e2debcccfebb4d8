"""Recognise who a row is about: a member municipality (code, name or "Östersunds kommun") or a
partner organisation (SPSM, Region Jämtland Härjedalen, … from ``config/organisations.yaml``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from runreport.config import PROJECT_ROOT

DEFAULT_FILE = PROJECT_ROOT / "config" / "organisations.yaml"


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).replace("\u00a0", " ")).strip().casefold()


def load_partners(path: Path = DEFAULT_FILE) -> dict[str, tuple[str, list[str]]]:
    """{code: (display name, spellings)}; tolerant of list or mapping entries."""
    if not Path(path).exists():
        return {}
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if isinstance(raw, dict) and "partners" in raw and isinstance(raw["partners"], dict | list):
        raw = raw["partners"]
    out: dict[str, tuple[str, list[str]]] = {}
    items = raw.items() if isinstance(raw, dict) else ((e.get("code"), e) for e in raw)
    for code, entry in items:
        if isinstance(entry, list):
            names = [str(x) for x in entry]
            display = names[0] if names else code
        elif isinstance(entry, dict):
            display = entry.get("display_name") or entry.get("name") or code
            names = [str(x) for x in (entry.get("spellings") or entry.get("aliases") or [])] + [display]
        else:
            display, names = str(entry), [str(entry)]
        out[str(code)] = (display, [code, *names])
    return out


@dataclass
class OrganisationResolver:
    municipalities: dict[str, str] = field(default_factory=dict)  # code -> name
    partners: dict[str, tuple[str, list[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lookup: dict[str, str] = {}
        for code, name in self.municipalities.items():
            self._lookup[_key(code)] = code
            self._lookup[_key(name)] = code
        for code, (_display, spellings) in self.partners.items():
            for s in spellings:
                self._lookup.setdefault(_key(s), code)

    def resolve(self, value: str) -> str | None:
        text = _key(value)
        if not text:
            return None
        if text in self._lookup:
            return self._lookup[text]
        m = re.match(r"^(\d{4})\b", text)
        if m and m.group(1) in self.municipalities:
            return m.group(1)
        for suffix in (" kommun", " kommunförvaltning", " municipality"):
            if text.endswith(suffix):
                stem = text[: -len(suffix)].strip()
                if stem in self._lookup:
                    return self._lookup[stem]
                if stem.endswith("s") and stem[:-1] in self._lookup:
                    return self._lookup[stem[:-1]]
        return None

    def display_name(self, code: str) -> str:
        if code in self.municipalities:
            return self.municipalities[code]
        if code in self.partners:
            return self.partners[code][0]
        return code
