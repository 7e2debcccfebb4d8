"""The report's sentences on constructed data: true, grammatical and adding up as they are read
(issue 16). Each rule on the smallest data that shows it: the first year, an activity only in the
earlier year, one only in the later, a single new activity, more evaluation answers than people."""

from __future__ import annotations

from decimal import Decimal

from runreport.report import participation as c
from runreport.report.content import ActivityReport, ComparisonRow, Paragraph, Table
from runreport.report.convert import money_text, whole_kronor

NB = "\u00a0"


def text_of(section) -> str:
    return " ".join("".join(r.text for r in b.runs) for b in section.blocks if isinstance(b, Paragraph)).replace(NB, " ")


def table_of(section) -> Table:
    return next(b for b in section.blocks if isinstance(b, Table))


def test_the_first_year_with_data_says_so_in_one_sentence():
    s = c.comparison_section(2023, (ComparisonRow("Matematiklyftet", 12, None), ComparisonRow("IKT", 5, None)),
                              {2023: (15, 17)})
    text = text_of(s)
    assert "Uppgifter om deltagande finns från och med 2023" in text
    assert "ny" not in [cell for row in table_of(s).rows for cell in map(str, row)]
    assert "2022" not in text and " 0 mot 0" not in text and table_of(s).header == ("Aktivitet", "2023")


def test_only_activities_run_both_years_are_compared_new_and_ended_are_named():
    rows = (ComparisonRow("Matematiklyftet", 12, 10),     # both years
            ComparisonRow("IKT", 5, 7),                   # both years
            ComparisonRow("Tomt i år", 0, 9),             # only the earlier year (no participants now)
            ComparisonRow("AI-webbinarier", 4, None),     # only the later year: new
            ComparisonRow("Planerad, ej genomförd", 0, None))
    s = c.comparison_section(2025, rows, {2025: (19, 21), 2024: (20, 26)})
    text = text_of(s)
    assert "För de 2 aktiviteter som genomfördes båda åren var antalet deltagare 17, mot 17 året innan." in text
    assert "En aktivitet var ny för året (markerad" in text and "AI-webbinarier" in text
    assert "En aktivitet från 2024 fanns med i 2025 års handlingsplan men hade inga deltagare: Tomt i år." in text
    assert "Under 2025 deltog 19 personer i aktiviteterna, sammanlagt 21 deltagartillfällen" in text
    assert "2024 var det 20 personer och 26 deltagartillfällen" in text
    table = table_of(s)
    names = [r[0] for r in table.rows]
    assert "Planerad, ej genomförd" not in names and names.count("Tomt i år") == 1
    assert table.total == ("Summa", 21, 26, "\u22125")   # the change is the difference of the sums shown


def test_plural_and_singular():
    rows = (ComparisonRow("A", 3, 1), ComparisonRow("B", 4, None), ComparisonRow("C", 2, None),
            ComparisonRow("D", 0, 5), ComparisonRow("E", 0, 6))
    text = text_of(c.comparison_section(2025, rows, {2025: (1, 1), 2024: (2, 2)}))
    assert "För den aktivitet som genomfördes båda åren" in text
    assert "Två aktiviteter var nya för året" in text and "B och C" in text
    assert "Två aktiviteter från 2024 fanns med i 2025 års handlingsplan men hade inga deltagare: D och E." in text
    assert "deltog 1 person i aktiviteterna, sammanlagt 1 deltagartillfälle " in text


def test_an_activity_not_in_the_plan_or_held_again_is_not_called_idle_or_new():
    rows = (ComparisonRow("IKT", 5, 7),
            ComparisonRow("Fritidshemsbiennalen", 0, 208, planned=False),   # not in this year's plan
            ComparisonRow("Biennalen", 40, None, last_held=2023),          # held again after a break
            ComparisonRow("AI", 4, None))                                   # new
    s = c.comparison_section(2025, rows, {2025: (40, 49), 2024: (200, 215)})
    text = text_of(s)
    assert "En aktivitet från 2024 fanns inte med i 2025 års handlingsplan: Fritidshemsbiennalen." in text
    assert "inga deltagare" not in text
    assert "Biennalen (senast 2023) genomfördes igen efter ett uppehåll (markerad \u201dåter\u201d)." in text
    assert "En aktivitet var ny för året (markerad \u201dny\u201d): AI." in text
    cells = {r[0]: r[2] for r in table_of(s).rows}
    assert cells["Biennalen"] == "åter" and cells["AI"] == "ny"


