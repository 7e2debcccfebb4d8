"""The demo's narrative texts say nothing that the demo data beside them contradicts.

The rules read the committed ``data/demo`` (which ``test_demo_generator`` keeps equal to a fresh
generation) on their own terms, not through the generator's phrasing code: what an activity's text says
about its meetings (how many, how often per term, where, on site or on distance) must agree with its
rows in ``inbox/sessions``, and the introduction's news of the year with the action plans.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from runreport.config import PROJECT_ROOT
from tools.demo.generator import _SessionFacts

DEMO = PROJECT_ROOT / "data" / "demo"
YEARS = (2023, 2024, 2025)
PLACES = ("Sundsvall", "Östersund")
MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december"]
WORDS = {"en": 1, "ett": 1, "två": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7, "åtta": 8}


def _number(word: str) -> int:
    return WORDS[word.lower()] if word.lower() in WORDS else int(word)


def _sessions(year: int) -> dict[str, list[dict]]:
    text = (DEMO / "inbox" / "sessions" / f"traffar_{year}.csv").read_text(encoding="utf-8-sig")
    out: dict[str, list[dict]] = defaultdict(list)
    for row in list(csv.reader(io.StringIO(text), delimiter=";"))[1:]:
        out[row[0]].append({"date": date.fromisoformat(row[2]), "form": row[3], "place": row[4]})
    return out


def _plan(year: int) -> dict[str, str]:
    """Activity code -> name, from the year's action plan (CSV or .xlsx)."""
    return {r[0]: r[1] for r in _plan_rows(year)}


def _plan_rows(year: int) -> list[list]:
    """The year's action-plan rows (code, name, section, target group, …), from its CSV or .xlsx."""
    csv_path = DEMO / "inbox" / "budget" / f"handlingsplan_{year}.csv"
    if csv_path.exists():
        rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig")), delimiter=";"))[1:]
    else:
        from openpyxl import load_workbook

        wb = load_workbook(DEMO / "inbox" / "budget" / f"handlingsplan_{year}.xlsx", read_only=True)
        rows = [list(r) for r in wb.active.iter_rows(min_row=2, values_only=True)]
        wb.close()
    return [r for r in rows if r and r[0]]


def _members(year: int) -> int:
    """How many municipalities were members at some time in the year (the members file)."""
    path = next((DEMO / "inbox" / "members").glob("members_*.csv"))
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))[1:]
    return len({r[0] for r in rows if r[6] <= f"{year}-12-31" and (not r[7] or r[7] >= f"{year}-01-01")})


def _texts(year: int) -> dict[str, str]:
    """Activity code -> its text (heading removed, lines joined)."""
    folder = DEMO / "narrative" / str(year) / "activities"
    return {p.stem: " ".join(p.read_text(encoding="utf-8").split("\n", 1)[1].split()) for p in folder.glob("*.md")}


def _read(year: int, name: str) -> str:
    return " ".join((DEMO / "narrative" / str(year) / name).read_text(encoding="utf-8").split())


@pytest.mark.parametrize("year", YEARS)
def test_activity_texts_agree_with_their_meetings(year):
    sessions, checked = _sessions(year), 0
    for code, text in _texts(year).items():
        sess = sessions[code]
        on_site = [s for s in sess if s["form"] != "D"]
        if "sändes även digitalt" in text or "sändes digitalt" in text:
            assert any(s["form"] == "CD" for s in sess), (code, text)
        if "en gång per termin" in text:
            assert sum(s["date"].month <= 6 for s in sess) == 1 and sum(s["date"].month > 6 for s in sess) == 1, code
        if re.search(r"\b(Alla \w+|Båda) \w+ hölls på distans", text) or "helt på distans" in text:
            assert all(s["form"] == "D" for s in sess), (code, text)
        if re.search(r"\b(Alla \w+|Båda) \w+ hölls på plats", text):
            assert all(s["form"] != "D" for s in sess), (code, text)
        m = re.search(r"(\w+) av de (\w+) \w+ hölls på plats i .*?(\w+) hölls på distans", text)
        if m:
            assert (_number(m[1]), _number(m[2]), _number(m[3])) == (len(on_site), len(sess), len(sess) - len(on_site))
            checked += 1
        m = re.search(r"(\w+) fysiska träffar", text)
        if m:
            assert _number(m[1]) == len(on_site), (code, text)
        m = re.search(r"vid (\w+) tillfällen|omfattade under året (\w+)|Under året hölls (\w+)", text)
        if m:
            assert _number(next(g for g in m.groups() if g)) == len(sess), (code, text)
            checked += 1
        for place in PLACES:  # a place named in the text is one where the activity met on site
            if place in text:
                assert place in {s["place"] for s in on_site}, (code, place, text)
        for day, month in re.findall(r"den (\d+) (\w+)", text):
            assert date(year, MONTHS.index(month) + 1, int(day)) in {s["date"] for s in sess}, (code, day, month)
    assert checked >= 3  # the rules above met the texts that state counts


