"""Small converters of warehouse values (SQLite gives str/float, PostgreSQL date/Decimal) and of
signed figures for the report's text."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from runreport.sweformat import kronor, number


def as_decimal(v: Any) -> Decimal:
    if v is None:
        return Decimal(0)
    return Decimal(str(v)).quantize(Decimal("0.01"))


def as_int(v: Any) -> int:
    return 0 if v is None else int(v)


def as_date(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def normalised(name: str) -> str:
    return " ".join(name.split()).casefold()


def money_text(v: Decimal) -> str:
    return kronor(v, 0 if v == v.to_integral_value() else 2)


def whole_kronor(v: Decimal) -> str:
    """An amount as the report's reader reads it: whole kronor (``851 550 kr`` for 851 550,23);
    öre only in the invoice material, where finance needs them."""
    return kronor(Decimal(v).quantize(Decimal(1), rounding=ROUND_HALF_UP), 0)


def signed_text(n: int) -> str:
    if n > 0:
        return f"+{number(n)}"
    return number(n) if n < 0 else "±0"