def _activity(registered: int, cancelled: int, participants: int) -> ActivityReport:
    return ActivityReport("A-1", "A", "Aktiviteter", None, None, None, (), (), False, (), registered, cancelled,
                          participants, (), None)


def test_participants_add_up_as_read():
    assert c.participants_sentence(_activity(43, 6, 41)) == (
        "41 personer deltog. Av 49 anmälningar avbokades 6; av de 43 som stod kvar deltog 41.")
    assert c.participants_sentence(_activity(1, 0, 1)) == "1 person anmälde sig och deltog."
    # no "26 personer deltog. Av 26 anmälningar deltog 26."
    assert c.participants_sentence(_activity(26, 0, 26)) == "26 personer anmälde sig och alla deltog."
    assert c.participants_sentence(_activity(26, 0, 20)) == "20 personer deltog. Av 26 anmälningar deltog 20."


def test_a_response_rate_is_never_above_100_percent():
    assert "svarsfrekvens 24" in c.responses_sentence(10, 41).replace(NB, " ")
    many = c.responses_sentence(52, 41).replace(NB, " ")
    assert "svarsfrekvens (" not in many and "52 svar, fler än antalet deltagare (41)" in many
    assert "ingen svarsfrekvens anges" in many
    from runreport.report.content import EvaluationSummary

    assert EvaluationSummary(52, 41, ()).response_rate is None
    assert EvaluationSummary(10, 40, ()).response_rate == 0.25


def test_amounts_in_the_report_are_whole_kronor():
    """The meeting reads whole kronor (851 550 kr, not 851 550,23 kr); the rate per inhabitant keeps
    its öre; halves round up."""
    assert whole_kronor(Decimal("851550.23")) == f"851{NB}550{NB}kr"
    assert whole_kronor(Decimal("0.50")) == f"1{NB}kr" and whole_kronor(Decimal("-1200.49")) == f"\u22121{NB}200{NB}kr"
    assert money_text(Decimal("1.50")) == f"1,50{NB}kr"


def test_markdown_tables_in_a_chapter_with_their_caption():
    from runreport.report.narrative import parse_markdown

    items = parse_markdown("# Kurser\n\nTabell: Kurser 2025\n\n| Kurs | hp | Deltagare |\n|---|---:|---:|\n"
                           "| Matematik | 7,5 | 23 |\n| <b>Svenska</b> | 15 | 1 200 |\n\nEfter tabellen.\n")
    (table,) = [i for i in items if isinstance(i, Table)]
    assert table.caption == "Kurser 2025" and table.header == ("Kurs", "hp", "Deltagare")
    assert table.rows == (("Matematik", "7,5", "23"), ("<b>Svenska</b>", "15", "1 200"))   # text, never markup
    assert table.align == ("left", "right", "right")
    assert not any(isinstance(i, Paragraph) and "Tabell:" in i.text for i in items)
    untitled = [i for i in parse_markdown("## Kurser\n\n| A | B |\n|---|---|\n| x | y |\n") if isinstance(i, Table)]
    assert untitled[0].caption == "Kurser"