def test_the_reviewers_contradictions_are_gone():
    texts = {y: _texts(y) for y in YEARS}
    biennial = texts[2024]["RUN24-20"]
    assert "Sundsvall" in biennial and "Östersund" in biennial
    intro_2024 = _read(2024, "introduction.md")
    assert "åter i Sundsvall" not in intro_2024 and "den 6 februari i Östersund" in intro_2024
    assert "en gång per termin" not in texts[2024]["RUN24-05"]
    assert "digitalt" not in texts[2023]["RUN23-14"]
    assert not any("Två fysiska träffar" in t for y in YEARS for t in texts[y].values())
    assert "dialogmöte 1 den 2–3 mars" in _read(2023, "introduction.md")


def _names(sentence: str, names: set[str]) -> list[str]:
    """The plan names a sentence speaks of (by a long word of theirs: 'skolledaryrket', 'undervisningen')."""
    return [n for n in names if any(w in sentence.lower() for w in re.findall(r"\w{8,}", n.lower()))]


@pytest.mark.parametrize("year", YEARS)
def test_introduction_dates_and_news_follow_the_data(year):
    intro, summary = _read(year, "introduction.md"), _read(year, "summary.md")
    meeting = _sessions(year)[f"RUN{year % 100}-01"]
    said = re.search(r"antogs vid dialogmöte 1 den ([^.]*?) i \w+ och utgår", intro)
    assert said, "the introduction does not say when the action plan was adopted"
    said = said[1]
    assert set(re.findall(r"[a-z]+", said)) == {MONTHS[s["date"].month - 1] for s in meeting}, said
    plan = set(_plan(year).values())
    before = set(_plan(year - 1).values()) if year - 1 in YEARS else set()
    sentences = re.split(r"(?<=\.) ", intro)
    for sentence in sentences:
        if "uppehåll" in sentence and before:  # paused: in last year's plan, not in this year's
            assert _names(sentence, before - plan), sentence
        if sentence.startswith("Ny i handlingsplanen") and before:  # new: in this year's plan only
            assert _names(sentence, plan - before), sentence
    assert not [s for s in sentences if "uppehåll" in s and _names(s, plan)], "a paused activity is in the plan"
    # each number says what it counts: the members, the plan's rows, and of them the networks and
    # activities the report describes one by one (its key figure "Aktiviteter med deltagare")
    assert f"under {year} var {_members(year)} kommuner medlemmar" in intro
    assert f"Planen omfattade {len(_plan_rows(year))} verksamheter" in intro
    described = sum(1 for r in _plan_rows(year) if r[2] in ("Nätverk", "Aktiviteter"))
    assert f"alltså de {described} som redovisas var för sig" in intro
    assert "Sammanfattningsvis" not in intro  # the introduction sums nothing up
    news = intro.split("kompetensförsörjning.", 1)[1].split(" Planen omfattade")[0]
    assert not [s for s in re.split(r"(?<=\.) ", news.strip()) if s and s in summary], \
        "the summary repeats the introduction's news word for word"


def _same_across_years(text: str, year: int) -> str:
    return text.replace(str(year), "ÅÅÅÅ").replace(str(year + 1), "ÅÅÅÅ+1").replace(str(year - 1), "ÅÅÅÅ-1")


