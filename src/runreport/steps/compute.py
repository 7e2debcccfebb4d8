"""The compute: each municipality's contribution and the carry-over of unspent money."""

from __future__ import annotations

import logging
from dataclasses import asdict
from decimal import Decimal

import pandas as pd
from sqlalchemy import delete, insert, select

from runreport.carry_over import balance_chain
from runreport.config import Config
from runreport.contribution import MemberPeriod, MissingPopulation, MissingRate, Rate, compute_contributions
from runreport.sql import run_sql
from runreport.steps.common import sessions
from runreport.warehouse import models as m

log = logging.getLogger(__name__)


def _excel_cell(value):  # noqa: ANN001, ANN202
    """A cell for Swedish Excel: a Decimal with a decimal comma (``2,00``, never ``2.00``, which
    Swedish Excel reads as a date or text); text made safe from running as a formula."""
    from runreport.sweformat import spreadsheet_decimal
    from runreport.validation.summary import csv_cell

    if isinstance(value, Decimal):
        return spreadsheet_decimal(value)
    return csv_cell(value) if isinstance(value, str) else value


def money_basis(s, tenant: str) -> tuple[list[MemberPeriod], list[Rate], dict[tuple[str, int], int]]:
    """What the contributions are computed from: membership periods, agreement rates, population."""
    members = [MemberPeriod(x.municipality_code, x.municipality_name, x.valid_from, x.valid_to)
               for x in s.scalars(select(m.Member).where(m.Member.tenant == tenant))]
    rates = [Rate(r.year_from, r.year_to, r.rate_sek)
             for r in s.scalars(select(m.AgreementRate).where(m.AgreementRate.tenant == tenant))]
    pop = {(p.municipality_code, p.year): p.population
           for p in s.scalars(select(m.Population).where(m.Population.tenant == tenant))}
    return members, rates, pop


def compute(cfg: Config, year: int) -> dict:
    """Contributions for every year from ``balance.first_year`` to ``year`` and the balance chain."""
    Session = sessions(cfg)
    first = cfg.balance.first_year
    years = list(range(first, year + 1))
    with Session.begin() as s:
        members, rates, pop = money_basis(s, cfg.tenant)
        s.execute(delete(m.Contribution).where(m.Contribution.tenant == cfg.tenant, m.Contribution.year.in_(years)))
        rows_for_year = []
        gaps: list[str] = []
        for y in years:
            try:
                rows = compute_contributions(y, members, rates, pop)
            except (MissingPopulation, MissingRate) as exc:  # the year's report becomes a draft
                rows = []
                if y == year:
                    gaps.append(str(exc).split(" / ")[0])
            if y == year:
                rows_for_year = rows
            if rows:
                s.execute(insert(m.Contribution), [
                    {"tenant": cfg.tenant, "year": r.year, "municipality_code": r.municipality_code,
                     "population": r.population, "population_year": r.population_year, "rate_sek": r.rate_sek,
                     "months": r.months, "amount_sek": r.amount_sek} for r in rows])
        s.flush()
        contrib = {r["year"]: Decimal(str(r["contributions_sek"]))
                   for r in run_sql(s, "contribution_total_per_year", tenant=cfg.tenant, year=year)}
        cost_from, cost_to = cfg.ledger.cost_accounts
        inc_from, inc_to = cfg.ledger.income_accounts
        ledger = run_sql(s, "ledger_totals_per_year", tenant=cfg.tenant, year=year, cost_from=str(cost_from),
                         cost_to=str(cost_to), income_from=str(inc_from), income_to=str(inc_to))
        costs = {r["year"]: Decimal(str(r["costs_sek"] or 0)) for r in ledger}
        income = {r["year"]: Decimal(str(r["external_income_sek"] or 0)) for r in ledger}
        chain = balance_chain(years, cfg.balance.opening_balance_sek, contrib, income, costs)
        s.execute(delete(m.Balance).where(m.Balance.tenant == cfg.tenant, m.Balance.year.in_(years)))
        s.execute(insert(m.Balance), [
            {"tenant": cfg.tenant, "year": b.year, "opening_sek": b.opening_sek,
             "contributions_sek": b.contributions_sek, "external_income_sek": b.external_income_sek,
             "costs_sek": b.costs_sek, "closing_sek": b.closing_sek} for b in chain])
    out = cfg.output_dir(year)
    out.mkdir(parents=True, exist_ok=True)
    import csv

    table = pd.DataFrame([asdict(r) for r in rows_for_year])
    for col in table.columns:  # a cell that starts with = + - @ must not run as a formula in Excel
        if table[col].dtype == object:
            table[col] = table[col].map(_excel_cell)
    csv_path = out / f"kommunbidrag_{year}.csv"
    table.to_csv(csv_path, sep=";", index=False, decimal=",", encoding="utf-8-sig", quoting=csv.QUOTE_NONNUMERIC)
    this = next(b for b in chain if b.year == year)
    return {"contributions_total": int(sum(r.amount_sek for r in rows_for_year)), "municipalities": len(rows_for_year),
            "carry_over": str(this.closing_sek), "contribution_table": str(csv_path), "gaps": gaps}


class InvoicingRefused(Exception):
    """The year cannot be invoiced (before ``balance.first_year``, or reference data missing)."""


def contributions_for_invoicing(cfg: Config, year: int) -> list:
    """The year's contributions for ``run_invoices``: those ``compute`` stored for the year, else
    computed now from members, agreement rate and population and stored the same way (on 15 January
    of Y the annual run has not yet computed Y). Raises :class:`InvoicingRefused`, in Swedish,
    naming what is missing."""
    from runreport import completeness

    first = cfg.balance.first_year
    if year < first:
        raise InvoicingRefused(f"Fakturering för {year} går inte: lagret börjar med {first} (balance.first_year)")
    Session = sessions(cfg)
    with Session.begin() as s:
        stored = s.scalars(select(m.Contribution).where(m.Contribution.tenant == cfg.tenant,
                                                        m.Contribution.year == year)).all()
        if stored:
            return stored
        gaps = completeness.gaps(s, cfg.tenant, year, completeness.required(cfg, "invoices"))
        if gaps:
            raise InvoicingRefused(f"Inga fakturor för {year}: underlag saknas:\n" + "\n".join(f"- {g}" for g in gaps))
        members, rates, pop = money_basis(s, cfg.tenant)
        try:
            rows = compute_contributions(year, members, rates, pop)
        except (MissingPopulation, MissingRate) as exc:
            raise InvoicingRefused(f"Inga fakturor för {year}: {str(exc).split(' / ')[0]}") from exc
        s.execute(delete(m.Contribution).where(m.Contribution.tenant == cfg.tenant, m.Contribution.year == year))
        s.execute(insert(m.Contribution), [
            {"tenant": cfg.tenant, "year": r.year, "municipality_code": r.municipality_code,
             "population": r.population, "population_year": r.population_year, "rate_sek": r.rate_sek,
             "months": r.months, "amount_sek": r.amount_sek} for r in rows])
    return rows
