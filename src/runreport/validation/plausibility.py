"""Plausibility: figures that parse and pass their checks but cannot be right, held for a steward's
decision instead of reaching an invoice.

- **Population change** (:func:`population_changes`): a municipality whose population for a year
  differs from its figure for the year before (in the same SCB file) by more than
  ``validation.population_change_share`` (default 20 %): ``643 180 000`` typed for Östersund's
  ``64 318`` would otherwise be invoiced as 1 286 360 000 kr. The file is rejected with both figures
  shown; a change that is real is accepted by listing ``"<code>:<year>"`` in
  ``validation.accept_population_change`` (or the file is corrected).
- **A corrected file with far fewer rows** (:func:`corrected_drop`): a ``…_v2`` with less than half
  (``validation.corrected_drop_share``) of the rows of the file it replaces is held, unless its name is
  in ``validation.accept_corrected_drop``.
- **An amount far above its activity's budget** (:func:`amounts_over_budget`): one ledger line larger
  than the activity's whole budget for the year (``validation.ledger_line_budget_share``) holds the
  file, unless the line is listed in ``validation.accept_over_budget``.
- **Overlapping periods** (:func:`member_overlaps`, :func:`rate_overlaps`): a second membership of a
  municipality that overlaps the first (another organisation number would be invoiced, by row
  order), or agreement periods whose years overlap (two rates for one year): errors that reject the
  file, naming both rows.
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


def _overlaps(frame: pd.DataFrame, key: str | None, start: str, end: str) -> list[tuple[int, int, str]]:
    """(row, earlier row, key) for each row whose [start, end] overlaps an earlier row's (same key);
    an empty end is open."""
    cols = ["_row", start, end] + ([key] if key else [])
    if frame.empty or not all(c in frame.columns for c in cols):
        return []
    df = frame[cols].dropna(subset=[start])
    found = []
    groups = df.groupby(key, sort=False) if key else [(None, df)]
    for k, g in groups:
        spans = sorted(((r[start], r[end], int(r["_row"])) for r in g.to_dict("records")),
                       key=lambda x: (x[0], x[2]))
        for i, (s, _e, row) in enumerate(spans):
            for _s0, e0, row0 in spans[:i]:
                if e0 is None or pd.isna(e0) or e0 >= s:
                    found.append((row, row0, str(k) if k is not None else ""))
                    break
    return sorted(found)


def member_overlaps(typed: pd.DataFrame) -> list[RowIssue]:
    """Two membership periods of one municipality that overlap: which organisation is invoiced would
    depend on row order (an error)."""
    return [RowIssue(row, "valid_from", "member_overlap",
                     f"Medlemsperioden för {code} överlappar perioden på rad {row0}: en kommun kan bara ha ett "
                     "medlemskap åt gången (avsluta den tidigare med ett slutdatum)",
                     f"The membership period of {code} overlaps the one on row {row0}: a municipality has one "
                     "membership at a time (end the earlier one)", critical=True)
            for row, row0, code in _overlaps(typed, "municipality_code", "valid_from", "valid_to")]


def rate_overlaps(typed: pd.DataFrame) -> list[RowIssue]:
    """Two agreement periods whose years overlap: which rate applies would depend on row order."""
    return [RowIssue(row, "year_from", "rate_overlap",
                     f"Avtalsperioden på rad {row} överlappar perioden på rad {row0}: varje år kan bara ha ett "
                     "belopp per invånare",
                     f"The agreement period on row {row} overlaps the one on row {row0}: each year has one rate",
                     critical=True)
            for row, row0, _ in _overlaps(typed, None, "year_from", "year_to")]


def corrected_drop(rows_now: int, replaced_name: str, rows_before: int, share: float, accepted: bool = False
                   ) -> list[RowIssue]:
    """A corrected file (``…_v2``) that replaces a loaded file of its slot with far fewer rows (a
    truncated export, a partial selection) is held: loading it would delete the other rows."""
    if accepted or rows_before <= 0 or rows_now >= (1 - share) * rows_before:
        return []
    return [RowIssue(0, None, "corrected_drop",
                     f"Filen har {number(rows_now)} rader men ersätter {replaced_name} med {number(rows_before)} "
                     f"inlästa rader (mer än {share:.0%} färre): skicka hela filen, eller godkänn med filnamnet i "
                     "validation.accept_corrected_drop",
                     f"The file has {rows_now} rows but replaces {replaced_name} with {rows_before} loaded rows "
                     f"(more than {share:.0%} fewer): send the whole file, or accept it in "
                     "validation.accept_corrected_drop", critical=True)]


def amounts_over_budget(typed: pd.DataFrame, budgets: dict, share: float, accepted: set[str] | frozenset = frozenset()
                        ) -> list[RowIssue]:
    """Ledger lines larger than ``share`` × their activity's whole budget for the year (a typed
    1 000 000 for 10 000): held, with the line and the budget shown, unless ``"<voucher>:<line>"`` is
    accepted. Activities without a budget are left to the activity check."""
    cols = ["_row", "voucher_no", "line_no", "activity_code", "amount_sek"]
    if typed.empty or not budgets or not all(c in typed.columns for c in cols):
        return []
    out = []
    from decimal import Decimal

    for row, voucher, line, code, amount in typed[cols].itertuples(index=False, name=None):
        budget = budgets.get(code)
        if amount is None or budget is None or budget <= 0 or pd.isna(amount):
            continue
        if abs(Decimal(str(amount))) > Decimal(str(share)) * budget and f"{voucher}:{line}" not in accepted:
            out.append(RowIssue(
                int(row), "amount_sek", "amount_over_budget",
                f"Beloppet {number(amount, 2)} kr på {voucher} rad {line} är större än hela budgeten för {code} "
                f"({number(budget)} kr): rätta filen, eller godkänn raden med \"{voucher}:{line}\" i "
                "validation.accept_over_budget",
                f"The amount {amount} on {voucher} line {line} is larger than the whole budget of {code} ({budget}): "
                f"correct the file, or accept the line with \"{voucher}:{line}\" in validation.accept_over_budget",
                critical=True))
    return out
