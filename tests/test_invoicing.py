"""Invoice issuing against a real warehouse (SQLite file and PostgreSQL), real files, and the
``run_invoices`` DAG with a real Human-in-the-loop approval (dag.test in a scratch AIRFLOW_HOME)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from airflow_helpers import airflow_env
from sqlalchemy import select
from stdnum import luhn

from runreport import config, sweformat
from runreport.invoicing.issue import prepare_invoices
from runreport.invoicing.release import reject_invoices, release_invoices
from runreport.orgnumber import InvalidOrgNumber, format_orgnr, normalise
from runreport.warehouse.engine import get_engine, migrate, session_factory
from runreport.warehouse.invoices import Invoice
from runreport.warehouse.models import Contribution, IngestedFile, Member

REPO = Path(__file__).resolve().parents[1]
YEAR = 2026
PG_DSN = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


# ---------------------------------------------------------------- helpers (invoicing fixtures)

def orgnr(prefix9: str) -> str:
    return prefix9 + luhn.calc_check_digit(prefix9)


MUNICIPALITIES = [
    # code, name, org number, reference, population, months
    ("2380", "Östersund", orgnr("212000238"), "RUN-OSD-1", 462_500, 12),  # 925 000 kr
    ("2281", "Sundsvall", orgnr("212000228"), "KS 4711", 100_001, 12),
    ("2321", "Åre", orgnr("212000232"), "Ref Åre", 12_345, 6),  # pro rata
]


def make_cfg(output: Path, warehouse_url: str, **invoicing) -> config.Config:
    overrides = {"warehouse": {"url": warehouse_url}, "paths": {"output": str(output)},
                 "invoicing": {"basis_pdf": False, "peppol_validator": "", **invoicing}}
    return config.load(overrides, environ={})


def seed(sessions, year: int = YEAR, rate: Decimal = Decimal("2.00")) -> None:  # noqa: ANN001
    with sessions() as s:
        f = IngestedFile(tenant="RUN", source="members", file_name="medlemmar.xlsx", slot="members/medlemmar",
                         year=None, checksum=uuid.uuid4().hex, size_bytes=1, status="loaded",
                         rows_in=3, rows_loaded=3, rows_quarantined=0, ingested_at=datetime.now())
        s.add(f)
        s.flush()
        for code, name, org, ref, pop, months in MUNICIPALITIES:
            # an old member row (other reference) that is no longer valid in the year
            s.add(Member(tenant="RUN", municipality_code=code, municipality_name=name, county="X",
                         subnetwork="x", org_number=org, buyer_reference="GAMMAL", valid_from=date(2015, 1, 1),
                         valid_to=date(year - 2, 12, 31), file_id=f.id))
            s.add(Member(tenant="RUN", municipality_code=code, municipality_name=name, county="X",
                         subnetwork="x", org_number=org, buyer_reference=ref, valid_from=date(year - 1, 1, 1),
                         valid_to=None, file_id=f.id))
            amount = int((Decimal(pop) * rate * months / 12).to_integral_value())
            s.add(Contribution(tenant="RUN", year=year, municipality_code=code, population=pop,
                               population_year=year - 1, rate_sek=rate, months=months, amount_sek=amount))
        s.commit()


def set_population(sessions, code: str, population: int) -> None:  # noqa: ANN001
    with sessions() as s:
        c = s.scalars(select(Contribution).where(Contribution.municipality_code == code)).one()
        c.population = population
        c.amount_sek = int((Decimal(population) * c.rate_sek * c.months / 12).to_integral_value())
        s.commit()


def register(sessions) -> list[Invoice]:  # noqa: ANN001
    with sessions() as s:
        return list(s.scalars(select(Invoice).order_by(Invoice.id)))


def _pg_available() -> bool:
    try:
        import psycopg2

        psycopg2.connect(dbname="postgres", connect_timeout=3, **PG_DSN).close()
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(scope="session")
def pg_server():
    if not _pg_available():
        if os.environ.get("RUN_REQUIRE_SERVICES") == "1":
            pytest.fail("PostgreSQL on 127.0.0.1:5432 is required (RUN_REQUIRE_SERVICES=1) but not reachable")
        pytest.skip("PostgreSQL on 127.0.0.1:5432 not reachable (set RUN_REQUIRE_SERVICES=1 to fail instead)")
    return PG_DSN


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def warehouse_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'warehouse.db'}"
        migrate(url)
        yield url
        get_engine(url).dispose()
        return
    import psycopg2

    dsn = request.getfixturevalue("pg_server")
    name = f"runreport_inv_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(dbname="postgres", **dsn)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg2://{dsn['user']}@{dsn['host']}:{dsn['port']}/{name}"
    try:
        migrate(url)
        yield url
    finally:
        get_engine(url).dispose()
        conn.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


# ---------------------------------------------------------------- organisation numbers

def test_orgnumber_normalise_and_luhn():
    good = orgnr("212000238")
    assert normalise(f"{good[:6]}-{good[6:]}") == good
    assert format_orgnr(good) == f"{good[:6]}-{good[6:]}"
    bad = good[:9] + str((int(good[9]) + 1) % 10)
    with pytest.raises(InvalidOrgNumber, match=bad):
        normalise(bad)
    with pytest.raises(InvalidOrgNumber, match="10"):
        normalise("12345")
    # The example in the brief, 212000-2723, has a wrong check digit (Luhn gives 6).
    with pytest.raises(InvalidOrgNumber, match="212000-2723"):
        normalise("212000-2723")
    assert normalise("212000-2726") == "2120002726"


# ---------------------------------------------------------------- issuing, re-run, correction

def test_issue_rerun_correct_release_reject(tmp_path, warehouse_url):
    """Drafts at prepare, numbers at release: a rejected or superseded draft burns no number, the
    released documents are numbered 0001…N without a gap, and the register says why each ended."""
    from docx import Document
    from openpyxl import load_workbook

    cfg = make_cfg(tmp_path / "out", warehouse_url)
    sessions = session_factory(warehouse_url)
    seed(sessions)
    inv_dir = cfg.output_dir(YEAR) / "invoices"
    D = f"UTKAST-RUN-{YEAR}"

    # first run: one draft per municipality, in municipality-code order; no invoice number yet
    with sessions() as s:
        first = prepare_invoices(s, cfg, YEAR, issue_date=date(YEAR, 1, 15))
    assert first["invoices"] == [f"{D}-000{i}" for i in (1, 2, 3)]
    assert first["credit_notes"] == [] and first["unchanged"] == 0
    rows = register(sessions)
    assert [r.municipality_code for r in rows] == ["2281", "2321", "2380"]
    assert all(r.status == "prepared" and r.kind == "invoice" and r.number is None for r in rows)
    by_code = {r.municipality_code: r for r in rows}
    assert by_code["2380"].amount_sek == Decimal("925000.00")
    assert by_code["2380"].buyer_reference == "RUN-OSD-1"  # member row valid in the year
    assert by_code["2321"].amount_sek == Decimal(round(12_345 * 2 * 6 / 12))
    for r in rows:
        assert Path(r.xml_path).parent == inv_dir / "prepared" and Path(r.xml_path).exists()
    assert not (inv_dir / "outbox").exists() or not list((inv_dir / "outbox").iterdir())

    # the draft's basis shows the amount the Swedish way and says the number comes at release
    doc = Document(str(inv_dir / "underlag" / f"{by_code['2380'].draft_id}_fakturaunderlag.docx"))
    text = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert sweformat.kronor(925000) in text and "925\u00a0000\u00a0kr" in text
    assert "Östersund" in text and format_orgnr(by_code["2380"].org_number) in text and "RUN-OSD-1" in text
    assert "numret ges när fakturan skickas" in text
    assert "Bidrag per invånare\n2,00\u00a0kr" in text   # a rate in öre, as on the invoice and the approval
    assert "Folkmängd per 31 december 2025" in text

    # re-run with unchanged amounts: nothing new
    with sessions() as s:
        again = prepare_invoices(s, cfg, YEAR)
    assert again["invoices"] == [] and again["credit_notes"] == [] and again["unchanged"] == 3
    assert again["pending"] == first["invoices"] and len(register(sessions)) == 3

    # finance rejects the batch: a reason is required, and no number is used
    with sessions() as s, pytest.raises(ValueError, match="skäl"):
        reject_invoices(s, cfg, YEAR, reason="  ")
    with sessions() as s:
        rejected = reject_invoices(s, cfg, YEAR, reason="Fel referens för Åre", decided_by="ekonomi")
    assert rejected == first["invoices"]
    assert all(r.status == "rejected" and r.number is None and r.decision == "Avslagen: Fel referens för Åre"
               and r.decided_by == "ekonomi" for r in register(sessions))
    assert all(Path(r.xml_path).parent.name == "rejected" for r in register(sessions))

    # prepared again: new drafts; finance releases one, then the others, a week later
    with sessions() as s:
        redo = prepare_invoices(s, cfg, YEAR, issue_date=date(YEAR, 1, 20))
    assert redo["invoices"] == [f"{D}-000{i}" for i in (4, 5, 6)]
    with sessions() as s:
        released = release_invoices(s, cfg, YEAR, drafts=[f"{D}-0005"], release_date=date(YEAR, 1, 22))
    assert [p.name for p in released] == [f"RUN-{YEAR}-0001.xml"]
    with sessions() as s:
        released = release_invoices(s, cfg, YEAR, drafts=[f"{D}-0004", f"{D}-0006"], release_date=date(YEAR, 1, 29),
                                    decided_by="ekonomi")
    assert [p.name for p in released] == [f"RUN-{YEAR}-0002.xml", f"RUN-{YEAR}-0003.xml"]
    live = {r.draft_id: r for r in register(sessions)}
    assert live[f"{D}-0005"].number == f"RUN-{YEAR}-0001" and live[f"{D}-0005"].municipality_code == "2321"
    osd = live[f"{D}-0006"]
    assert osd.number == f"RUN-{YEAR}-0003" and osd.status == "released" and osd.released_at
    assert osd.issue_date == date(YEAR, 1, 29) and osd.due_date == date(YEAR, 2, 28)  # dated when sent
    assert osd.decided_by == "ekonomi" and osd.decision == "Godkänd och skickad av ekonomi"
    outbox_xml = Path(osd.xml_path).read_text(encoding="utf-8")
    assert f"<cbc:ID>RUN-{YEAR}-0003</cbc:ID>" in outbox_xml and "UTKAST" not in outbox_xml
    assert not (inv_dir / "prepared" / f"{D}-0006.xml").exists()   # the draft became the sent document
    doc = Document(str(inv_dir / "underlag" / f"RUN-{YEAR}-0003_fakturaunderlag.docx"))
    text = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert f"RUN-{YEAR}-0003" in text and "2026-02-28" in text and "utkast" not in text

    # a manifest per released batch: file, checksum, buyer, amount (Swedish decimal comma)
    manifests = sorted((inv_dir / "outbox").glob("leverans_*.csv"))
    assert [m.name for m in manifests] == [f"leverans_{YEAR}_RUN-{YEAR}-0001_RUN-{YEAR}-0001.csv",
                                           f"leverans_{YEAR}_RUN-{YEAR}-0002_RUN-{YEAR}-0003.csv"]
    lines = manifests[1].read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith('"Fil";"SHA-256";"Typ";"Fakturanummer"')
    assert f'"RUN-{YEAR}-0003.xml";"{osd.checksum}";"Faktura";"RUN-{YEAR}-0003"' in lines[2]
    assert '"Östersund"' in lines[2] and '"925000,00"' in lines[2]

    # a corrected population after release: credit note for the old invoice + a new invoice (drafts)
    set_population(sessions, "2281", 100_501)
    with sessions() as s:
        corr = prepare_invoices(s, cfg, YEAR)
    assert corr["credit_notes"] == [f"{D}-0007"] and corr["invoices"] == [f"{D}-0008"]
    live = {r.draft_id: r for r in register(sessions)}
    credit, new, old = live[f"{D}-0007"], live[f"{D}-0008"], live[f"{D}-0004"]
    assert old.municipality_code == "2281" and old.status == "released"  # never overwritten
    assert old.amount_sek == Decimal("200002.00")
    assert credit.kind == "credit_note" and credit.credited_invoice_id == old.id
    assert credit.amount_sek == old.amount_sek and credit.quantity == old.quantity
    assert new.kind == "invoice" and new.amount_sek == Decimal("201002.00")
    assert old.number in Path(credit.xml_path).read_text(encoding="utf-8")  # BillingReference: a real number

    # corrected again before anyone released the correction: the new draft is superseded, not credited
    set_population(sessions, "2281", 100_601)
    with sessions() as s:
        again = prepare_invoices(s, cfg, YEAR)
    assert again["superseded"] == [f"{D}-0008"] and again["invoices"] == [f"{D}-0009"]
    assert again["credit_notes"] == [] and again["pending"] == [f"{D}-0007", f"{D}-0009"]
    with sessions() as s:
        release_invoices(s, cfg, YEAR, release_date=date(YEAR, 3, 2))
    all_rows = register(sessions)
    numbers = sorted(r.number for r in all_rows if r.number)
    assert numbers == [f"RUN-{YEAR}-{i:04d}" for i in range(1, 6)]   # unbroken: 0001…0005, none burned
    assert {r.draft_id: r.status for r in all_rows}[f"{D}-0008"] == "superseded"
    assert sorted(p.name for p in (inv_dir / "outbox").glob("*.xml")) == [f"{n}.xml" for n in numbers]

    # the register spreadsheet lists every document: numbered ones first, then drafts, with the decision
    wb = load_workbook(inv_dir / f"fakturor_{YEAR}.xlsx")
    ws = wb.active
    header = [c.value for c in ws[1]]
    sheet = [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]
    assert [r["Nummer"] for r in sheet][:5] == numbers and len(sheet) == len(all_rows)
    by_draft = {r.draft_id: r for r in all_rows}
    for row in sheet:
        inv = by_draft[row["Utkast"]]
        assert row["Status"] == inv.status and row["Kommunkod"] == inv.municipality_code
        assert Decimal(str(row["Belopp exkl. moms"])) == inv.amount_sek
        assert row["Typ"] == ("Kreditnota" if inv.kind == "credit_note" else "Faktura")
        assert row["Fakturadatum"].date() == inv.issue_date
    assert {r["Utkast"]: r["Beslut"] for r in sheet}[f"{D}-0001"] == "Avslagen: Fel referens för Åre"
    assert {r["Utkast"]: r["Status (sv)"] for r in sheet}[f"{D}-0008"] == "ersatt av nytt utkast"
    assert {r["Nummer"]: r["Krediterar"] for r in sheet}[credit_number(all_rows)] == old.number

    # every document written (released, drafts, rejected) passes Peppol BIS 3.0
    validator = REPO.parent / "shared" / "tools" / "peppol-validate" / "validate"
    if validator.exists():
        proc = subprocess.run([str(validator), "--no-warnings", *(r.xml_path for r in all_rows)],
                              capture_output=True, text=True, timeout=900, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_document_breaking_the_peppol_rules_is_not_released(tmp_path):
    """The real validator runs on the numbered documents before release: a seller country that is no
    ISO 3166 code (Peppol's BR-CL-14, fatal), set in the configuration after the drafts were made,
    stops the whole release; no number is used and the outbox stays empty."""
    from runreport.invoicing.peppol import PeppolRejected

    validator = REPO.parent / "shared" / "tools" / "peppol-validate" / "validate"
    if not validator.exists():
        if os.environ.get("RUN_REQUIRE_SERVICES") == "1":
            pytest.fail(f"the Peppol validator is required in CI: {validator}")
        pytest.skip(f"the Peppol validator is not beside the project ({validator})")
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    migrate(url)
    cfg = make_cfg(tmp_path / "out", url, peppol_validator=str(validator))
    broken = make_cfg(tmp_path / "out", url, peppol_validator=str(validator),
                      seller={**cfg.invoicing.seller.model_dump(), "country": "ZZ"})
    sessions = session_factory(url)
    seed(sessions)
    with sessions() as s:
        prepare_invoices(s, cfg, YEAR)
    with sessions() as s, pytest.raises(PeppolRejected, match="Peppol BIS Billing 3.0"):
        release_invoices(s, broken, YEAR)
    outbox = cfg.output_dir(YEAR) / "invoices" / "outbox"
    assert list(outbox.iterdir()) == []
    assert all(r.status == "prepared" and r.number is None for r in register(sessions))
    with sessions() as s:   # the configuration put right: the first number is still 0001
        released = release_invoices(s, cfg, YEAR)
    assert [p.name for p in released] == [f"RUN-{YEAR}-000{i}.xml" for i in (1, 2, 3)]
    get_engine(url).dispose()


def _released_year(tmp_path):  # noqa: ANN202
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    migrate(url)
    cfg = make_cfg(tmp_path / "out", url)
    sessions = session_factory(url)
    seed(sessions)
    with sessions() as s:
        prepare_invoices(s, cfg, YEAR)
    return cfg, sessions


def test_a_credit_note_and_its_new_invoice_are_one_decision(tmp_path):
    """Releasing the new invoice without the credit note (or rejecting only one of them) would leave
    two invoices in force for one municipality, or none: a choice that splits them is refused."""
    cfg, sessions = _released_year(tmp_path)
    with sessions() as s:
        release_invoices(s, cfg, YEAR, release_date=date(YEAR, 1, 20))
    set_population(sessions, "2281", 100_501)
    with sessions() as s:
        corr = prepare_invoices(s, cfg, YEAR)
    credit, new = corr["credit_notes"][0], corr["invoices"][0]
    for choose in (release_invoices, reject_invoices):
        for one in (credit, new):
            kwargs = {"release_date": date(YEAR, 2, 1)} if choose is release_invoices else {"reason": "Fel"}
            with sessions() as s, pytest.raises(ValueError, match="hör ihop"):
                choose(s, cfg, YEAR, drafts=[one], **kwargs)
    assert {r.draft_id: r.status for r in register(sessions)}[credit] == "prepared"
    with sessions() as s:
        release_invoices(s, cfg, YEAR, drafts=[credit, new], release_date=date(YEAR, 2, 1))
    numbers = sorted(r.number for r in register(sessions) if r.number)
    assert numbers == [f"RUN-{YEAR}-{i:04d}" for i in range(1, 6)]
    with sessions() as s:   # one invoice in force per municipality: the next prepare has nothing to do
        assert prepare_invoices(s, cfg, YEAR)["pending"] == []


def test_a_failed_release_leaves_no_basis_and_never_touches_the_outbox(tmp_path, monkeypatch):
    from runreport.invoicing import basis

    cfg, sessions = _released_year(tmp_path)
    inv_dir = cfg.output_dir(YEAR) / "invoices"
    register_before = (inv_dir / f"fakturor_{YEAR}.xlsx").read_bytes()

    # the second numbered basis cannot be written: the first one must not stay behind
    real, calls = basis.write_docx, []

    def second_fails(inv, cfg_, path, **kw):  # noqa: ANN001, ANN202
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(inv, cfg_, path, **kw)

    monkeypatch.setattr(basis, "write_docx", second_fails)
    with sessions() as s, pytest.raises(OSError, match="disk full"):
        release_invoices(s, cfg, YEAR, release_date=date(YEAR, 1, 20))
    monkeypatch.setattr(basis, "write_docx", real)
    assert not list((inv_dir / "underlag").glob(f"RUN-{YEAR}-*")), "a basis for a number never issued"
    assert not list((inv_dir / "outbox").glob("*.xml"))
    assert (inv_dir / f"fakturor_{YEAR}.xlsx").read_bytes() == register_before
    assert all(r.status == "prepared" and r.number is None for r in register(sessions))

    # a document already in the outbox under the next number is neither rewritten nor removed
    stray = inv_dir / "outbox" / f"RUN-{YEAR}-0001.xml"
    stray.write_bytes(b"<Invoice>already handed over</Invoice>")
    with sessions() as s, pytest.raises(RuntimeError, match="finns redan i utkorgen"):
        release_invoices(s, cfg, YEAR, release_date=date(YEAR, 1, 20))
    assert stray.read_bytes() == b"<Invoice>already handed over</Invoice>"
    assert sorted(p.name for p in (inv_dir / "outbox").iterdir()) == [stray.name]
    stray.unlink()
    with sessions() as s:
        released = release_invoices(s, cfg, YEAR, release_date=date(YEAR, 1, 20))
    assert [p.name for p in released] == [f"RUN-{YEAR}-000{i}.xml" for i in (1, 2, 3)]


def test_the_approval_never_offers_a_partners_link(tmp_path):
    """A buyer reference or name holding an address stays text under GFM renderers that link bare
    URLs, www. addresses and e-mail addresses (Airflow renders the approval with remark-gfm)."""
    import re

    import mistune
    from markdown_it import MarkdownIt

    from runreport.invoicing.approval_text import markdown, text

    url = f"sqlite:///{tmp_path / 'wh.db'}"
    migrate(url)
    cfg = make_cfg(tmp_path / "out", url)
    sessions = session_factory(url)
    seed(sessions)
    hostile = {"2380": "Ny bankgiro: https://betala-kommunbidrag.se/run | <b>x</b>",
               "2281": "Sundsvall www.betala-kommunbidrag.se", "2321": "frågor: ekonomi@betala-kommunbidrag.se"}
    with sessions() as s:
        for m in s.scalars(select(Member)):
            m.buyer_reference = hostile[m.municipality_code]
        s.commit()
    with sessions() as s:
        body = markdown(prepare_invoices(s, cfg, YEAR), "https://airflow.example")
    for render in (MarkdownIt("gfm-like").render, mistune.create_markdown(plugins=["table", "url"])):
        page = render(body)
        links = [h for h in re.findall(r'href="([^"]+)"', page) if "airflow.example" not in h]
        assert links == [], links
        assert "<b>" not in page and "betala-kommunbidrag.se/run" in page
    table = [ln for ln in body.splitlines() if ln.startswith("| ") and "UTKAST" in ln]
    assert len(table) == 3 and all(ln.count(" | ") == 8 for ln in table), table
    assert text("Östersund") == "Östersund" and text("RUN-OSD-1") == "RUN-OSD-1"


def credit_number(rows) -> str:  # noqa: ANN001
    return next(r.number for r in rows if r.kind == "credit_note")


def test_basis_pdf_when_soffice_present(tmp_path, caplog, monkeypatch):
    """The PDF copy of every basis is made with LibreOffice when installed (one LibreOffice process and
    one parse of the Word template for the whole batch), else a clear log line naming the bases."""
    import shutil
    import subprocess as sp

    import docx as python_docx

    from runreport.invoicing import basis
    from runreport.report import pdf as report_pdf
    from runreport.report.pdf import page_texts

    url = f"sqlite:///{tmp_path / 'wh.db'}"
    migrate(url)
    cfg = make_cfg(tmp_path / "out", url, basis_pdf=True)
    sessions = session_factory(url)
    seed(sessions)
    soffice_runs, parses = [], []
    real_run, real_document = sp.run, python_docx.Document

    def run(cmd, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202 (the real run, counted)
        soffice_runs.append(cmd)
        return real_run(cmd, *a, **kw)

    def document(*a, **kw):  # noqa: ANN002, ANN003, ANN202 (the real parse, counted)
        parses.append(a)
        return real_document(*a, **kw)

    monkeypatch.setattr(report_pdf.subprocess, "run", run)
    monkeypatch.setattr(python_docx, "Document", document)
    with sessions() as s:
        summary = prepare_invoices(s, cfg, YEAR)
    underlag = cfg.output_dir(YEAR) / "invoices" / "underlag"
    assert len(summary["invoices"]) == 3 and len(parses) == 1, parses
    if shutil.which("soffice"):
        assert len(soffice_runs) == 1, soffice_runs
        amounts = {}
        with sessions() as s:
            for inv in s.scalars(select(Invoice)):
                amounts[inv.draft_id] = basis.kr(inv.total_sek)
        for draft in summary["invoices"]:
            text = " ".join(page_texts(underlag / f"{draft}_fakturaunderlag.pdf") or []).replace("\u00a0", " ")
            assert "Fakturaunderlag" in text and amounts[draft].replace("\u00a0", " ") in text, (draft, text)
    else:
        assert sorted(p.name for p in underlag.iterdir()) == sorted(f"{d}_fakturaunderlag.docx"
                                                                   for d in summary["invoices"])
        assert "LibreOffice (soffice) saknas" in caplog.text and summary["invoices"][0] in caplog.text
    assert basis.kr(Decimal("32561.50")) == "32\u00a0561,50\u00a0kr"
    get_engine(url).dispose()


# ---------------------------------------------------------------- the DAG with Human-in-the-loop

DRIVER = REPO / "scripts" / "answer_invoice_approval.py"  # shared with the demo



@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow_home")
    env = airflow_env(home)
    proc = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return home


@pytest.mark.slow
@pytest.mark.parametrize("answer,reason", [("Approve", None), ("Reject", "Fel folkmängd för Åre"), ("Reject", "")])
def test_dag_human_approval(tmp_path, airflow_home, answer, reason):
    """The run as finance lives it: the approval names every municipality and amount; "Godkänn och
    skicka" numbers the drafts 0001…N into the outbox with a manifest; "Avslå" needs a reason, which
    the register keeps; "Avslå" without one does nothing and the step asks again (a new try)."""
    wh = tmp_path / "warehouse.db"
    url = f"sqlite:///{wh}"
    migrate(url)
    seed(session_factory(url))
    get_engine(url).dispose()
    out = tmp_path / "out"
    outbox = out / "RUN" / str(YEAR) / "invoices" / "outbox"
    env = airflow_env(airflow_home, RUN_WAREHOUSE__URL=url, RUN_PATHS__OUTPUT=str(out),
                      RUN_INVOICING__BASIS_PDF="false")
    # "Avslå" without a reason is refused and asked again: finance then gives one
    then = ["Reject", "Skälet glömdes först"] if reason == "" else []
    proc = subprocess.run([sys.executable, str(DRIVER), answer, str(YEAR), "ekonomi",
                           *([] if reason is None else [reason]), *then],
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, (proc.stdout[-4000:], proc.stderr[-6000:])
    result = json.loads(lines[-1][len("RESULT "):])
    seen = result["seen"]
    assert seen.get("answered") == answer, result
    assert seen["outbox_files_before_answer"] == []  # nothing released before the human answered
    assert seen["form"] == ["skal"], seen   # the UI's form has the reason field Avslå needs
    body = seen["body"]
    assert str(YEAR) in seen["subject"]
    for name, code, amount in (("Östersund", "2380", "925\u00a0000\u00a0kr"), ("Sundsvall", "2281", "200\u00a0002\u00a0kr"),
                               ("Åre", "2321", "12\u00a0345\u00a0kr")):
        row = next(ln for ln in body.splitlines() if f"{name} ({code})" in ln)
        assert amount in row and "2,00\u00a0kr" in row, row
    assert "6 av 12" in body and f"UTKAST-RUN-{YEAR}-0001" in body and "RUN-OSD-1" in body
    assert "Att fakturera totalt:** 1\u00a0137\u00a0347\u00a0kr" in body, body
    assert f"/run-stewards/files/RUN/{YEAR}/invoices/fakturor_{YEAR}.xlsx" in body
    tasks = result["tasks"]
    assert tasks["prepare"] == "success"
    rows = register(session_factory(url))
    assert len(rows) == 3
    if answer == "Approve":
        assert tasks["approval"] == "success" and tasks["release"] == "success" and tasks["reject"] == "skipped"
        assert sorted(p.name for p in outbox.glob("*.xml")) == [f"RUN-{YEAR}-000{i}.xml" for i in (1, 2, 3)]
        assert [p.name for p in outbox.glob("leverans_*.csv")] == [f"leverans_{YEAR}_RUN-{YEAR}-0001_RUN-{YEAR}-0003.csv"]
        assert {r.status for r in rows} == {"released"} and {r.decided_by for r in rows} == {"ekonomi"}
    elif reason:
        assert tasks["approval"] == "success" and tasks["reject"] == "success" and tasks["release"] == "skipped"
        assert not outbox.exists() or list(outbox.iterdir()) == []
        assert {(r.status, r.number, r.decision) for r in rows} == {("rejected", None, f"Avslagen: {reason}")}
    else:   # "Avslå" without a reason: refused (nothing done) and asked again; the second answer counts
        assert seen["answers"] == ["Reject", "Reject"], seen
        assert tasks["approval"] == "success" and tasks["reject"] == "success" and result["run"] == "success"
        assert not outbox.exists() or list(outbox.iterdir()) == []
        assert {(r.status, r.number, r.decision) for r in rows} == {("rejected", None, "Avslagen: Skälet glömdes först")}
    get_engine(url).dispose()


def test_run_config_cannot_change_the_payee_account_and_approval_shows_it(tmp_path, monkeypatch):
    """Issue 12: the Variable run_config (and RUN_* overrides) may not redirect the payments; the
    finance connection decides, the approval summary shows payee, account and total, and invoices
    prepared with one account are never released with another."""
    import json as _json

    url = f"sqlite:///{tmp_path / 'wh.db'}"
    migrate(url)
    sessions = session_factory(url)
    seed(sessions)
    attacker = {"invoicing": {"seller": {"iban": "SE1212341234123412341234", "org_number": "5560000000",
                                         "bic": "EVILSESS"}}}
    base = {"warehouse": {"url": url}, "paths": {"output": str(tmp_path / "out")}, "invoicing": {"basis_pdf": False}}
    # bank details in the settings are refused outright, naming each, from the Variable or the environment
    from runreport.settings import SettingsError

    with pytest.raises(SettingsError, match=r"invoicing\.seller\.iban.*invoicing\.seller\.org_number") as refused:
        config.load({**base, "invoicing": {**attacker["invoicing"], "basis_pdf": False}})
    assert "invoicing.seller.bic" in str(refused.value)
    with pytest.raises(SettingsError, match=r"invoicing\.seller\.iban"):
        config.load(base, environ={"RUN_INVOICING__SELLER__IBAN": "SE9999999999999999999999"})
    cfg = config.load(base, environ={})
    with sessions() as s:
        summary = prepare_invoices(s, cfg, YEAR, issue_date=date(YEAR, 1, 15))
    assert summary["payee_iban"] == "SE45 5000 0000 0583 9825 7466"
    assert summary["payee_org_number"] == "2021002841" and summary["payee"] == "Mittuniversitetet"
    assert summary["pending_total_sv"].replace("\xa0", " ") == "1 137 347 kr"   # whole kronor: no ",00"
    xml = Path(register(sessions)[0].xml_path).read_text(encoding="utf-8")
    assert "SE4550000000058398257466" in xml and "SE1212341234123412341234" not in xml and "5560000000" not in xml
    # finance's connection changes between prepare and release: nothing is released
    monkeypatch.setenv("AIRFLOW_CONN_RUN_PAYEE_RUN", _json.dumps(
        {"conn_type": "generic", "extra": {"org_number": "2021002841", "iban": "SE3550000000054910000003"}}))
    with sessions() as s, pytest.raises(RuntimeError, match="förbereddes med bankkontot SE4550000000058398257466"):
        release_invoices(s, cfg, YEAR)
    assert not (cfg.output_dir(YEAR) / "invoices" / "outbox").exists() or not list(
        (cfg.output_dir(YEAR) / "invoices" / "outbox").glob("*.xml"))


def test_missing_finance_connection_refuses(tmp_path, monkeypatch):
    from runreport.invoicing.payee import PayeeMissing, payee

    monkeypatch.delenv("AIRFLOW_CONN_RUN_PAYEE_KALMAR", raising=False)
    with pytest.raises(PayeeMissing, match="run_payee_kalmar"):
        payee("KALMAR")


def test_a_harness_hands_the_payee_over_only_in_code_and_only_for_the_block(monkeypatch):
    """payee.supplied (the benchmark runs the steps without Airflow): inside the block the given payee,
    another tenant still refused; outside it the finance connection again; no environment reaches it."""
    from runreport import demo_payees
    from runreport.invoicing.payee import PayeeMissing, payee, supplied

    monkeypatch.delenv("AIRFLOW_CONN_RUN_PAYEE_KALMAR", raising=False)
    given = demo_payees.payee("RUN")
    assert given.iban == "SE4550000000058398257466"
    with supplied({"KALMAR": given}):
        assert payee("KALMAR") == given
        with pytest.raises(PayeeMissing, match="OTHER"):
            payee("OTHER")
    with pytest.raises(PayeeMissing, match="run_payee_kalmar"):
        payee("KALMAR")


def test_only_finances_answer_in_this_run_releases_or_rejects():
    """Issue 12: an approval step marked done by hand (no answer), or an answer for the other
    branch, lets nothing happen; an answer covers exactly what the approval showed."""
    from runreport.invoicing.approval import NoApproval, documents_answered

    summary = {"pending": ["RUN-2026-0004", "RUN-2026-0005"]}
    assert documents_answered(["release"], summary, "release") == ["RUN-2026-0004", "RUN-2026-0005"]
    assert documents_answered(["reject"], summary, "reject") == summary["pending"]
    for result in (None, [], ["reject"], "reject"):
        with pytest.raises(NoApproval, match="inget görs"):
            documents_answered(result, summary, "release")
    with pytest.raises(NoApproval):
        documents_answered(["release"], summary, "reject")


def test_run_config_cannot_switch_the_network_whose_payee_is_used():
    """Issue 12: 'tenant' in the Variable run_config would pick another network's bank account."""
    from runreport import tenants

    assert config.load(overrides={"tenant": "KALMAR"}, environ={}).tenant == "RUN"
    assert tenants.load_tenant("KALMAR", overrides={"tenant": "RUN"}, environ={}).tenant == "KALMAR"
    for bad in ("../pipeline", "/tmp/evil", "kalmar "):
        with pytest.raises(KeyError):
            tenants.load_tenant(bad, environ={})


# ---------------------------------------------------------------- bases in one batch (adversarial review)
@pytest.fixture
def libreoffice():
    from conftest import skip_or_fail

    from runreport.report.pdf import find_soffice

    if find_soffice() is None:
        skip_or_fail("LibreOffice (soffice) saknas: fakturaunderlagens PDF kan inte prövas")


def _year(tmp_path, **inv):
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    migrate(url)
    cfg = make_cfg(tmp_path / "out", url, **inv)
    sessions = session_factory(url)
    seed(sessions)
    return cfg, sessions


def test_each_basis_is_independent_of_the_one_before(tmp_path):
    """Bases made one after another from one Template hold only their own municipality, and the
    template itself is not changed by making them."""
    from docx import Document

    from runreport.invoicing import basis

    cfg, sessions = _year(tmp_path)
    with sessions() as s:
        prepare_invoices(s, cfg, YEAR)
    rows = register(sessions)
    t = basis.Template()
    before = t._doc.element.xml
    names = {}
    for i in range(3):
        for inv in rows:
            p = tmp_path / f"b{i}_{inv.municipality_code}.docx"
            basis.write_docx(inv, cfg, p, template=t)
            names[p] = inv.municipality_name
    assert t._doc.element.xml == before
    for p, name in names.items():
        d = Document(str(p))
        text = "\n".join([x.text for x in d.paragraphs] + [c.text for tb in d.tables for r in tb.rows for c in r.cells])
        others = {n for n in names.values() if n != name}
        assert name in text and not any(o in text for o in others), (p.name, text)
        assert len(d.tables) == 1 and len(d.paragraphs) == 4, (p.name, len(d.paragraphs))


def test_an_interruption_during_the_pdf_batch_leaves_no_basis_for_a_number_never_issued(tmp_path, monkeypatch, libreoffice):
    """release_invoices promises: if anything fails nothing is released, no number is used and no file
    stays. An interruption while the batch's LibreOffice runs (Ctrl-C of a manual run) arrives after it
    wrote the PDFs it finished, before they are in the all-or-nothing list (found in review)."""
    from runreport.report import pdf as report_pdf

    cfg, sessions = _year(tmp_path, basis_pdf=True)
    with sessions() as s:
        prepare_invoices(s, cfg, YEAR)
    real = subprocess.run

    def interrupted(cmd, *a, **kw):  # the real conversion, then the interruption
        real(cmd, *a, **kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(report_pdf.subprocess, "run", interrupted)
    with sessions() as s, pytest.raises(KeyboardInterrupt):
        release_invoices(s, cfg, YEAR, release_date=date(YEAR, 1, 20))
    assert all(r.number is None and r.status == "prepared" for r in register(sessions))   # rolled back
    underlag = cfg.output_dir(YEAR) / "invoices" / "underlag"
    left = sorted(p.name for p in underlag.glob(f"RUN-{YEAR}-*"))
    assert left == [], f"bases for numbers never issued: {left}"


def test_a_libreoffice_error_exit_keeps_no_pdf_of_the_batch(tmp_path, monkeypatch, libreoffice):
    """LibreOffice converted every document and then exited non-zero (a crash at shutdown): its PDFs
    are not kept (unconfirmed), so a later failure in the same transaction leaves nothing behind for
    draft ids that were rolled back (found in review)."""
    from runreport.invoicing import basis
    from runreport.report import pdf as report_pdf

    cfg, sessions = _year(tmp_path, basis_pdf=True)
    real = subprocess.run

    def crash_at_exit(cmd, *a, **kw):
        done = real(cmd, *a, **kw)
        return subprocess.CompletedProcess(done.args, 139, done.stdout, done.stderr)

    monkeypatch.setattr(report_pdf.subprocess, "run", crash_at_exit)

    def register_fails(*a, **kw):
        raise OSError("disk full")

    monkeypatch.setattr(basis, "write_register", register_fails)
    with sessions() as s, pytest.raises(OSError):
        prepare_invoices(s, cfg, YEAR)
    assert register(sessions) == []
    underlag = cfg.output_dir(YEAR) / "invoices" / "underlag"
    left = sorted(p.name for p in underlag.glob("*")) if underlag.exists() else []
    assert left == [], f"bases for drafts never issued: {left}"


def test_a_hung_libreoffice_holds_a_chunk_of_bases_minutes_not_the_batch_hours(tmp_path, monkeypatch):
    """A hung LibreOffice holds the prepare's open transaction (and its lock on the number series):
    the batch goes in chunks, each allowed minutes, and a timed-out chunk keeps no PDF."""
    from runreport.report import pdf as report_pdf

    seen = []

    def fake(cmd, *a, timeout=None, **kw):
        seen.append(timeout)
        Path(cmd[-1]).with_suffix(".pdf").write_bytes(b"%PDF half")   # what a killed conversion leaves
        raise subprocess.TimeoutExpired(cmd, timeout)

    monkeypatch.setattr(report_pdf, "find_soffice", lambda: "/bin/true")
    monkeypatch.setattr(report_pdf.subprocess, "run", fake)
    docs = [tmp_path / f"{i}.docx" for i in range(290)]
    out = report_pdf.to_pdfs(docs)
    assert all(v is None for v in out.values()) and not list(tmp_path.glob("*.pdf"))
    assert len(seen) == 15 and max(seen) <= 180 + 19 * 10, seen


def test_a_basis_keeps_only_the_styles_it_uses(tmp_path):
    """The basis template drops python-docx's 160 unused styles and its latent ones (350 kB of XML
    each basis copied and wrote again), and keeps every style the basis applies, with what they are
    based on: the heading is still a Heading 1 in Calibri's Normal, the table still has its grid."""
    from docx import Document

    from runreport.invoicing import basis

    cfg, sessions = _year(tmp_path)
    with sessions() as s:
        prepare_invoices(s, cfg, YEAR)
    inv = register(sessions)[0]
    d = Document(str(basis.write_docx(inv, cfg, tmp_path / "b.docx", template=basis.Template())))
    names = {s.name for s in d.styles}
    used = {p.style.name for p in d.paragraphs} | {t.style.name for t in d.tables}
    assert used == {"Normal", "Heading 1", "Table Grid"} and used <= names
    assert len(names) <= 8 and not list(d.styles.latent_styles), sorted(names)
    assert d.styles["Heading 1"].base_style.name == "Normal" and d.styles["Normal"].font.name == "Calibri"
    assert d.styles["Table Grid"].base_style.name == "Normal Table"


def test_the_configured_approvers_are_the_approvals_assigned_users(monkeypatch):
    """``invoicing.approvers`` (user ids, docs/operations.md) become the approval step's assigned users.
    Read as dicts they raised inside the DAG file's guard, and anyone allowed on the DAG could approve."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("run_invoices_under_test", REPO / "dags" / "run_invoices.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setenv("RUN_INVOICING__APPROVERS", "[ekonomi.anna, ekonomi.bo]")
    spec.loader.exec_module(module)
    assert module._approvers() == [{"id": "ekonomi.anna", "name": "ekonomi.anna"},
                                   {"id": "ekonomi.bo", "name": "ekonomi.bo"}]
    approval = module.invoices_dag.get_task("approval")
    assert [u["id"] for u in approval.assigned_users] == ["ekonomi.anna", "ekonomi.bo"]
    monkeypatch.delenv("RUN_INVOICING__APPROVERS")
    assert module._approvers() is None   # none configured: Airflow's own rights decide
