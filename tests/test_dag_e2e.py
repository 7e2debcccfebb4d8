"""The DAGs as a user runs them: a DagBag import check, and the annual report DAG end to end through
`airflow dags test` on a temporary Airflow home and SQLite warehouse, checked against figures
computed independently from the demo files (tests/demo_expectations.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import demo_expectations as expect
import pytest
from airflow_helpers import AIRFLOW, airflow_env
from docx_text import document_text

from runreport import sweformat

ROOT = Path(__file__).resolve().parents[1]
YEAR = 2025


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One real run of run_annual_report for the demo year, then a second run of the same year."""
    tmp = tmp_path_factory.mktemp("e2e")
    home = tmp / "airflow_home"
    home.mkdir()
    env = airflow_env(home, RUN_WAREHOUSE__URL=f"sqlite:///{tmp / 'warehouse.db'}", RUN_PATHS__OUTPUT=str(tmp / "out"))
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    runs = []
    for _ in range(2):
        p = subprocess.run([AIRFLOW, "dags", "test", "run_annual_report", "-c", json.dumps({"year": YEAR})],
                           env=env, capture_output=True, text=True, timeout=900)
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
        out = tmp / "out" / "RUN" / str(YEAR)
        runs.append({"docx": (out / f"verksamhetsberattelse_{YEAR}.docx").read_bytes(),
                     "summary": (out / "validation" / "sammanfattning.md").read_text(encoding="utf-8")})
    return {"tmp": tmp, "out": tmp / "out" / "RUN" / str(YEAR), "runs": runs, "env": env,
            "warehouse": f"sqlite:///{tmp / 'warehouse.db'}"}


def test_dagbag_imports_without_errors(tmp_path):
    code = ("from airflow.dag_processing.dagbag import DagBag; import json; "
            "b = DagBag({!r}); print(json.dumps({{'errors': {{k: str(v) for k, v in b.import_errors.items()}}, "
            "'dags': sorted(b.dags)}}))".format(str(ROOT / "dags")))
    p = subprocess.run([sys.executable, "-c", code], env=airflow_env(tmp_path), capture_output=True, text=True,
                       timeout=300)
    result = json.loads(p.stdout.strip().splitlines()[-1])
    assert result["errors"] == {}
    assert {"run_annual_report", "run_invoices"} <= set(result["dags"])




def test_report_shows_independently_computed_figures(demo_run):
    text = document_text(demo_run["out"] / f"verksamhetsberattelse_{YEAR}.docx")
    assert sweformat.kronor(expect.contribution_total(YEAR)) in text
    carry_over = expect.carry_over(YEAR)
    from decimal import ROUND_HALF_UP, Decimal

    # the meeting reads whole kronor (öre only in the invoice material)
    assert sweformat.kronor(Decimal(carry_over).quantize(Decimal(1), rounding=ROUND_HALF_UP)) in text
    participants = expect.participants(YEAR, {"Nätverk", "Aktiviteter"})
    assert f"Summa | {sweformat.number(participants)} |" in text
    assert "Verksamhetsberättelse 2025" in text


def test_contribution_table_and_summary_written(demo_run):
    import csv

    rows = list(csv.DictReader((demo_run["out"] / f"kommunbidrag_{YEAR}.csv").read_text(encoding="utf-8-sig")
                               .splitlines(), delimiter=";"))
    assert len(rows) == 19
    assert sum(int(r["amount_sek"]) for r in rows) == expect.contribution_total(YEAR)
    summary = demo_run["runs"][0]["summary"]
    assert "i karantän: 7" in summary  # the demo's deliberately bad rows (data/demo/MANIFEST.md)
    pages = sorted((demo_run["out"] / "validation" / "filer").glob("*.html"))
    assert len(pages) == 21   # one Swedish result page per file of the demo inbox
    page = next(p for p in pages if "huvudbok_2025" in p.name).read_text(encoding="utf-8")
    assert "Aktiviteten (projektet) finns i budgeten för 2025" in page and "godkänd" in page
    assert "1 rad klarade inte kontrollen" in page and "ca 5000" in page   # the demo's bad amount, named
    assert "https://" not in page   # works offline: nothing loaded from a CDN


def test_rerun_gives_same_report_and_warehouse(demo_run):
    from sqlalchemy import create_engine, text

    first, second = demo_run["runs"]
    assert _text_of(first["docx"]) == _text_of(second["docx"])
    assert first["summary"].split("\n", 3)[2] == second["summary"].split("\n", 3)[2]  # same row accounting
    eng = create_engine(demo_run["warehouse"])
    with eng.connect() as c:
        assert c.execute(text("select count(*) from ingested_file")).scalar() == 21
        assert c.execute(text("select count(*) from contribution where year = 2025")).scalar() == 19


def _text_of(data: bytes) -> str:
    import io

    import docx

    d = docx.Document(io.BytesIO(data))
    return "\n".join(p.text for p in d.paragraphs)


def test_no_personal_data_in_outputs(demo_run):
    """No e-mail address or name from the registration files reaches the report, summaries or log."""
    import re

    emails = set()
    for path in (expect.INBOX / "registrations").iterdir():
        emails |= {e.lower() for e in re.findall(r"[\w.+-]+@[\w-]+\.example", expect._rows_text(path))}
    assert emails
    local_parts = {e.split("@")[0] for e in emails}
    corpus = document_text(demo_run["out"] / f"verksamhetsberattelse_{YEAR}.docx").lower()
    for p in (demo_run["out"] / "validation").glob("*.*"):
        corpus += p.read_text(encoding="utf-8", errors="replace").lower()
    assert not any(e in corpus for e in emails)
    assert not any(lp in corpus for lp in local_parts if "." in lp)
