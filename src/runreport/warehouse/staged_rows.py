"""The rows validate accepted, handed to load through the warehouse (``staged_file.accepted_rows``).

Load used to parse each file again from the inbox to find the rows validate had accepted: for a
partner's workbook that is openpyxl once more (1–2 s for a national network's registrations, a
third of the national year's load stage). Validate now keeps the accepted rows as the warehouse will
hold them and load inserts them as they are:

- only the source table's own columns (:func:`runreport.warehouse.load.table_columns`): nothing the
  warehouse would not hold anyway, so no personal field the tables leave out;
- column by column, as JSON: money as its exact text (``"1234.50"``, back to ``Decimal``), dates as
  ISO text, integers and text as they are; zlib-compressed;
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
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be Decimal, got {type(value).__name__}")
        return str(value)
    if kind == "date":
        return value.isoformat()
    if kind == "int":
        return int(value)
    return str(value)


def _from_json(value, kind: str):
    if value is None:
        return None
    if kind == "money":
        return Decimal(value)
    if kind == "date":
        return date.fromisoformat(value)
    return value


def encode(source: str, columns: dict[str, list]) -> bytes:
    """``columns`` (:func:`runreport.warehouse.load.table_columns`) as the staged blob."""
    payload = {name: [_to_json(v, _kind(source, name)) for v in values] for name, values in columns.items()}
    return zlib.compress(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 1)


def decode(source: str, blob: bytes) -> dict[str, list]:
    """The columns :func:`encode` was given, with their Python types (Decimal, date, int, str)."""
    payload = json.loads(zlib.decompress(blob).decode("utf-8"))
    return {name: [_from_json(v, _kind(source, name)) for v in values] for name, values in payload.items()}
