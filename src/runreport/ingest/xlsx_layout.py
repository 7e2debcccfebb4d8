"""What a workbook's sheet holds besides its values: merged cells, hidden rows, and formulas saved
without a computed value. The value reader (openpyxl, read-only) cannot see them, and each would
change what a row means without a word:

- a **merged** cell holds its value in its first cell only: the other rows of the range read empty;
- a **hidden** row is data the partner hid (a filter, cancelled rows): loading it or leaving it out
  would both be a guess;
- a **formula without a cached value** (a file written by a program that does not calculate) reads
  as an empty cell.

The sheet's XML is read as the Office Open XML standard (ECMA-376) defines it, streamed with the
standard library's ``iterparse``: no library internals, and the cost is one pass over the sheet.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree.ElementTree import iterparse

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL = re.compile(r"^([A-Z]+)(\d+)$")


@dataclass
class SheetLayout:
    merged: list[str] = field(default_factory=list)           # ranges, "B5:B9"
    hidden_rows: list[int] = field(default_factory=list)      # sheet row numbers
    formulas_without_value: list[str] = field(default_factory=list)   # cells, "C7"


def cell_row(ref: str) -> int:
    """``"C7"`` -> 7."""
    m = _CELL.match(ref.replace("$", ""))
    return int(m.group(2)) if m else 0


def range_rows(ref: str) -> tuple[int, int]:
    """``"B5:B9"`` -> (5, 9); a single cell ``"B5"`` -> (5, 5)."""
    first, _, last = ref.partition(":")
    return cell_row(first), cell_row(last or first)


def _sheet_part(z: zipfile.ZipFile, sheet: str | None) -> str | None:
    """The zip member of the named sheet, or of the first sheet."""
    wb = z.read("xl/workbook.xml")
    sheets = [(el.get("name"), el.get(f"{_REL}id")) for _, el in iterparse(io.BytesIO(wb))
              if el.tag == f"{_MAIN}sheet"]
    chosen = next((rid for name, rid in sheets if name == sheet), None) if sheet else (
        sheets[0][1] if sheets else None)
    if chosen is None:
        return None
    rels = z.read("xl/_rels/workbook.xml.rels")
    for _, el in iterparse(io.BytesIO(rels)):
        if el.tag == f"{_PKG_REL}Relationship" and el.get("Id") == chosen:
            target = el.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return None


# Markup without which a UTF-8 sheet has none of the three: a formula element (``<f>``, ``<x:f …>``,
# any prefix), a row's ``hidden`` attribute, a ``mergeCell``. In the XML a ``<`` of a cell's text is
# written ``&lt;``, so a formula element cannot hide in the values; ``hidden`` in a value only costs
# the full scan. A part in another encoding (ECMA-376 allows UTF-16), or with a document type
# declaration (an entity can hold a row's markup written as character references), is parsed in full.
_MAY_HOLD = re.compile(rb"<(?:[^\s<>/:]+:)?f[\s>/]|hidden|mergeCell|<!DOCTYPE|<!ENTITY")
_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")


def _utf8(xml: bytes) -> bool:
    """The part is UTF-8 (what the markup search reads): no UTF-16/32 byte order mark or NUL byte
    at its start, and an XML declaration, if any, that names UTF-8."""
    if xml[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in xml[:64]:
        return False
    declared = _DECLARED.match(xml.removeprefix(b"\xef\xbb\xbf").lstrip())
    return declared is None or declared.group(1).lower().replace(b"_", b"-") in (b"utf-8", b"utf8")


def scan(data: bytes, sheet: str | None = None) -> SheetLayout:
    """The sheet's merged ranges, hidden rows that hold a value, and formula cells without a value.
    A workbook that cannot be scanned gives an empty layout (the value reader then decides).

    A sheet whose XML holds none of the markup they are written with (:data:`_MAY_HOLD`, one
    regular-expression search over the bytes) is not parsed element by element: most partner
    workbooks have none, and the parse was a third of reading a large one (benchmarks/RESULTS.md)."""
    out = SheetLayout()
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        part = _sheet_part(z, sheet)
        if part is None or part not in z.namelist():
            return out
        xml = z.read(part)
        if _utf8(xml) and _MAY_HOLD.search(xml) is None:
            return out
        for _, el in iterparse(io.BytesIO(xml)):   # the bytes read above, not unpacked again
            tag = el.tag
            if tag == f"{_MAIN}c":
                f, v = el.find(f"{_MAIN}f"), el.find(f"{_MAIN}v")
                if f is not None and (v is None or not (v.text or "").strip()) and el.get("t") != "inlineStr":
                    out.formulas_without_value.append(el.get("r", "?"))
            elif tag == f"{_MAIN}row":
                has_value = any((c.find(f"{_MAIN}v") is not None or c.find(f"{_MAIN}is") is not None)
                                for c in el.iter(f"{_MAIN}c"))
                if el.get("hidden") in ("1", "true") and has_value:
                    out.hidden_rows.append(int(el.get("r", "0")))
                el.clear()
            elif tag == f"{_MAIN}mergeCell":
                out.merged.append(el.get("ref", ""))
    except (zipfile.BadZipFile, KeyError, SyntaxError, ValueError):
        return SheetLayout()
    return out


def _listed(items: list, limit: int = 8) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f" och {len(items) - limit} till" if len(items) > limit else "")


def findings(layout: SheetLayout, data_rows: set[int]) -> list[tuple[str, str, str]]:
    """``(rule, reason_sv, reason_en)`` for what touches the sheet rows read as data (``data_rows``):
    a title merged across the columns, or a formula in the total row, changes no data."""
    from bisect import bisect_left

    ordered = sorted(data_rows)

    def touches(ref: str) -> bool:
        lo, hi = range_rows(ref)
        i = bisect_left(ordered, lo)
        return i < len(ordered) and ordered[i] <= hi

    out = []
    merged = [r for r in layout.merged if touches(r)]
    if merged:
        out.append(("merged_cells",
                    f"Bladet har sammanfogade celler bland raderna ({_listed(merged)}): värdet står bara i den "
                    "första cellen och de andra raderna blir tomma. Dela upp sammanfogningen och fyll i värdet på "
                    "varje rad",
                    f"The sheet has merged cells among its rows ({_listed(merged)}): the value is in the first "
                    "cell only. Unmerge them and fill in every row"))
    hidden = [r for r in layout.hidden_rows if r in data_rows]
    if hidden:
        def h(one: str, many: str) -> str:
            return one if len(hidden) == 1 else many

        out.append(("hidden_rows",
                    f"{h('Rad', 'Raderna')} {_listed(hidden)} är {h('dold', 'dolda')} i Excel men innehåller data: "
                    f"visa {h('raden', 'raderna')} och ta bort det som inte ska med (en dold rad varken läses in "
                    "eller hoppas över utan beslut)",
                    f"{h('Row', 'Rows')} {_listed(hidden)} {h('is', 'are')} hidden in Excel but hold data: unhide "
                    "and delete what should not be included"))
    formulas = [c for c in layout.formulas_without_value if cell_row(c) in data_rows]
    if formulas:
        def f(one: str, many: str) -> str:
            return one if len(formulas) == 1 else many

        out.append(("formula_without_value",
                    f"{f('Cellen', 'Cellerna')} {_listed(formulas)} innehåller {f('en formel', 'formler')} utan "
                    "beräknat värde (filen sparades av ett program som inte räknar): öppna filen i Excel eller "
                    "LibreOffice och spara den igen",
                    f"The {f('cell', 'cells')} {_listed(formulas)} {f('holds a formula', 'hold formulas')} without "
                    "a computed value: open the file in Excel or LibreOffice and save it again"))
    return out
