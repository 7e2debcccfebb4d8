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
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from runreport.config import PROJECT_ROOT, Config
from runreport.report import charts
from runreport.report.content import (
    ActivityReport,
    BalanceChain,
    BudgetLine,
    Chart,
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
    Section,
    SessionInfo,
    SourceQuality,
    Table,
    TextRun,
    placeholder_text,
)
from runreport.sql import run_sql
from runreport.sweformat import kronor, long_date, number, percent

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
    {"from": 2020, "to": 2022, "goals": [
        ["1", "Likvärdighet"],
        ["2", "Systematiskt kvalitetsarbete och ledarskap"],
        ["3", "Kompetensförsörjning"],
        ["4", "Digitalisering"],
    ]},
    {"from": 2023, "to": None, "goals": [
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


# --- narrative texts ---------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")


def inline_runs(text: str) -> tuple[TextRun, ...]:
    """``**bold**`` -> bold runs; everything else literal (an unpaired ``**`` stays as text)."""
    parts = text.split("**")
    if len(parts) % 2 == 0:  # unpaired marker: no formatting at all
        return (TextRun(text),) if text else ()
    return tuple(TextRun(p, bold=bool(i % 2)) for i, p in enumerate(parts) if p)


def parse_markdown(text: str) -> list[Paragraph | tuple[int, str]]:
    """Paragraphs (blank-line separated), ``-`` bullets and ``#`` headings (as ``(depth, text)``)."""
    out: list[Paragraph | tuple[int, str]] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            joined = " ".join(s.strip() for s in buf).strip()
            if joined:
                out.append(Paragraph(inline_runs(joined)))
            buf.clear()

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        if not line.strip():
            flush()
            continue
        m = _HEADING.match(line)
        if m:
            flush()
            out.append((len(m.group(1)), m.group(2).replace("**", "")))
            continue
        b = _BULLET.match(line)
        if b:
            flush()
            out.append(Paragraph(inline_runs(b.group(1).strip()), style="bullet"))
            continue
        if raw[:1] in (" ", "\t") and out and isinstance(out[-1], Paragraph) \
                and out[-1].style == "bullet" and not buf:
            prev = out.pop()  # continuation line of a bullet
            assert isinstance(prev, Paragraph)
            out.append(Paragraph(inline_runs(prev.text + " " + line.strip()), style="bullet"))
            continue
        buf.append(line)
    flush()
    return out


def narrative_sections(heading: str, level: int, text: str | None, what: str, key: str,
                       warnings: list[str], lead: Iterable[Paragraph | Table | Chart] = (),
                       page_break_before: bool = False) -> list[Section]:
    """A level-``level`` section from Markdown; ``#`` headings in it become sub-sections."""
    if text is None or not text.strip():
        msg = f"Text saknas: {what}"
        warnings.append(msg)
        return [Section(heading, level, (*lead, Paragraph.of(placeholder_text(what), placeholder=True)),
                        key=key, page_break_before=page_break_before)]
    items = parse_markdown(text)
    if items and isinstance(items[0], tuple) and items[0][1].strip().casefold() == heading.casefold():
        items = items[1:]  # the text repeats the section heading
    sections: list[Section] = []
    cur_heading, cur_level, blocks = heading, level, list(lead)
    for item in items:
        if isinstance(item, tuple):
            sections.append(Section(cur_heading, cur_level, tuple(blocks), key=key if not sections else "",
                                    page_break_before=page_break_before and not sections))
            depth = item[0]
            cur_heading, cur_level, blocks = item[1], min(3, level + (1 if depth <= 2 else 2)), []
        else:
            blocks.append(item)
    sections.append(Section(cur_heading, cur_level, tuple(blocks), key=key if not sections else "",
                            page_break_before=page_break_before and not sections))
    return sections


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("Kunde inte läsa %s: %s", path, exc)
        return None


def load_organisation_names(path: Path) -> dict[str, str]:
    """``config/organisations.yaml``: code -> list of spellings, the first is the display name.
    Read defensively: a missing or malformed file gives an empty mapping."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        log.warning("Kunde inte läsa organisationsnamn från %s: %s", path, exc)
        return {}
    if isinstance(data, dict) and isinstance(data.get("organisations"), dict):
        data = data["organisations"]
    if not isinstance(data, dict):
        return {}
    out: dict[str, str] = {}
    for code, value in data.items():
        name: Any = None
        if isinstance(value, str):
            name = value
        elif isinstance(value, list | tuple) and value:
            name = value[0]
        elif isinstance(value, dict):
            name = value.get("display_name") or value.get("name")
            if name is None and isinstance(value.get("names") or value.get("spellings"), list):
                name = (value.get("names") or value.get("spellings"))[0]
        if isinstance(name, str | int) and str(name).strip():
            out[str(code).strip().casefold()] = str(name).strip()
    return out


# --- small converters (SQLite gives str/float, PostgreSQL date/Decimal) ------------------------


def _dec(v: Any) -> Decimal:
    if v is None:
        return Decimal(0)
    return Decimal(str(v)).quantize(Decimal("0.01"))


def _int(v: Any) -> int:
    return 0 if v is None else int(v)


def _date(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def _money(v: Decimal) -> str:
    return kronor(v, 0 if v == v.to_integral_value() else 2)


def _signed(n: int) -> str:
    if n > 0:
        return f"+{number(n)}"
    return number(n) if n < 0 else "±0"


def goal_codes(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    return tuple(c.strip().upper() for c in re.split(r"[,;]", raw) if c.strip())


def goal_set(year: int, goal_sets: Iterable[Mapping[str, Any]]) -> tuple[str, tuple[tuple[str, str], ...]]:
    for gs in goal_sets:
        lo, hi = int(gs["from"]), gs.get("to")
        if lo <= year and (hi is None or year <= int(hi)):
            period = f"{lo}–{hi}" if hi is not None else f"från {lo}"
            return period, tuple((str(c).upper(), str(label)) for c, label in gs["goals"])
    return "", ()


# --- composing the sections (pure) -------------------------------------------------------------


@dataclass(frozen=True)
class ReportMeta:
    year: int
    network_name: str
    short_name: str
    host_university: str
    report_date: date


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
    blocks.append(Paragraph.of(
        f"Antal deltagare: {number(a.participants)} (anmälda {number(a.registered)}, "
        f"avbokade {number(a.cancelled)})."))
    if a.per_organisation:
        series = charts.ordered_series([(o.name, o.participants) for o in a.per_organisation])
        blocks.append(Paragraph.of("Figuren nedan visar antalet deltagare och vilken kommun eller "
                                   "organisation som deltagarna kommer ifrån."))
        blocks.append(Chart(
            title=a.activity_name, series=series, alt_text=charts.alt_text(a.activity_name, series),
            caption=f"Antal deltagare per kommun eller organisation: {a.activity_name}"))
    ev = a.evaluation
    if ev and ev.responses:
        rate = f" (svarsfrekvens {percent(ev.response_rate)})" if ev.response_rate is not None else ""
        blocks.append(Paragraph.of(
            f"Utvärderingen besvarades av {number(ev.responses)} av {number(ev.participants)} "
            f"deltagare{rate}. Skala 1–5, där 5 är högst."))
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


def _comparison_section(year: int, rows: tuple[ComparisonRow, ...]) -> Section:
    if not rows:
        return Section("Deltagande jämfört med föregående år", 1,
                       (Paragraph.of("Inga aktiviteter med deltagare finns för året."),), key="comparison")
    body = tuple((r.activity_name, r.participants, "ny" if r.previous is None else r.previous,
                  "–" if r.change is None else _signed(r.change)) for r in rows)
    total_y = sum(r.participants for r in rows)
    matched = [r for r in rows if r.previous is not None]
    total_prev = sum(r.previous or 0 for r in matched)
    total_matched = sum(r.participants for r in matched)
    table = Table(
        caption=f"Antal deltagare per aktivitet {year} jämfört med {year - 1}",
        header=("Aktivitet", str(year), str(year - 1), "Förändring"),
        rows=body, align=("left", "right", "right", "right"),
        total=("Summa", total_y, total_prev, _signed(total_matched - total_prev)),
    )
    new = len(rows) - len(matched)
    text = (f"Under {year} deltog sammanlagt {number(total_y)} personer i aktiviteterna. "
            f"För de {number(len(matched))} aktiviteter som även fanns {year - 1} var deltagarantalet "
            f"{number(total_matched)} mot {number(total_prev)} året innan.")
    if new:
        text += f" {number(new)} aktiviteter var nya för året (markerade \u201dny\u201d)."
    text += " Förändringen i summaraden avser aktiviteter som fanns båda åren."
    return Section("Deltagande jämfört med föregående år", 1, (Paragraph.of(text), table), key="comparison")


def _goal_section(year: int, gm: GoalMatrix | None) -> Section:
    heading = "Samverkansmål"
    if gm is None or not gm.goals:
        return Section(heading, 1, (Paragraph.of(f"Inga samverkansmål är angivna för {year}."),), key="goals")
    intro = Paragraph.of(
        f"Tabellen visar vilka av verksamhetsperiodens ({gm.period}) samverkansmål som årets "
        "aktiviteter bidrar till (X = aktiviteten bidrar till målet).")
    legend = tuple(Paragraph.of(f"{code} = {label}", style="bullet") for code, label in gm.goals)
    table = Table(
        caption=f"Aktiviteter och samverkansmål {year}",
        header=("Aktivitet", *(code for code, _ in gm.goals)),
        rows=tuple((name, *("X" if code in codes else "" for code, _ in gm.goals)) for name, codes in gm.rows),
        align=("left",) + ("center",) * len(gm.goals),
    )
    return Section(heading, 1, (intro, *legend, table), key="goals")


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
        rate_txt = f" ({_money(next(iter(rates)))} per invånare)" if len(rates) == 1 else ""
        blocks.append(Paragraph.of(
            f"Medlemskommunernas bidrag för {year} uppgick till sammanlagt "
            f"{_money(eco.contribution_total_sek)}{rate_txt}."))
        blocks.append(Table(
            caption=f"Kommunbidrag {year} per kommun",
            header=("Kommun", "Invånare", "Bidrag"),
            rows=tuple((c.municipality_name, c.population, _money(c.amount_sek))
                       for c in sorted(eco.contributions, key=lambda c: charts.swedish_key(c.municipality_name))),
            align=("left", "right", "right"),
            total=("Summa", sum(c.population for c in eco.contributions), _money(eco.contribution_total_sek)),
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
        "kommunernas medel (Kommun) och extern finansiering (Extern), samt utfall (bokförda kostnader).")]
    by_section: dict[str, list[BudgetLine]] = {}
    for b in eco.budget:
        by_section.setdefault(b.section, []).append(b)
    for section, lines in by_section.items():
        rows = []
        for b in lines:
            ext = b.external_funder or ""
            if b.external_budget_sek:
                ext = f"{ext} {_money(b.external_budget_sek)}".strip()
            rows.append((b.activity_name, _money(b.municipal_budget_sek), ext, _money(b.outcome_sek)))
        ext_sum = sum((b.external_budget_sek or Decimal(0) for b in lines), Decimal(0))
        blocks.append(Table(
            caption=f"Budget och utfall {year}: {section}",
            header=("Verksamhet", "Kommun", "Extern", "Utfall"),
            rows=tuple(rows), align=("left", "right", "left", "right"),
            total=("Summa", _money(sum((b.municipal_budget_sek for b in lines), Decimal(0))),
                   _money(ext_sum) if ext_sum else "",
                   _money(sum((b.outcome_sek for b in lines), Decimal(0)))),
        ))
    if eco.budget:
        sums = eco.section_sums()
        blocks.append(Table(
            caption=f"Budget och utfall {year}: sammanställning",
            header=("Avsnitt", "Kommun", "Extern", "Utfall"),
            rows=tuple((s, _money(k), _money(e) if e else "", _money(u)) for s, k, e, u in sums),
            align=("left", "right", "right", "right"),
            total=("Total summa", _money(eco.budget_total_sek),
                   _money(eco.external_budget_total_sek) if eco.external_budget_total_sek else "",
                   _money(eco.outcome_total_sek)),
        ))
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
                f"Tillgängliga medel för {year} var {_money(available)}: överskjutande medel från "
                f"{year - 1}, kommunbidrag och externa intäkter. Kostnaderna uppgick till "
                f"{_money(bal.costs_sek)}, och {_money(bal.closing_sek)} förs över till {year + 1}."),
            Table(
                caption=f"Överskjutande medel {year}",
                header=("Post", "Belopp"),
                rows=((f"Ingående överskjutande medel från {year - 1}", _money(bal.opening_sek)),
                      (f"Kommunbidrag {year}", _money(bal.contributions_sek)),
                      ("Externa intäkter", _money(bal.external_income_sek)),
                      ("Kostnader", _money(-bal.costs_sek))),
                align=("left", "right"),
                total=(f"Överskjutande medel till {year + 1}", _money(bal.closing_sek)),
            ),
        ]
        if bal.closing_sek != bal.computed_closing_sek:
            warnings.append(f"Saldot {year} går inte ihop: utgående {bal.closing_sek} men beräknat "
                            f"{bal.computed_closing_sek}")
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
            warnings: Iterable[str] = ()) -> ReportContent:
    """Lay out the report's sections from its parts. ``narratives`` maps ``introduction``,
    ``organisation``, ``networks``, ``summary`` to Markdown (``None`` = missing)."""
    year = meta.year
    warns = list(warnings)
    acts = tuple(activities)
    comp = tuple(comparison)
    sections: list[Section] = []
    sections += narrative_sections("Inledning", 1, narratives.get("introduction"),
                                   f"inledning ({year}/introduction.md)", "introduction", warns,
                                   page_break_before=True)
    sections += narrative_sections("Organisation", 1, narratives.get("organisation"),
                                   f"organisation ({year}/organisation.md)", "organisation", warns)
    sections += narrative_sections("Nätverk", 1, narratives.get("networks"),
                                   f"nätverk ({year}/networks.md)", "networks", warns)
    total = sum(a.participants for a in acts)
    intro = (f"Under {year} redovisas {number(len(acts))} kompetensutvecklingsaktiviteter och nätverk "
             f"med sammanlagt {number(total)} deltagare. För varje aktivitet beskrivs innehåll, träffar "
             "och form, antal deltagare per kommun eller organisation samt deltagarnas utvärdering."
             if acts else f"Inga kompetensutvecklingsaktiviteter finns registrerade för {year}.")
    sections.append(Section("Kompetensutvecklingsaktiviteter", 1, (Paragraph.of(intro),), key="activities"))
    for a in acts:
        if a.description_missing:
            warns.append(f"Text saknas: aktivitet {a.activity_code} ({year}/activities/{a.activity_code}.md)")
        sections.append(_activity_section(a))
    sections.append(_comparison_section(year, comp))
    sections.append(_goal_section(year, goal_matrix))
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
        subject=f"{meta.short_name}s verksamhet {year} inom verksamhetsplanens samverkansmål",
        activities=acts,
        comparison=comp,
        goal_matrix=goal_matrix,
        economy=economy,
        data_quality=data_quality,
        warnings=tuple(warns),
    )


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
    org_file = cfg.path("organisations") if "organisations" in cfg.get("paths", {}) \
        else PROJECT_ROOT / "config" / "organisations.yaml"
    org_names = load_organisation_names(org_file)

    # Activities, sessions, participants, evaluations
    plan = q("activities_of_year")
    counts = {r["activity_code"]: r for r in q("participants_per_activity")}
    sessions: dict[str, list[SessionInfo]] = {}
    for r in q("sessions_per_activity"):
        sessions.setdefault(r["activity_code"], []).append(
            SessionInfo(_int(r["session_no"]), _date(r["session_date"]), str(r["form"] or ""), r["place"]))
    per_org: dict[str, list[OrgCount]] = {}
    unknown_orgs: set[str] = set()
    for r in q("participants_per_organisation"):
        code = str(r["org_code"])
        name = r["municipality_name"] or org_names.get(code.strip().casefold())
        if not name:
            unknown_orgs.add(code)
            name = code
        per_org.setdefault(r["activity_code"], []).append(OrgCount(code, str(name), _int(r["participants"])))
    for code in sorted(unknown_orgs):
        warnings.append(f"Okänd organisationskod {code}: visas med koden (lägg till i config/organisations.yaml)")
    evals = {r["activity_code"]: r for r in q("evaluation_summary")}

    activities: list[ActivityReport] = []
    for a in plan:
        code, section = a["activity_code"], str(a["section"] or "")
        c = counts.get(code, {})
        participants, registered = _int(c.get("participants")), _int(c.get("registered"))
        cancelled = _int(c.get("cancelled"))
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
                responses=_int(ev_row["responses"]), participants=participants,
                questions=tuple(QuestionSummary(label, tuple(_int(ev_row[f"{key}_{i}"]) for i in range(1, 6)))
                                for key, label in QUESTIONS))
        activities.append(ActivityReport(
            activity_code=code, activity_name=str(a["activity_name"]), section=section,
            target_group=a["target_group"], form=a["form"], term=a["term"], goals=goal_codes(a["goals"]),
            description=desc, description_missing=missing, sessions=tuple(sessions.get(code, ())),
            registered=registered, cancelled=cancelled, participants=participants,
            per_organisation=tuple(per_org.get(code, ())), evaluation=evaluation))

    # Previous year, matched on the activity name
    prev = {_norm(str(r["activity_name"])): _int(r["participants"]) for r in q("participants_previous_year")}
    comparison = tuple(ComparisonRow(a.activity_name, a.participants, prev.get(_norm(a.activity_name)))
                       for a in activities)
    # activities of last year that are not in this year's plan: shown with 0, so both columns add up
    planned = {_norm(str(a["activity_name"])) for a in plan}
    prev_names = {_norm(str(r["activity_name"])): str(r["activity_name"]) for r in q("participants_previous_year")}
    comparison += tuple(ComparisonRow(prev_names[n], 0, p) for n, p in sorted(prev.items())
                        if n not in planned and p > 0)

    # Goal matrix
    goal_sets = (cfg.get("report") or {}).get("goal_sets") or DEFAULT_GOAL_SETS
    period, goals = goal_set(year, goal_sets)
    known = {c for c, _ in goals}
    rows = []
    for a in plan:
        codes = goal_codes(a["goals"])
        bad = [c for c in codes if c not in known]
        if bad:
            warnings.append(f"Okända samverkansmål {', '.join(bad)} för {a['activity_code']} ({period or year})")
        if codes or str(a["section"] or "").casefold() in ACTIVITY_SECTIONS:
            rows.append((str(a["activity_name"]), tuple(c for c in codes if c in known)))
    goal_matrix = GoalMatrix(period, goals, tuple(rows)) if goals else None
    if not goals:
        warnings.append(f"Ingen uppsättning samverkansmål gäller för {year}")

    # Economy
    cost_from, cost_to = (str(x) for x in cfg["ledger"]["cost_accounts"])
    contributions = tuple(ContributionLine(
        str(r["municipality_code"]), str(r["municipality_name"] or r["municipality_code"]),
        _int(r["population"]), _dec(r["rate_sek"]), _int(r["months"]), _dec(r["amount_sek"]))
        for r in q("contribution_per_municipality"))
    budget = sorted((BudgetLine(
        str(r["section"]), str(r["activity_code"]), str(r["activity_name"]), _dec(r["municipal_budget_sek"]),
        r["external_funder"], _dec(r["external_budget_sek"]) if r["external_budget_sek"] is not None else None,
        _dec(r["outcome_sek"])) for r in q("budget_vs_outcome", cost_from=cost_from, cost_to=cost_to)),
        key=lambda b: (_section_rank(b.section), b.activity_code))
    for b in budget:
        if b.section == "Övrigt":
            warnings.append(f"Kostnader bokförda på {b.activity_code} som inte finns i handlingsplanen {year}")
    balances = {_int(r["year"]): r for r in q("balance_chain")}
    balance = None
    if year in balances:
        r = balances[year]
        balance = BalanceChain(year, _dec(r["opening_sek"]), _dec(r["contributions_sek"]),
                               _dec(r["external_income_sek"]), _dec(r["costs_sek"]), _dec(r["closing_sek"]))
        if year - 1 in balances and _dec(balances[year - 1]["closing_sek"]) != balance.opening_sek:
            warnings.append(f"Ingående överskjutande medel {year} ({balance.opening_sek}) är inte lika med "
                            f"utgående {year - 1} ({_dec(balances[year - 1]['closing_sek'])})")
    economy = Economy(contributions, str((cfg.get("contribution") or {}).get("in_kind") or ""),
                      tuple(budget), balance)

    # Data quality
    dq = DataQuality(
        sources=tuple(SourceQuality(str(r["source"]), _int(r["files"]), _int(r["rows_in"]),
                                    _int(r["rows_loaded"]), _int(r["rows_quarantined"]))
                      for r in q("rows_per_source")),
        reasons=tuple(QuarantineReason(str(r["source"]), str(r["reason_sv"]), _int(r["rows_quarantined"]))
                      for r in q("quarantine_per_source")))

    narratives = {key: read_text(narrative_dir / f"{key}.md")
                  for key in ("introduction", "organisation", "networks", "summary")}
    meta = ReportMeta(year=year, network_name=str(cfg.get("network_name") or tenant),
                      short_name=str(tenant), host_university=str(cfg.get("host_university") or ""),
                      report_date=report_date or date.today())
    content = compose(meta, narratives, activities, comparison, goal_matrix, economy, dq, warnings)
    for w in content.warnings:
        log.warning("Verksamhetsberättelse %s: %s", year, w)
    return content


def title_page_lines(content: ReportContent) -> tuple[str, ...]:
    """Subtitle lines under the title: network, host university, date."""
    return tuple(x for x in (content.network_name, content.host_university,
                             long_date(content.report_date)) if x)
