"""Deterministic demo-data generator for the RUN reporting pipeline.

Writes partner files the way partners really send them (Swedish Excel CSV in cp1252 or
UTF-8 with BOM, semicolons, decimal comma, .xlsx, varying headings, a trailing total row,
a few deliberately bad rows) plus staff-written narrative texts and a ``MANIFEST.md``::

    python -m tools.demo.generator --out data/demo --years 2023 2024 2025 --seed 2026

Everything is derived from ``random.Random`` instances seeded from ``(seed, tenant, source,
year)``; no global random state, no clock. Two runs with the same arguments give
byte-identical files (the .xlsx zip entries get fixed timestamps).

``generate(out_dir, years, seed, scale=1.0, tenants=None)``: ``scale`` multiplies the row
counts of registrations, evaluations and ledger; ``tenants`` is a list of
``(tenant_id, municipalities)`` where ``municipalities`` is ``None`` (the 19 RUN
municipalities), an ``int`` (that many synthetic municipalities) or a list of
``(code, name, county, subnetwork, population)`` tuples. With ``tenants`` given, each
tenant is written to ``<out>/<tenant_id>/``; without, the RUN demo is written to ``<out>/``.

``years`` may be any range (the benchmark's decade is 2016-2025). The demo's own world starts in
2020 (agreements 2 kr 2020-2022, 1 kr 2023, 2 kr 2024-2026); for an earlier first year the agreements
are preceded by 3-year 2 kr periods back to it, the members are valid from the start of the earliest
one, the population file starts at the first year - 1 (2019 onward unchanged) and every year gets its
action plan, sessions, registrations, evaluations, ledger and narrative texts. The default demo
(2023-2025) is unchanged by this.

The municipalities and the activities (action-plan rows and the staff's texts) are data, in
``reference.yaml`` next to this file. Whatever a narrative text says about the year's meetings (how
many, when, where, on site or on distance) is derived from the generated sessions (``_SessionFacts``),
and the introduction's news of the year from the members, agreements and action plans
(``_year_news``), so that no text can contradict the data it is printed beside. The summary's account of
the year (its meetings, the contribution and the plan's budget, what changes the next year) comes from the
data too; what a text says the year was about comes from the year's theme in ``reference.yaml`` (``years``,
an activity's ``focus``), so that no year's summary or account of the year repeats another's.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from random import Random
from xml.sax.saxutils import escape as xml_escape

import yaml
from stdnum import luhn

# --------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------

# The demo world's municipalities and activities (with the staff's texts) are data, in reference.yaml.
REFERENCE = yaml.safe_load((Path(__file__).with_name("reference.yaml")).read_text(encoding="utf-8"))

# code, name, county, subnetwork, population 31 Dec 2019, yearly drift (fraction)
MUNICIPALITIES: list[tuple[str, str, str, str, int, float]] = [
    (code, name, county, sub, pop, drift) for code, name, _, county, sub, pop, drift in REFERENCE["municipalities"]]

# "X kommun" as municipalities write it themselves (genitive s where Swedish usage has it).
KOMMUN_NAME = {name: kommun for _, name, kommun, *_ in REFERENCE["municipalities"]}

# Partner organisations (not municipalities): code, spellings used in files, e-mail domain, share
PARTNERS: list[tuple[str, list[str], str, float]] = [
    ("SPSM", ["SPSM", "Specialpedagogiska skolmyndigheten"], "spsm.example", 0.25),
    ("RJH", ["Region Jämtland Härjedalen", "Region JH"], "regionjh.example", 0.10),
    ("KFV", ["Kommunförbundet Västernorrland", "Kommunförbundet V-norrland"], "kfvn.example", 0.08),
    ("JGY", ["JGY", "Jämtlands gymnasieförbund"], "jgy.example", 0.22),
    ("FRIST", ["Fristående huvudman", "Fristående"], "friskola.example", 0.15),
    ("MIUN", ["Mittuniversitetet", "MIUN"], "miun.example", 0.20),
]

FIRST_NAMES = [
    "Anna", "Eva", "Maria", "Karin", "Sara", "Lena", "Emma", "Kristina", "Elin", "Ingrid",
    "Johanna", "Linnéa", "Malin", "Sofia", "Hanna", "Åsa", "Camilla", "Frida", "Jenny", "Helena",
    "Erik", "Lars", "Karl", "Anders", "Johan", "Per", "Nils", "Mikael", "Jonas", "Peter",
    "Magnus", "Björn", "Fredrik", "Daniel", "Göran", "Stefan", "Ola", "Mattias", "Henrik", "Jörgen",
]
LAST_NAMES = [
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
    "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson", "Bengtsson", "Lindberg",
    "Sjöberg", "Berglund", "Sundström", "Edlund", "Holmgren", "Åkesson", "Byström", "Norberg",
    "Hägglund", "Strömberg", "Öberg", "Lundqvist", "Backlund", "Wikström", "Forsberg", "Nyström",
    "Hedlund", "Engström", "Sandberg", "Lindström", "Östlund", "Nordin", "Jonsson-Ek", "Lidén",
]

ROLES_BY_GROUP = {
    "konf": ["Skolchef", "Politiker", "Rektor", "Lärare", "Lärarutbildare", "Förvaltningschef"],
    "ledning": ["Skolchef", "Utvecklingsledare", "Lärarutbildare"],
    "utv": ["Utvecklingsledare", "Kvalitetssamordnare", "Skolchef"],
    "sls": ["Språk-, läs- och skrivutvecklare", "Lärare", "Förstelärare"],
    "gy": ["Gymnasielärare", "Lärare", "Lärarutbildare"],
    "karr": ["Förstelärare", "Lektor"],
    "ikt": ["IKT-pedagog", "Utvecklingsledare", "Lärare"],
    "pol": ["Politiker", "Skolchef", "Förvaltningschef"],
    "rektor": ["Rektor", "Biträdande rektor"],
    "nyckel": ["Förstelärare", "Specialpedagog", "Utvecklingsledare"],
    "team": ["Lärare", "Förskollärare", "Fritidspedagog", "Specialpedagog"],
    "rekr": ["Lärare", "Förskollärare"],
    "mentor": ["Lärare", "Förskollärare", "Lärarutbildare"],
    "fritids": ["Fritidspedagog", "Lärare i fritidshem", "Rektor"],
    "sped": ["Specialpedagog", "Speciallärare", "Lärarutbildare"],
    "vet": ["Gymnasielärare", "Lärare"],
    "alla": ["Lärare", "Förskollärare", "Rektor", "Specialpedagog", "Skolchef", "Studie- och yrkesvägledare"],
}

SECTIONS = ["Organisation", "Nätverk", "Aktiviteter", "Projekt", "Uppdragsutbildning"]

# The biennial event (Fritidshemsbiennalen) is held in even years (2020, 2022, 2024, … and before).
BIENNIAL = tuple(range(1990, 2101, 2))


@dataclass(frozen=True)
class Activity:
    """One action-plan row of reference.yaml (its header describes the fields)."""

    suffix: str
    name: str
    section: str
    target: str
    form: str
    term: str
    goals_old: str  # up to 2022: goals 1–4
    goals_new: str  # from 2023: A attrahera, R rekrytera, B behålla och utveckla
    weight: int  # share of the municipal budget (kr in a 930 000 kr year)
    funder: str = ""
    external: int = 0
    participants: int = 0  # base number of registrations per year (0: no registrations)
    roles: str = "alla"
    sessions: tuple[int, int] = (2, 4)
    evaluated: bool = True
    years: tuple[int, ...] | None = None  # None: every year
    skip_years: tuple[int, ...] = ()
    unit: str = "träff"  # what one meeting is called (UNITS)
    called: str = ""  # the activity in running text
    text: str = ""  # the staff's text, with _SessionFacts placeholders and {fokus}
    focus: tuple[tuple[str, str], ...] = ()  # (year or "default", the year's focus): {fokus} in the text

    def in_year(self, year: int) -> bool:
        if year in self.skip_years:
            return False
        return self.years is None or year in self.years

    def focus_in(self, year: int) -> str:
        """The activity's focus of the year ({fokus}): the year's own sentence, else the default one."""
        focus = dict(self.focus)
        return focus.get(str(year), focus.get("default", ""))

    @property
    def running_name(self) -> str:
        return self.called or self.name[0].lower() + self.name[1:]


def _activity(row: dict) -> Activity:
    row = dict(row)
    for key in ("sessions", "skip_years"):
        if key in row:
            row[key] = tuple(row[key])
    if "years" in row:
        row["years"] = BIENNIAL if row["years"] == "biennial" else tuple(row["years"])
    if "focus" in row:
        row["focus"] = tuple((str(k), " ".join(str(v).split())) for k, v in row["focus"].items())
    return Activity(**row)


ACTIVITIES: list[Activity] = [_activity(row) for row in REFERENCE["activities"]]

# The staff's opening of each year's summary, grounded in the year's theme ("default": a year without one).
YEAR_TEXTS: dict[str, str] = {str(k): " ".join(str(v).split()) for k, v in REFERENCE["years"].items()}

# Relative change of participation per activity for a year (on top of small random noise),
# chosen so that the year-on-year table (2025 vs 2024) has something to comment on.
YEAR_TREND: dict[int, dict[str, float]] = {
    2023: {"*": 0.85, "17": 0.75, "11": 1.10},
    2024: {"*": 1.0},
    2025: {"*": 1.0, "17": 1.35, "11": 0.70, "09": 1.25, "14": 0.80, "15": 1.15, "08": 0.60, "13": 1.30},
}
OUTCOME_SHARE = {2023: 0.78, 2024: 0.62, 2025: 0.70}  # costs / municipal budget

AGREEMENTS = [(2020, 2022, "2,00"), (2023, 2023, "1,00"), (2024, 2026, "2,00")]
FIRST_AGREEMENT_YEAR = AGREEMENTS[0][0]  # the demo's own world; earlier years get earlier 3-year 2 kr periods


def _agreements(first_year: int, last_year: int) -> list[tuple[int, int, str]]:
    """Agreement periods covering ``first_year..last_year``: the real ones (2 kr, 1 kr in 2023, 2 kr),
    preceded by 3-year 2 kr periods back to ``first_year`` and followed by 3-year 2 kr periods."""
    rows = list(AGREEMENTS)
    while rows[0][0] > first_year:
        rows.insert(0, (rows[0][0] - 3, rows[0][0] - 1, "2,00"))
    while rows[-1][1] < last_year:
        rows.append((rows[-1][1] + 1, rows[-1][1] + 3, "2,00"))
    return rows

# Activity (suffix) of the last demo year that deliberately has no staff text.
MISSING_NARRATIVE_SUFFIX = "13"

FREE_TEXTS = [
    "Konkreta exempel som jag kan använda direkt i klassrummet.",
    "Tid för samtal med kollegor från andra kommuner.",
    "Att likvärdighet handlar om mer än resurser.",
    "Modellen för kollegialt lärande & handledning.",
    "Bra föreläsare, men för lite tid för diskussion.",
    "Att formativ bedömning > summativ bedömning när det gäller lärande.",
    "Tankar om hur vi kan organisera vår egen utvecklingsgrupp.",
    "Litteraturtipsen och presentationen.",
    "Att elever med <25 % närvaro behöver ett helt annat stöd.",
    "Mycket att fundera vidare på tillsammans med arbetslaget.",
    "Nya perspektiv på extra anpassningar.",
    "Digitalt upplägg fungerade bra, slapp resa.",
    "Skulle vilja ha mer om fritidshemmets undervisning.",
    "Kontakter med forskare på Mittuniversitetet.",
    "Att det systematiska kvalitetsarbetet måste börja i undervisningen.",
    "Stöd & struktur för mentorssamtalen med studenter.",
    "Bra blandning av teori och praktik.",
    "Ljudet var dåligt i den digitala delen.",
    "Hur vi kan rekrytera och behålla behöriga lärare.",
    "Vi ska pröva \"exit tickets\" i vårt arbetslag.",
]

FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _rng(seed: int, *parts: object) -> Random:
    """A private generator per (seed, tenant, source, year): str seeds hash with SHA-512 (stable)."""
    return Random(":".join(str(p) for p in (seed, *parts)))


_ASCII = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u", " ": "", "-": ""})


def _ascii(text: str) -> str:
    return text.lower().translate(_ASCII)


def _weekday(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def _fmt_dmy(d: date) -> str:
    return f"{d.day}/{d.month}/{d.year}"


def _group(whole: int) -> str:
    return f"{whole:,}".replace(",", " ")


def _fmt_amount(value: Decimal, style: int) -> str:
    """0: ``12500,00``; 1: ``12 500,00``; 2: ``12 500 kr`` (whole kronor)."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    whole = int(value)
    ore = int((value - whole) * 100)
    if style == 2 and ore == 0:
        return f"{sign}{_group(whole)} kr"
    if style >= 1:
        return f"{sign}{_group(whole)},{ore:02d}"
    return f"{sign}{whole},{ore:02d}"