def test_the_economy_comments_on_the_budget_deviation_and_the_carry_over():
    from runreport.report import economy
    from runreport.report.build import in_kind_text

    assert economy.carry_over_change(Decimal("563394.40"), Decimal("851550.23"), 2025) == (
        f"De överskjutande medlen ökade därmed med 288{NB}156{NB}kr under 2025, från 563{NB}394{NB}kr till "
        f"851{NB}550{NB}kr.")
    assert "minskade" in economy.carry_over_change(Decimal(900), Decimal(100), 2025)
    texts = {2020: "2,40 operativ tjänst", 2023: "personal till kansliet"}
    assert in_kind_text(texts, 2022) == "2,40 operativ tjänst" and in_kind_text(texts, 2025) == "personal till kansliet"
    assert in_kind_text(texts, 2019) == "" and in_kind_text("en text", 2025) == "en text"


def test_the_first_years_key_figures_stand_alone():
    from runreport.report.figures import Figures, YearFigures, key_figures_section

    first = key_figures_section(2023, (), None, Figures(trends=(YearFigures(2023, 10, 12),)))
    assert table_of(first).header == ("Nyckeltal", "2023") and "jämförs med föregående år först i nästa" in text_of(first)
    later = key_figures_section(2024, (), None, Figures(trends=(YearFigures(2023, 10, 12), YearFigures(2024, 11, 13))))
    assert table_of(later).header == ("Nyckeltal", "2024", "2023") and "jämfört med 2023" in text_of(later)
    assert ("Personer som deltog", "11", "10") in table_of(later).rows


def test_the_outcome_split_into_kommun_and_extern():
    """External income on an activity pays its own costs first, at most all of them; the rest is the
    municipalities' (docs/money-rules.md)."""
    from runreport.report.content import BudgetLine

    def line(costs, income):
        return BudgetLine("Aktiviteter", "A", "A", Decimal(0), None, None, Decimal(costs), Decimal(income))

    assert (line("1000", "300").outcome_municipal_sek, line("1000", "300").outcome_external_sek) == (700, 300)
    assert (line("1000", "5000").outcome_municipal_sek, line("1000", "5000").outcome_external_sek) == (0, 1000)
    assert line("1000", "-50").outcome_external_sek == 0 and line("1000", "-50").outcome_municipal_sek == 1000


def test_the_first_years_participation_is_headed_as_what_it_shows():
    first = c.comparison_section(2023, (ComparisonRow("IKT", 5, None),), {2023: (5, 5)})
    later = c.comparison_section(2024, (ComparisonRow("IKT", 6, 5),), {2024: (6, 6), 2023: (5, 5)})
    assert first.heading == "Deltagande per aktivitet"
    assert later.heading == "Deltagande jämfört med föregående år"
    assert first.key == later.key == "comparison"


def test_the_first_years_trends_say_when_they_come_and_charts_say_what_they_show():
    from runreport.report.figures import Figures, YearFigures, trends_section

    assert trends_section(2023, Figures(trends=(YearFigures(2023, 10, 12),))) is None   # no empty chapter
    two = trends_section(2024, Figures(trends=(YearFigures(2023, 10, 12, carry_over_sek=Decimal(5)),
                                               YearFigures(2024, 11, 13, carry_over_sek=Decimal(7)))))
    captions = [b.caption for b in two.blocks if not isinstance(b, (Paragraph, Table))]
    assert captions == ["Personer som deltog 2023–2024", "Överskjutande medel vid årets slut 2023–2024"]
    assert "Figuren nedan" not in text_of(two)


def test_no_page_ends_with_a_line_that_introduces_the_next():
    from runreport.report.content import Chart
    from runreport.report.page_flow import keep_with_next

    short, long_ = Paragraph.of("Inledning."), Paragraph.of("Lång text. " * 60)
    table = Table(caption="T", header=("a",), rows=(("1",),))
    chart = Chart(title="F", series=(("2023", 1),), alt_text="Stapeldiagram")
    # an intro and its legend before a table all stay with the table
    assert keep_with_next((short, short, short, table)) == [True, True, True, False]
    # a long paragraph breaks the chain; the sentence before a chart keeps with the chart
    assert keep_with_next((short, long_, short, chart)) == [True, False, True, False]
    # a short first paragraph after the heading keeps with what follows; a long one need not
    assert keep_with_next((short, long_)) == [True, False] and keep_with_next((long_, long_)) == [False, False]
    # a section's last short paragraph keeps with the subsection it opens ("Ekonomi" -> "Kommunbidrag")
    assert keep_with_next((short,), opens=True) == [True] and keep_with_next((short,)) == [False]


