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
from runreport.invoicing.issue import prepare_invoices, reject_invoices, release_invoices
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
                 "invoicing": {"basis_pdf": False, **invoicing}}
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
        return list(s.scalars(select(Invoice).order_by(Invoice.number)))


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
    from docx import Document
    from openpyxl import load_workbook

    cfg = make_cfg(tmp_path / "out", warehouse_url)
    sessions = session_factory(warehouse_url)
    seed(sessions)
    inv_dir = cfg.output_dir(YEAR) / "invoices"

    # first run: one invoice per municipality, sequential numbers in municipality-code order
    with sessions() as s:
        first = prepare_invoices(s, cfg, YEAR, issue_date=date(YEAR, 1, 15))
    assert first["invoices"] == [f"RUN-{YEAR}-000{i}" for i in (1, 2, 3)]
    assert first["credit_notes"] == [] and first["unchanged"] == 0
    rows = register(sessions)
    assert [r.municipality_code for r in rows] == ["2281", "2321", "2380"]
    assert all(r.status == "prepared" and r.kind == "invoice" for r in rows)
    by_code = {r.municipality_code: r for r in rows}
    assert by_code["2380"].amount_sek == Decimal("925000.00")
    assert by_code["2380"].buyer_reference == "RUN-OSD-1"  # member row valid in the year
    assert by_code["2380"].due_date == date(YEAR, 2, 14)
    assert by_code["2321"].amount_sek == Decimal(round(12_345 * 2 * 6 / 12))
    for r in rows:
        assert Path(r.xml_path).parent == inv_dir / "prepared" and Path(r.xml_path).exists()
    assert not (inv_dir / "outbox").exists() or not list((inv_dir / "outbox").iterdir())

    # the basis shows the amount the Swedish way
    doc = Document(str(inv_dir / "underlag" / f"{by_code['2380'].number}_fakturaunderlag.docx"))
    text = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert sweformat.kronor(925000) in text and "925\u00a0000\u00a0kr" in text
    assert "Östersund" in text and format_orgnr(by_code["2380"].org_number) in text and "RUN-OSD-1" in text
    assert by_code["2380"].number in text and "2026-02-14" in text
    assert "Folkmängd per 31 december 2025" in text

    # re-run with unchanged amounts: nothing new
    with sessions() as s:
        again = prepare_invoices(s, cfg, YEAR)
    assert again["invoices"] == [] and again["credit_notes"] == [] and again["unchanged"] == 3
    assert len(register(sessions)) == 3

    # release what finance approved: first only the one the approval showed, then the others
    with sessions() as s:
        released = release_invoices(s, cfg, YEAR, numbers=[f"RUN-{YEAR}-0002"])
    assert [p.name for p in released] == [f"RUN-{YEAR}-0002.xml"]
    assert {r.number: r.status for r in register(sessions)}[f"RUN-{YEAR}-0001"] == "prepared"
    with sessions() as s:
        released = release_invoices(s, cfg, YEAR, numbers=[f"RUN-{YEAR}-0001", f"RUN-{YEAR}-0003"])
    assert sorted(p.name for p in released) == [f"RUN-{YEAR}-000{i}.xml" for i in (1, 3)]
    assert all(r.status == "released" and r.released_at for r in register(sessions))

    # a corrected population after issue: credit note for the old invoice + a new invoice
    set_population(sessions, "2281", 100_501)
    with sessions() as s:
        corr = prepare_invoices(s, cfg, YEAR)
    assert corr["credit_notes"] == [f"RUN-{YEAR}-0004"] and corr["invoices"] == [f"RUN-{YEAR}-0005"]
    rows = {r.number: r for r in register(sessions)}
    credit, new = rows[f"RUN-{YEAR}-0004"], rows[f"RUN-{YEAR}-0005"]
    old = rows[f"RUN-{YEAR}-0001"]
    assert old.municipality_code == "2281" and old.status == "released"  # never overwritten
    assert old.amount_sek == Decimal("200002.00")
    assert credit.kind == "credit_note" and credit.credited_invoice_id == old.id
    assert credit.amount_sek == old.amount_sek and credit.quantity == old.quantity
    assert new.kind == "invoice" and new.amount_sek == Decimal("201002.00")
    assert f"RUN-{YEAR}-0001" in Path(credit.xml_path).read_text(encoding="utf-8")  # BillingReference

    # finance rejects the correction: nothing reaches the outbox, numbers stay used
    with sessions() as s:
        rejected = reject_invoices(s, cfg, YEAR)
    assert rejected == [f"RUN-{YEAR}-0004", f"RUN-{YEAR}-0005"]
    assert sorted(p.name for p in (inv_dir / "outbox").iterdir()) == [f"RUN-{YEAR}-000{i}.xml" for i in (1, 2, 3)]
    assert {rows[n].number for n in rejected} == set(rejected)
    assert all(r.status == "rejected" for r in register(sessions) if r.number in rejected)
    assert all(Path(r.xml_path).parent.name == "rejected" for r in register(sessions) if r.number in rejected)

    # planned again: new numbers, never the rejected ones
    with sessions() as s:
        redo = prepare_invoices(s, cfg, YEAR)
    assert redo["credit_notes"] == [f"RUN-{YEAR}-0006"] and redo["invoices"] == [f"RUN-{YEAR}-0007"]
    with sessions() as s:
        release_invoices(s, cfg, YEAR)
    all_rows = register(sessions)
    numbers = [r.number for r in all_rows]
    assert numbers == [f"RUN-{YEAR}-{i:04d}" for i in range(1, 8)] and len(set(numbers)) == len(numbers)

    # the register spreadsheet lists every invoice and credit note with its status
    wb = load_workbook(inv_dir / f"fakturor_{YEAR}.xlsx")
    ws = wb.active
    header = [c.value for c in ws[1]]
    sheet = [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]
    assert [r["Nummer"] for r in sheet] == numbers
    for row, inv in zip(sheet, all_rows, strict=True):
        assert row["Status"] == inv.status
        assert row["Kommunkod"] == inv.municipality_code
        assert Decimal(str(row["Belopp exkl. moms"])) == inv.amount_sek
        assert row["Typ"] == ("Kreditnota" if inv.kind == "credit_note" else "Faktura")
        assert row["Fakturadatum"].date() == inv.issue_date
    assert sheet[5]["Krediterar"] == f"RUN-{YEAR}-0001"

    # every document written by the run (invoices, credit notes, rejected ones) passes Peppol BIS 3.0
    validator = REPO.parent / "shared" / "tools" / "peppol-validate" / "validate"
    if validator.exists():
        proc = subprocess.run([str(validator), "--no-warnings", *(r.xml_path for r in all_rows)],
                              capture_output=True, text=True, timeout=900, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_basis_pdf_when_soffice_present(tmp_path, caplog):
    """The PDF copy of the basis is made with LibreOffice when installed, else a clear log line."""
    import shutil

    from runreport.invoicing import basis

    url = f"sqlite:///{tmp_path / 'wh.db'}"
    migrate(url)
    cfg = make_cfg(tmp_path / "out", url, basis_pdf=True)
    sessions = session_factory(url)
    seed(sessions)
    with sessions() as s:
        summary = prepare_invoices(s, cfg, YEAR)
    underlag = cfg.output_dir(YEAR) / "invoices" / "underlag"
    first = underlag / f"{summary['invoices'][0]}_fakturaunderlag"
    if shutil.which("soffice"):
        assert first.with_suffix(".pdf").exists()
    else:
        assert first.with_suffix(".docx").exists()
        assert "soffice (LibreOffice) not found" in caplog.text
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
@pytest.mark.parametrize("answer", ["Approve", "Reject"])
def test_dag_human_approval(tmp_path, airflow_home, answer):
    wh = tmp_path / "warehouse.db"
    url = f"sqlite:///{wh}"
    migrate(url)
    seed(session_factory(url))
    get_engine(url).dispose()
    out = tmp_path / "out"
    outbox = out / "RUN" / str(YEAR) / "invoices" / "outbox"
    env = airflow_env(airflow_home, RUN_WAREHOUSE__URL=url, RUN_PATHS__OUTPUT=str(out),
                      RUN_INVOICING__BASIS_PDF="false")
    proc = subprocess.run([sys.executable, str(DRIVER), answer, str(YEAR), "ekonomi"],
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, (proc.stdout[-4000:], proc.stderr[-6000:])
    result = json.loads(lines[-1][len("RESULT "):])
    seen = result["seen"]
    assert seen.get("answered") == answer, result
    assert seen["outbox_files_before_answer"] == []  # nothing released before the human answered
    assert f"RUN-{YEAR}-0001" in seen["body"] and str(YEAR) in seen["subject"]
    tasks = result["tasks"]
    assert tasks["prepare"] == "success" and tasks["approval"] == "success"
    rows = register(session_factory(url))
    assert len(rows) == 3
    if answer == "Approve":
        assert tasks["release"] == "success" and tasks["reject"] == "skipped"
        assert sorted(p.name for p in outbox.iterdir()) == [f"RUN-{YEAR}-000{i}.xml" for i in (1, 2, 3)]
        assert {r.status for r in rows} == {"released"}
    else:
        assert tasks["reject"] == "success" and tasks["release"] == "skipped"
        assert not outbox.exists() or list(outbox.iterdir()) == []
        assert {r.status for r in rows} == {"rejected"}
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
    assert summary["pending_total_sv"].replace("\xa0", " ") == "1 137 347,00 kr"
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
