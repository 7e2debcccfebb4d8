"""Plausibility: figures that parse and pass their checks but cannot be right, held for a steward's
decision instead of reaching an invoice.

- **Population change** (:func:`population_changes`): a municipality whose population for a year
  differs from its figure for the year before (in the same SCB file) by more than
  ``validation.population_change_share`` (default 20 %): ``643 180 000`` typed for Östersund's
  ``64 318`` would otherwise be invoiced as 1 286 360 000 kr. The file is rejected with both figures
  shown; a change that is real is accepted by listing ``"<code>:<year>"`` in
  ``validation.accept_population_change`` (or the file is corrected).
"""

from __future__ import annotations

import pandas as pd

from runreport.quality import RowIssue
from runreport.sweformat import number


def population_changes(typed: pd.DataFrame, share: float, accepted: set[str] | frozenset = frozenset()
                       ) -> list[RowIssue]:
    """A critical issue per row whose population moves more than ``share`` from the year before."""
    cols = ["_row", "municipality_code", "year", "population"]
    if typed.empty or not all(c in typed.columns for c in cols):
        return []
    df = typed[cols].dropna().copy()
    if df.empty:
        return []
    df["year"] = df["year"].astype(int)
    df["population"] = df["population"].astype(int)
    df = df.sort_values(["municipality_code", "year"])
    prev = df.groupby("municipality_code")[["year", "population"]].shift(1)
    follows = prev["year"] == df["year"] - 1
    before = prev["population"]
    jump = follows & ((df["population"] - before).abs() > share * before.abs())
    out = []
    for row, code, year, pop, was in zip(df.loc[jump, "_row"], df.loc[jump, "municipality_code"],
                                         df.loc[jump, "year"], df.loc[jump, "population"], before[jump], strict=True):
        if f"{code}:{year}" in accepted:
            continue
        change = (pop - was) / was if was else float("inf")
        out.append(RowIssue(
            int(row), "population", "population_change",
            f"Folkmängden för {code} {year} ({number(int(pop))}) skiljer sig {change:+.0%} från {year - 1} "
            f"({number(int(was))}): rätta filen, eller godkänn ändringen med \"{code}:{year}\" i "
            "validation.accept_population_change",
            f"The population of {code} in {year} ({int(pop)}) differs {change:+.0%} from {year - 1} ({int(was)}): "
            f"correct the file, or accept the change with \"{code}:{year}\" in validation.accept_population_change",
            critical=True))
    return out
