"""The report's economy chapter: the municipalities' contributions and the host university's
in-kind share, budget against outcome per activity (the outcome split into Kommun and Extern,
docs/money-rules.md), and the carry-over to the next year, each with the sentences that explain its
table. Pure: the figures come in (:class:`runreport.report.content.Economy`), sections go out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from runreport.report import charts
from runreport.report.content import BudgetLine, Chart, ContributionLine, Economy, Paragraph, Section, Table
from runreport.report.convert import money_text, whole_kronor

if TYPE_CHECKING:
    from runreport.report.compose import ReportMeta


def carry_over_change(opening: Decimal, closing: Decimal, year: int) -> str:
    """How the carry-over moved during the year, in one sentence."""
    if abs(closing - opening) < 1:
        return f"De överskjutande medlen är i stort sett oförändrade under {year}."
    if abs(opening) < 1:
        return (f"Inga medel fördes över från {year - 1}, så de överskjutande medlen vid årets slut, "
                f"{whole_kronor(closing)}, kommer helt från {year}.")
    way = "ökade" if closing > opening else "minskade"
    return (f"De överskjutande medlen {way} därmed med {whole_kronor(abs(closing - opening))} under {year}, från "
            f"{whole_kronor(opening)} till {whole_kronor(closing)}.")


def part_year_members(contributions: Sequence[ContributionLine]) -> str:
    """The municipalities that were members for part of the year pay for their months only
    (docs/money-rules.md); said in one sentence, so that their amount does not read as a wrong
    population × rate. "" when every member was one the whole year."""
    part = sorted((c for c in contributions if c.months < 12), key=lambda c: charts.swedish_key(c.municipality_name))
    if not part:
        return ""
    if len(part) == 1:
        c = part[0]
        return (f" För {c.municipality_name}, som var medlem en del av året, betalas bidraget för "
                f"{c.months} av årets 12 månader.")
    names = [f"{c.municipality_name} ({c.months} mån.)" for c in part]
    return (f" För {', '.join(names[:-1])} och {names[-1]}, som var medlemmar en del av året, betalas "
            "bidraget för de månader medlemskapet gällde.")


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


def external_surplus(budget: Sequence[BudgetLine]) -> str:
    """The activities whose external income was larger than their costs: the rest is not spent on
    them and becomes part of the carry-over (the tables show Utfall extern = the costs only).
    One sentence; "" when there are none."""
    lines = [b for b in budget if b.external_income_sek > b.outcome_sek]
    if not lines:
        return ""
    parts = [f"{b.activity_name} {whole_kronor(b.external_income_sek - b.outcome_sek)}" for b in lines]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " och " + parts[-1]
    return (f"De externa intäkterna var större än kostnaderna för {listed}: "
            "det som inte användes ingår i de överskjutande medlen.")


def economy_sections(meta: ReportMeta, eco: Economy, warnings: list[str]) -> list[Section]:
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
            f"{whole_kronor(eco.contribution_total_sek)}{rate_txt}." + part_year_members(eco.contributions)))
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
            total=("Totalt", whole_kronor(eco.budget_total_sek), kr_or_blank(eco.external_budget_total_sek),
                   whole_kronor(sum((b.outcome_municipal_sek for b in eco.budget), Decimal(0))),
                   kr_or_blank(sum((b.outcome_external_sek for b in eco.budget), Decimal(0)))),
        ))
        planned = eco.budget_total_sek + eco.external_budget_total_sek
        diff = eco.outcome_total_sek - planned
        way = "lika med" if abs(diff) < 1 else f"{whole_kronor(abs(diff))} {'mer' if diff > 0 else 'mindre'} än"
        blocks.append(Paragraph.of(
            f"Utfallet blev {whole_kronor(eco.outcome_total_sek)}, {way} budgeten på {whole_kronor(planned)} "
            "(kommunernas medel och extern finansiering)."))
        for sentence in (unbudgeted_municipal_costs(eco.budget), external_surplus(eco.budget)):
            if sentence:
                blocks.append(Paragraph.of(sentence))
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
                + carry_over_change(bal.opening_sek, bal.closing_sek, year)),
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
