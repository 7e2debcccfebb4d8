"""The report's figures for the meeting: "Året i siffror" (one page up front), the trends over every
year in the warehouse, and each municipality's participants per 1 000 inhabitants beside its
contribution. Pure: the figures come in (:class:`Figures`, read by
:mod:`runreport.report.build` with ``include/sql/*_per_year.sql`` and
``participants_per_municipality.sql``), sections go out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from runreport.report import charts
from runreport.report.content import ActivityReport, Chart, Economy, Paragraph, Section, Table
from runreport.report.convert import whole_kronor
from runreport.sweformat import number


@dataclass(frozen=True)
class YearFigures:
    """One year of the trends (every year in the warehouse): people and participations,
    contributions, costs (the outcome) and the carry-over to the next year; None where unknown."""

    year: int
    people: int | None = None
    participations: int | None = None
    contributions_sek: Decimal | None = None
    costs_sek: Decimal | None = None
    carry_over_sek: Decimal | None = None
    activities: int | None = None          # activities with participants
    municipalities: int | None = None      # municipalities that contributed
    reached: int | None = None             # ... of which had participants
    budget_sek: Decimal | None = None      # the action plan: municipal and external budget


@dataclass(frozen=True)
class MunicipalityReach:
    """A contributing municipality: its population, contribution and participants of the year."""

    code: str
    name: str
    population: int
    amount_sek: Decimal
    participants: int

    @property
    def per_thousand(self) -> Decimal | None:
        """Participants per 1 000 inhabitants."""
        return Decimal(self.participants * 1000) / self.population if self.population else None


@dataclass(frozen=True)
class Figures:
    """The figures of "Året i siffror", the trends and the reach per municipality."""

    trends: tuple[YearFigures, ...] = ()
    reach: tuple[MunicipalityReach, ...] = ()
    satisfaction: tuple[tuple[int, Decimal, int], ...] = ()   # (year, mean overall 1–5, answers)

    def year(self, year: int) -> YearFigures:
        return next((t for t in self.trends if t.year == year), YearFigures(year))

    def mean_satisfaction(self, year: int) -> Decimal | None:
        return next((m for y, m, _ in self.satisfaction if y == year), None)



def _or_dash(value, fmt) -> str:
    return "–" if value is None else fmt(value)


def key_figures_section(year: int, acts: Sequence[ActivityReport], eco: Economy | None, fig: Figures) -> Section:
    """One page: contributions, activities, people and participations, municipalities reached,
    budget against outcome, carry-over and the mean overall impression, beside the year before."""
    now, before = fig.year(year), fig.year(year - 1)
    reached = sum(1 for r in fig.reach if r.participants)
    budget = (eco.budget_total_sek + eco.external_budget_total_sek) if eco is not None and eco.budget else None
    contributions = eco.contribution_total_sek if eco is not None and eco.contributions else now.contributions_sek
    kr, count = whole_kronor, number
    rows = [
        ("Kommunbidrag", _or_dash(contributions, kr), _or_dash(before.contributions_sek, kr)),
        ("Aktiviteter med deltagare", count(sum(1 for a in acts if a.participants)), _or_dash(before.activities, count)),
        ("Personer som deltog", _or_dash(now.people, count), _or_dash(before.people, count)),
        ("Deltagartillfällen", _or_dash(now.participations, count), _or_dash(before.participations, count)),
        ("Medlemskommuner med deltagare", f"{count(reached)} av {count(len(fig.reach))}" if fig.reach else "–",
         f"{count(before.reached)} av {count(before.municipalities)}" if before.municipalities else "–"),
        ("Budget (kommunernas och externa medel)", _or_dash(budget, kr), _or_dash(before.budget_sek, kr)),
        ("Utfall (kostnader)", _or_dash(now.costs_sek, kr), _or_dash(before.costs_sek, kr)),
        ("Överskjutande medel till nästa år", _or_dash(now.carry_over_sek, kr), _or_dash(before.carry_over_sek, kr)),
        ("Helhetsintryck, medelvärde (1–5)", _or_dash(fig.mean_satisfaction(year), lambda m: number(m, 1)),
         _or_dash(fig.mean_satisfaction(year - 1), lambda m: number(m, 1))),
    ]
    counting = ("En person som deltog i flera aktiviteter räknas en gång bland personerna och en gång per "
                "aktivitet bland deltagartillfällena.")
    if all(r[2] == "–" for r in rows):   # the first year with data: nothing to set beside it
        intro = Paragraph.of(f"Verksamhetsåret {year} i siffror. Underlaget för rapporten finns från och med "
                             f"{year}, så siffrorna jämförs med föregående år först i nästa verksamhetsberättelse. "
                             + counting)
        table = Table(caption=f"Året i siffror {year}", header=("Nyckeltal", str(year)),
                      rows=tuple(r[:2] for r in rows), align=("left", "right"))
    else:
        intro = Paragraph.of(f"Verksamhetsåret {year} i siffror, jämfört med {year - 1} där uppgifterna finns. "
                             + counting)
        table = Table(caption=f"Året i siffror {year}", header=("Nyckeltal", str(year), str(year - 1)),
                      rows=tuple(rows), align=("left", "right", "right"))
    return Section("Året i siffror", 1, (intro, table), key="key_figures", page_break_before=True)


def _trend_chart(what: str, unit: str, points: Sequence[tuple[int, Decimal | int]]) -> Chart:
    series = tuple((str(y), int(Decimal(v).to_integral_value())) for y, v in points)
    items = ", ".join(f"{label} {number(value)}" for label, value in series)
    span = f"{series[0][0]}–{series[-1][0]}"
    return Chart(title=what, series=series, alt_text=f"Stapeldiagram: {what.lower()} {span}: {items}.",
                 caption=f"{what} {span}", value_label=unit)


def trends_section(year: int, fig: Figures) -> Section | None:
    """Participants, contributions, outcome and carry-over for every year in the warehouse; None
    while the warehouse holds only one year (a chapter without content helps no reader)."""
    heading = "Utveckling över åren"
    years = [t for t in fig.trends if t.year <= year]
    if len(years) < 2:
        return None
    first, last = years[0].year, years[-1].year
    table = Table(
        caption=f"Utveckling {first}–{last}",
        header=("År", "Personer", "Deltagartillfällen", "Kommunbidrag", "Kostnader", "Överskjutande medel"),
        rows=tuple((str(t.year), _or_dash(t.people, number), _or_dash(t.participations, number),
                    _or_dash(t.contributions_sek, whole_kronor), _or_dash(t.costs_sek, whole_kronor),
                    _or_dash(t.carry_over_sek, whole_kronor)) for t in years),
        align=("left",) + ("right",) * 5)
    blocks: list[Paragraph | Table | Chart] = [
        Paragraph.of(f"Tabellen och figurerna visar verksamheten {first}–{last}: hur många personer som deltog, "
                     "kommunernas bidrag, kostnaderna och de medel som förts över till nästa år."), table]
    for what, unit, attr in (("Personer som deltog", "Antal personer", "people"),
                             ("Kommunbidrag", "Kronor", "contributions_sek"),
                             ("Kostnader (utfall)", "Kronor", "costs_sek"),
                             ("Överskjutande medel vid årets slut", "Kronor", "carry_over_sek")):
        points = [(t.year, getattr(t, attr)) for t in years if getattr(t, attr) is not None]
        if len(points) >= 2 and any(v for _, v in points):   # nothing to draw where every year is 0
            blocks.append(_trend_chart(what, unit, points))   # the caption says what it shows
    return Section(heading, 1, tuple(blocks), key="trends")


def reach_section(year: int, fig: Figures) -> Section:
    """Each contributing municipality's participants per 1 000 inhabitants next to its contribution."""
    heading = "Deltagande per kommun"
    if not fig.reach:
        return Section(heading, 1, (Paragraph.of(f"Inga kommunbidrag finns för {year}."),), key="reach")
    reached = sum(1 for r in fig.reach if r.participants)
    n = len(fig.reach)
    rows = tuple((r.name, number(r.population), whole_kronor(r.amount_sek), number(r.participants),
                  _or_dash(r.per_thousand, lambda v: number(v, 1)))
                 for r in sorted(fig.reach, key=lambda r: charts.swedish_key(r.name)))
    text = (f"{number(reached)} av {number(n)} {'medlemskommun' if n == 1 else 'medlemskommuner'} hade deltagare "
            f"under {year}. Tabellen visar varje kommuns deltagartillfällen per 1 000 invånare bredvid dess "
            "bidrag.")
    table = Table(caption=f"Deltagande och kommunbidrag per kommun {year}",
                  header=("Kommun", "Invånare", "Bidrag", "Deltagartillfällen", "Per 1 000 invånare"),
                  rows=rows, align=("left", "right", "right", "right", "right"))
    return Section(heading, 1, (Paragraph.of(text), table), key="reach")
