"""The demo year's report, opened with python-docx, checked table by table against the warehouse
(queried here through the ORM, not through the report's SQL), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from datetime import date
from decimal import Decimal

import demo_expectations as expect
import docx
import pytest
from docx.oxml.ns import qn
from sqlalchemy import select

from runreport import config, pipeline
from runreport.report import write_report
from runreport.sweformat import kronor, number
from runreport.warehouse import models as m

YEAR = 2025


def money(value) -> str:
    """Whole kronor, as the report prints every amount (rounded half up; öre only for finance)."""
    from decimal import ROUND_HALF_UP

    return kronor(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP), 0)


@pytest.fixture
def report(tmp_path, warehouse_url):
    inbox = tmp_path / "inbox"
    shutil.copytree(expect.INBOX, inbox)
    cfg = config.load(overrides={"warehouse": {"url": warehouse_url},
                                 "paths": {"inbox": str(inbox), "output": str(tmp_path / "out")}}, environ={})
    pipeline.collect_files(cfg, YEAR)
    pipeline.validate_files(cfg, YEAR, b"secret")
    pipeline.load_files(cfg, YEAR)
    pipeline.compute(cfg, YEAR)
    with pipeline.sessions(cfg)() as s:
        result = write_report(s, cfg, YEAR, report_date=date(2026, 2, 2), pdf=False)
    return cfg, docx.Document(str(result["docx"]))


def tables_by_caption(d) -> dict[str, list[list[str]]]:
    """Caption text (without 'Tabell N. ') -> rows of cell texts."""
    body = d.element.body
    out, caption = {}, None
    for el in body.iterchildren():
        if el.tag == qn("w:p"):
            text = "".join(t.text or "" for t in el.iter(qn("w:t")))
            if text.startswith("Tabell "):
                caption = text.split(". ", 1)[1]
        elif el.tag == qn("w:tbl") and caption:
            t = docx.table.Table(el, d)
            out[caption] = [[c.text for c in r.cells] for r in t.rows]
            caption = None
    return out


def test_report_tables_match_the_warehouse(report):
    cfg, d = report
    tables = tables_by_caption(d)
    with pipeline.sessions(cfg)() as s:
        contrib = s.scalars(select(m.Contribution).where(m.Contribution.year == YEAR)).all()
        names = {x.municipality_code: x.municipality_name for x in s.scalars(select(m.Member))}
        regs = s.execute(select(m.Registration.activity_code, m.Registration.status)
                         .where(m.Registration.year == YEAR)).all()
        acts = {a.activity_code: a for a in s.scalars(select(m.Activity).where(m.Activity.year == YEAR))}
        ledger = s.scalars(select(m.LedgerLine).where(m.LedgerLine.year == YEAR)).all()
        balance = s.scalars(select(m.Balance).where(m.Balance.year == YEAR)).one()

    # contribution per municipality and the total
    rows = tables[f"Kommunbidrag {YEAR} per kommun"]
    by_name = {r[0]: r for r in rows[1:]}
    for c in contrib:
        assert money(c.amount_sek) in by_name[names[c.municipality_code]], names[c.municipality_code]
    assert money(sum(c.amount_sek for c in contrib)) in rows[-1]

    # participants per activity
    participants = Counter(code for code, status in regs if status == "deltog")
    cmp_rows = {r[0]: r for r in tables[f"Antal deltagare per aktivitet {YEAR} jämfört med {YEAR - 1}"][1:]}
    for code, a in acts.items():
        if a.activity_name in cmp_rows:
            assert cmp_rows[a.activity_name][1] == number(participants[code]), a.activity_name

    # budget against outcome, in total
    total = tables[f"Budget och utfall {YEAR}: sammanställning"][-1]
    assert total[1] == money(sum(a.municipal_budget_sek for a in acts.values()))
    # the outcome split: external income on an activity pays its own costs first (docs/money-rules.md)
    costs, income = Counter(), Counter()
    for x in ledger:
        if "4000" <= x.account <= "7999":
            costs[x.activity_code] += x.amount_sek
        elif "3000" <= x.account <= "3999":
            income[x.activity_code] -= x.amount_sek
    external = {c: max(Decimal(0), min(income[c], costs[c])) if c in acts else Decimal(0) for c in costs}
    assert total[3] == money(sum(costs.values()) - sum(external.values()))
    assert total[4] == money(sum(external.values()))

    # carry-over
    carry = tables[f"Överskjutande medel {YEAR}"]
    assert carry[-1][1] == money(balance.closing_sek)


def test_report_structure_charts_and_language(report):
    cfg, d = report
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    for h in ("Inledning", "Organisation", "Nätverk", "Kompetensutvecklingsaktiviteter",
              "Deltagande jämfört med föregående år", "Samverkansområden", "Ekonomi", "Sammanfattning",
              "Året i siffror", "Deltagande per kommun", "Utveckling över åren"):
        assert h in headings, h
    assert "Bilaga: Datakvalitet" not in headings  # data-quality reasons are on the stewards' pages
    # the 2024 activities not in 2025's plan (the biennial, the paused course) are not "without participants"
    body = " ".join(p.text for p in d.paragraphs)
    assert "fanns inte med i 2025 års handlingsplan: Fritidshemsbiennalen" in body
    assert "hade inga deltagare 2025" not in body
    # 2023 onwards: the framework's own words (samverkansområden), never the 2020–2022 plan's
    assert "Samverkansmål" not in headings and "samverkansmål" not in d.core_properties.subject
    assert "samverkansområdena" in d.core_properties.subject
    docprs = list(d.element.body.iter(qn("wp:docPr")))
    assert docprs and all(dp.get("descr", "").startswith("Stapeldiagram") for dp in docprs)
    assert d.core_properties.language == "sv-SE" and d.core_properties.title
    lang = d.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:lang"))
    assert lang.get(qn("w:val")) == "sv-SE"
    text = "\n".join(p.text for p in d.paragraphs)
    assert "[Text saknas" in text  # the one activity without a narrative text (MANIFEST.md)
    assert "@" not in text  # no e-mail addresses


def test_a_rerun_keeps_an_unchanged_report_and_renders_a_changed_one(report):
    """The same content, template and code: the document is kept as it is (not rendered again);
    a document edited since, or a new report date, is rendered again."""
    cfg, _ = report
    from runreport.report import report_path

    out = report_path(cfg, YEAR)
    before, mtime = out.read_bytes(), out.stat().st_mtime_ns

    def again(day: int = 2):
        with pipeline.sessions(cfg)() as s:
            return write_report(s, cfg, YEAR, report_date=date(2026, 2, day), pdf=False)

    assert again()["docx"] == out
    assert out.stat().st_mtime_ns == mtime and out.read_bytes() == before
    out.write_bytes(b"edited by hand")
    again()
    assert out.read_bytes() == before                  # rendered again: the same bytes as the first time
    again(3)
    assert out.read_bytes() != before                  # another date on the title page
    assert not any(p.name.startswith(".") for p in cfg.output_dir(YEAR).iterdir() if p.suffix == ".docx")


def test_key_figures_trends_and_reach_match_the_warehouse(report):
    """'Året i siffror', the trends over every year in the warehouse and the participants per 1 000
    inhabitants, each recomputed here from the warehouse's rows with the ORM (not the report's SQL)."""
    cfg, d = report
    tables = tables_by_caption(d)
    with pipeline.sessions(cfg)() as s:
        sections = {(a.year, a.activity_code): a.section.casefold() for a in s.scalars(select(m.Activity))}
        took_part = [(r.year, r.person_key, r.org_code) for r in s.scalars(
            select(m.Registration).where(m.Registration.status == "deltog"))
            if sections.get((r.year, r.activity_code)) in ("aktiviteter", "nätverk")]
        balances = {b.year: b for b in s.scalars(select(m.Balance))}
        contrib = s.scalars(select(m.Contribution).where(m.Contribution.year == YEAR)).all()
        names = {x.municipality_code: x.municipality_name for x in s.scalars(select(m.Member))}
        overall = [e.q_overall for e in s.scalars(select(m.Evaluation).where(m.Evaluation.year == YEAR))
                   if e.q_overall is not None]

    def people(year):
        return len({p for y, p, _ in took_part if y == year})

    def participations(year):
        return sum(1 for y, _, _ in took_part if y == year)

    key = {r[0]: r[1:] for r in tables[f"Året i siffror {YEAR}"][1:]}
    assert key["Personer som deltog"][0] == number(people(YEAR))
    assert key["Personer som deltog"][1] == number(people(YEAR - 1))
    assert key["Deltagartillfällen"][0] == number(participations(YEAR))
    assert key["Kommunbidrag"][0] == money(sum(c.amount_sek for c in contrib))
    assert key["Utfall (kostnader)"][0] == money(balances[YEAR].costs_sek)
    assert key["Överskjutande medel till nästa år"][0] == money(balances[YEAR].closing_sek)
    reached = {o for y, _, o in took_part if y == YEAR} & {c.municipality_code for c in contrib}
    assert key["Medlemskommuner med deltagare"][0] == f"{len(reached)} av {len(contrib)}"
    assert key["Helhetsintryck, medelvärde (1–5)"][0] == number(Decimal(sum(overall)) / len(overall), 1)
    # the year before has its own figures in every row, not '–' (recomputed here with the ORM)
    with pipeline.sessions(cfg)() as s:
        before = YEAR - 1
        ran = {r.activity_code for r in s.scalars(select(m.Registration).where(
            m.Registration.year == before, m.Registration.status == "deltog"))
            if sections.get((before, r.activity_code)) in ("aktiviteter", "nätverk")}
        contrib_before = {c.municipality_code for c in s.scalars(select(m.Contribution).where(
            m.Contribution.year == before))}
        plan = s.scalars(select(m.Activity).where(m.Activity.year == before)).all()
    assert contrib_before and plan and ran
    reached_before = {o for y, _, o in took_part if y == before} & contrib_before
    assert key["Aktiviteter med deltagare"][1] == number(len(ran))
    assert key["Medlemskommuner med deltagare"][1] == f"{len(reached_before)} av {len(contrib_before)}"
    assert key["Budget (kommunernas och externa medel)"][1] == money(
        sum(a.municipal_budget_sek + (a.external_budget_sek or 0) for a in plan))
    assert key["Kommunbidrag"][1] == money(balances[before].contributions_sek)
    assert "–" not in key["Aktiviteter med deltagare"] + key["Budget (kommunernas och externa medel)"]

    (trend_caption,) = [c for c in tables if c.startswith("Utveckling ")]
    trend = {r[0]: r for r in tables[trend_caption][1:]}
    assert str(YEAR) in trend and len(trend) >= 2
    for year, row in trend.items():
        y = int(year)
        assert row[1] == number(people(y)) and row[2] == number(participations(y)), year
        if y in balances:
            assert row[3:] == [money(balances[y].contributions_sek), money(balances[y].costs_sek),
                               money(balances[y].closing_sek)], year

    reach = {r[0]: r for r in tables[f"Deltagande och kommunbidrag per kommun {YEAR}"][1:]}
    per_org = Counter(o for y, _, o in took_part if y == YEAR)
    for c in contrib:
        row = reach[names[c.municipality_code]]
        assert row[3] == number(per_org[c.municipality_code])
        assert row[4] == number(Decimal(per_org[c.municipality_code] * 1000) / c.population, 1)


def test_free_chapters_and_the_rebuild_command(report, tmp_path):
    """The coordinator's chapters (<narrative>/<year>/kapitel/*.md) appear in their files' order with
    their Markdown tables; `python -m runreport.report <year>` rebuilds the report from the warehouse
    alone, where the run writes it, and an unchanged report stays byte for byte the same."""
    import os
    import subprocess
    import sys

    cfg, d = report
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    order = [headings.index(h) for h in ("Annan samverkan", "Samverkan med andra RUC", "Årets tema: AI i skolan")]
    assert order == sorted(order) and headings.index("Kompetensutvecklingsaktiviteter") < order[0]
    courses = tables_by_caption(d)[f"Uppdragsutbildning inom Lärarlyftet {YEAR}"]
    assert courses[0] == ["Kurs", "Högskolepoäng", "Deltagare"] and ["Programmering och AI i undervisningen", "7,5",
                                                                     "31"] in courses
    from runreport.report import report_path

    out = report_path(cfg, YEAR)
    before = out.read_bytes()
    env = {**os.environ, "RUN_WAREHOUSE__URL": cfg.warehouse_url, "RUN_PATHS__OUTPUT": str(cfg.path("output")),
           "RUN_PATHS__INBOX": str(cfg.path("inbox"))}
    proc = subprocess.run([sys.executable, "-m", "runreport.report", str(YEAR), "--no-pdf", "--date", "2026-02-02"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert str(out) in proc.stdout and "byggdes om" in proc.stderr
    assert out.read_bytes() == before


def test_no_template_field_or_placeholder_code_is_printed(report):
    """A '{network}' left in a configured phrase was printed in every year's goals chapter."""
    _, d = report
    texts = [p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells]
    leftovers = [t for t in texts if re.search(r"[{}]|\$\{|%\(|\bNone\b|\bnan\b", t)]
    assert not leftovers, leftovers[:5]
