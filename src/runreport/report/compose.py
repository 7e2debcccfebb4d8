"""The report's sections laid out from its figures and texts (pure, no I/O), following the 2020
report: :func:`compose`. The figures come from :func:`runreport.report.build.build_content`."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from runreport.report import charts
from runreport.report.content import (
    ActivityReport,
    BudgetLine,
    Chart,
    ComparisonRow,
    DataQuality,
    Economy,
    Figures,
    GoalMatrix,
    Paragraph,
    QuarantineReason,
    ReportContent,
    Section,
    Table,
)
from runreport.report.convert import money_text, whole_kronor
from runreport.report.figures import key_figures_section, reach_section, trends_section
from runreport.report.goals import goal_section
from runreport.report.narrative import narrative_sections
from runreport.report.participation import (
    comparison_section,
    participants_sentence,
    responses_sentence,
)
from runreport.sweformat import number, percent

log = logging.getLogger(__name__)

FORMS = {"C": "Campus", "CD": "Campus och distans", "D": "Distans"}

QUESTIONS = (
    ("overall", "Helhetsintryck"),
    ("relevance", "Relevans för min yrkesroll"),
    ("apply", "Kommer att använda i mitt arbete"),
)

# Goal sets per agreement period; configurable as ``report.goal_sets`` (same shape).
# Fallback only: the goal sets are configuration (``report.goal_sets`` in config/pipeline.yaml).
DEFAULT_GOAL_SETS: tuple[dict[str, Any], ...] = (
    {"from": 2020, "to": 2022, "term": "samverkansmål", "described_as": "verksamhetsplanens samverkansmål",
     "goals": [
        ["1", "Likvärdighet"],
        ["2", "Systematiskt kvalitetsarbete och ledarskap"],
        ["3", "Kompetensförsörjning"],
        ["4", "Digitalisering"],
    ]},
    {"from": 2023, "to": None, "term": "samverkansområden",
     "described_as": "samverkansområdena i Ramar för samverkan inom {network}", "goals": [
        ["A", "Attrahera"],
        ["R", "Rekrytera"],
        ["B", "Behålla och utveckla"],
    ]},
)

SECTION_ORDER = ("organisation", "nätverk", "aktiviteter", "projekt", "uppdragsutbildning", "övrigt")
ACTIVITY_SECTIONS = ("aktiviteter",)
NETWORK_SECTIONS = ("nätverk",)

SOURCE_NAMES = {
    "registrations": "Anmälningar", "registration": "Anmälningar", "anmalningar": "Anmälningar",
    "evaluations": "Utvärderingar", "evaluation": "Utvärderingar", "utvarderingar": "Utvärderingar",
    "finance": "Ekonomi", "ledger": "Ekonomi", "ekonomi": "Ekonomi",
    "budget": "Budget (handlingsplan)", "population": "Folkmängd", "members": "Medlemmar",
    "member": "Medlemmar", "agreements": "Avtal", "sessions": "Träffar",
}

TOP_REASONS = 5


def goal_codes(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    return tuple(c.strip().upper() for c in re.split(r"[,;]", raw) if c.strip())


def goal_terms(year: int, goal_sets: Iterable[Mapping[str, Any]]) -> tuple[str, str]:
    """The period's own words for its goals: (``samverkansmål`` or ``samverkansområden``, how the
    report's subject line names them)."""
    for gs in goal_sets:
        lo, hi = int(gs["from"]), gs.get("to")
        if lo <= year and (hi is None or year <= int(hi)):
            term = str(gs.get("term") or "samverkansmål")
            return term, str(gs.get("described_as") or f"verksamhetsplanens {term}")
    return "samverkansmål", "verksamhetsplanens samverkansmål"


def goal_set(year: int, goal_sets: Iterable[Mapping[str, Any]]) -> tuple[str, tuple[tuple[str, str], ...]]:
    for gs in goal_sets:
        lo, hi = int(gs["from"]), gs.get("to")
        if lo <= year and (hi is None or year <= int(hi)):
            period = f"{lo}–{hi}" if hi is not None else f"från {lo}"
            return period, tuple((str(c).upper(), str(label)) for c, label in gs["goals"])
    return "", ()




@dataclass(frozen=True)
class ReportMeta:
    year: int
    network_name: str
    short_name: str
    host_university: str
    report_date: date
    # what the action plan's short funder names stand for (report.funders in the configuration)
    funders: Mapping[str, str] = field(default_factory=dict)


