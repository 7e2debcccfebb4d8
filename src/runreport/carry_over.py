"""The balance chain and carry-over (överskjutande medel).

For each year: opening balance (carried over from the year before) + contributions + external
income − costs = closing balance, and the closing balance is the next year's opening. Recomputing
from the first year means a late correction in any year flows into every later year.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class BalanceRow:
    year: int
    opening_sek: Decimal
    contributions_sek: Decimal
    external_income_sek: Decimal
    costs_sek: Decimal

    @property
    def closing_sek(self) -> Decimal:
        return self.opening_sek + self.contributions_sek + self.external_income_sek - self.costs_sek

    @property
    def carry_over_sek(self) -> Decimal:
        return self.closing_sek


def balance_chain(years: list[int], opening_first: Decimal, contributions: dict[int, Decimal],
                  external_income: dict[int, Decimal], costs: dict[int, Decimal]) -> list[BalanceRow]:
    rows: list[BalanceRow] = []
    opening = Decimal(opening_first)
    for year in sorted(years):
        row = BalanceRow(year, opening, Decimal(contributions.get(year, 0)),
                         Decimal(external_income.get(year, 0)), Decimal(costs.get(year, 0)))
        rows.append(row)
        opening = row.closing_sek
    return rows
