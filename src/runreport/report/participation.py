"""Participation in the report's words: people and participations, the comparison with the year
before, and the activity's participants and evaluation answers, in sentences that are true and add
up as they are read (singular and plural, small counts as words at a sentence's start)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from runreport.report.content import ActivityReport, ComparisonRow, Paragraph, Section, Table
from runreport.report.convert import signed_text
from runreport.sweformat import number, percent


def participants_sentence(a: ActivityReport) -> str:
    """``41 personer deltog. Av 49 anmälningar avbokades 6; av de 43 som stod kvar deltog 41.``:
    numbers that add up as they are read."""
    people = f"{number(a.participants)} {'person' if a.participants == 1 else 'personer'} deltog."
    made = a.registered + a.cancelled
    if not made:
        return people
    text = f"{people} Av {number(made)} {'anmälan' if made == 1 else 'anmälningar'}"
    if a.cancelled:
        text += (f" avbokades {number(a.cancelled)}; av de {number(a.registered)} som stod kvar deltog "
                 f"{number(a.participants)}.")
    elif a.participants == made:
        return (f"{number(made)} {'person' if made == 1 else 'personer'} anmälde sig och "
                f"{'deltog' if made == 1 else 'alla deltog'}.")
    else:
        text += f" deltog {number(a.participants)}."
    return text


def responses_sentence(responses: int, participants: int) -> str:
    """What the evaluation's figures count; a response rate only where it can be one (never above
    100 %: when a participant could answer after several meetings there are more answers than people)."""
    answers = f"{number(responses)} svar"
    if participants and responses <= participants:
        return (f"Utvärderingen besvarades av {number(responses)} av {number(participants)} deltagare "
                f"(svarsfrekvens {percent(responses / participants)}).")
    return (f"Utvärderingen fick {answers}, fler än antalet deltagare ({number(participants)}): deltagarna "
            "kunde svara efter varje träff, så ingen svarsfrekvens anges.")


_WORDS = ("Ingen", "En", "Två", "Tre", "Fyra", "Fem", "Sex", "Sju", "Åtta", "Nio", "Tio", "Elva", "Tolv")


def count_word(n: int) -> str:
    """A count that starts a sentence (of a common-gender noun): ``En``, ``Två`` … ``Tolv``, then digits."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else number(n)


def swedish_list(items: Iterable[str]) -> str:
    """``["A", "B", "C"]`` -> ``A, B och C``."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " och " + items[-1] if items else ""


def people_sentence(year: int, people: Mapping[int, tuple[int, int]]) -> str:
    """How many people took part, and how many participations (one per person and activity)."""
    if year not in people:
        return ""
    n, times = people[year]
    text = (f"Under {year} deltog {number(n)} {'person' if n == 1 else 'personer'} i aktiviteterna, "
            f"sammanlagt {number(times)} {'deltagartillfälle' if times == 1 else 'deltagartillfällen'} "
            "(en person som deltog i flera aktiviteter räknas en gång per aktivitet)")
    if year - 1 in people:
        pn, ptimes = people[year - 1]
        text += f"; {year - 1} var det {number(pn)} personer och {number(ptimes)} deltagartillfällen"
    return text + "."


def comparison_section(year: int, rows: tuple[ComparisonRow, ...],
                        people: Mapping[int, tuple[int, int]] | None = None) -> Section:
    """Participants per activity against the year before. Only activities that ran both years (with
    participants both years) are compared; new ones and ones that did not continue are named; the
    first year with data says so in one sentence."""
    people = people or {}
    heading = "Deltagande jämfört med föregående år"
    if not any(r.participants for r in rows):
        return Section(heading, 1, (Paragraph.of("Inga aktiviteter med deltagare finns för året."),),
                       key="comparison")
    people_text = people_sentence(year, people)
    if year - 1 not in people and all(r.previous is None for r in rows):   # the first year with data
        ran = [r for r in rows if r.participants]
        text = (f"Uppgifter om deltagande finns från och med {year}, så deltagandet jämförs med föregående år "
                "först i nästa verksamhetsberättelse.")
        table = Table(caption=f"Antal deltagare per aktivitet {year}", header=("Aktivitet", str(year)),
                      rows=tuple((r.activity_name, r.participants) for r in ran), align=("left", "right"),
                      total=("Summa", sum(r.participants for r in ran)))
        # no year before: the heading says what the section shows, not a comparison it cannot make
        return Section("Deltagande per aktivitet", 1, (Paragraph.of(f"{people_text} {text}".strip()), table),
                       key="comparison")
    both = [r for r in rows if r.participants and r.previous]
    new = [r for r in rows if r.participants and not r.previous]
    ended = [r for r in rows if not r.participants and r.previous]
    shown = [r for r in rows if r.participants or r.previous]

    def cell_previous(r: ComparisonRow):
        if r.previous:
            return r.previous
        return "åter" if r.last_held else "ny"

    body = tuple((r.activity_name, r.participants if r.participants else "–", cell_previous(r),
                  signed_text(r.change) if r in both else "–") for r in shown)
    now_both, before_both = sum(r.participants for r in both), sum(r.previous or 0 for r in both)
    table = Table(
        caption=f"Antal deltagare per aktivitet {year} jämfört med {year - 1}",
        header=("Aktivitet", str(year), str(year - 1), "Förändring"),
        rows=body, align=("left", "right", "right", "right"),
        total=("Summa", sum(r.participants for r in shown), sum(r.previous or 0 for r in shown),
               signed_text(sum(r.participants for r in shown) - sum(r.previous or 0 for r in shown))),
    )
    parts = [people_text] if people_text else []
    if both:
        parts.append(f"För {'den aktivitet' if len(both) == 1 else f'de {number(len(both))} aktiviteter'} som "
                     f"genomfördes båda åren var antalet deltagare {number(now_both)}, mot {number(before_both)} "
                     "året innan.")
    again = [r for r in new if r.last_held]
    new = [r for r in new if not r.last_held]
    if new:
        names = swedish_list(r.activity_name for r in new)
        parts.append(f"{count_word(len(new))} {'aktivitet var ny' if len(new) == 1 else 'aktiviteter var nya'} "
                     f"för året (markerad{'' if len(new) == 1 else 'e'} \u201dny\u201d): {names}.")
    if again:
        names = swedish_list(f"{r.activity_name} (senast {r.last_held})" for r in again)
        parts.append(f"{names[:1].upper()}{names[1:]} genomfördes igen efter ett uppehåll "
                     f"(markerad{'' if len(again) == 1 else 'e'} \u201dåter\u201d).")
    dropped = [r for r in ended if not r.planned]
    idle = [r for r in ended if r.planned]
    if dropped:
        names = swedish_list(r.activity_name for r in dropped)
        parts.append(f"{count_word(len(dropped))} {'aktivitet' if len(dropped) == 1 else 'aktiviteter'} från "
                     f"{year - 1} fanns inte med i {year} års handlingsplan: {names}.")
    if idle:
        names = swedish_list(r.activity_name for r in idle)
        parts.append(f"{count_word(len(idle))} {'aktivitet' if len(idle) == 1 else 'aktiviteter'} från {year - 1} "
                     f"fanns med i {year} års handlingsplan men hade inga deltagare: {names}.")
    return Section(heading, 1, (Paragraph.of(" ".join(parts)), table), key="comparison")