def _activity_section(a: ActivityReport) -> Section:
    blocks: list[Paragraph | Table | Chart] = list(a.description)
    facts = []
    if a.target_group:
        facts.append(f"Målgrupp: {a.target_group}.")
    if a.form:
        facts.append(f"Form: {FORMS.get(a.form.upper(), a.form)}.")
    if a.term:
        facts.append(f"Termin: {a.term}.")
    if facts:
        blocks.append(Paragraph.of(" ".join(facts)))
    if a.sessions:
        blocks.append(Table(
            caption=f"Träffar: {a.activity_name}",
            header=("Träff", "Datum", "Form", "Plats"),
            rows=tuple((s.session_no, s.session_date.isoformat(), FORMS.get(s.form.upper(), s.form),
                        s.place or "") for s in a.sessions),
            align=("right", "left", "left", "left"),
        ))
    blocks.append(Paragraph.of(participants_sentence(a)))
    if a.per_organisation:
        series = charts.ordered_series([(o.name, o.participants) for o in a.per_organisation])
        blocks.append(Paragraph.of("Figuren nedan visar antalet deltagare och vilken kommun eller "
                                   "organisation som deltagarna kommer ifrån."))
        blocks.append(Chart(
            title=a.activity_name, series=series, alt_text=charts.alt_text(a.activity_name, series),
            caption=f"Antal deltagare per kommun eller organisation: {a.activity_name}"))
    ev = a.evaluation
    if ev and ev.responses:
        blocks.append(Paragraph.of(responses_sentence(ev.responses, ev.participants)))
        blocks.append(Table(
            caption=f"Utvärdering: {a.activity_name}",
            header=("Fråga", "Svar", "Medelvärde", "1", "2", "3", "4", "5"),
            rows=tuple((q.question, q.answered, number(q.mean, 1) if q.mean is not None else "–",
                        *q.distribution) for q in ev.questions),
            align=("left",) + ("right",) * 7,
        ))
    else:
        blocks.append(Paragraph.of("Ingen utvärdering har registrerats för aktiviteten."))
    return Section(a.activity_name, 2, tuple(blocks), key=f"activity:{a.activity_code}")


def _carry_over_change(opening: Decimal, closing: Decimal, year: int) -> str:
    """How the carry-over moved during the year, in one sentence."""
    if abs(closing - opening) < 1:
        return f"De överskjutande medlen är i stort sett oförändrade under {year}."
    way = "ökade" if closing > opening else "minskade"
    return (f"De överskjutande medlen {way} därmed med {whole_kronor(abs(closing - opening))} under {year}, från "
            f"{whole_kronor(opening)} till {whole_kronor(closing)}.")


def funder_legend(budget: Sequence[BudgetLine], funders: Mapping[str, str]) -> str:
    """What the short funder names in the column Budget extern stand for, those the configuration
    explains ("Delt.avg. = deltagaravgifter"); "" when none of the year's funders is short."""
    named = sorted({b.external_funder for b in budget if b.external_funder and b.external_funder in funders},
                   key=str.casefold)
    if not named:
        return ""
    return ("I kolumnen Budget extern står finansiären före beloppet: "
            + "; ".join(f"{name} = {funders[name]}" for name in named) + ".")


def unbudgeted_municipal_costs(budget: Sequence[BudgetLine]) -> str:
    """The activities without a municipal budget whose costs were larger than the external income
    booked on them: the rest was paid with the municipalities' money, which the tables show as
    Utfall kommun beside Budget kommun 0 kr. One sentence; "" when there are none."""
    lines = [b for b in budget if not b.municipal_budget_sek and b.outcome_municipal_sek > 0]
    if not lines:
        return ""
    if len(lines) == 1:
        (b,) = lines
        return (f"{b.activity_name} har ingen budget av kommunernas medel, men kostnaderna blev "
                f"{whole_kronor(b.outcome_municipal_sek)} större än de externa intäkter som bokförts på "
                "verksamheten. Skillnaden betalades med kommunernas medel och står som Utfall kommun.")
    parts = [f"{b.activity_name} ({whole_kronor(b.outcome_municipal_sek)})" for b in lines]
    return (", ".join(parts[:-1]) + " och " + parts[-1] + " har ingen budget av kommunernas medel, men "
            "kostnaderna blev större än de externa intäkter som bokförts på dem. Skillnaden (beloppen inom "
            "parentes) betalades med kommunernas medel och står som Utfall kommun.")


