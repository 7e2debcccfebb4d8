"""The report's content built from a small warehouse, on SQLite and PostgreSQL.

Uses the ``warehouse_url`` fixture of ``conftest.py`` (PostgreSQL on 127.0.0.1:5432 as user
postgres in a scratch database; skipped when unreachable unless RUN_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime
from decimal import Decimal

import pytest
from docx import Document

from runreport import config
from runreport.report import write_report
from runreport.report.build import build_content
from runreport.sql import run_sql
from runreport.warehouse import models as m
from runreport.warehouse.engine import get_engine, migrate, session_factory

T, Y = "RUN", 2021

ACTIVITIES = [  # (year, code, name, section, goals, form, municipal budget, funder, external budget)
    (Y, "2021-A01", "Att leda lärande och utveckling", "Aktiviteter", "1, 3", "CD", 100000, "Skolverket", 20000),
    (Y, "2021-A02", "Mentor i förskola och skola", "Aktiviteter", "2", "C", 50000, None, None),
    (Y, "2021-N01", "Nätverk för språk-, läs- och skrivutveckling", "Nätverk", "1", "D", 30000, "NCS", 10000),
    (Y, "2021-N02", "IKT-nätverk", "Nätverk", "4", "D", 5000, None, None),
    (Y, "2021-O01", "RUN-riksdag", "Organisation", None, "C", 175000, "Delt.avg.", None),
    (Y - 1, "2020-A07", "Att leda lärande och utveckling", "Aktiviteter", "1", "D", 90000, None, None),
    (Y - 1, "2020-A08", "Kulturanalys", "Aktiviteter", "1", "D", 10000, None, None),
]

REGISTRATIONS = [  # (year, code, org, status)
    *[(Y, "2021-A01", "2380", "deltog")] * 3,
    *[(Y, "2021-A01", "2281", "deltog")] * 2,
    (Y, "2021-A01", "SPSM", "deltog"),
    (Y, "2021-A01", "2380", "avbokad"),
    (Y, "2021-A01", "2281", "anmäld"),
    *[(Y, "2021-A02", "2281", "deltog")] * 2,
    (Y, "2021-A02", "XYZ", "deltog"),
    *[(Y, "2021-N01", "2380", "deltog")] * 2,
    *[(Y - 1, "2020-A07", "2380", "deltog")] * 4,
    (Y - 1, "2020-A07", "2281", "avbokad"),
]

EVALUATIONS = [  # (code, overall, relevance, apply, free text)
    ("2021-A01", 5, 4, 4, "Bra <&> {{ namn }}"),
    ("2021-A01", 4, 4, 3, None),
    ("2021-A01", 5, 5, 5, None),
    ("2021-A01", 3, 4, 4, None),
]

LEDGER = [  # (code, account, amount): costs positive, income negative
    ("2021-A01", "5611", 30000), ("2021-A01", "6110", 5000.5), ("2021-A01", "3100", -20000),
    ("2021-O01", "5611", 10000), ("2021-N01", "4010", 2500), ("9999-Z99", "6990", 1000),
]

CONTRIBUTIONS = [("2380", "Östersund", 64000), ("2281", "Sundsvall", 398500)]
RATE = Decimal(2)


def _populate(url: str) -> None:
    migrate(url)
    now = datetime(2022, 1, 10, 8, 0)
    with session_factory(url)() as s:
        files = {}
        for i, (source, year) in enumerate([("budget", Y), ("registrations", Y), ("evaluations", Y),
                                            ("finance", Y), ("members", None), ("budget", Y - 1),
                                            ("registrations", Y - 1)], start=1):
            f = m.IngestedFile(tenant=T, source=source, file_name=f"{source}_{year}.csv", slot=f"{source}_{year}",
                               year=year, checksum=f"{i:064d}", size_bytes=100, status="loaded", rows_in=20,
                               rows_loaded=18, rows_quarantined=2, ingested_at=now)
            s.add(f)
            s.flush()
            files[(source, year)] = f.id
        # a replaced file whose quarantined rows must not count
        old = m.IngestedFile(tenant=T, source="registrations", file_name="old.csv", slot="registrations_old",
                             year=Y, checksum="f" * 64, size_bytes=1, status="replaced", rows_in=5,
                             rows_loaded=0, rows_quarantined=5, ingested_at=now)
        s.add(old)
        s.flush()
        for code, name, _pop in CONTRIBUTIONS:
            s.add(m.Member(tenant=T, municipality_code=code, municipality_name=name, county="X", subnetwork="x",
                           org_number="2120000000", buyer_reference="ref", valid_from=date(2020, 1, 1),
                           valid_to=None, file_id=files[("members", None)]))
        for year, code, name, section, goals, form, budget, funder, ext in ACTIVITIES:
            s.add(m.Activity(tenant=T, year=year, activity_code=code, activity_name=name, section=section,
                             target_group="Lärare", form=form, goals=goals, term="VT",
                             municipal_budget_sek=Decimal(budget), external_funder=funder,
                             external_budget_sek=None if ext is None else Decimal(ext),
                             file_id=files[("budget", year)]))
        for n, (code, d, form, place) in enumerate([("2021-A01", date(2021, 2, 3), "C", "Sundsvall"),
                                                    ("2021-A01", date(2021, 3, 3), "D", None),
                                                    ("2021-A02", date(2021, 9, 1), "C", "Östersund")]):
            s.add(m.ActivitySession(tenant=T, year=Y, activity_code=code, session_no=n + 1, session_date=d,
                                    form=form, place=place, seats=30, file_id=files[("budget", Y)]))
        for n, (year, code, org, status) in enumerate(REGISTRATIONS):
            s.add(m.Registration(tenant=T, year=year, activity_code=code, person_key=f"p{n:04d}", org_code=org,
                                 role="lärare", registration_date=date(year, 1, 5), status=status,
                                 file_id=files[("registrations", year)], source_row=n + 2))
        for n, (code, o, r, a, text) in enumerate(EVALUATIONS):
            s.add(m.Evaluation(tenant=T, year=Y, response_id=f"r{n}", activity_code=code, session_no=1,
                               org_code="2380", role=None, q_overall=o, q_relevance=r, q_apply=a, free_text=text,
                               submitted_date=date(Y, 3, 4), file_id=files[("evaluations", Y)], source_row=n + 2))
        for n, (code, account, amount) in enumerate(LEDGER):
            s.add(m.LedgerLine(tenant=T, year=Y, voucher_no=f"V{n}", line_no=1, booking_date=date(Y, 5, 1),
                               account=account, activity_code=code, counterparty=None,
                               amount_sek=Decimal(str(amount)), text="x", file_id=files[("finance", Y)]))
        for code, _name, pop in CONTRIBUTIONS:
            s.add(m.Contribution(tenant=T, year=Y, municipality_code=code, population=pop, population_year=Y - 1,
                                 rate_sek=RATE, months=12, amount_sek=int(RATE * pop)))
        costs = sum(Decimal(str(a)) for _c, acc, a in LEDGER if "4000" <= acc <= "7999")
        income = -sum(Decimal(str(a)) for _c, acc, a in LEDGER if "3000" <= acc <= "3999")
        contrib = sum(RATE * p for _c, _n, p in CONTRIBUTIONS)
        s.add(m.Balance(tenant=T, year=Y - 1, opening_sek=0, contributions_sek=0, external_income_sek=0,
                        costs_sek=0, closing_sek=Decimal(100000)))
        s.add(m.Balance(tenant=T, year=Y, opening_sek=Decimal(100000), contributions_sek=contrib,
                        external_income_sek=income, costs_sek=costs,
                        closing_sek=Decimal(100000) + contrib + income - costs))
        for n, (source, reason, year) in enumerate([("registrations", "Okänd kommun", Y)] * 3
                                                    + [("registrations", "Ogiltigt datum", Y),
                                                       ("finance", "Belopp saknas", Y),
                                                       ("registrations", "Gammal orsak", "old")]):
            fid = old.id if year == "old" else files[(source, year)]
            s.add(m.QuarantinedRow(tenant=T, file_id=fid, source=source, file_name="f.csv", row_number=n + 2,
                                   field=None, rule="r", reason_sv=reason, reason_en=reason, raw=None))
        s.commit()


@pytest.fixture
def built(warehouse_url, tmp_path):
    _populate(warehouse_url)
    narrative = tmp_path / "narrative"
    (narrative / str(Y) / "activities").mkdir(parents=True)
    (narrative / str(Y) / "introduction.md").write_text(
        "# Inledning\n\nI RUN samverkar **19 kommuner**. Mall: {{ namn }} <&>\n", encoding="utf-8")
    (narrative / str(Y) / "activities" / "2021-A01.md").write_text("Aktiviteten riktar sig till ledare.",
                                                                     encoding="utf-8")
    orgs = tmp_path / "organisations.yaml"
    orgs.write_text("SPSM: [SPSM, Specialpedagogiska skolmyndigheten]\n", encoding="utf-8")
    cfg = config.load(overrides={"warehouse": {"url": warehouse_url},
                                 "paths": {"output": str(tmp_path / "output"), "narrative": str(narrative),
                                           "organisations": str(orgs)}}, environ={})
    with session_factory(warehouse_url)() as s:
        content = build_content(s, cfg, Y, report_date=date(2022, 2, 14))
        result = write_report(s, cfg, Y, report_date=date(2022, 2, 14), pdf=False)
    yield cfg, content, result
    get_engine.cache_clear()


def _expected_participants(year: int) -> Counter:
    return Counter(code for y, code, _org, status in REGISTRATIONS if y == year and status == "deltog")


def test_participants_per_activity(built):
    _cfg, content, _ = built
    exp = _expected_participants(Y)
    acts = {a.activity_code: a for a in content.activities}
    # Aktiviteter always; Nätverk only with registrations; Organisation never
    assert set(acts) == {"2021-A01", "2021-A02", "2021-N01"}
    for code, a in acts.items():
        assert a.participants == exp[code]
    a01 = acts["2021-A01"]
    assert (a01.registered, a01.cancelled) == (7, 1)
    per_org = {o.name: o.participants for o in a01.per_organisation}
    assert per_org == {"Östersund": 3, "Sundsvall": 2, "SPSM": 1}
    assert [s.session_date for s in a01.sessions] == [date(2021, 2, 3), date(2021, 3, 3)]
    assert a01.goals == ("1", "3")
    assert a01.description_missing is False and acts["2021-A02"].description_missing is True
    assert any("XYZ" in w for w in content.warnings)  # unknown organisation code


def test_evaluation_summary(built):
    _cfg, content, _ = built
    ev = next(a for a in content.activities if a.activity_code == "2021-A01").evaluation
    assert ev.responses == len(EVALUATIONS)
    assert ev.response_rate == pytest.approx(len(EVALUATIONS) / _expected_participants(Y)["2021-A01"])
    overall = ev.questions[0]
    assert overall.distribution == (0, 0, 1, 1, 2)
    assert overall.mean == pytest.approx(sum(e[1] for e in EVALUATIONS) / len(EVALUATIONS))


def test_previous_year_comparison(built):
    _cfg, content, _ = built
    comp = {r.activity_name: r for r in content.comparison}
    prev = _expected_participants(Y - 1)["2020-A07"]
    row = comp["Att leda lärande och utveckling"]
    assert (row.participants, row.previous, row.change) == (6, prev, 6 - prev)
    assert comp["Mentor i förskola och skola"].previous is None  # new: shown as "ny"


def test_budget_contribution_and_carry_over(built):
    _cfg, content, _ = built
    eco = content.economy
    planned = [a for a in ACTIVITIES if a[0] == Y]
    assert eco.budget_total_sek == sum(Decimal(a[6]) for a in planned)
    assert eco.external_budget_total_sek == sum(Decimal(a[8] or 0) for a in planned)
    costs = sum(Decimal(str(a)) for _c, acc, a in LEDGER if "4000" <= acc <= "7999")
    assert eco.outcome_total_sek == costs  # includes the unplanned code under 'Övrigt'
    by_code = {b.activity_code: b for b in eco.budget}
    assert by_code["2021-A01"].outcome_sek == Decimal("35000.50")
    assert by_code["9999-Z99"].section == "Övrigt"
    # the outcome split: the 20 000 kr of external income booked on 2021-A01 pays its own costs first
    assert by_code["2021-A01"].outcome_external_sek == Decimal(20000)
    assert by_code["2021-A01"].outcome_municipal_sek == Decimal("15000.50")
    assert by_code["2021-O01"].outcome_external_sek == 0 and by_code["9999-Z99"].outcome_external_sek == 0
    sums = {s: tuple(v) for s, *v in eco.section_sums()}
    assert sums["Aktiviteter"] == (Decimal(150000), Decimal(20000), Decimal("15000.50"), Decimal(20000))
    assert [b.section for b in eco.budget][0] == "Organisation"
    assert eco.contribution_total_sek == sum(RATE * p for _c, _n, p in CONTRIBUTIONS) == Decimal(925000)
    bal = eco.balance
    assert bal.opening_sek == Decimal(100000)
    assert bal.closing_sek == Decimal(100000) + Decimal(925000) + Decimal(20000) - costs
    assert not any("går inte ihop" in w or "skiljer sig" in w for w in content.warnings)


def test_goal_matrix_and_quality(built):
    _cfg, content, _ = built
    gm = content.goal_matrix
    assert gm.period == "2020–2022" and [c for c, _ in gm.goals] == ["1", "2", "3", "4"]
    assert dict(gm.rows)["Att leda lärande och utveckling"] == ("1", "3")
    reasons = {(r.source, r.reason): r.rows for r in content.data_quality.reasons}
    assert reasons == {("registrations", "Okänd kommun"): 3, ("registrations", "Ogiltigt datum"): 1,
                       ("finance", "Belopp saknas"): 1}


def test_placeholders_and_document(built):
    _cfg, content, result = built
    assert any("organisation.md" in w for w in content.warnings)
    assert content.section("Organisation").has_placeholder
    assert not content.section("Inledning").has_placeholder
    docx = result["docx"]
    assert docx.name == f"verksamhetsberattelse_{Y}.docx" and docx.exists()
    doc = Document(io.BytesIO(docx.read_bytes()))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Mall: {{ namn }} <&>" in text
    assert "[Text saknas: beskrivning av Mentor i förskola och skola" in text
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "925\u00a0000\u00a0kr" in cells
    assert result["warnings"]


def test_sql_files_run_alone(built, warehouse_url):
    cfg, _content, _ = built
    with session_factory(warehouse_url)() as s:
        rows = run_sql(s, "participants_per_activity", sql_dir=cfg.path("sql"), tenant=T, year=Y)
        assert {r["activity_code"]: int(r["participants"]) for r in rows}["2021-A01"] == 6
        with pytest.raises(ValueError):
            run_sql(s, "../secrets", tenant=T, year=Y)