def test_texts_of_the_year_differ_from_year_to_year():
    """A meeting with last year's report in hand: the summary and the texts that tell what the year was about
    are not the same text with another year in it."""
    summaries = {y: _same_across_years(_read(y, "summary.md"), y) for y in YEARS}
    texts = {y: {code[-2:]: _same_across_years(t, y) for code, t in _texts(y).items()} for y in YEARS}
    for a, b in [(a, b) for a in YEARS for b in YEARS if a < b]:
        assert summaries[a] != summaries[b], (a, b)
        first = {y: summaries[y].split(" Sammanlagt hölls")[0] for y in (a, b)}
        assert first[a] != first[b], ("the summaries open with the same words", a, b)
        shared = set(re.split(r"(?<=\.) ", summaries[a])) & set(re.split(r"(?<=\.) ", summaries[b]))
        assert len(shared) <= len(re.split(r"(?<=\.) ", summaries[a])) // 2, (a, b, shared)
        for suffix in ("04", "05"):  # the language network, the upper-secondary network
            assert texts[a][suffix] != texts[b][suffix], (suffix, a, b)
    for phrase in ("Skolornas rektorer bjöds in", "bjöds skolornas rektorer in",
                   "Fokus har legat på bedömning och differentierad undervisning"):
        assert sum(phrase in t for y in YEARS for t in texts[y].values()) <= 1, phrase


def test_the_reviewers_wording_faults_are_gone():
    for year in YEARS:
        every = {p.relative_to(DEMO).as_posix(): " ".join(p.read_text(encoding="utf-8").split())
                 for p in (DEMO / "narrative" / str(year)).rglob("*.md")}
        assert not [k for k, t in every.items() if "bidragit i " in t], year
        # the language network's funding is told once, in the networks chapter, not again in its own text
        ncs = [k for k, t in every.items() if "(NCS)" in t]
        assert ncs == [f"narrative/{year}/networks.md"], ncs
        # the ULF project is named as the action plan names it
        ulf = next(name for name in _plan(year).values() if name.startswith("ULF"))
        headings = re.findall(r"## (ULF[^#]*?) (?=Inom)", every[f"narrative/{year}/kapitel/10_annan_samverkan.md"])
        assert headings == [ulf], (headings, ulf)


def test_session_facts_phrasing():
    def s(day: str, form: str, place: str = "Sundsvall") -> dict:
        return {"date": date.fromisoformat(day), "form": form, "place": "digitalt" if form == "D" else place}

    mixed = _SessionFacts([s("2024-09-02", "C"), s("2024-09-20", "D"), s("2024-10-01", "CD", "Östersund"),
                           s("2024-11-04", "D")])
    assert mixed["antal"] == "fyra träffar"
    assert mixed["terminer"] == "fyra gånger under höstterminen"
    assert mixed["form"] == ("Två av de fyra träffarna hölls på plats i Sundsvall och Östersund "
                             "(en av dem sändes även digitalt), och två hölls på distans.")
    two_days = _SessionFacts([s("2024-02-29", "C"), s("2024-03-01", "C")], "dag")
    assert two_days["datum_ort"] == "den 29 februari–1 mars i Sundsvall"
    assert two_days["vecka"] == "torsdag–fredag vecka 9"
    assert two_days["form"] == "Båda dagarna hölls på plats i Sundsvall."
    split = _SessionFacts([s("2024-02-05", "C"), s("2024-02-06", "C", "Östersund")], "dag")
    assert split["datum_ort"] == "den 5 februari i Sundsvall och den 6 februari i Östersund"
    seminars = _SessionFacts([s("2023-06-05", "CD"), s("2023-11-27", "CD")], "seminarium")
    assert seminars["terminer"] == "en gång per termin"
    assert seminars["form"] == "Båda seminarierna hölls på plats i Sundsvall och sändes även digitalt."
    online = _SessionFacts([s("2025-09-15", "D")], "webbinarium")
    assert (online["antal"], online["form"], online["start"]) == ("ett webbinarium", "Webbinariet hölls på distans.",
                                                                  "i september")


def test_committed_narrative_is_plain_markdown():
    for path in (DEMO / "narrative").rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert "{" not in text and "}" not in text, f"an unfilled placeholder in {path.relative_to(DEMO)}"


def test_reference_data_is_read(tmp_path: Path):
    from tools.demo import generator

    assert len(generator.MUNICIPALITIES) == 19 and generator.KOMMUN_NAME["Krokom"] == "Krokoms kommun"
    assert [a.suffix for a in generator.ACTIVITIES] == [f"{i:02d}" for i in range(1, 22)]
    assert generator.ACTIVITIES[19].years == generator.BIENNIAL