def _economy_sections(meta: ReportMeta, eco: Economy, warnings: list[str]) -> list[Section]:
    year = meta.year
    out = [Section("Ekonomi", 1, (Paragraph.of(
        f"Nedan redovisas {meta.short_name}s intäkter och kostnader för {year}: kommunernas bidrag, "
        f"{meta.host_university}s bidrag i form av personal, budget och utfall per verksamhet samt "
        "överskjutande medel."),), key="economy")]

    # Contributions
    blocks: list[Paragraph | Table | Chart] = []
    if eco.contributions:
        rates = {c.rate_sek for c in eco.contributions}
        rate_txt = f" ({money_text(next(iter(rates)))} per invånare)" if len(rates) == 1 else ""
        blocks.append(Paragraph.of(
            f"Medlemskommunernas bidrag för {year} uppgick till sammanlagt "
            f"{whole_kronor(eco.contribution_total_sek)}{rate_txt}."))
        blocks.append(Table(
            caption=f"Kommunbidrag {year} per kommun",
            header=("Kommun", "Invånare", "Bidrag"),
            rows=tuple((c.municipality_name, c.population, whole_kronor(c.amount_sek))
                       for c in sorted(eco.contributions, key=lambda c: charts.swedish_key(c.municipality_name))),
            align=("left", "right", "right"),
            total=("Summa", sum(c.population for c in eco.contributions), whole_kronor(eco.contribution_total_sek)),
        ))
    else:
        warnings.append(f"Kommunbidrag saknas för {year}")
        blocks.append(Paragraph.of(f"[Uppgift saknas: kommunbidrag {year}]", placeholder=True))
    if eco.in_kind_text:
        blocks.append(Paragraph.of(eco.in_kind_text))
    out.append(Section("Kommunbidrag och egeninsats", 2, tuple(blocks), key="economy:contribution"))

    # Budget vs outcome
    blocks = [Paragraph.of(
        f"Tabellerna visar budget enligt handlingsplanen för {year} per avsnitt och verksamhet, med "
        "kommunernas medel (Kommun) och extern finansiering (Extern), och utfallet (bokförda kostnader) "
        "fördelat på samma sätt: externa intäkter som bokförts på en verksamhet betalar först dess egna "
        "kostnader, resten av kostnaderna betalas med kommunernas medel. Beloppen är avrundade till hela "
        "kronor; summorna är räknade på de exakta beloppen.")]
    legend = funder_legend(eco.budget, meta.funders)
    if legend:
        blocks.append(Paragraph.of(legend))
    by_section: dict[str, list[BudgetLine]] = {}
    for b in eco.budget:
        by_section.setdefault(b.section, []).append(b)
    header = ("Verksamhet", "Budget kommun", "Budget extern", "Utfall kommun", "Utfall extern")

    def kr_or_blank(v: Decimal) -> str:
        return whole_kronor(v) if v else ""

    for section, lines in by_section.items():
        rows = []
        for b in lines:
            ext = b.external_funder or ""
            if b.external_budget_sek:
                ext = f"{ext} {whole_kronor(b.external_budget_sek)}".strip()
            rows.append((b.activity_name, whole_kronor(b.municipal_budget_sek), ext,
                         whole_kronor(b.outcome_municipal_sek), kr_or_blank(b.outcome_external_sek)))
        ext_sum = sum((b.external_budget_sek or Decimal(0) for b in lines), Decimal(0))
        blocks.append(Table(
            caption=f"Budget och utfall {year}: {section}",
            header=header, rows=tuple(rows), align=("left", "right", "left", "right", "right"),
            total=("Summa", whole_kronor(sum((b.municipal_budget_sek for b in lines), Decimal(0))),
                   kr_or_blank(ext_sum),
                   whole_kronor(sum((b.outcome_municipal_sek for b in lines), Decimal(0))),
                   kr_or_blank(sum((b.outcome_external_sek for b in lines), Decimal(0)))),
        ))
    if eco.budget:
        sums = eco.section_sums()
        blocks.append(Table(
            caption=f"Budget och utfall {year}: sammanställning",
            header=("Avsnitt", *header[1:]),
            rows=tuple((s, whole_kronor(k), kr_or_blank(e), whole_kronor(uk), kr_or_blank(ue))
                       for s, k, e, uk, ue in sums),
            align=("left", "right", "right", "right", "right"),
            total=("Total summa", whole_kronor(eco.budget_total_sek), kr_or_blank(eco.external_budget_total_sek),
                   whole_kronor(sum((b.outcome_municipal_sek for b in eco.budget), Decimal(0))),
                   kr_or_blank(sum((b.outcome_external_sek for b in eco.budget), Decimal(0)))),
        ))
        planned = eco.budget_total_sek + eco.external_budget_total_sek
        diff = eco.outcome_total_sek - planned
        way = "lika med" if abs(diff) < 1 else f"{whole_kronor(abs(diff))} {'mer' if diff > 0 else 'mindre'} än"
        blocks.append(Paragraph.of(
            f"Utfallet blev {whole_kronor(eco.outcome_total_sek)}, {way} budgeten på {whole_kronor(planned)} "
            "(kommunernas medel och extern finansiering)."))
        unbudgeted = unbudgeted_municipal_costs(eco.budget)
        if unbudgeted:
            blocks.append(Paragraph.of(unbudgeted))
    else:
        warnings.append(f"Budget saknas för {year}")
        blocks.append(Paragraph.of(f"[Uppgift saknas: budget {year}]", placeholder=True))
    out.append(Section("Budget och utfall", 2, tuple(blocks), key="economy:budget"))

    # Balance chain
    bal = eco.balance
    if bal is None:
        warnings.append(f"Saldo (överskjutande medel) saknas för {year}")
        blocks = [Paragraph.of(f"[Uppgift saknas: överskjutande medel {year}]", placeholder=True)]
    else:
        available = bal.opening_sek + bal.contributions_sek + bal.external_income_sek
        blocks = [
            Paragraph.of(
                f"Tillgängliga medel för {year} var {whole_kronor(available)}: överskjutande medel från "
                f"{year - 1}, kommunbidrag och externa intäkter. Kostnaderna uppgick till "
                f"{whole_kronor(bal.costs_sek)}, och {whole_kronor(bal.closing_sek)} förs över till {year + 1}. "
                + _carry_over_change(bal.opening_sek, bal.closing_sek, year)),
            Table(
                caption=f"Överskjutande medel {year}",
                header=("Post", "Belopp"),
                rows=((f"Ingående överskjutande medel från {year - 1}", whole_kronor(bal.opening_sek)),
                      (f"Kommunbidrag {year}", whole_kronor(bal.contributions_sek)),
                      ("Externa intäkter", whole_kronor(bal.external_income_sek)),
                      ("Kostnader", whole_kronor(-bal.costs_sek))),
                align=("left", "right"),
                total=(f"Överskjutande medel till {year + 1}", whole_kronor(bal.closing_sek)),
            ),
        ]
        if eco.contributions and bal.contributions_sek != eco.contribution_total_sek:
            warnings.append(f"Kommunbidrag i saldot ({bal.contributions_sek}) skiljer sig från summan per "
                            f"kommun ({eco.contribution_total_sek})")
        if eco.budget and bal.costs_sek != eco.outcome_total_sek:
            warnings.append(f"Kostnader i saldot ({bal.costs_sek}) skiljer sig från utfallet per "
                            f"verksamhet ({eco.outcome_total_sek})")
    out.append(Section("Överskjutande medel", 2, tuple(blocks), key="economy:balance"))
    return out


