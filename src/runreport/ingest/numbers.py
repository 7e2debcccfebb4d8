"""Numbers from partner files: one Swedish-aware reader that takes only the forms whose value is
certain, as :class:`~decimal.Decimal` from the first character (never a float on the way), and names
the form of anything else so the row is quarantined with that reason.

Taken (``-`` may be a minus sign ``−``, a leading ``+`` is allowed; ``kr``, ``SEK`` or ``:-`` may
follow):

- digits: ``12500``;
- a decimal comma: ``12500,50`` (Swedish), or a decimal point followed by one, two or more than
  three digits: ``12500.5``, ``12500.50`` (an English export);
- digits grouped by three with a space (also no-break or narrow no-break space) or an apostrophe:
  ``12 500``, ``1 234 567,50``;
- both a grouping mark and a decimal mark, the grouping every three digits and the decimal mark
  last: ``1.234,50`` and ``1,234.50``; points or commas grouping two groups or more and no decimal
  mark: ``1.234.567``.

Refused, each with its own rule:

- ``ambiguous_number``: a point or comma followed by exactly three digits and nothing else
  (``12.500``, ``12,500`` in a whole-number column): a thousands mark to some, a decimal mark to
  others;
- ``too_many_decimals``: more decimals than the column keeps (``12,345`` for an amount in kronor
  and öre): the extra decimal would be dropped silently;
- ``number_too_large``: more digits than the warehouse column holds (PostgreSQL and SQLite alike);
- ``not_a_number``: everything else, e.g. ``1e6``, ``Infinity``, ``NaN``, ``12 50``, ``ca 5000``,
  ``(1 234)``.

``not_an_integer`` is the integer columns' rule for a number with decimals (``3,5`` seats).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext

_SPACES = "\u0020\u00a0\u202f\u2009"
_SUFFIX = re.compile(r"(?i)\s*(kr|sek|:-)\.?\s*$")
_PLAIN = re.compile(r"^[+-]?\d+$", re.ASCII)   # ASCII digits only: "١٢٣" is not read
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:([" + _SPACES + r"'])\d{3})(?:\1\d{3})*$", re.ASCII)
_GROUPED_MARKS = re.compile(r"^[+-]?\d{1,3}(?:([.,])\d{3})(?:\1\d{3})+$", re.ASCII)   # 1.234.567: two groups or more
_DECIMAL = re.compile(r"^(?P<int>[+-]?\d{1,3}(?:(?P<g>[" + _SPACES + r"'.,])\d{3})(?:(?P=g)\d{3})*|[+-]?\d+)"
                      r"(?P<mark>[.,])(?P<frac>\d+)$", re.ASCII)


@dataclass(frozen=True)
class NumberSpec:
    """What a column keeps: digits before the decimal mark and decimals (as the warehouse's type)."""

    integer_digits: int
    places: int


MONEY = NumberSpec(integer_digits=12, places=2)     # Numeric(14, 2)
INTEGER = NumberSpec(integer_digits=12, places=0)


@dataclass(frozen=True)
class Reading:
    value: Decimal | None
    rule: str | None = None        # None: read; else why not (a rule of the module docstring)


def read_number(text: str, spec: NumberSpec) -> Reading:
    """The value of ``text`` (already stripped; not empty) as ``spec``'s column keeps it, or why not."""
    t = _SUFFIX.sub("", text.strip()).replace("\u2212", "-").strip()
    digits: str | None = None
    if _PLAIN.match(t):
        digits = t
    elif _GROUPED.match(t):
        digits = re.sub(r"[" + _SPACES + r"']", "", t)
    elif _GROUPED_MARKS.match(t):
        digits = re.sub(r"[.,]", "", t)
    else:
        m = _DECIMAL.match(t)
        if m:
            grouping, mark, frac = m.group("g"), m.group("mark"), m.group("frac")
            if grouping is not None and grouping == mark:
                return Reading(None, "not_a_number")          # 1.234.5
            if grouping is None and len(frac) == 3 and (spec.places < 3) and _is_ambiguous(m.group("int"), mark):
                return Reading(None, "ambiguous_number")     # 12.500 / 12,500
            if grouping is not None and grouping not in ".," and len(frac) == 3 and spec.places < 3:
                return Reading(None, "ambiguous_number")     # 1 000.000: a third group, or decimals?
            whole = m.group("int")
            if grouping is not None:
                whole = whole.replace(grouping, "")
            digits = f"{whole}.{frac}"
    if digits is None:
        return Reading(None, "not_a_number")
    whole_digits = digits.lstrip("+-").split(".")[0].lstrip("0")
    if len(whole_digits) > spec.integer_digits:   # before any arithmetic: a 40-digit value is refused, not a crash
        return Reading(None, "number_too_large")
    if len(digits) > 64:
        return Reading(None, "not_a_number")
    with localcontext() as ctx:
        ctx.prec = 80
        try:
            value = Decimal(digits)
        except InvalidOperation:
            return Reading(None, "not_a_number")
        kept = value.quantize(Decimal(1).scaleb(-spec.places))
        if value != kept:
            return Reading(None, "not_an_integer" if spec.places == 0 else "too_many_decimals")
        return Reading(kept + 0 if kept else Decimal(0).quantize(kept))   # -0 reads as 0


def _is_ambiguous(whole: str, mark: str) -> bool:
    """``12.500``: a point with three digits after it may group thousands (Swedish, German) or mark
    decimals (English); ``12,500``: a comma with three digits the other way round. Only when the part
    before it could itself be a group (1–3 digits) is it ambiguous; ``12500.125`` is not."""
    digits = whole.lstrip("+-").lstrip("0")   # 0012,500 is as ambiguous as 12,500
    return 0 < len(digits) <= 3   # 0,001 is a thousandth whichever way


# Swedish and English reasons, with the value (``{v}``) and the column's decimals (``{places}``)
REASONS = {
    "not_a_number": ("Värdet '{v}' är inte ett tal", "Value '{v}' is not a number"),
    "ambiguous_number": ("Talet '{v}' är tvetydigt: tre siffror efter punkt eller komma kan vara tusental "
                         "eller decimaler (skriv tusental med mellanslag, 12 500, och decimaler med komma)",
                         "The number '{v}' is ambiguous: three digits after a point or comma may be thousands "
                         "or decimals (write thousands with a space, 12 500, and decimals with a comma)"),
    "too_many_decimals": ("Beloppet '{v}' har fler än {places} decimaler",
                          "The amount '{v}' has more than {places} decimals"),
    "number_too_large": ("Talet '{v}' är större än kolumnen rymmer", "The number '{v}' is larger than the column holds"),
    "not_an_integer": ("Värdet '{v}' är inte ett heltal", "Value '{v}' is not a whole number"),
}
