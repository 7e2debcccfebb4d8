"""Build the annual report's content for (tenant, year) from the warehouse.

Two steps: :func:`build_content` collects the figures through the SQL files in
``include/sql/`` (via :func:`runreport.sql.run_sql`) and the staff-written texts in
``<paths.narrative>/<year>/``; :func:`compose` (pure, no I/O) lays them out as the report's
sections, following the 2020 report. A missing text becomes a visible placeholder
("[Text saknas: …]") and a warning, never a failure. Texts are treated as text: Markdown is
reduced to paragraphs, ``-`` bullets and ``**bold**``; nothing in them is ever evaluated.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from runreport.carry_over import BalanceRow
from runreport.config import PROJECT_ROOT, Config
from runreport.report.compose import (  # noqa: F401 - the names the report's callers know
    ACTIVITY_SECTIONS,
    DEFAULT_GOAL_SETS,
    NETWORK_SECTIONS,
    QUESTIONS,
    SECTION_ORDER,
    ReportMeta,
    compose,
    goal_codes,
    goal_set,
    goal_terms,
)
from runreport.report.content import (
    ActivityReport,
    BudgetLine,
    ComparisonRow,
    ContributionLine,
    DataQuality,
    Economy,
    EvaluationSummary,
    GoalMatrix,
    OrgCount,
    Paragraph,
    QuarantineReason,
    QuestionSummary,
    ReportContent,
    SessionInfo,
    SourceQuality,
    placeholder_text,
)
from runreport.report.convert import as_date, as_decimal, as_int, normalised
from runreport.report.figures import Figures, MunicipalityReach, YearFigures
from runreport.report.narrative import (  # noqa: F401
    chapters,
    load_organisation_names,
    narrative_sections,
    parse_markdown,
    read_text,
)
from runreport.sql import run_sql
from runreport.sweformat import long_date

log = logging.getLogger(__name__)

# --- reading the warehouse ---------------------------------------------------------------------


def _section_rank(section: str) -> int:
    s = section.casefold()
    return SECTION_ORDER.index(s) if s in SECTION_ORDER else len(SECTION_ORDER) - 1


def build_content(session: Session, cfg: Config, year: int, *, report_date: date | None = None,
                  tenant: str | None = None) -> ReportContent:
    """The report's content for ``(tenant, year)``. ``report_date`` (default: today) is the date on
    the title page and in the document properties; pass it to get byte-identical reruns."""
    tenant = tenant or cfg.tenant
    sql_dir = cfg.path("sql")
    warnings: list[str] = []

    def q(name: str, **extra: Any) -> list[dict]:
        return run_sql(session, name, sql_dir=sql_dir, tenant=tenant, year=year, **extra)

    narrative_dir = cfg.path("narrative") / str(year)
    org_file = cfg.path("organisations") if cfg.paths.organisations \
        else PROJECT_ROOT / "config" / "organisations.yaml"
    org_names = load_organisation_names(org_file)

    # Activities, sessions, participants, evaluations
    plan = q("activities_of_year")
    counts = {r["activity_code"]: r for r in q("participants_per_activity")}
    sessions: dict[str, list[SessionInfo]] = {}
    for r in q("sessions_per_activity"):
        sessions.setdefault(r["activity_code"], []).append(
            SessionInfo(as_int(r["session_no"]), as_date(r["session_date"]), str(r["form"] or ""), r["place"]))
    per_org: dict[str, list[OrgCount]] = {}
    unknown_orgs: set[str] = set()
    for r in q("participants_per_organisation"):
        code = str(r["org_code"])
        name = r["municipality_name"] or org_names.get(code.strip().casefold())
        if not name:
            unknown_orgs.add(code)
            name = code
        per_org.setdefault(r["activity_code"], []).append(OrgCount(code, str(name), as_int(r["participants"])))
    for code in sorted(unknown_orgs):
        warnings.append(f"Okänd organisationskod {code}: visas med koden (lägg till i config/organisations.yaml)")
    evals = {r["activity_code"]: r for r in q("evaluation_summary")}

    activities: list[ActivityReport] = []
    for a in plan:
        code, section = a["activity_code"], str(a["section"] or "")
        c = counts.get(code, {})
        participants, registered = as_int(c.get("participants")), as_int(c.get("registered"))
        cancelled = as_int(c.get("cancelled"))
        sec = section.casefold()
        if not (sec in ACTIVITY_SECTIONS or (sec in NETWORK_SECTIONS and (registered or cancelled))):
            continue
        text = read_text(narrative_dir / "activities" / f"{code}.md")
        missing = text is None or not text.strip()
        if missing:
            desc: tuple[Paragraph, ...] = (Paragraph.of(
                placeholder_text(f"beskrivning av {a['activity_name']} ({year}/activities/{code}.md)"),
                placeholder=True),)
        else:
            blocks = parse_markdown(text or "")
            # a leading heading that repeats the activity's name is already the section heading
            if blocks and isinstance(blocks[0], tuple) and blocks[0][1].strip().casefold() == \
                    str(a["activity_name"]).strip().casefold():
                blocks = blocks[1:]
            desc = tuple(p if isinstance(p, Paragraph) else Paragraph.of(p[1], bold=True) for p in blocks)
        ev_row = evals.get(code)
        evaluation = None
        if ev_row:
            evaluation = EvaluationSummary(
                responses=as_int(ev_row["responses"]), participants=participants,
                questions=tuple(QuestionSummary(label, tuple(as_int(ev_row[f"{key}_{i}"]) for i in range(1, 6)))
                                for key, label in QUESTIONS))
        activities.append(ActivityReport(
            activity_code=code, activity_name=str(a["activity_name"]), section=section,
            target_group=a["target_group"], form=a["form"], term=a["term"], goals=goal_codes(a["goals"]),
            description=desc, description_missing=missing, sessions=tuple(sessions.get(code, ())),
            registered=registered, cancelled=cancelled, participants=participants,
            per_organisation=tuple(per_org.get(code, ())), evaluation=evaluation))

    # Previous year, matched on the activity name
    prev = {normalised(str(r["activity_name"])): as_int(r["participants"]) for r in q("participants_previous_year")}
    held_before = {normalised(str(r["activity_name"])): as_int(r["last_year"]) for r in q("activities_held_before")}
    comparison = tuple(ComparisonRow(a.activity_name, a.participants, prev.get(normalised(a.activity_name)),
                                     last_held=held_before.get(normalised(a.activity_name)))
                       for a in activities)
    # activities of last year that are not in this year's plan: shown with 0, so both columns add up
    planned = {normalised(str(a["activity_name"])) for a in plan}
    prev_names = {normalised(str(r["activity_name"])): str(r["activity_name"]) for r in q("participants_previous_year")}
    comparison += tuple(ComparisonRow(prev_names[n], 0, p, planned=False) for n, p in sorted(prev.items())
                        if n not in planned and p > 0)

    # Goal matrix
    goal_sets = ([g.model_dump(by_alias=True, exclude_none=True) for g in cfg.report.goal_sets] if cfg.report.goal_sets
                 else DEFAULT_GOAL_SETS)
    period, goals = goal_set(year, goal_sets)
    term, described_as = goal_terms(year, goal_sets)
    described_as = described_as.replace("{network}", str(tenant))   # the network's short name
    known = {c for c, _ in goals}
    rows = []
    for a in plan:
        codes = goal_codes(a["goals"])
        bad = [c for c in codes if c not in known]
        if bad:
            warnings.append(f"Okända samverkansmål {', '.join(bad)} för {a['activity_code']} ({period or year})")
        if codes or str(a["section"] or "").casefold() in ACTIVITY_SECTIONS:
            rows.append((str(a["activity_name"]), tuple(c for c in codes if c in known)))
    goal_matrix = GoalMatrix(period, goals, tuple(rows), term, described_as) if goals else None
    if not goals:
        warnings.append(f"Ingen uppsättning samverkansmål gäller för {year}")

    # Economy
    cost_from, cost_to = cfg.ledger.cost_accounts
    income_from, income_to = cfg.ledger.income_accounts
    contributions = tuple(ContributionLine(
        str(r["municipality_code"]), str(r["municipality_name"] or r["municipality_code"]),
        as_int(r["population"]), as_decimal(r["rate_sek"]), as_int(r["months"]), as_decimal(r["amount_sek"]))
        for r in q("contribution_per_municipality"))
    budget = sorted((BudgetLine(
        str(r["section"]), str(r["activity_code"]), str(r["activity_name"]), as_decimal(r["municipal_budget_sek"]),
        r["external_funder"], as_decimal(r["external_budget_sek"]) if r["external_budget_sek"] is not None else None,
        as_decimal(r["outcome_sek"]), as_decimal(r["external_income_sek"]))
        for r in q("budget_vs_outcome", cost_from=cost_from, cost_to=cost_to, income_from=income_from,
                   income_to=income_to)),
        key=lambda b: (_section_rank(b.section), b.activity_code))
    for b in budget:
        if b.section == "Övrigt":
            warnings.append(f"Kostnader bokförda på {b.activity_code} som inte finns i handlingsplanen {year}")
    balances = {as_int(r["year"]): r for r in q("balance_chain")}
    balance = None
    if year in balances:
        r = balances[year]
        balance = BalanceRow(year, as_decimal(r["opening_sek"]), as_decimal(r["contributions_sek"]),
                             as_decimal(r["external_income_sek"]), as_decimal(r["costs_sek"]))
        if as_decimal(r["closing_sek"]) != balance.closing_sek:
            warnings.append(f"Saldot {year} går inte ihop: utgående {as_decimal(r['closing_sek'])} i lagret men "
                            f"beräknat {balance.closing_sek}")
        if year - 1 in balances and as_decimal(balances[year - 1]["closing_sek"]) != balance.opening_sek:
            warnings.append(f"Ingående överskjutande medel {year} ({balance.opening_sek}) är inte lika med "
                            f"utgående {year - 1} ({as_decimal(balances[year - 1]['closing_sek'])})")
    economy = Economy(contributions, in_kind_text(cfg.contribution.in_kind, year),
                      tuple(budget), balance)

    # Data quality
    dq = DataQuality(
        sources=tuple(SourceQuality(str(r["source"]), as_int(r["files"]), as_int(r["rows_in"]),
                                    as_int(r["rows_loaded"]), as_int(r["rows_quarantined"]))
                      for r in q("rows_per_source")),
        reasons=tuple(QuarantineReason(str(r["source"]), str(r["reason_sv"]), as_int(r["rows_quarantined"]))
                      for r in q("quarantine_per_source")))

    narratives = {key: read_text(narrative_dir / f"{key}.md")
                  for key in ("introduction", "organisation", "networks", "summary")}
    meta = ReportMeta(year=year, network_name=cfg.network_name or tenant,
                      short_name=str(tenant), host_university=cfg.host_university,
                      report_date=report_date or date.today(),
                      funders=dict(cfg.report.funders))
    people = {as_int(r["year"]): (as_int(r["people"]), as_int(r["participations"]))
              for r in q("participants_per_year") if as_int(r["year"]) >= year - 1}  # the year and the year before
    content = compose(meta, narratives, activities, comparison, goal_matrix, economy, dq, warnings, people=people,
                      figures=_figures(q), chapters=chapters(narrative_dir / "kapitel"))
    for w in content.warnings:
        log.warning("Verksamhetsberättelse %s: %s", year, w)
    return content


def in_kind_text(setting: Any, year: int) -> str:
    """``contribution.in_kind``: one text, or texts by the year from which each applies (the host
    university's share changes between periods); the latest that applies to ``year``."""
    if isinstance(setting, dict):
        applies = [int(y) for y in setting if int(y) <= year]
        return str(setting.get(max(applies), setting.get(str(max(applies)), ""))) if applies else ""
    return str(setting or "")


def _figures(q) -> Figures:
    """The key figures, the trends over every year up to the report's and the reach per municipality."""
    years: dict[int, dict[str, Any]] = {}
    for r in q("participants_per_year"):
        years.setdefault(as_int(r["year"]), {}).update(people=as_int(r["people"]),
                                                       participations=as_int(r["participations"]),
                                                       activities=as_int(r["activities"]))
    for r in q("reach_per_year"):
        years.setdefault(as_int(r["year"]), {}).update(municipalities=as_int(r["municipalities"]),
                                                       reached=as_int(r["reached"]))
    for r in q("budget_per_year"):
        years.setdefault(as_int(r["year"]), {}).update(
            budget_sek=as_decimal(r["municipal_budget_sek"]) + as_decimal(r["external_budget_sek"]))
    for r in q("balance_per_year"):
        years.setdefault(as_int(r["year"]), {}).update(contributions_sek=as_decimal(r["contributions_sek"]),
                                                       costs_sek=as_decimal(r["costs_sek"]),
                                                       carry_over_sek=as_decimal(r["closing_sek"]))
    reach = tuple(MunicipalityReach(str(r["municipality_code"]), str(r["municipality_name"] or r["municipality_code"]),
                                    as_int(r["population"]), as_decimal(r["amount_sek"]), as_int(r["participants"]))
                  for r in q("participants_per_municipality"))
    satisfaction = tuple((as_int(r["year"]), Decimal(str(r["mean_overall"])), as_int(r["answers"]))
                         for r in q("satisfaction_per_year") if r["mean_overall"] is not None)
    return Figures(tuple(YearFigures(y, **v) for y, v in sorted(years.items())), reach, satisfaction)


def title_page_lines(content: ReportContent) -> tuple[str, ...]:
    """Subtitle lines under the title: network, host university, date."""
    return tuple(x for x in (content.network_name, content.host_university,
                             long_date(content.report_date)) if x)

