"""The staff-written texts of the report (``<paths.narrative>/<year>/*.md``), treated as text:
Markdown is reduced to headings, paragraphs, ``-`` bullets, ``**bold**`` and pipe tables (a line
``Tabell: …`` just above a table is its caption); nothing in them is ever evaluated. A missing text
becomes a visible placeholder ("[Text saknas: …]"). Free chapters (:func:`chapters`) are the files
of ``<year>/kapitel/`` in the order of their names, each titled by its first ``#`` heading."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from runreport.report.content import (
    Chart,
    Paragraph,
    Section,
    Table,
    TextRun,
    placeholder_text,
)
from runreport.sweformat import bind_amounts

log = logging.getLogger(__name__)


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_TABLE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*(:?-{3,}:?\s*)?\|?\s*$")
_NUMBER = re.compile(r"^[−-]?[\d\u00a0 ]+(,\d+)?(\u00a0| )?(kr|%)?$")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in _TABLE_ROW.match(line).group(1).split("|")]


def _table(lines: list[str], caption: str) -> Table:
    """A Markdown pipe table: the first row is the heading, a ``---`` rule under it; number columns
    are right-aligned."""
    header = _cells(lines[0])
    body = [_cells(ln) for ln in lines[1:] if not _TABLE_RULE.match(ln)]
    n = len(header)
    rows = tuple(tuple((r + [""] * n)[:n]) for r in body)
    align = tuple("right" if rows and all(_NUMBER.match(r[j]) or not r[j] for r in rows)
                  and any(r[j] for r in rows) else "left" for j in range(n))
    return Table(caption=caption, header=tuple(header), rows=rows, align=align)


def inline_runs(text: str) -> tuple[TextRun, ...]:
    """``**bold**`` -> bold runs; everything else literal (an unpaired ``**`` stays as text)."""
    parts = text.split("**")
    if len(parts) % 2 == 0:  # unpaired marker: no formatting at all
        return (TextRun(text),) if text else ()
    return tuple(TextRun(p, bold=bool(i % 2)) for i, p in enumerate(parts) if p)


def parse_markdown(text: str) -> list[Paragraph | Table | tuple[int, str]]:
    """Paragraphs (blank-line separated), ``-`` bullets, pipe tables and ``#`` headings (as
    ``(depth, text)``)."""
    out: list[Paragraph | Table | tuple[int, str]] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            joined = " ".join(s.strip() for s in buf).strip()
            if joined:
                out.append(Paragraph(inline_runs(joined)))
            buf.clear()

    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    last_heading = ""
    i = 0
    while i < len(lines):
        raw = lines[i]
        line = raw.rstrip()
        i += 1
        if _TABLE_ROW.match(line) and i < len(lines) and _TABLE_RULE.match(lines[i]):
            block = [line]
            while i < len(lines) and _TABLE_ROW.match(lines[i].rstrip()):
                block.append(lines[i].rstrip())
                i += 1
            caption = last_heading
            if buf and buf[-1].strip().casefold().startswith("tabell:"):
                caption = buf.pop().split(":", 1)[1].strip()
            flush()
            if out and isinstance(out[-1], Paragraph) and out[-1].text.strip().casefold().startswith("tabell:"):
                caption = out.pop().text.split(":", 1)[1].strip()   # the caption line, a blank line above the table
            out.append(_table(block, caption))
            continue
        if not line.strip():
            flush()
            continue
        m = _HEADING.match(line)
        if m:
            flush()
            out.append((len(m.group(1)), m.group(2).replace("**", "")))
            last_heading = out[-1][1]
            continue
        b = _BULLET.match(line)
        if b:
            flush()
            out.append(Paragraph(inline_runs(b.group(1).strip()), style="bullet"))
            continue
        if raw[:1] in (" ", "\t") and out and isinstance(out[-1], Paragraph) \
                and out[-1].style == "bullet" and not buf:
            prev = out.pop()  # continuation line of a bullet
            assert isinstance(prev, Paragraph)
            out.append(Paragraph(inline_runs(prev.text + " " + line.strip()), style="bullet"))
            continue
        buf.append(line)
    flush()
    return out


def narrative_sections(heading: str, level: int, text: str | None, what: str, key: str,
                       warnings: list[str], lead: Iterable[Paragraph | Table | Chart] = (),
                       page_break_before: bool = False) -> list[Section]:
    """A level-``level`` section from Markdown; ``#`` headings in it become sub-sections."""
    if text is None or not text.strip():
        msg = f"Text saknas: {what}"
        warnings.append(msg)
        return [Section(heading, level, (*lead, Paragraph.of(placeholder_text(what), placeholder=True)),
                        key=key, page_break_before=page_break_before)]
    items = parse_markdown(text)
    if items and isinstance(items[0], tuple) and items[0][1].strip().casefold() == heading.casefold():
        items = items[1:]  # the text repeats the section heading
    sections: list[Section] = []
    cur_heading, cur_level, blocks = heading, level, list(lead)
    for item in items:
        if isinstance(item, tuple):
            sections.append(Section(cur_heading, cur_level, tuple(blocks), key=key if not sections else "",
                                    page_break_before=page_break_before and not sections))
            depth = item[0]
            cur_heading, cur_level, blocks = item[1], min(3, level + (1 if depth <= 2 else 2)), []
        else:
            blocks.append(item)
    sections.append(Section(cur_heading, cur_level, tuple(blocks), key=key if not sections else "",
                            page_break_before=page_break_before and not sections))
    return sections


def chapters(folder: Path) -> list[tuple[str, str, str]]:
    """The free chapters of a year (``<narrative>/<year>/kapitel/*.md``, in the order of their file
    names, e.g. ``10_natverk.md``, ``20_ulf.md``): ``(title, text, file name)``; the title is the
    text's first ``#`` heading, else the file name without its number."""
    out = []
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.md")):
        text = read_text(path) or ""
        first = next((m.group(2) for m in map(_HEADING.match, text.splitlines()) if m), None)
        title = first or re.sub(r"^\d+[_ -]*", "", path.stem).replace("_", " ").capitalize()
        out.append((title.replace("**", ""), text, path.name))
    return out


def read_text(path: Path) -> str | None:
    try:
        return bind_amounts(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("Kunde inte läsa %s: %s", path, exc)
        return None


def load_organisation_names(path: Path) -> dict[str, str]:
    """``config/organisations.yaml``: code -> list of spellings, the first is the display name.
    Read defensively: a missing or malformed file gives an empty mapping."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        log.warning("Kunde inte läsa organisationsnamn från %s: %s", path, exc)
        return {}
    if isinstance(data, dict) and isinstance(data.get("organisations"), dict):
        data = data["organisations"]
    if not isinstance(data, dict):
        return {}
    out: dict[str, str] = {}
    for code, value in data.items():
        name: Any = None
        if isinstance(value, str):
            name = value
        elif isinstance(value, list | tuple) and value:
            name = value[0]
        elif isinstance(value, dict):
            name = value.get("display_name") or value.get("name")
            if name is None and isinstance(value.get("names") or value.get("spellings"), list):
                name = (value.get("names") or value.get("spellings"))[0]
        if isinstance(name, str | int) and str(name).strip():
            out[str(code).strip().casefold()] = str(name).strip()
    return out


