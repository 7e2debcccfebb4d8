"""Contributions (kommunbidrag): each member municipality pays rate × inhabitants per year.

Rules (documented in docs/money-rules.md):
- the rate is the agreement rate whose period covers the year (2 kr, 1 kr in 2023);
- inhabitants are the population at the reference date: 31 December of the year before by default
  (``population.reference_date: "12-31"``); with "11-01" the 1 November figure of the year before —
  either way the population figure of statistics year ``year - 1``;
- a member for part of the year pays for the whole months it is a member (a month counts when its
  first day lies within the membership): joining 1 July pays 6/12;
- rounding is applied once, to each municipality's amount: whole kronor, half up;
- a member without a population figure is an error, never a zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal


class MissingPopulation(Exception):
    """A member municipality has no population figure for the reference year."""


class MissingRate(Exception):
    """No agreement rate covers the year."""


@dataclass(frozen=True)
class MemberPeriod:
    municipality_code: str
    municipality_name: str
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class Rate:
    year_from: int
    year_to: int
    rate_sek: Decimal


@dataclass(frozen=True)
class ContributionRow:
    year: int
    municipality_code: str
    municipality_name: str
    population: int
    population_year: int
    rate_sek: Decimal
    months: int
    amount_sek: int


def rate_for(year: int, rates: list[Rate]) -> Decimal:
    for r in rates:
        if r.year_from <= year <= r.year_to:
            return Decimal(str(r.rate_sek))
    raise MissingRate(f"Inget avtal anger bidrag per invånare för {year} / no agreement rate covers {year}")


def months_in_year(valid_from: date, valid_to: date | None, year: int) -> int:
    return sum(
        1 for m in range(1, 13)
        if valid_from <= date(year, m, 1) and (valid_to is None or date(year, m, 1) <= valid_to)
    )


def population_year(year: int) -> int:
    return year - 1


def round_kronor(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def compute_contributions(year: int, members: list[MemberPeriod], rates: list[Rate],
                          population: dict[tuple[str, int], int]) -> list[ContributionRow]:
    rate = rate_for(year, rates)
    pop_year = population_year(year)
    months: dict[str, int] = {}
    names: dict[str, str] = {}
    for m in members:
        n = months_in_year(m.valid_from, m.valid_to, year)
        if n:
            months[m.municipality_code] = min(12, months.get(m.municipality_code, 0) + n)
            names[m.municipality_code] = m.municipality_name
    missing = sorted(c for c in months if (c, pop_year) not in population)
    if missing:
        listed = ", ".join(f"{c} {names[c]}" for c in missing)
        raise MissingPopulation(
            f"Folkmängd {pop_year} saknas för medlemskommun: {listed} / "
            f"population {pop_year} missing for member municipality: {listed}")
    rows = []
    for code in sorted(months):
        pop = population[(code, pop_year)]
        amount = round_kronor(rate * pop * months[code] / Decimal(12))
        rows.append(ContributionRow(year, code, names[code], pop, pop_year, rate, months[code], amount))
    return rows