def _kr(value: int) -> str:
    return _group(value) + " kr"


class _Csv:
    """A semicolon CSV writer with Windows line ends; ``blank()`` writes an empty line."""

    def __init__(self, path: Path, encoding: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.f = open(path, "w", encoding=encoding, newline="")  # noqa: SIM115
        self.w = csv.writer(self.f, delimiter=";", lineterminator="\r\n")

    def row(self, values: Sequence[object]) -> None:
        self.w.writerow(values)

    def rows(self, values: Iterable[Sequence[object]]) -> None:
        self.w.writerows(values)

    def blank(self) -> None:
        self.f.write("\r\n")

    def close(self) -> None:
        self.f.close()


_XLSX_STATIC = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        "</Types>"),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/>'
        "</Relationships>"),
    "docProps/core.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:creator>RUN demo generator</dc:creator>"
        '<dcterms:created xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:created>'
        '<dcterms:modified xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:modified>'
        "</cp:coreProperties>"),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'styles" Target="styles.xml"/>'
        "</Relationships>"),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"),
}
_EPOCH = date(1899, 12, 30)


def _col(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def _write_xlsx(path: Path, sheet: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a minimal .xlsx (one sheet, inline strings, real date cells) deterministically and fast.

    Hand-written SpreadsheetML rather than openpyxl's writer: 10x faster for benchmark-sized files and
    byte-stable (fixed zip timestamps and document properties). Readable by Excel, openpyxl and pandas.
    """
    cols = [_col(i) for i in range(max(len(header), 26))]
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']

    def cells(r: int, values: Sequence[object], style: str = "") -> str:
        out = [f'<row r="{r}">']
        for c, v in enumerate(values):
            ref = f"{cols[c]}{r}"
            if v is None or v == "":
                continue
            if isinstance(v, date):
                out.append(f'<c r="{ref}" s="1"><v>{(v - _EPOCH).days}</v></c>')
            elif isinstance(v, bool) or not isinstance(v, int | float | Decimal):
                out.append(f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">'
                           f"{xml_escape(str(v))}</t></is></c>")
            else:
                out.append(f'<c r="{ref}"><v>{v}</v></c>')
        out.append("</row>")
        return "".join(out)

    parts.append(cells(1, header, ' s="2"'))
    for r, values in enumerate(rows, 2):
        parts.append(cells(r, values))
    parts.append("</sheetData></worksheet>")
    workbook = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                f'<sheets><sheet name="{xml_escape(sheet[:31])}" sheetId="1" r:id="rId1"/></sheets></workbook>')
    files = dict(_XLSX_STATIC)
    files["xl/workbook.xml"] = workbook
    files["xl/worksheets/sheet1.xml"] = "".join(parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ["[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "xl/workbook.xml",
                     "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml"]:
            zi = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            z.writestr(zi, files[name].encode("utf-8"))


# --------------------------------------------------------------------------------------
# Tenants and municipalities
# --------------------------------------------------------------------------------------


@dataclass
class Municipality:
    code: str
    name: str
    county: str
    subnetwork: str
    pop2019: int
    drift: float
    kommun: str
    org_number: str = ""
    buyer_reference: str = ""
    periods: list[tuple[date, date | None]] = field(default_factory=list)

    def member_on(self, d: date) -> bool:
        return any(f <= d and (t is None or d <= t) for f, t in self.periods)

    def member_in(self, year: int) -> bool:
        return any(f <= date(year, 12, 31) and (t is None or t >= date(year, 1, 1)) for f, t in self.periods)


SYLLABLES_A = ["Norr", "Söder", "Väster", "Öster", "Berg", "Sjö", "Skog", "Älv", "Fjäll", "Mål", "Ed", "Lund"]
SYLLABLES_B = ["by", "sund", "vik", "ås", "dal", "hamn", "ström", "berga", "näs", "torp", "holm", "fors"]


def _synthetic_municipalities(rng: Random, n: int) -> list[tuple[str, str, str, str, int, float]]:
    out, seen = [], set()
    i = 0
    while len(out) < n:
        name = rng.choice(SYLLABLES_A) + rng.choice(SYLLABLES_B)
        if name in seen:
            name = f"{name} {len(out) + 1}"
        seen.add(name)
        code = f"{9000 + i:04d}" if i < 1000 else f"{i:04d}"
        county = f"Syntetiska län {1 + i % 3}"
        out.append((code, name, county, "västra" if i % 2 == 0 else "östra",
                    int(rng.lognormvariate(9.8, 0.8)) + 2_500, rng.uniform(-0.008, 0.01)))
        i += 1
    return out


def _build_municipalities(tenant: str, spec, seed: int, first_year: int = FIRST_AGREEMENT_YEAR) -> list[Municipality]:
    rng = _rng(seed, tenant, "municipalities")
    if spec is None:
        base = MUNICIPALITIES
    elif isinstance(spec, int):
        base = _synthetic_municipalities(rng, spec)
    else:
        base = []
        for item in spec:
            code, name, county, sub, pop = item[:5]
            base.append((str(code), name, county, sub, int(pop), rng.uniform(-0.006, 0.008)))
    out = []
    used: set[str] = set()
    for code, name, county, sub, pop, drift in base:
        kommun = KOMMUN_NAME.get(name) or (f"{name} kommun" if name.endswith("s") else f"{name}s kommun")
        # 212000 + three digits + Luhn check digit (the shape of Swedish municipal org numbers)
        while True:
            body = f"212000{rng.randint(0, 999):03d}"
            if body not in used:
                used.add(body)
                break
        org = body + luhn.calc_check_digit(body)
        short = _ascii(name)[:3].upper()
        ref = "RUN" if tenant == "RUN" else re.sub(r"[^A-Z0-9]", "", tenant.upper())[:6]  # buyer reference
        m = Municipality(code, name, county, sub, pop, drift, kommun, org, f"{ref}-{short}{code[-2:]}")
        # members from the start of the agreement period that covers the first generated year
        start = date(_agreements(first_year, first_year)[0][0], 1, 1)
        if tenant == "RUN" and spec is None and code == "2132":
            m.periods = [(start, date(2022, 12, 31)), (date(2024, 7, 1), None)]
        else:
            m.periods = [(start, date(2022, 12, 31)), (date(2023, 1, 1), None)]
        out.append(m)
    return out


def _population(munis: list[Municipality], years: range, seed: int, tenant: str) -> dict[tuple[str, int], int]:
    """31 December populations: ``pop2019`` in 2019 (or in the first year, if later), drifting forward;
    years before 2019 drift backward from it with their own random stream (so adding earlier years
    leaves 2019 onward unchanged)."""
    rng = _rng(seed, tenant, "population")
    back = _rng(seed, tenant, "population-before-2019")
    anchor = max(years[0], 2019)
    pop: dict[tuple[str, int], int] = {}
    for m in munis:
        value = float(m.pop2019)
        for y in years:
            if y < anchor:
                continue
            if y > anchor:
                value *= 1 + m.drift + rng.uniform(-0.003, 0.003)
            pop[(m.code, y)] = int(round(value))
    for m in munis:
        value = float(m.pop2019)
        for y in range(anchor - 1, years[0] - 1, -1):
            value /= 1 + m.drift + back.uniform(-0.003, 0.003)
            pop[(m.code, y)] = int(round(value))
    return pop


def _rate(year: int) -> int:
    for f, t, r in _agreements(year, year):
        if f <= year <= t:
            return int(r.split(",")[0])
    return 2


# --------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------


@dataclass
class BadRow:
    file: str
    row: int  # 1-based data row after the header (blank lines not counted)
    line: int  # physical line in the file (1-based; for .xlsx: the sheet row)
    fieldname: str
    problem: str


@dataclass
class _Ctx:
    root: Path
    tenant: str
    prefix: str
    seed: int
    scale: float
    years: list[int]
    munis: list[Municipality]
    pop: dict[tuple[str, int], int]
    bad: list[BadRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    def local(self, text: str) -> str:
        """The texts are written for RUN; another (demo) network gets its own name, its own largest
        municipalities as meeting places and no RUN partner, so that nothing of RUN appears in its
        outputs. RUN's own texts are unchanged."""
        for pattern, new in self._local_names:
            text = pattern.sub(new, text)
        return text

    @cached_property
    def _local_names(self) -> list[tuple[re.Pattern, str]]:
        """:meth:`local`'s substitutions, made once per network (none for RUN)."""
        if self.tenant == "RUN":
            return []
        big = [m.name for m in sorted(self.munis, key=lambda m: -m.pop2019)] + ["campus", "campus"]
        return [(re.compile(pattern), new) for pattern, new in (
            (r"\bRUN(?=s?\b)", self.tenant),
            (r",\s+Region\s+Jämtland\s+Härjedalen\s+och\s+Kommunförbundet\s+Västernorrland", ""),
            (r"Mittsverigeregionen", "regionen"),
            (r"Mittuniversitetet", "universitetet"),
            (r"\bMIUN\b", "universitetet"),
            (r"Nordanstigs kommun", "en kommun"),
            (r"Sundsvall", big[0]),
            (r"Östersund", big[1]))]

    @property
    def partners(self) -> list[tuple[str, list[str], str, float]]:
        """RUN's partners; another network has only the national and the generic ones."""
        return PARTNERS if self.tenant == "RUN" else [p for p in PARTNERS if p[0] in ("SPSM", "FRIST")]

    @property
    def last_year(self) -> int:
        return max(self.years)

    def code(self, year: int, a: Activity) -> str:
        return f"{self.prefix}{year % 100:02d}-{a.suffix}"


def _write_members(ctx: _Ctx) -> None:
    first = min(f.year for m in ctx.munis for f, _ in m.periods)
    path = ctx.inbox / "members" / f"members_{first}-{ctx.last_year}.csv"
    w = _Csv(path, "utf-8-sig")
    w.row(["Kommunkod", "Kommun", "Län", "Delnätverk", "Organisationsnummer", "Fakturareferens",
           "Giltig från", "Giltig till"])
    for m in ctx.munis:
        for f, t in m.periods:
            w.row([m.code, m.name, m.county, m.subnetwork, m.org_number, m.buyer_reference,
                   f.isoformat(), t.isoformat() if t else ""])
    w.close()


def _write_agreements(ctx: _Ctx) -> None:
    w = _Csv(ctx.inbox / "agreements" / "agreements.csv", "utf-8-sig")
    w.row(["Från år", "Till år", "Kr per invånare"])
    w.rows(_agreements(min(ctx.years), ctx.last_year))
    w.close()


def _write_population(ctx: _Ctx, pop_years: range) -> None:
    path = ctx.inbox / "population" / f"BE0101_folkmangd_{pop_years[0]}-{pop_years[-1]}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ['"Folkmängd efter region och år"', ""]
    lines.append(";".join(['"region"'] + [f'"{y}"' for y in pop_years]))
    for m in ctx.munis:
        lines.append(";".join([f'"{m.code} {m.name}"'] + [str(ctx.pop[(m.code, y)]) for y in pop_years]))
    lines += ["", '"Folkmängden avser förhållandet den 31 december respektive år."', '"Källa: SCB"']
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def _activities(year: int) -> list[Activity]:
    return [a for a in ACTIVITIES if a.in_year(year)]


def _budget(ctx: _Ctx, year: int) -> list[dict]:
    rate = _rate(year)
    contributions = rate * sum(ctx.pop[(m.code, year - 1)] for m in ctx.munis if m.member_in(year))
    acts = _activities(year)
    total_weight = sum(a.weight for a in acts)
    rng = _rng(ctx.seed, ctx.tenant, "budget", year)
    rows = []
    for a in acts:
        municipal = int(round(contributions * a.weight / total_weight / 5000.0)) * 5000
        ext = int(round(a.external * rng.uniform(0.9, 1.1) / 5000.0)) * 5000 if a.funder else 0
        rows.append({
            "activity": a, "code": ctx.code(year, a), "name": ctx.local(a.name), "section": a.section,
            "target": ctx.local(a.target), "form": a.form, "goals": a.goals_old if year <= 2022 else a.goals_new,
            "term": a.term, "municipal": municipal, "funder": a.funder, "external": ext,
        })
    return rows


def _write_budget(ctx: _Ctx, year: int, rows: list[dict]) -> None:
    values = [[r["code"], r["name"], r["section"], r["target"], r["form"], r["goals"], r["term"],
               r["municipal"], r["funder"], r["external"] if r["funder"] else ""] for r in rows]
    if year == min(ctx.years) and len(ctx.years) > 1:
        header = ["Kod", "Verksamhet", "Avsnitt", "Målgrupp", "Form/ort", "Samverkansmål", "Tidpunkt",
                  "Kommun (kr)", "Finansiär", "Extern (kr)"]
        _write_xlsx(ctx.inbox / "budget" / f"handlingsplan_{year}.xlsx", f"Handlingsplan {year}", header, values)
        return
    w = _Csv(ctx.inbox / "budget" / f"handlingsplan_{year}.csv", "utf-8-sig")
    w.row(["Aktivitetskod", "Verksamhet", "Avsnitt", "Målgrupp", "Form", "Samverkansmål", "Termin",
           "Budget kommun (kr)", "Extern finansiär", "Budget extern (kr)"])
    w.rows(values)
    w.close()


def _session_dates(rng: Random, year: int, a: Activity, n: int) -> list[date]:
    if a.suffix == "01":  # dialogmöte 1 / RUN-konferens: Thursday–Friday of ISO week 9
        thu = date.fromisocalendar(year, 9, 4)
        return [thu, thu + timedelta(days=1)][:n]
    vt = (date(year, 1, 20), date(year, 6, 5))
    ht = (date(year, 8, 25), date(year, 12, 10))
    out = []
    for i in range(n):
        if a.term == "VT":
            lo, hi = vt
        elif a.term == "HT":
            lo, hi = ht
        else:
            lo, hi = vt if i < (n + 1) // 2 else ht
        d = lo + timedelta(days=rng.randint(0, (hi - lo).days))
        out.append(_weekday(d))
    if a.suffix in ("16", "20") and n == 2 and a.term == "VT":  # two-day events
        out = [out[0], _weekday(out[0] + timedelta(days=1))]
    out.sort()
    for i in range(1, len(out)):  # distinct dates, in order
        if out[i] <= out[i - 1]:
            out[i] = _weekday(out[i - 1] + timedelta(days=1))
    return out


def _participants(ctx: _Ctx, year: int, a: Activity, rng: Random) -> int:
    if not a.participants:
        return 0
    trend = YEAR_TREND.get(year, {"*": 1.0})
    factor = trend.get(a.suffix, trend["*"]) * rng.uniform(0.88, 1.12)
    return max(3, int(round(a.participants * factor * ctx.scale)))


def _sessions(ctx: _Ctx, year: int, budget: list[dict]) -> dict[str, list[dict]]:
    rng = _rng(ctx.seed, ctx.tenant, "sessions", year)
    prng = _rng(ctx.seed, ctx.tenant, "participants", year)
    out: dict[str, list[dict]] = {}
    for r in budget:
        a: Activity = r["activity"]
        n = rng.randint(*a.sessions)
        dates = _session_dates(rng, year, a, n)
        r["participants"] = _participants(ctx, year, a, prng)
        sess = []
        for i, d in enumerate(dates, 1):
            if a.form == "D":
                form, place = "D", "digitalt"
            elif a.form == "C":
                form, place = "C", ("Sundsvall" if (i + int(a.suffix)) % 2 else "Östersund")
            else:
                form = rng.choice(["C", "D", "CD"])
                place = "digitalt" if form == "D" else ("Sundsvall" if rng.random() < 0.55 else "Östersund")
            if a.suffix == "01":
                place = "Sundsvall"
            if a.suffix == "16":
                place = "Östersund" if d.month <= 6 else "Sundsvall"
            need = max(20, r["participants"])
            seats = int((need * rng.uniform(1.05, 1.4)) // 10 + 1) * 10
            sess.append({"no": i, "date": d, "form": form, "place": ctx.local(place), "seats": seats})
        out[r["code"]] = sess
    return out


def _write_sessions(ctx: _Ctx, year: int, sessions: dict[str, list[dict]]) -> None:
    w = _Csv(ctx.inbox / "sessions" / f"traffar_{year}.csv", "utf-8-sig")
    w.row(["Aktivitetskod", "Träff nr", "Datum", "Form", "Ort", "Antal platser"])
    for code, sess in sessions.items():
        for s in sess:
            w.row([code, s["no"], s["date"].isoformat(), s["form"], s["place"], s["seats"]])
    w.close()


@dataclass
class _Person:
    name: str
    email: str
    muni: Municipality | None
    partner: tuple | None
    role: str


class _People:
    def __init__(self, ctx: _Ctx, rng: Random):
        self.ctx, self.rng = ctx, rng
        self.pool: list[_Person] = []
        self.emails: dict[str, int] = {}
        self.weights = [m.pop2019 ** 0.75 for m in ctx.munis]
        self.partners = ctx.partners
        self.pw = [p[3] for p in self.partners]

    def new(self, role: str, on: date) -> _Person:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        muni, partner = None, None
        educator = role == "Lärarutbildare" and self.partners[-1][0] == "MIUN"  # from the host university
        if educator or rng.random() < 0.11:
            partner = self.partners[-1] if educator else rng.choices(self.partners, self.pw)[0]
            domain = partner[2]
        else:
            for _ in range(50):
                muni = rng.choices(self.ctx.munis, self.weights)[0]
                if muni.member_on(on):
                    break
            else:
                muni = next(m for m in self.ctx.munis if m.member_on(on))
            domain = _ascii(muni.name) + ".example"
        base = f"{_ascii(first)}.{_ascii(last)}"
        k = self.emails.get(base + domain, 0)
        self.emails[base + domain] = k + 1
        email = f"{base}{k + 1 if k else ''}@{domain}"
        p = _Person(f"{first} {last}", email, muni, partner, role)
        self.pool.append(p)
        return p

    def org_text(self, p: _Person) -> str:
        r = self.rng.random()
        if p.partner is not None:
            names = p.partner[1]
            return names[0] if r < 0.75 else names[1]
        m = p.muni
        if r < 0.55:
            return m.name
        if r < 0.80:
            return m.kommun
        return m.code


def _registrations(ctx: _Ctx, year: int, budget: list[dict], sessions: dict[str, list[dict]]) -> list[dict]:
    rng = _rng(ctx.seed, ctx.tenant, "registrations", year)
    people = _People(ctx, rng)
    regs = []
    for r in budget:
        a: Activity = r["activity"]
        n = r.get("participants", 0)
        if not n:
            continue
        sess = sessions[r["code"]]
        starts = [sess[0]["date"]]
        ht = [s["date"] for s in sess if s["date"].month >= 7]
        if ht and ht[0] != starts[0]:
            starts.append(ht[0])
        roles = ROLES_BY_GROUP[a.roles]
        seen: set[str] = set()
        for _ in range(n):
            start = starts[0] if len(starts) == 1 or rng.random() < 0.7 else starts[1]
            reg_date = max(date(year, 1, 2), start - timedelta(days=rng.randint(1, 45)))
            p = None
            if people.pool and rng.random() < 0.15:  # someone who already registered for another activity
                cand = people.pool[rng.randrange(len(people.pool))]
                if cand.email not in seen and (cand.muni is None or cand.muni.member_on(start)):
                    p = cand
            if p is None:
                p = people.new(rng.choice(roles), start)
            seen.add(p.email)
            u = rng.random()
            status = "deltog" if u < 0.83 else ("avbokad" if u < 0.93 else "anmäld")
            regs.append({"code": r["code"], "activity": a, "person": p, "org": people.org_text(p),
                         "role": p.role, "date": reg_date, "status": status, "start": start})
    regs.sort(key=lambda x: (x["date"], x["code"], x["person"].email))
    return regs


def _write_registrations(ctx: _Ctx, year: int, regs: list[dict]) -> None:
    vt = [r for r in regs if r["date"].month <= 6]
    ht = [r for r in regs if r["date"].month >= 7]
    vt_rows = [[r["code"], r["person"].name, r["person"].email, r["org"], r["role"], _fmt_dmy(r["date"]),
                r["status"]] for r in vt]
    ht_rows = [[r["code"], r["person"].name, r["person"].email, r["org"], r["role"], r["date"], r["status"]]
               for r in ht]
    blanks: set[int] = set()
    messy = year == ctx.last_year and len(vt_rows) > 60 and len(ht_rows) > 60
    vt_name = f"anmalningar_{year}_vt.csv"
    ht_name = f"registrations_{year}_ht.xlsx"
    if messy:
        n = len(vt_rows)
        i_dup, i_year, i_empty = n // 5, n // 2, (4 * n) // 5
        vt_rows[i_year][5] = _fmt_dmy(vt[i_year]["date"].replace(year=year - 10))
        vt_rows[i_empty][2] = ""
        vt_rows.insert(i_dup + 1, list(vt_rows[i_dup]))
        blanks = {n // 3, (2 * n) // 3}
        # row numbers (1-based data rows after the header); physical line adds header + blank lines above
        def line_of(row: int) -> int:
            return row + 1 + sum(1 for b in blanks if b < row)
        for row, fld, prob in [
            (i_dup + 2, "(whole row)", f"exact duplicate of data row {i_dup + 1}"),
            (i_year + 2, "Anmälningsdatum", f"date in the wrong year ({vt_rows[i_year + 1][5]})"),
            (i_empty + 2, "E-post", "required field empty"),
        ]:
            ctx.bad.append(BadRow(f"inbox/registrations/{vt_name}", row, line_of(row), fld, prob))
        j = len(ht_rows) // 3
        ht_rows[j][3] = "Gotham kommun"
        ctx.bad.append(BadRow(f"inbox/registrations/{ht_name}", j + 1, j + 2, "Organisation",
                              "unknown municipality 'Gotham kommun'"))
        ctx.notes.append(f"`inbox/registrations/{vt_name}`: blank lines after data rows "
                         + ", ".join(str(b) for b in sorted(blanks)) + " (not data rows; skip them).")
    w = _Csv(ctx.inbox / "registrations" / vt_name, "cp1252")
    w.row(["Aktivitet", "Namn", "E-post", "Kommun/organisation", "Roll", "Anmälningsdatum", "Status"])
    for i, row in enumerate(vt_rows, 1):
        w.row(row)
        if i in blanks:
            w.blank()
    w.close()
    _write_xlsx(ctx.inbox / "registrations" / ht_name, "Anmälningar",
                ["Kurskod", "Deltagare", "Epost", "Organisation", "Befattning", "Datum", "Status"], ht_rows)


def _likert(rng: Random, base: float) -> int:
    return max(1, min(5, int(round(base + rng.gauss(0, 0.6)))))


def _write_evaluations(ctx: _Ctx, year: int, regs: list[dict], sessions: dict[str, list[dict]]) -> list[list]:
    """Write the year's evaluations; returns their rows as written (for the narrative's verdict)."""
    rng = _rng(ctx.seed, ctx.tenant, "evaluations", year)
    rows = []
    for r in regs:
        a: Activity = r["activity"]
        if not a.evaluated or r["status"] != "deltog" or rng.random() >= 0.40:
            continue
        sess = [s for s in sessions[r["code"]] if s["date"] >= r["start"]] or sessions[r["code"]]
        s = rng.choice(sess)
        base = rng.choices([2.5, 3.5, 4.2, 4.7], [5, 20, 45, 30])[0]
        submitted = min(date(year, 12, 31), s["date"] + timedelta(days=rng.choice([0, 0, 1, 1, 2, 3, 5, 7])))
        text = ctx.local(rng.choice(FREE_TEXTS)) if rng.random() < 0.35 else ""
        p = r["person"]
        if p.partner is not None:
            org = p.partner[1][0] if rng.random() < 0.7 else p.partner[1][1]
        else:
            u = rng.random()
            org = p.muni.name if u < 0.6 else (p.muni.kommun if u < 0.9 else p.muni.code)
        rows.append([r["code"], "" if rng.random() < 0.1 else s["no"], org, r["role"],
                     _likert(rng, base), _likert(rng, base), _likert(rng, base - 0.2), text, submitted])
    rows.sort(key=lambda x: (x[8], x[0]))
    yy = f"{year % 100:02d}"
    out = [[f"R{yy}-{i:05d}", *row[:8], row[8].isoformat()] for i, row in enumerate(rows, 1)]
    name = f"utvarderingar_{year}.csv"
    if year == ctx.last_year and len(out) > 40:
        n = len(out)
        i7, ih, ib = n // 4, n // 2, (3 * n) // 4
        out[i7][5] = 7
        out[ih][8] = '=HYPERLINK("http://example.com/x";"Klicka här")'
        out[ib][8] = "Tack {{ namn }} för en inspirerande dag!"
        ctx.bad.append(BadRow(f"inbox/evaluations/{name}", i7 + 1, i7 + 2, "q_overall (Sammantaget …)",
                              "Likert value 7 outside 1–5"))
        ctx.bad.append(BadRow(f"inbox/evaluations/{name}", ih + 1, ih + 2, "free_text (Vad tar du med dig?)",
                              "starts with '=HYPERLINK(' (formula injection; must be neutralised, not run)"))
        ctx.notes.append(f"`inbox/evaluations/{name}` data row {ib + 1}: free text contains the literal "
                         "`{{ namn }}` (valid data; must be rendered literally, never as a template). Other "
                         "free texts contain `<`, `>`, `&` and double quotes.")
    w = _Csv(ctx.inbox / "evaluations" / name, "utf-8-sig")
    w.row(["Svars-ID", "Aktivitet", "Träff", "Kommun/organisation", "Roll",
           "Sammantaget, hur värderar du aktiviteten? (1-5)", "Innehållet var relevant för min roll (1-5)",
           "Jag kommer att använda det jag lärt mig i mitt arbete (1-5)", "Vad tar du med dig?", "Inskickad"])
    w.rows(out)
    w.close()
    return out


COST_ACCOUNTS = {
    "5010": ("Lokalhyra", ["Campus Konferens AB", "Folkets Hus Sundsvall", "Storsjöhallen AB"]),
    "5800": ("Resor", ["Resebyrån Norr AB", "Länstrafiken", "Tågbolaget AB"]),
    "5830": ("Logi", ["Hotell Storsjön AB", "Hotell Selånger AB"]),
    "6550": ("Föreläsare/konsulttjänster", ["Skolutveckling i Norr AB", "Föreläsarbyrån AB",
                                            "Pedagogik & Ledarskap HB", "Lärande Mitt AB"]),
    "7690": ("Förtäring", ["Café Campus", "Restaurang Kajen AB", "Konferensmat i Mitt AB"]),
    "6540": ("IT-tjänster, digital plattform", ["Webbinarietjänst AB"]),
    "6110": ("Kontorsmaterial och tryck", ["Tryckeriet Mitt AB"]),
}
INCOME_ACCOUNTS = {"Skolverket": ("3010", "Skolverket bidrag", "Skolverket"),
                   "NCS": ("3010", "Skolverket bidrag NCS", "Skolverket (NCS)"),
                   "Delt.avg.": ("3510", "Deltagaravgifter", "Deltagare, fakturerade avgifter")}


def _ledger(ctx: _Ctx, year: int, budget: list[dict], sessions: dict[str, list[dict]]) -> list[list]:
    rng = _rng(ctx.seed, ctx.tenant, "ledger", year)
    share = OUTCOME_SHARE.get(year, 0.66)
    factors = {r["code"]: rng.uniform(0.35, 1.05) for r in budget}
    total_budget = sum(r["municipal"] for r in budget) or 1
    raw = sum(factors[r["code"]] * r["municipal"] for r in budget) or 1
    norm = share * total_budget / raw
    vouchers = []  # (date, [(account, code, counterparty, amount, text)])
    for r in budget:
        a: Activity = r["activity"]
        sess = sessions[r["code"]]
        target = r["municipal"] * factors[r["code"]] * norm
        if r["funder"]:
            target += r["external"] * rng.uniform(0.85, 1.0)
        n_lines = max(3, int(round(len(sess) * rng.randint(2, 4) * ctx.scale)))
        if a.section in ("Uppdragsutbildning", "Projekt"):
            accounts, aw = ["6550", "5800", "7690"], [8, 1, 1]
        elif a.form == "D":
            accounts, aw = ["6550", "6540", "6110"], [5, 2, 1]
        else:
            accounts, aw = ["6550", "5010", "7690", "5800", "5830", "6110"], [5, 3, 3, 2, 1, 1]
        weights = [rng.uniform(0.3, 1.0) for _ in range(n_lines)]
        wsum = sum(weights)
        lines = []
        for k in range(n_lines):
            acc = rng.choices(accounts, aw)[0]
            amount = Decimal(str(target * weights[k] / wsum))
            q = Decimal("1") if rng.random() < 0.8 else Decimal("0.01")
            amount = amount.quantize(q, rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))
            s = sess[k % len(sess)]
            d = min(date(year, 12, 31), _weekday(s["date"] + timedelta(days=rng.randint(0, 25))))
            if d.year != year:
                d = date(year, 12, 30)
            label, parties = COST_ACCOUNTS[acc]
            lines.append((d, acc, r["code"], ctx.local(rng.choice(parties)), amount, f"{label}, {ctx.local(a.name)}"))
        lines.sort(key=lambda x: x[0])
        i = 0
        while i < len(lines):
            k = rng.choice([1, 1, 1, 2, 2, 3])
            group = lines[i:i + k]
            vouchers.append((group[0][0], [g[1:] for g in group]))
            i += k
        if r["funder"]:
            acc, label, party = INCOME_ACCOUNTS[r["funder"]]
            parts = max(1, int(round(2 * ctx.scale ** 0.5)))
            total = Decimal(str(r["external"] * rng.uniform(0.9, 1.0))).quantize(Decimal("1"))
            for p in range(parts):
                amount = -(total / parts).quantize(Decimal("0.01"))
                d = _weekday(date(year, 3 if p % 2 == 0 else 10, 10 + p % 15))
                vouchers.append((d, [(acc, r["code"], party, amount, f"{label}, {ctx.local(a.name)}")]))
    vouchers.sort(key=lambda v: (v[0], v[1][0][1], v[1][0][3]))
    yy = year % 100
    rows = []
    for vn, (d, lines) in enumerate(vouchers, 1):
        for ln, (acc, code, party, amount, text) in enumerate(lines, 1):
            rows.append([f"{yy:02d}{vn:05d}", ln, d, acc, code, party, amount, text])
    return rows


def _write_ledger(ctx: _Ctx, year: int, rows: list[list]) -> None:
    total = sum((r[6] for r in rows), Decimal("0"))
    if year != ctx.last_year and year == sorted(ctx.years)[len(ctx.years) // 2] and len(ctx.years) > 2:
        values = [[*r[:2], r[2], *r[3:6], float(r[6]), r[7]] for r in rows]
        values.append(["Summa", None, None, None, None, None, float(total), None])
        _write_xlsx(ctx.inbox / "ledger" / f"huvudbok_{year}.xlsx", "Huvudbok",
                    ["Verifikation", "Radnr", "Bokf.datum", "Konto", "Aktivitetskod", "Motpart", "Belopp (kr)",
                     "Text"], values)
        return
    rng = _rng(ctx.seed, ctx.tenant, "ledger-format", year)
    out = []
    for r in rows:
        u = rng.random()
        style = 0 if u < 0.8 else (1 if u < 0.92 else 2)
        out.append([r[0], r[1], r[2].isoformat(), r[3], r[4], r[5], _fmt_amount(r[6], style), r[7]])
    name = f"huvudbok_{year}.csv"
    blanks: set[int] = set()
    if year == ctx.last_year and len(out) > 40:
        i = len(out) // 2
        while Decimal(rows[i][6]) < 0:
            i += 1
        out[i][6] = "ca 5000"
        total -= rows[i][6]
        blanks = {len(out) // 4}
        line = i + 2 + sum(1 for b in blanks if b < i + 1)
        ctx.bad.append(BadRow(f"inbox/ledger/{name}", i + 1, line, "amount_sek (Belopp)",
                              "text 'ca 5000' instead of an amount (excluded from the Summa row)"))
        ctx.notes.append(f"`inbox/ledger/{name}`: blank line after data row {min(blanks)}; the last line is the "
                         "export's total row `Summa;;;;;;<total>` (not a ledger line).")
    w = _Csv(ctx.inbox / "ledger" / name, "cp1252")
    w.row(["Ver.nr", "Rad", "Bokföringsdatum", "Konto", "Projekt", "Motpart", "Belopp", "Text"])
    for k, row in enumerate(out, 1):
        w.row(row)
        if k in blanks:
            w.blank()
    w.row(["Summa", "", "", "", "", "", _fmt_amount(total, 0)])
    w.close()


# --------------------------------------------------------------------------------------
# Narrative
# --------------------------------------------------------------------------------------


MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december"]
WEEKDAYS = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"]
NUMBERS = ["noll", "en", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio", "elva", "tolv"]
# what one meeting of an activity is called: singular, definite, plural, definite plural, neuter
UNITS = {
    "träff": ("träff", "träffen", "träffar", "träffarna", False),
    "tillfälle": ("tillfälle", "tillfället", "tillfällen", "tillfällena", True),
    "seminarium": ("seminarium", "seminariet", "seminarier", "seminarierna", True),
    "webbinarium": ("webbinarium", "webbinariet", "webbinarier", "webbinarierna", True),
    "dag": ("dag", "dagen", "dagar", "dagarna", False),
}


def _num(n: int, neuter: bool = False) -> str:
    if n == 1:
        return "ett" if neuter else "en"
    return NUMBERS[n] if 0 <= n < len(NUMBERS) else str(n)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(items: Sequence[str]) -> str:
    items = list(items)
    return ", ".join(items[:-1]) + " och " + items[-1] if len(items) > 1 else "".join(items)


def _day_month(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]}"


def _spans(dates: Sequence[date]) -> list[str]:
    """Runs of consecutive days: ``["2–3 mars", "29 februari–1 mars", "16 november"]``."""
    runs: list[list[date]] = []
    for d in sorted(dates):
        if runs and d - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(d)
        else:
            runs.append([d])
    out = []
    for run in runs:
        a, b = run[0], run[-1]
        if a == b:
            out.append(_day_month(a))
        elif a.month == b.month:
            out.append(f"{a.day}–{_day_month(b)}")
        else:
            out.append(f"{_day_month(a)}–{_day_month(b)}")
    return out


def _weekdays_and_week(dates: Sequence[date]) -> str:
    """``"torsdag–fredag vecka 9"`` (one ISO week), else ``"veckorna 9 och 10"``."""
    if not dates:
        return ""
    weeks = sorted({d.isocalendar()[1] for d in dates})
    if len(weeks) > 1:
        return "veckorna " + _join([str(w) for w in weeks])
    first, last = min(dates).weekday(), max(dates).weekday()
    days = WEEKDAYS[first] if first == last else f"{WEEKDAYS[first]}–{WEEKDAYS[last]}"
    return f"{days} vecka {weeks[0]}"


def _where(s: dict) -> str:
    return "på distans" if s["form"] == "D" else f"i {s['place']}"


def _campus_places(sessions: Iterable[dict]) -> list[str]:
    """The places of the meetings held on site (campus, or campus and distance), first held first."""
    return list(dict.fromkeys(s["place"] for s in sorted(sessions, key=lambda s: s["date"]) if s["form"] != "D"))


class _SessionFacts(dict):
    """What a text may say about an activity's meetings of the year, derived from its generated sessions:
    the placeholders of the texts in reference.yaml (``{antal}``, ``{terminer}``, ``{form}``,
    ``{datum_ort}``, ``{datum}``, ``{vecka}``, ``{start}``)."""

    def __init__(self, sessions: list[dict], unit: str = "träff"):
        sess = sorted(sessions, key=lambda s: s["date"])
        self.sess, self.n = sess, len(sess)
        self.one, self.the_one, self.many, self.the_many, self.neuter = UNITS[unit]
        dates = [s["date"] for s in sess]
        groups: list[list[dict]] = []  # consecutive meetings in the same place (or on distance)
        for s in sess:
            if groups and _where(groups[-1][-1]) == _where(s):
                groups[-1].append(s)
            else:
                groups.append([s])
        super().__init__(
            antal=f"{_num(self.n, self.neuter)} {self.one if self.n == 1 else self.many}",
            terminer=self._per_term(sum(1 for d in dates if d.month <= 6), sum(1 for d in dates if d.month > 6)),
            form=self._form(),
            datum_ort=_join([_join([f"den {x}" for x in _spans([s["date"] for s in g])]) + " " + _where(g[0])
                             for g in groups]),
            datum=_join([f"den {x}" for x in _spans(dates)]),
            vecka=_weekdays_and_week(dates),
            start=f"i {MONTHS[dates[0].month - 1]}" if dates else "",
        )

    @staticmethod
    def _per_term(vt: int, ht: int) -> str:
        def times(k: int) -> str:
            return "en gång" if k == 1 else f"{_num(k)} gånger"

        if vt and ht:
            return f"{times(vt)} per termin" if vt == ht else \
                f"{times(vt)} under vårterminen och {times(ht)} under höstterminen"
        return f"{times(vt)} under vårterminen" if vt else f"{times(ht)} under höstterminen"

    def _form(self) -> str:
        """A sentence on where and how the meetings were held: on site (campus, where), on site and sent
        digitally too (form CD), or on distance (form D)."""
        n, neuter = self.n, self.neuter
        on = [s for s in self.sess if s["form"] != "D"]
        hybrid = sum(1 for s in on if s["form"] == "CD")
        remote = n - len(on)
        places = _join(_campus_places(on))
        if n == 0:
            return ""
        if n == 1:
            if remote:
                return f"{_cap(self.the_one)} hölls på distans."
            return f"{_cap(self.the_one)} hölls på plats i {places}" + (" och sändes även digitalt." if hybrid else ".")
        every = "Båda" if n == 2 else f"Alla {_num(n)}"
        if not on:
            return f"{every} {self.the_many} hölls på distans."
        if not remote:
            head = f"{every} {self.the_many} hölls på plats i {places}"
            if hybrid == n:
                return head + " och sändes även digitalt."
            return head + (f"; {_num(hybrid, neuter)} av dem sändes även digitalt." if hybrid else ".")
        head = f"{_cap(_num(len(on), neuter))} av de {_num(n)} {self.the_many} hölls på plats i {places}"
        if hybrid == len(on) == 1:
            head += " och sändes även digitalt"
        elif hybrid == len(on):
            head += f" ({'båda' if hybrid == 2 else 'alla'} sändes även digitalt)"
        elif hybrid:
            head += f" ({_num(hybrid, neuter)} av dem sändes även digitalt)"
        return f"{head}, och {_num(remote, neuter)} hölls på distans."


def _year_news(ctx: _Ctx, year: int, sessions: dict[str, list[dict]]) -> list[str]:
    """What changed this year, from the data: members who left or came back (the members file), the
    contribution per inhabitant (the agreements), activities new, paused, ended or biennial (the action
    plans of this year and the year before) with when and where a biennial event was held (its sessions)."""
    news = []
    for m in ctx.munis:
        if m.member_in(year - 1) and not m.member_in(year):
            news.append(f"{m.kommun} ingick inte i nätverket under {year}.")
        for (_, before), (start, _) in pairwise(m.periods):
            if start.year == year and before is not None and start - before > timedelta(days=1):
                news.append(f"Under {year} återinträdde {m.kommun} i nätverket från och med den {_day_month(start)}.")
    rate, before = _rate(year), _rate(year - 1)
    if rate != before:
        news.append(f"Kommunernas bidrag var {rate} kr per invånare, mot {before} kr året innan, vilket "
                    + ("innebar en mer begränsad handlingsplan." if rate < before
                       else "gav utrymme för en större handlingsplan."))
    codes = {a.suffix: ctx.code(year, a) for a in ACTIVITIES}
    for a in ACTIVITIES:
        now, then, name = a.in_year(year), a.in_year(year - 1), a.running_name
        facts = _SessionFacts(sessions.get(codes[a.suffix], []), a.unit)
        if now and a.years == BIENNIAL:
            news.append(f"{_cap(name)}, som anordnas vartannat år, genomfördes {facts['datum_ort']}.")
        elif now and not then:
            news.append(f"{_cap(name)} återupptogs efter ett uppehåll {year - 1}." if year - 1 in a.skip_years
                        else f"Ny i handlingsplanen för {year} var {name}, som startade {facts['start']}.")
        elif then and not now and a.years != BIENNIAL:
            news.append(f"{_cap(name)} gjorde ett uppehåll och fanns inte med i årets handlingsplan."
                        if year in a.skip_years else f"{_cap(name)} avslutades {year - 1}.")
    return news


def _satisfaction(evaluations: list[list]) -> str:
    """The evaluations' verdict in words, from the mean of the valid 1–5 answers (overall, relevance)."""
    def mean(col: int) -> float | None:
        values = [r[col] for r in evaluations if isinstance(r[col], int) and 1 <= r[col] <= 5]
        return sum(values) / len(values) if values else None

    overall, relevance = mean(5), mean(6)
    if overall is None or relevance is None:
        return "Deltagarnas utvärderingar redovisas per aktivitet."
    pleased = "mycket nöjda" if overall >= 4.5 else "nöjda" if overall >= 3.5 else "delvis nöjda"
    relevant = "relevant" if relevance >= 3.5 else "delvis relevant"
    return (f"Utvärderingarna visar att deltagarna överlag är {pleased} och att innehållet upplevs som "
            f"{relevant} för deras yrkesroll.")


# The action plan's sections in running text: singular, plural, neuter (for "ett").
SECTION_WORDS = {
    "Organisation": ("verksamhet inom organisationen", "verksamheter inom organisationen", False),
    "Nätverk": ("nätverk", "nätverk", True),
    "Aktiviteter": ("kompetensutvecklingsaktivitet", "kompetensutvecklingsaktiviteter", False),
    "Projekt": ("projekt", "projekt", True),
    "Uppdragsutbildning": ("uppdragsutbildning", "uppdragsutbildningar", False),
}

# An external funder of the action plan in running text ("finansierats med …").
FUNDING = {
    "NCS": "utvecklingsstöd från Nationellt centrum för språk-, läs- och skrivutveckling (NCS) vid Skolverket",
    "Delt.avg.": "deltagaravgifter",
}


def _plan_parts(budget: list[dict]) -> str:
    """The action plan's rows counted by section: ``"fyra nätverk och tio kompetensutvecklingsaktiviteter,
    alltså de 14 som redovisas var för sig med sina deltagare längre fram, samt tre verksamheter inom
    organisationen, ett projekt och en uppdragsutbildning"``. The report describes the activities and the
    networks with participants one by one (its key figure "Aktiviteter med deltagare")."""
    counts: dict[str, int] = {}
    for r in budget:
        counts[r["section"]] = counts.get(r["section"], 0) + 1
    described = [r for r in budget if r["section"] == "Aktiviteter" or (r["section"] == "Nätverk"
                                                                        and r.get("participants"))]

    def part(section: str) -> str:
        n = counts[section]
        default = (f"verksamhet under {section}", f"verksamheter under {section}", False)
        one, many, neuter = SECTION_WORDS.get(section, default)
        return f"{_num(n, neuter)} {one if n == 1 else many}"

    shown = [part(s) for s in ("Nätverk", "Aktiviteter") if s in counts]
    rest = [part(s) for s in counts if s not in ("Nätverk", "Aktiviteter")]
    if not shown:
        return _join(rest)
    text = _join(shown)
    if len(described) == counts.get("Aktiviteter", 0) + counts.get("Nätverk", 0) and len(shown) > 1:
        text += f", alltså de {len(described)} som redovisas var för sig med sina deltagare längre fram"
    return text + (", samt " + _join(rest) if rest else "")


def _funding_sentence(budget: list[dict]) -> str:
    """Which networks had external funding, from the action plan: ``"Nätverket för … har delvis finansierats
    med utvecklingsstöd från … och nätverket för karriärlärare med medel från Skolverket."``"""
    funded = [r for r in budget if r["section"] == "Nätverk" and r["funder"]]
    parts = [f"{r['activity'].running_name} {'har delvis finansierats med ' if i == 0 else 'med '}"
             f"{FUNDING.get(r['funder'], 'medel från ' + r['funder'])}" for i, r in enumerate(funded)]
    return _cap(_join(parts)) + "." if parts else ""


def _year_meetings(year: int, budget: list[dict], sessions: dict[str, list[dict]]) -> str:
    """How many meetings the year's activities had, on campus (and sent digitally too) and on distance."""
    year_sessions = [s for r in budget for s in sessions[r["code"]]]
    on = [s for s in year_sessions if s["form"] != "D"]
    hybrid, remote = sum(1 for s in on if s["form"] == "CD"), len(year_sessions) - len(on)
    places = _join(_campus_places(on))
    if not year_sessions:
        return ""
    head = f"Sammanlagt hölls {len(year_sessions)} träffar, sammanträden, seminarier och webbinarier inom " \
           f"handlingsplanens verksamheter under {year}"
    sent = f", varav {hybrid} sändes även digitalt" if hybrid else ""
    if on and remote:
        return (f"{head}: {len(on)} på campus i {places}{sent}, och {remote} på distans. Distansträffarna gör det "
                "möjligt för fler att vara med oavsett var i regionen de arbetar.")
    return f"{head}, {'alla på distans' if remote else f'alla på campus i {places}{sent}'}."


def _next_year(year: int) -> str:
    """What the action plan and the agreement say about the next year: the contribution per inhabitant,
    activities new, coming back after a pause, biennial or paused (from the agreements and the plans)."""
    nxt, out = year + 1, []
    rate, rate_next = _rate(year), _rate(nxt)
    if rate_next != rate:
        out.append(f"Inför {nxt} {'höjs' if rate_next > rate else 'sänks'} kommunernas bidrag enligt avtalet till "
                   f"{rate_next} kr per invånare.")
    new, back, paused = [], [], []
    for a in ACTIVITIES:
        now, then, name = a.in_year(nxt), a.in_year(year), a.running_name
        if now and a.years == BIENNIAL:
            out.append(f"{_cap(name)}, som anordnas vartannat år, hålls nästa gång {nxt}.")
        elif now and not then:
            (back if year in a.skip_years else new).append(name)
        elif then and not now and nxt in a.skip_years:
            paused.append(name)
    if new:
        out.append(f"I handlingsplanen för {nxt} tillkommer {_join(new)}"
                   + (f", medan {_join(paused)} gör ett uppehåll." if paused else "."))
    elif paused:
        out.append(f"{_cap(_join(paused))} gör ett uppehåll {nxt}.")
    if back:
        out.append(f"{_cap(_join(back))} återkommer {nxt} efter ett års uppehåll.")
    return " ".join(out) or (f"Inför {nxt} fortsätter arbetet med att koppla nätverkens arbete närmare "
                             "verksamheternas egna utvecklingsprocesser.")


def _narrative(ctx: _Ctx, year: int, budget: list[dict], sessions: dict[str, list[dict]],
               evaluations: list[list]) -> list[str]:
    root = ctx.root / "narrative" / str(year)
    (root / "activities").mkdir(parents=True, exist_ok=True)
    members = [m for m in ctx.munis if m.member_in(year)]
    part_year = sum(1 for m in members if not (m.member_on(date(year, 1, 1)) and m.member_on(date(year, 12, 31))))
    n_members = f"{len(members)} kommuner medlemmar" + (
        "" if not part_year else ", en av dem under en del av året" if part_year == 1
        else f", {_num(part_year)} av dem under en del av året")
    meeting = "dialogmöte 1" if year >= 2023 else "RUN-riksdagen"
    rate = _rate(year)
    areas = ("de tre områdena attrahera, rekrytera samt behålla och utveckla inom kompetensförsörjning"
             if year >= 2023 else "samverkansmålen likvärdighet, systematiskt kvalitetsarbete och ledarskap, "
             "kompetensförsörjning samt digitalisering")
    facts = {r["activity"].suffix: _SessionFacts(sessions[r["code"]], r["activity"].unit) for r in budget}
    held = f" {facts['01']['datum_ort']}" if "01" in facts else ""
    news = "".join(f" {sentence}" for sentence in _year_news(ctx, year, sessions))
    board = f"sammanträtt vid {facts['02']['antal']}" if "02" in facts else "sammanträtt regelbundet"
    done = sum(1 for r in budget if sessions[r["code"]])
    done_text = ("Samtliga genomfördes under året" if done == len(budget)
                 else f"{_cap(_num(done)) if done <= 12 else done} av dem genomfördes under året")
    year_sessions = [s for r in budget for s in sessions[r["code"]]]
    places = _join(_campus_places(year_sessions))
    remote = any(s["form"] == "D" for s in year_sessions)
    mix = ("en blandning av träffar på campus och på distans" if places and remote
           else "träffar på campus" if places else "träffar på distans")
    before = _rate(year - 1)
    rate_text = f"{rate} kr per invånare" + (f" ({before} kr året innan)" if before != rate else "")
    municipal = sum(r["municipal"] for r in budget)
    municipal_before = sum(r["municipal"] for r in _budget(ctx, year - 1)) if year - 1 in ctx.years else None
    money = (f"Med ett bidrag från kommunerna på {rate_text} hade handlingsplanen en budget av kommunernas "
             f"medel på {_kr(municipal)}" + (f", mot {_kr(municipal_before)} året innan"
                                             if municipal_before is not None else "") + ".")
    opening = YEAR_TEXTS.get(str(year), YEAR_TEXTS["default"]).format_map(
        {f"a{suffix}": f for suffix, f in facts.items()})
    texts = {
        "introduction.md": f"""# Inledning

I det Regionala utvecklingsnätverket, RUN, samverkar kommunerna i Mittsverigeregionen och
Mittuniversitetet kring skolutveckling och skolledarskap; under {year} var {n_members}. I RUN ingår också
Specialpedagogiska skolmyndigheten, Region Jämtland Härjedalen och Kommunförbundet Västernorrland. RUN är
ett aktivt forum där beprövad erfarenhet och kunskap möter vetenskaplig kunskap.

Handlingsplanen för {year} antogs vid {meeting}{held} och utgår från {areas}.{news}

Planen omfattade {len(budget)} verksamheter: {_plan_parts(budget)}. {done_text}, med {mix}.
""",
        "organisation.md": f"""# Organisation

## {"Dialogmöte 1" if year >= 2023 else "RUN-riksdag"}

RUNs högsta beslutande organ är {"dialogmötet" if year >= 2023 else "RUN-riksdagen"}, som genomförs
torsdag–fredag vecka 9 varje år tillsammans med RUN-konferensen. Där representeras samtliga parter:
nämndsordförande och skolchef från varje kommun, prefekter från lärarutbildningens institutioner,
Specialpedagogiska skolmyndigheten, Region Jämtland Härjedalen och Kommunförbundet Västernorrland.
Vid mötet {year} beslutades om handlingsplan och budget för året.

## Ledningsgrupp

Ledningsgruppen ansvarar för den övergripande och strategiska ledningen av RUN och har under {year}
{board}.

## Utvecklingsnätverk

De operativa utvecklingsnätverken (västra och östra) har bidragit till utvärderingen av årets
kompetensutvecklingsaktiviteter och tillsammans med RUN-kansliet format handlingsplanen för {year + 1}.

## RUN-kansliet

Verksamheten samordnas av en medarbetargrupp vid Mittuniversitetet med verksamhetsledare,
koordinatorer och handläggare. Kansliet leder nätverken och kompetensutvecklingsaktiviteterna och
stödjer samverkan kring VFU, arbetsintegrerad lärarutbildning och praktiknära skolforskning.
""",
        "networks.md": f"""# Nätverk

Under {year} hade RUN nätverk för språk-, läs- och skrivutveckling, gymnasiesamverkan,
karriärlärare och digital kompetens. Nätverken samlar nyckelpersoner från kommunerna och
lärarutbildningen och planeras utifrån deltagarnas behov och önskemål.

{_funding_sentence(budget)}
""",
        "summary.md": f"""# Sammanfattning

{opening}

{_year_meetings(year, budget, sessions)}

{money} Medel som inte förbrukas under året förs över till nästa år i enlighet med avtalet.

{_satisfaction(evaluations)} {_next_year(year)}
""",
    }
    texts.update(_chapters(year))
    for name, text in texts.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(ctx.local(text), encoding="utf-8", newline="\n")
    missing = []
    for r in budget:
        a: Activity = r["activity"]
        if year == ctx.last_year and a.suffix == MISSING_NARRATIVE_SUFFIX:
            missing.append(r["code"])
            continue
        # target group, form and term come from the action plan; {fokus} is the activity's focus of the year
        text = a.text.format_map({**facts[a.suffix], "fokus": a.focus_in(year)}).strip()
        (root / "activities" / f"{r['code']}.md").write_text(ctx.local(f"# {a.name}\n\n{text}\n"),
                                                             encoding="utf-8", newline="\n")
    return missing


def _chapters(year: int) -> dict[str, str]:
    """The coordinator's free chapters (``kapitel/``), different each year, as in the model report:
    other collaboration (with a course table), collaboration with other RUCs, the year's theme."""
    courses = {2023: [("Specialpedagogik för lärare", 15, 22), ("Svenska som andraspråk 1–30", 30, 18)],
               2024: [("Specialpedagogik för lärare", 15, 25), ("Matematik för lärare åk 4–6", 15, 19),
                      ("Svenska som andraspråk 1–30", 30, 21)],
               2025: [("Matematik för lärare åk 4–6", 15, 23), ("Specialpedagogik för lärare", 15, 27),
                      ("Programmering och AI i undervisningen", 7.5, 31)]}[year] if year in (2023, 2024, 2025) else []
    table = "\n".join(["Tabell: Uppdragsutbildning inom Lärarlyftet " + str(year), "",
                        "| Kurs | Högskolepoäng | Deltagare |", "|---|---:|---:|"]
                       + [f"| {name} | {str(hp).replace('.', ',')} | {n} |" for name, hp, n in courses])
    ulf = next(a.name for a in ACTIVITIES if a.suffix == "18")  # as the action plan names it
    other = f"""# Annan samverkan

## {ulf}

Inom ULF-avtalet har skolhuvudmän och Mittuniversitetet under {year} fortsatt att utveckla
forskningsprojekt i nära samverkan med skolans verksamhet.

## Uppdragsutbildning och Lärarlyftet

Mittuniversitetet har under {year} gett följande kurser som uppdragsutbildning inom Lärarlyftet för
lärare i RUNs medlemskommuner.

{table}

## Arbetsintegrerad lärarutbildning, rektorsprogrammet och VFU

Samverkan kring den verksamhetsförlagda utbildningen (VFU) och den arbetsintegrerade lärarutbildningen
(AIL) har fortsatt under {year}, liksom kontakterna med Rektorsprogrammet.
"""
    ruc = f"""# Samverkan med andra RUC

RUN har under {year} deltagit i det nationella nätverket för regionala utvecklingscentrum (RUC) och
utbytt erfarenheter med andra lärosätens RUC om kompetensförsörjning och skolutveckling.
"""
    theme = {2023: ("Nya ramar för samverkan", "Från 2023 utgår samverkan från de tre samverkansområdena i "
                    "Ramar för samverkan inom RUN: attrahera, rekrytera samt behålla och utveckla."),
             2024: ("Kompetensförsörjning i hela regionen", "Under 2024 låg tyngdpunkten på att behålla och "
                    "utveckla lärare och skolledare i regionens mindre kommuner."),
             2025: ("AI i skolan", "Under 2025 startade webbinarieserien AI i undervisningen, som samlade "
                    "lärare från regionens kommuner kring generativ AI i undervisning och bedömning.")}
    out = {"kapitel/10_annan_samverkan.md": other}
    if year >= 2024:
        out["kapitel/20_samverkan_med_andra_ruc.md"] = ruc
    if year in theme:
        title, text = theme[year]
        out["kapitel/30_arets_tema.md"] = f"# Årets tema: {title}\n\n{text}\n"
    return out


# --------------------------------------------------------------------------------------
# Manifest
# --------------------------------------------------------------------------------------


def _count_rows(path: Path) -> str:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return str(z.read("xl/worksheets/sheet1.xml").count(b"<row ") - 1)
    if path.suffix == ".csv":
        raw = path.read_bytes()
        return str(max(0, sum(1 for line in raw.split(b"\r\n") if line.strip()) - 1))
    return ""


def _write_manifest(ctx: _Ctx, args: str, missing: list[str]) -> None:
    first_member = min(f for m in ctx.munis for f, _ in m.periods)
    lines = [
        f"# Demo data manifest ({ctx.tenant})",
        "",
        "Generated by `tools.demo.generator` — do not edit by hand; regenerate with:",
        "",
        f"    python -m tools.demo.generator {args}",
        "",
        "(`<out>` is `data/demo` for the committed demo.)",
        "",
        "All data is fictitious: people, e-mail addresses (`*.example`), org-number digits and amounts are "
        "invented. Municipality codes, names and approximate populations are real.",
        "",
        "## Files",
        "",
        "| file | encoding | rows | sha256 (first 16) |",
        "|---|---|---|---|",
    ]
    for path in sorted(ctx.inbox.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(ctx.root).as_posix()
        raw = path.read_bytes()
        if path.suffix == ".xlsx":
            enc = "xlsx"
        elif raw.startswith(b"\xef\xbb\xbf"):
            enc = "UTF-8 with BOM"
        else:
            enc = "cp1252"
        digest = hashlib.sha256(raw).hexdigest()[:16]
        lines.append(f"| `{rel}` | {enc} | {_count_rows(path)} | `{digest}` |")
    lines += [
        "",
        "Rows: data rows after the header, blank lines not counted; the ledger CSV count includes its "
        "trailing `Summa` row; the population file counts every non-blank line after the first.",
        "",
        "## Deliberately bad rows",
        "",
        "Row = 1-based data row after the header as a data steward counts it (blank lines skipped); "
        "line = physical line in the file (CSV, header is line 1) or sheet row (.xlsx, header is row 1).",
        "",
        "| file | row | line | field | what is wrong |",
        "|---|---|---|---|---|",
    ]
    for b in sorted(ctx.bad, key=lambda b: (b.file, b.row)):
        lines.append(f"| `{b.file}` | {b.row} | {b.line} | {b.fieldname} | {b.problem} |")
    lines += ["", "## Other deliberate features", ""]
    lines += [f"- {n}" for n in ctx.notes]
    lines += [
        "- Registrations come from two tools with different headings: `anmalningar_<year>_vt.csv` (cp1252, "
        "dates `d/m/yyyy`) and `registrations_<year>_ht.xlsx` (real Excel dates). A row goes to the VT "
        "file when its registration date is in January–June.",
        "- Organisation is written as SCB code (`2380`), name (`Östersund`), `Östersunds kommun`, or a partner "
        "spelling from `config/organisations.yaml`.",
        "- Some people register for several activities (same e-mail).",
        "- Ledger amounts use decimal comma and sometimes `12 500,00` or `12 500 kr`; each ledger CSV "
        "ends with a `Summa` total row; one year's ledger and one year's budget are .xlsx.",
        f"- Nordanstig (2132) is a member {first_member.isoformat()}..2022-12-31 and again from 2024-07-01 "
        "(not in 2023).",
        "- Agreement rates: " + ", ".join(f"{r.split(',')[0]} kr {f}" + (f"–{t}" if t != f else "")
                                           for f, t, r in _agreements(min(ctx.years), ctx.last_year)) + ".",
        "",
        "## Narrative",
        "",
    ]
    if missing:
        lines.append("Activities deliberately WITHOUT a staff text (the report must show a placeholder): "
                     + ", ".join(f"`{c}`" for c in missing) + ".")
    else:
        lines.append("Every activity has a staff text.")
    lines.append("")
    (ctx.root / "MANIFEST.md").write_text("\n".join(lines), encoding="utf-8", newline="\n")


# --------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------


def _generate_tenant(root: Path, tenant: str, spec, years: list[int], seed: int, scale: float,
                     args: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    munis = _build_municipalities(tenant, spec, seed, min(years))
    pop_years = range(min(2019, min(years) - 1), max(years) + 1)
    pop = _population(munis, pop_years, seed, tenant)
    prefix = re.sub(r"[^A-Z0-9]", "", tenant.upper())[:6] or "RUN"
    ctx = _Ctx(root, tenant, prefix, seed, scale, sorted(years), munis, pop)
    _write_members(ctx)
    _write_agreements(ctx)
    _write_population(ctx, pop_years)
    missing: list[str] = []
    for year in ctx.years:
        budget = _budget(ctx, year)
        _write_budget(ctx, year, budget)
        sessions = _sessions(ctx, year, budget)
        _write_sessions(ctx, year, sessions)
        regs = _registrations(ctx, year, budget, sessions)
        _write_registrations(ctx, year, regs)
        evaluations = _write_evaluations(ctx, year, regs, sessions)
        _write_ledger(ctx, year, _ledger(ctx, year, budget, sessions))
        missing += _narrative(ctx, year, budget, sessions, evaluations)
    _write_manifest(ctx, args, missing)
    return root


def generate(out_dir: str | Path, years: Sequence[int] = (2023, 2024, 2025), seed: int = 2026,
             scale: float = 1.0, tenants: Sequence[tuple[str, object]] | None = None) -> list[Path]:
    """Write demo data; returns the root folder of each tenant written.

    ``tenants=None`` writes the RUN demo directly under ``out_dir``; otherwise each
    ``(tenant_id, municipalities)`` goes to ``out_dir/<tenant_id>`` (see module docstring).
    """
    out = Path(out_dir)
    years = sorted(int(y) for y in years)
    args = f"--out <out> --years {' '.join(map(str, years))} " \
           f"--seed {seed}" + (f" --scale {scale}" if scale != 1.0 else "")
    if tenants is None:
        return [_generate_tenant(out, "RUN", None, years, seed, scale, args)]
    return [_generate_tenant(out / tid, tid, spec, years, seed, scale, args) for tid, spec in tenants]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.demo.generator", description=__doc__.split("\n")[0])
    p.add_argument("--out", default="data/demo")
    p.add_argument("--years", nargs="+", type=int, default=[2023, 2024, 2025])
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--tenant", action="append", default=None, metavar="ID[:N]",
                   help="write a tenant (repeatable); ID:N uses N synthetic municipalities, "
                        "plain ID the 19 RUN municipalities")
    ns = p.parse_args(argv)
    tenants = None
    if ns.tenant:
        tenants = []
        for t in ns.tenant:
            tid, _, n = t.partition(":")
            tenants.append((tid, int(n) if n else None))
    for root in generate(ns.out, ns.years, ns.seed, ns.scale, tenants):
        print(root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