def _line(name, budget, funder=None, ext=None, costs="0", income="0"):
    from runreport.report.content import BudgetLine

    return BudgetLine("Projekt", name[:3], name, Decimal(budget), funder, Decimal(ext) if ext else None,
                      Decimal(costs), Decimal(income))


def test_short_funder_names_are_explained_beside_the_budget_tables():
    from runreport.report.economy import funder_legend

    budget = (_line("Lärarlyftet", "0", "Skolverket", "385000"), _line("Seminarier", "50000", "Delt.avg.", "20000"),
              _line("Språknätverk", "30000", "NCS", "15000"), _line("Övrigt", "1000", "Okänd", "5"))
    funders = {"Delt.avg.": "deltagaravgifter", "NCS": "Nationellt centrum för språk-, läs- och skrivutveckling",
               "RUC": "regionalt utvecklingscentrum"}
    text = funder_legend(budget, funders)
    assert text == ("I kolumnen Budget extern står finansiären före beloppet: Delt.avg. = deltagaravgifter; "
                    "NCS = Nationellt centrum för språk-, läs- och skrivutveckling.")
    assert "RUC" not in text and "Okänd" not in text   # only the year's funders, only those explained
    assert funder_legend(budget[:1], funders) == ""


def test_municipal_money_spent_without_a_municipal_budget_is_explained():
    from runreport.report.economy import unbudgeted_municipal_costs

    over = _line("Lärarlyftet", "0", "Skolverket", "385000", costs="337666", income="331556")
    covered = _line("Mentor", "0", "Skolverket", "100000", costs="90000", income="90000")
    budgeted = _line("IKT", "25000", costs="30000")
    text = unbudgeted_municipal_costs((over, covered, budgeted)).replace(NB, " ")
    assert text.startswith("Lärarlyftet har ingen budget av kommunernas medel, men kostnaderna blev 6 110 kr större")
    assert "Mentor" not in text and "IKT" not in text
    two = unbudgeted_municipal_costs((over, _line("Biennal", "0", costs="100"))).replace(NB, " ")
    assert two.startswith("Lärarlyftet (6 110 kr) och Biennal (100 kr) har ingen budget")
    assert unbudgeted_municipal_costs((covered, budgeted)) == ""


def test_a_member_for_part_of_the_year_is_explained_beside_the_contributions():
    from runreport.report.content import ContributionLine
    from runreport.report.economy import part_year_members

    whole = ContributionLine("2380", "Östersund", 63_709, Decimal(2), 12, Decimal(127_418))
    half = ContributionLine("2132", "Nordanstig", 9_400, Decimal(2), 6, Decimal(9_400))
    assert part_year_members((whole,)) == ""
    assert part_year_members((whole, half)) == (
        " För Nordanstig, som var medlem en del av året, betalas bidraget för 6 av årets 12 månader.")
    three = ContributionLine("2101", "Ockelbo", 5_900, Decimal(2), 3, Decimal(2_950))
    assert "Nordanstig (6 mån.) och Ockelbo (3 mån.), som var medlemmar" in part_year_members((half, three, whole))


def test_external_income_left_over_is_said_to_join_the_carry_over():
    from runreport.report.economy import external_surplus

    lift = _line("Lärarlyftet", "0", "Skolverket", "385000", costs="470830", income="521671")
    used = _line("Mentor", "0", "Skolverket", "100000", costs="90000", income="90000")
    text = external_surplus((lift, used)).replace(NB, " ")
    assert text == ("De externa intäkterna var större än kostnaderna för Lärarlyftet 50 841 kr: det som inte "
                    "användes ingår i de överskjutande medlen.")
    assert external_surplus((used,)) == ""
