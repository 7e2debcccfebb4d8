"""The goals of the report's period in the period's own words (samverkansmål 2020–2022,
samverkansområden from 2023): which activities serve which, and per goal or area its activities and
their participations."""

from __future__ import annotations

from collections.abc import Iterable

from runreport.report.content import ActivityReport, GoalMatrix, Paragraph, Section, Table
from runreport.report.participation import swedish_list
from runreport.sweformat import number


def goal_section(year: int, gm: GoalMatrix | None, acts: Iterable[ActivityReport] = ()) -> Section:
    """The period's goals (samverkansmål 2020–2022, samverkansområden from 2023) in its own words: which
    activities serve which, then per goal or area its activities and their participants."""
    term = gm.term if gm is not None else "samverkansmål"
    heading = term[:1].upper() + term[1:]
    if gm is None or not gm.goals:
        return Section(heading, 1, (Paragraph.of(f"Inga {term} är angivna för {year}."),), key="goals")
    intro = Paragraph.of(
        f"Tabellen visar vilka av {gm.described_as} ({gm.period}) som årets aktiviteter bidrar till; X betyder "
        "att aktiviteten bidrar. Efter tabellen följer aktiviteterna under vart och ett av dem, med antalet "
        "deltagartillfällen inom parentes där aktiviteten har anmälningar.")
    legend = tuple(Paragraph.of(f"{code} = {label}", style="bullet") for code, label in gm.goals)
    table = Table(
        caption=f"Aktiviteter och {term} {year}",
        header=("Aktivitet", *(code for code, _ in gm.goals)),
        rows=tuple((name, *("X" if code in codes else "" for code, _ in gm.goals)) for name, codes in gm.rows),
        align=("left",) + ("center",) * len(gm.goals),
    )
    participants = {a.activity_name: a.participants for a in acts}
    per_goal = []
    for code, label in gm.goals:
        names = [name for name, codes in gm.rows if code in codes]
        if not names:
            per_goal.append(Paragraph.of(f"{label}: ingen av årets aktiviteter.", style="bullet"))
            continue
        total = sum(participants.get(n, 0) for n in names)
        listed = swedish_list(f"{n} ({number(participants[n])})" if n in participants else n for n in names)
        per_goal.append(Paragraph.of(
            f"{label}: {number(len(names))} {'aktivitet' if len(names) == 1 else 'aktiviteter'}, "
            f"{number(total)} {'deltagartillfälle' if total == 1 else 'deltagartillfällen'}: {listed}.",
            style="bullet"))
    return Section(heading, 1, (intro, *legend, table, *per_goal), key="goals")
