"""Is a network's year complete? Which required sources are missing, and which files are rejected
and still waiting for a corrected version. Used by the annual run (a year with gaps gives only a
draft marked UTKAST, never a final report), by ``run_invoices`` (no invoices without members,
agreement rate and population) and by the reminder before the deadline.

The required sources are configuration: ``reporting.required_sources`` and
``invoicing.required_sources``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from runreport.contribution import months_in_year, population_year
from runreport.schema import SOURCES
from runreport.warehouse import models as m

LABEL_SV = {name: s.label_sv for name, s in SOURCES.items()}
REPORT_DEFAULT = ["members", "agreements", "population", "budget", "registrations", "evaluations", "ledger"]
INVOICES_DEFAULT = ["members", "agreements", "population"]


@dataclass(frozen=True)
class Gap:
    source: str
    text_sv: str      # one sentence a steward can act on (no personal data: only sources and years)

    def __str__(self) -> str:
        return self.text_sv


def _members_in(s: Session, tenant: str, year: int) -> list[m.Member]:
    rows = s.scalars(select(m.Member).where(m.Member.tenant == tenant)).all()
    return [r for r in rows if months_in_year(r.valid_from, r.valid_to, year)]


def gaps(s: Session, tenant: str, year: int, sources: list[str]) -> list[Gap]:
    """The required ``sources`` that the warehouse does not hold for ``year``."""
    out: list[Gap] = []
    members = _members_in(s, tenant, year)
    for source in sources:
        label = LABEL_SV.get(source, source)
        if source == "members":
            if not members:
                out.append(Gap(source, f"{label}: ingen medlemskommun är giltig under {year}"))
        elif source == "agreements":
            rates = s.scalars(select(m.AgreementRate).where(m.AgreementRate.tenant == tenant)).all()
            if not any(r.year_from <= year <= r.year_to for r in rates):
                out.append(Gap(source, f"{label}: inget avtal anger bidraget per invånare för {year}"))
        elif source == "population":
            py = population_year(year)
            have = set(s.scalars(select(m.Population.municipality_code).where(
                m.Population.tenant == tenant, m.Population.year == py)))
            lacking = sorted({r.municipality_code for r in members} - have)
            if members and lacking:
                out.append(Gap(source, f"{label}: folkmängden {py} saknas för {len(lacking)} av "
                                       f"{len({r.municipality_code for r in members})} medlemskommuner"))
        else:
            loaded = s.scalars(select(m.IngestedFile.id).where(
                m.IngestedFile.tenant == tenant, m.IngestedFile.source == source, m.IngestedFile.year == year,
                m.IngestedFile.status == "loaded")).first()
            if loaded is None:
                out.append(Gap(source, f"{label}: ingen godkänd fil för {year} har kommit in"))
    return out


def rejected_files(s: Session, tenant: str, year: int) -> list[m.IngestedFile]:
    """Files of ``year`` (and year-less reference files) rejected, or held for a steward's decision,
    and not yet replaced by a corrected file of their slot."""
    rows = s.scalars(select(m.IngestedFile).where(m.IngestedFile.tenant == tenant,
                                                  m.IngestedFile.status.in_(("rejected", "held")))).all()
    out = []
    for r in rows:
        if r.year not in (None, year):
            continue
        later = s.scalars(select(m.IngestedFile.id).where(
            m.IngestedFile.tenant == tenant, m.IngestedFile.slot == r.slot, m.IngestedFile.id > r.id,
            m.IngestedFile.status.in_(("loaded", "replaced")))).first()
        if later is None:
            out.append(r)
    return out


def required(cfg, kind: str) -> list[str]:
    section = cfg.reporting if kind == "report" else cfg.invoicing
    return list(section.required_sources or (REPORT_DEFAULT if kind == "report" else INVOICES_DEFAULT))
