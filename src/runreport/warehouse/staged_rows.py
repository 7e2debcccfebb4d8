"""The rows validate accepted, handed to load through the warehouse (``staged_file.accepted_rows``).

Load used to parse each file again from the inbox to find the rows validate had accepted: for a
partner's workbook that is openpyxl once more (1–2 s for a national network's registrations, a
third of the national year's load stage). Validate now keeps the accepted rows as the warehouse will
hold them and load inserts them as they are:

- only the source table's own columns (:func:`runreport.warehouse.load.table_columns`): nothing the
  warehouse would not hold anyway, so no personal field the tables leave out;
- column by column, each its own zlib-compressed JSON list: money as its exact text (``"1234.50"``,
  back to ``Decimal``), dates as ISO text, integers and text as they are; one column's text at a time
  on either side, so a million-row file costs little more memory than its rows;
- cleared by load once the file is in (and with the rest of the run's staging).

The types come from the warehouse table's column types, so a value comes back exactly as it went in
(``tests/test_staged_rows.py`` round-trips every demo file and the money-exact year).
"""

from __future__ import annotations

import json
import zlib
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Integer, Numeric

from runreport.warehouse.load import TABLES

MAGIC = b"runreport-staged-rows/1\n"


def _kind(source: str, column: str) -> str:
    t = TABLES[source].__table__.c[column].type
    if isinstance(t, Numeric):
        return "money"
    if isinstance(t, Date):
        return "date"
    if isinstance(t, Integer):
        return "int"
    return "text"


def _to_json(value, kind: str):
    if value is None:
        return None
    if kind == "money":
        if type(value) is not Decimal:
            raise TypeError(f"money must be Decimal, got {type(value).__name__}")
        return str(value)
    if kind == "date":
        if type(value) is not date:   # a datetime or Timestamp would pass validate and fail in load
            raise TypeError(f"a date column must hold datetime.date, got {type(value).__name__}")
        return value.isoformat()
    if kind == "int":
        return int(value)
    return str(value)


def _from_json(value, kind: str):
    if kind == "money":
        return Decimal(value)
    if kind == "date":
        return date.fromisoformat(value)
    return value


def _column_values(raw: list, kind: str) -> list:
    """A decoded column's values with their Python types. A column of few distinct values (codes,
    dates, rates) gets one object per value, as the parser gave it: a national registrations file
    holds a million rows of a few hundred codes."""
    sample = raw[:1000]
    if kind == "int" or len(set(sample)) > len(sample) // 2:
        return [None if v is None else _from_json(v, kind) for v in raw]
    seen: dict = {}
    return [None if v is None else seen[v] if v in seen else seen.setdefault(v, _from_json(v, kind)) for v in raw]


def encode(source: str, columns: dict[str, list]) -> bytes:
    """``columns`` (:func:`runreport.warehouse.load.table_columns`) as the staged blob: a header naming
    each column and the size of its part, then each column as its own zlib-compressed JSON list, so
    that neither side ever holds more than one column's text. The lists are taken out of ``columns``
    as they are written (it is left empty)."""
    names, parts = [], []
    for name in list(columns):
        kind = _kind(source, name)
        values = columns.pop(name)
        part = zlib.compress(json.dumps([_to_json(v, kind) for v in values], ensure_ascii=False,
                                        separators=(",", ":")).encode("utf-8"), 1)
        del values
        names.append([name, len(part)])
        parts.append(part)
    return MAGIC + json.dumps(names).encode("utf-8") + b"\n" + b"".join(parts)


def decode(source: str, blob: bytes) -> dict[str, list]:
    """The columns :func:`encode` was given, with their Python types (Decimal, date, int, str)."""
    if not blob.startswith(MAGIC):
        raise ValueError("not a staged-rows blob of this version: run the year's validate again")
    end = blob.index(b"\n", len(MAGIC))
    view, pos, out = memoryview(blob), end + 1, {}
    for name, size in json.loads(blob[len(MAGIC):end]):
        raw = json.loads(zlib.decompress(view[pos:pos + size]))
        pos += size
        out[name] = _column_values(raw, _kind(source, name))
        del raw
    return out