def _data_quality_section(year: int, dq: DataQuality | None) -> Section:
    heading = "Bilaga: Datakvalitet"
    if dq is None or (not dq.sources and not dq.reasons):
        return Section(heading, 1, (Paragraph.of(f"Inga inlästa filer finns registrerade för {year}."),),
                       key="data_quality", page_break_before=True)
    blocks: list[Paragraph | Table | Chart] = [Paragraph.of(
        f"Bilagan visar hur många rader i årets inlästa filer som inte kunde läsas in utan lades i "
        f"karantän, per källa och med de vanligaste orsakerna. Sammanlagt {number(dq.quarantined_total)} "
        "rader ligger i karantän.")]
    if dq.sources:
        blocks.append(Table(
            caption=f"Inlästa rader per källa {year}",
            header=("Källa", "Filer", "Rader", "Inlästa", "I karantän", "Andel i karantän"),
            rows=tuple((SOURCE_NAMES.get(s.source.casefold(), s.source), s.files, s.rows_in, s.rows_loaded,
                        s.rows_quarantined, percent(s.rows_quarantined / s.rows_in, 1) if s.rows_in else "–")
                       for s in dq.sources),
            align=("left",) + ("right",) * 5,
        ))
    if dq.reasons:
        top: list[QuarantineReason] = []
        seen: dict[str, int] = {}
        for r in dq.reasons:
            if seen.get(r.source, 0) < TOP_REASONS:
                top.append(r)
                seen[r.source] = seen.get(r.source, 0) + 1
        blocks.append(Table(
            caption=f"Vanligaste orsakerna till karantän {year} (högst {TOP_REASONS} per källa)",
            header=("Källa", "Orsak", "Rader"),
            rows=tuple((SOURCE_NAMES.get(r.source.casefold(), r.source), r.reason, r.rows) for r in top),
            align=("left", "left", "right"),
        ))
    return Section(heading, 1, tuple(blocks), key="data_quality", page_break_before=True)


