"""A file checked against what the warehouse and the run's other files already hold: the members
and activities it must refer to, keys that another file already holds (a row loaded twice),
and the members' organisation numbers (they go on invoices). The run's reference grows as its
reference files (members, action plans) pass, so a file later in the same run is checked against
them too."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import select

from runreport.config import Config
from runreport.contribution import MemberPeriod
from runreport.ingest.collect import YEARLESS
from runreport.quality import RowIssue, ValidationContext
from runreport.schema import SOURCES
from runreport.warehouse import models as m
from runreport.warehouse.load import TABLES


def reference_context(s, cfg: Config) -> tuple[dict, list, set, dict]:
    members = s.scalars(select(m.Member).where(m.Member.tenant == cfg.tenant)).all()
    periods = [MemberPeriod(x.municipality_code, x.municipality_name, x.valid_from, x.valid_to) for x in members]
    acts = s.execute(select(m.Activity.year, m.Activity.activity_code, m.Activity.municipal_budget_sek,
                            m.Activity.external_budget_sek).where(m.Activity.tenant == cfg.tenant)).all()
    budgets = {(y, c): Decimal(str(mb or 0)) + Decimal(str(eb or 0)) for y, c, mb, eb in acts}
    return ({p.municipality_code: p.municipality_name for p in periods}, periods, {(y, c) for y, c, _, _ in acts},
            budgets)


def members_in(periods: list[MemberPeriod], year: int | None) -> set[str]:
    if year is None:
        return {p.municipality_code for p in periods}
    start, end = date(year, 1, 1), date(year, 12, 31)
    return {p.municipality_code for p in periods if p.valid_from <= end and (p.valid_to is None or p.valid_to >= start)}


def duplicates_against(typed: pd.DataFrame, source: str, seen: set) -> list[RowIssue]:
    """Rows whose key repeats an earlier row of the same file, or is already held by another file
    (in the warehouse or earlier in this run). The first occurrence in the file is kept; rows with
    an empty key field are left to the required-field checks."""
    key = key_columns(source)
    if not all(k in typed.columns for k in key) or typed.empty:
        return []
    sub = typed[["_row", *key]]
    sub = sub[sub[key].notna().all(axis=1)]
    if sub.empty:
        return []
    across = pd.MultiIndex.from_frame(sub[key]).isin(list(seen)) if seen else pd.Series(False, index=sub.index)
    across = pd.Series(across, index=sub.index)
    rest = sub[~across]
    first = rest.groupby(key, sort=False)["_row"].transform("first")
    repeat = rest["_row"] != first
    same = ", ".join(SOURCES[source].key)
    found = [(int(r), RowIssue(int(r), key[-1], "duplicate_across_files", "Raden finns redan i en annan fil",
                               "The row already exists in another file"))
             for r in sub.loc[across, "_row"]]
    found += [(int(r), RowIssue(int(r), key[-1], "duplicate_row", f"Dubblett av rad {int(f)} (samma {same})",
                                f"Duplicate of row {int(f)} (same {same})"))
              for r, f in zip(rest.loc[repeat, "_row"], first[repeat], strict=True)]
    return [i for _, i in sorted(found, key=lambda t: t[0])]


def organisation_numbers(typed: pd.DataFrame) -> list[RowIssue]:
    """Members' organisation numbers must carry a valid Luhn check digit (they go on invoices)."""
    from runreport.orgnumber import is_valid

    out = []
    for row, value in typed[["_row", "org_number"]].itertuples(index=False):
        if value and not is_valid(str(value)):
            out.append(RowIssue(int(row), "org_number", "org_number_luhn",
                                f"Organisationsnumret {value} är ogiltigt (kontrollsiffran stämmer inte)",
                                f"Organisation number {value} is invalid (the check digit does not match)"))
    return out


def existing_keys(s, cfg: Config, source: str, year: int | None, exclude_slots: set[str]) -> set:
    """The keys of the source held in the warehouse by files whose rows stay: not those of the slots
    that a file of this run replaces (their rows go when it loads)."""
    model = TABLES[source]
    key = key_columns(source)
    q = (select(*[getattr(model, k) for k in key])
         .join(m.IngestedFile, m.IngestedFile.id == model.file_id)
         .where(model.tenant == cfg.tenant, m.IngestedFile.slot.not_in(sorted(exclude_slots))))
    if year is not None and source not in YEARLESS:
        q = q.where(model.year == year)
    return {tuple(r) for r in s.execute(q).all()}


@dataclass
class RunReference:
    """What the files of one validation run are checked against; grows as reference files pass."""

    names: dict[str, str]                 # municipality code -> name
    periods: list[MemberPeriod]
    activities: set[tuple[int, str]]      # (year, activity code)
    budgets: dict[tuple[int, str], Decimal]   # (year, activity code) -> the activity's whole budget, kr
    partners: dict
    seen_keys: dict[tuple, set] = field(default_factory=dict)
    replacing: dict[tuple, set[str]] = field(default_factory=dict)  # (source, year) -> slots of new files

    def context(self, cfg: Config, source: str, file_year: int | None, run_year: int) -> ValidationContext:
        codes = {c for (y, c) in self.activities if y == file_year}
        return ValidationContext(
            tenant=cfg.tenant, year=run_year if source == "population" else file_year,
            member_codes=members_in(self.periods, file_year), known_municipalities=set(self.names),
            partner_codes=set(self.partners), activity_codes=codes, budget_activity_codes=codes)

    def accept(self, source: str, file_year: int | None, good: pd.DataFrame) -> None:
        """Reference data validated in this run serves the files after it."""
        key = key_columns(source)
        if all(k in good.columns for k in key):
            self.seen_keys[(source, file_year)] |= {tuple(r) for r in good[key].itertuples(index=False)}
        if source == "members":
            for r in good.itertuples(index=False):
                self.names[r.municipality_code] = r.municipality_name
                self.periods.append(MemberPeriod(r.municipality_code, r.municipality_name, r.valid_from, r.valid_to))
        elif source == "budget":
            self.activities |= {(file_year, c) for c in good["activity_code"]}
            for code, mb, eb in good[["activity_code", "municipal_budget_sek", "external_budget_sek"]].itertuples(
                    index=False):
                self.budgets[(file_year, code)] = (mb or Decimal(0)) + (eb or Decimal(0))


def key_columns(source: str) -> list[str]:
    """The source's uniqueness key as stored: e-mail is replaced by its pseudonym."""
    return [("person_key" if k == "email" else k) for k in SOURCES[source].key]
