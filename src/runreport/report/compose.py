"""The report's sections laid out from its figures and texts (pure, no I/O), following the 2020
report: :func:`compose`. The figures come from :func:`runreport.report.build.build_content`."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from runreport.report import charts
from runreport.report.content import (
    ActivityReport,
    Chart,
    ComparisonRow,
    DataQuality,
    Economy,
    GoalMatrix,
    Paragraph,
    ReportContent,
    Section,
    Table,
)
from runreport.report.economy import economy_sections
from runreport.report.figures import Figures, key_figures_section, reach_section, trends_section
from runreport.report.goals import goal_section
from runreport.report.narrative import narrative_sections
from runreport.report.participation import (
    comparison_section,
    participants_sentence,
    responses_sentence,
)
from runreport.sweformat import number

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


TERMS = {"VT": "vårterminen", "HT": "höstterminen"}


def term_text(term: str) -> str:
    """The action plan's term codes in words: "VT+HT" -> "vårterminen och höstterminen"."""
    words = [TERMS.get(t.strip().upper(), t.strip()) for t in re.split(r"[+,/]| och ", term) if t.strip()]
    return " och ".join(words) if words else term


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
        facts.append(f"Planerad form: {FORMS.get(a.form.upper(), a.form).lower()}.")   # the plan's; the meetings below
    if a.term:
        facts.append(f"Termin: {term_text(a.term)}.")
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
        # the sentence above keeps with the chart; its caption says what it shows (no 14 × "Figuren nedan")
        blocks.append(Chart(
            title=a.activity_name, series=series, alt_text=charts.alt_text(a.activity_name, series),
            caption=f"Antal deltagare per kommun eller organisation: {a.activity_name}"))
    ev = a.evaluation
    if ev and ev.responses:
        blocks.append(Paragraph.of(responses_sentence(ev.responses, ev.participants)))
        blocks.append(Table(
            caption=f"Utvärdering (skala 1–5, 5 är högst): {a.activity_name}",
            header=("Fråga", "Svar", "Medelvärde", "1", "2", "3", "4", "5"),
            rows=tuple((q.question, q.answered, number(q.mean, 1) if q.mean is not None else "–",
                        *q.distribution) for q in ev.questions),
            align=("left",) + ("right",) * 7,
        ))
    else:
        blocks.append(Paragraph.of("Ingen utvärdering har registrerats för aktiviteten."))
    return Section(a.activity_name, 2, tuple(blocks), key=f"activity:{a.activity_code}")


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
    intro = (f"För {year} redovisas {number(len(acts))} "
             f"{'kompetensutvecklingsaktivitet' if len(acts) == 1 else 'kompetensutvecklingsaktiviteter'} och "
             f"nätverk med sammanlagt {who}. För varje aktivitet beskrivs innehåll, träffar "
             "och form, antal deltagare per kommun eller organisation samt deltagarnas utvärdering, "
             "där varje fråga besvaras på en skala 1–5 (5 är högst)."
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
        sections += [reach_section(year, figures)]
        trends = trends_section(year, figures)
        sections += [trends] if trends is not None else []
    sections.append(goal_section(year, goal_matrix, acts))
    if economy is not None:
        sections += economy_sections(meta, economy, warns)
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