def compose(meta: ReportMeta, narratives: Mapping[str, str | None], activities: Iterable[ActivityReport],
            comparison: Iterable[ComparisonRow] = (), goal_matrix: GoalMatrix | None = None,
            economy: Economy | None = None, data_quality: DataQuality | None = None,
            warnings: Iterable[str] = (), people: Mapping[int, tuple[int, int]] | None = None,
            figures: Figures | None = None, chapters: Iterable[tuple[str, str, str]] = ()) -> ReportContent:
    """Lay out the report's sections from its parts. ``narratives`` maps ``introduction``,
    ``organisation``, ``networks``, ``summary`` to Markdown (``None`` = missing); ``people`` maps the
    year and the year before to (distinct people, participations)."""
    year = meta.year
    warns = list(warnings)
    acts = tuple(activities)
    comp = tuple(comparison)
    sections: list[Section] = []
    if figures is not None:
        sections.append(key_figures_section(year, acts, economy, figures))
    sections += narrative_sections("Inledning", 1, narratives.get("introduction"),
                                   f"inledning ({year}/introduction.md)", "introduction", warns,
                                   page_break_before=True)
    sections += narrative_sections("Organisation", 1, narratives.get("organisation"),
                                   f"organisation ({year}/organisation.md)", "organisation", warns)
    sections += narrative_sections("Nätverk", 1, narratives.get("networks"),
                                   f"nätverk ({year}/networks.md)", "networks", warns)
    total = sum(a.participants for a in acts)
    who = (f"{number(total)} deltagartillfällen ({number(people[year][0])} personer)"
           if people and year in people else f"{number(total)} deltagartillfällen")
    intro = (f"Under {year} redovisas {number(len(acts))} "
             f"{'kompetensutvecklingsaktivitet' if len(acts) == 1 else 'kompetensutvecklingsaktiviteter'} och "
             f"nätverk med sammanlagt {who}. För varje aktivitet beskrivs innehåll, träffar "
             "och form, antal deltagare per kommun eller organisation samt deltagarnas utvärdering."
             if acts else f"Inga kompetensutvecklingsaktiviteter finns registrerade för {year}.")
    sections.append(Section("Kompetensutvecklingsaktiviteter", 1, (Paragraph.of(intro),), key="activities"))
    for a in acts:
        if a.description_missing:
            warns.append(f"Text saknas: aktivitet {a.activity_code} ({year}/activities/{a.activity_code}.md)")
        sections.append(_activity_section(a))
    for title, text, name in chapters:   # the coordinator's free chapters, in their files' order
        sections += narrative_sections(title, 1, text, f"kapitel ({year}/kapitel/{name})", f"chapter:{name}", warns)
    sections.append(comparison_section(year, comp, people))
    if figures is not None:
        sections += [reach_section(year, figures), trends_section(year, figures)]
    sections.append(goal_section(year, goal_matrix, acts))
    if economy is not None:
        sections += _economy_sections(meta, economy, warns)
    else:
        warns.append(f"Ekonomiska uppgifter saknas för {year}")
        sections.append(Section("Ekonomi", 1, (Paragraph.of(f"[Uppgift saknas: ekonomi {year}]",
                                                            placeholder=True),), key="economy"))
    sections += narrative_sections("Sammanfattning", 1, narratives.get("summary"),
                                   f"sammanfattning ({year}/summary.md)", "summary", warns)
    # no "Bilaga: Datakvalitet": data-quality reasons belong on the stewards' pages, not in the
    # meeting's report (issue 12/16)
    return ReportContent(
        title=f"Verksamhetsberättelse {year}",
        year=year,
        network_name=meta.network_name,
        host_university=meta.host_university,
        report_date=meta.report_date,
        sections=tuple(sections),
        subject=f"{meta.short_name}s verksamhet {year} inom "
                + (goal_matrix.described_as if goal_matrix is not None else "verksamhetsplanens samverkansmål")
                .replace("{network}", meta.short_name),
        activities=acts,
        comparison=comp,
        goal_matrix=goal_matrix,
        economy=economy,
        data_quality=data_quality,
        figures=figures,
        warnings=tuple(warns),
    )


