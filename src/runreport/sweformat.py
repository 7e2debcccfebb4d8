"""Swedish number and date formatting for output: ``925 000 kr``, decimal comma, ISO weeks.

A narrow no-break space (U+00A0 is used by Word; we use a plain no-break space so
amounts never wrap between digit groups).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

NBSP = "\u00a0"


def _group(digits: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return NBSP.join(out)


def number(value: float | int | Decimal, decimals: int = 0) -> str:
    """``1234567.5`` -> ``1 234 567,5`` (decimals given), minus sign as U+2212."""
    q = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "\u2212" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    text = _group(whole)
    if decimals:
        text += "," + frac
    return sign + text


def kronor(value: float | int | Decimal, decimals: int = 0) -> str:
    """``925000`` -> ``925 000 kr``."""
    return f"{number(value, decimals)}{NBSP}kr"


def percent(value: float, decimals: int = 0) -> str:
    """``0.123`` -> ``12 %`` (share given as a fraction)."""
    return f"{number(value * 100, decimals)}{NBSP}%"


def iso_week(d: date) -> str:
    """``date(2026, 2, 26)`` -> ``vecka 9, 2026``."""
    y, w, _ = d.isocalendar()
    return f"vecka {w}, {y}"


MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
          "september", "oktober", "november", "december"]


def spreadsheet_decimal(value: Decimal | int, decimals: int | None = None) -> str:
    """A number for a Swedish spreadsheet cell: decimal comma, no digit grouping (``2,00``; ``2.00``
    opens as a date or text in Swedish Excel). ``decimals`` None keeps the value's own."""
    d = Decimal(value)
    if decimals is not None:
        d = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return format(d, "f").replace(".", ",")


def long_date(d: date) -> str:
    """``date(2026, 2, 26)`` -> ``26 februari 2026``."""
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


STOCKHOLM = ZoneInfo("Europe/Stockholm")
WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")


def stockholm(moment: datetime | str | None) -> str:
    """``2026-02-16 06:00`` in Stockholm time (the moment may be ISO text or aware/naive UTC)."""
    if moment in (None, ""):
        return "–"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def long_day(moment: datetime) -> str:
    """``måndag 16 februari 2026 kl. 06:00`` (Stockholm)."""
    local = moment.astimezone(STOCKHOLM)
    return f"{WEEKDAYS[local.weekday()]} {long_date(local.date())} kl. {local:%H:%M}"


_AMOUNT_IN_TEXT = re.compile(r"\b\d{1,3}(?: \d{3})+(?= ?(?:(?:kr|kronor)\b|%))")
_UNIT_IN_TEXT = re.compile(r"(?<=\d) (?=(?:kr|kronor)\b|%)")


def bind_amounts(text: str) -> str:
    """Staff-written text as the report prints it: ``915 000 kr`` with no-break spaces between the
    digit groups and before the unit, so an amount never breaks over two lines. Only a digit group
    chain that ends in kr/kronor/% is bound: ``år 2024 925 000 kr`` keeps the space after the year."""
    text = _AMOUNT_IN_TEXT.sub(lambda m: m.group().replace(" ", NBSP), text)
    return _UNIT_IN_TEXT.sub(NBSP, text)
