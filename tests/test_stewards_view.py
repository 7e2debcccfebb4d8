"""The stewards' view: the run page (runreport.run_summary) and the Airflow plugin that serves the output
folder (plugins/run_stewards.py), through FastAPI's TestClient: listing, files, relative links,
login required, and no way out of the output folder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from runreport import run_summary

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "plugins") not in sys.path:
    sys.path.insert(0, str(ROOT / "plugins"))

import run_stewards  # noqa: E402


@pytest.fixture
def outputs(tmp_path, monkeypatch):
    """An output folder as a finished 2025 run leaves it, plus its staging area and a secret next to it."""
    out = tmp_path / "output"
    year_dir = out / "RUN" / "2025"
    (year_dir / "validation" / "data_docs").mkdir(parents=True)
    (year_dir / "validation" / "gx_stores").mkdir()
    (year_dir / "invoices" / "outbox").mkdir(parents=True)
    (year_dir / "verksamhetsberattelse_2025.docx").write_bytes(b"PK\x03\x04 docx")
    (year_dir / "kommunbidrag_2025.csv").write_text("municipality_code;amount_sek\n2380;130000\n", encoding="utf-8")
    (year_dir / "validation" / "sammanfattning.html").write_text("<h1>Validering</h1>", encoding="utf-8")
    (year_dir / "validation" / "data_docs" / "index.html").write_text("<h1>Docs</h1>", encoding="utf-8")
    (year_dir / "validation" / "filer").mkdir()
    (year_dir / "validation" / "filer" / "001-huvudbok_2025.csv.html").write_text("<h1>Fil</h1>", encoding="utf-8")
    (year_dir / "validation" / "gx_stores" / "result.json").write_text("{}", encoding="utf-8")
    (year_dir / "invoices" / "outbox" / "RUN-2025-0001.xml").write_text("<Invoice/>", encoding="utf-8")
    (year_dir / ".hidden.html").write_text("hidden", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("top secret", encoding="utf-8")
    (year_dir / "link.txt").symlink_to(tmp_path / "secret.txt")
    collected = [
        {"source": "registrations", "file_name": "anmalningar_2025_vt.csv", "year": 2025, "status": "new"},
        {"source": "members", "file_name": "members_2020-2025.csv", "year": None, "status": "unchanged"},
        {"source": "ledger", "file_name": "huvudbok_2025.csv", "year": 2025, "status": "new"},
    ]
    outcomes = [
        {"source": "registrations", "file_name": "anmalningar_2025_vt.csv", "status": "new", "rows_in": 120,
         "rows_loaded": 117, "rows_quarantined": 3, "critical": False, "message": None},
        {"source": "members", "file_name": "members_2020-2025.csv", "status": "unchanged", "rows_in": 19,
         "rows_loaded": 19, "rows_quarantined": 0, "critical": False, "message": None},
        {"source": "ledger", "file_name": "huvudbok_2025.csv", "status": "rejected", "rows_in": 10,
         "rows_loaded": 0, "rows_quarantined": 10, "critical": True,
         "message": "huvudbok_2025.csv: summan stämmer inte, kontakt anna.andersson@example.org"},
    ]
    monkeypatch.setenv("RUN_PATHS__OUTPUT", str(out))
    return out, year_dir, (collected, outcomes)   # the run's staging, as pipeline.staged_summary gives it


def test_run_page_lists_collected_validated_and_products(outputs):
    out, year_dir, stage = outputs
    rs = run_summary.build(year_dir, "RUN", 2025, *stage, run={"dag_id": "run_annual_report", "run_id": "manual__x"},
                           figures={"contributions_total": 1234567, "municipalities": 19, "carry_over": "455000.00"})
    paths = run_summary.write(rs, year_dir)
    page = Path(paths["html"]).read_text(encoding="utf-8")
    md = Path(paths["markdown"]).read_text(encoding="utf-8")
    assert Path(paths["html"]) == year_dir / "korning.html" and Path(paths["markdown"]) == year_dir / "korning.md"
    assert "anmalningar_2025_vt.csv" in page and "members_2020-2025.csv" in page
    assert r"anmalningar\_2025\_vt.csv" in md and "members\\_2020-2025.csv" in md   # Markdown: escaped text
    for text in (page, md):
        assert "varav 2 nya" in text
        assert "Rader i karantän: 13" in text and "Avvisade eller väntande filer: 1" in text
        plain = text.replace("\u00a0", " ")  # Swedish amounts use no-break spaces
        assert "1 234 567 kr" in plain and "455 000 kr" in plain
        assert "anna.andersson@example.org" not in text  # messages are masked like the validation summary
    assert "run_annual_report / manual__x" in page and r"run\_annual\_report / manual\_\_x" in md
    # relative links that resolve inside the year's folder
    for rel in ("verksamhetsberattelse_2025.docx", "kommunbidrag_2025.csv", "validation/sammanfattning.html",
                "invoices/outbox/"):
        assert f'href="{rel}"' in page and f"]({rel})" in md
        assert (year_dir / rel).exists()
    assert "Verksamhetsberättelse (PDF): saknas" in md
    assert "Fakturor i utkorgen](invoices/outbox/) (1 filer)" in md


@pytest.fixture
def client(outputs):
    run_stewards.app.dependency_overrides[run_stewards.require_airflow_user] = lambda: "steward"
    run_stewards.app.dependency_overrides[run_stewards.network_access] = lambda: (lambda tenant: True)
    try:
        yield TestClient(run_stewards.app)
    finally:
        run_stewards.app.dependency_overrides.clear()


def test_a_user_of_another_network_neither_sees_nor_reads_runs_files(outputs):
    out, year_dir, _ = outputs
    (out / "KALMAR" / "2025").mkdir(parents=True)
    (out / "KALMAR" / "2025" / "korning.html").write_text("<h1>Kalmar</h1>", encoding="utf-8")
    run_stewards.app.dependency_overrides[run_stewards.require_airflow_user] = lambda: "kalmar-steward"
    run_stewards.app.dependency_overrides[run_stewards.network_access] = lambda: (lambda tenant: tenant == "KALMAR")
    try:
        c = TestClient(run_stewards.app)
        index = c.get("/")
        assert "KALMAR" in index.text and "/files/RUN/" not in index.text
        assert c.get("/files/KALMAR/2025/korning.html").status_code == 200
        refused = c.get("/files/RUN/2025/kommunbidrag_2025.csv")
        assert refused.status_code == 403 and "130000" not in refused.text
        assert "behörighet" in refused.json()["detail"]
    finally:
        run_stewards.app.dependency_overrides.clear()


def test_view_lists_years_and_serves_summaries(outputs, client):
    out, year_dir, stage = outputs
    run_summary.write(run_summary.build(year_dir, "RUN", 2025, *stage), year_dir)
    index = client.get("/")
    assert index.status_code == 200
    assert 'href="/files/RUN/2025/korning.html"' in index.text
    assert 'href="/files/RUN/2025/validation/sammanfattning.html"' in index.text
    page = client.get("/files/RUN/2025/korning.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Körning RUN 2025" in page.text
    assert client.get("/files/RUN/2025/korning.md").headers["content-type"].startswith("text/markdown")
    assert client.get("/files/RUN/2025/validation/sammanfattning.html").text == "<h1>Validering</h1>"
    assert client.get("/files/RUN/2025/verksamhetsberattelse_2025.docx").content.startswith(b"PK")
    assert client.get("/files/RUN/2025/invoices/outbox/RUN-2025-0001.xml").status_code == 200
    # a folder the run page links lists its files (it answered {"detail":"Not found"})
    folder = client.get("/files/RUN/2025/invoices/outbox/")
    assert folder.status_code == 200 and 'href="RUN-2025-0001.xml"' in folder.text
    assert "script-src" not in folder.headers["content-security-policy"] and "<script" not in folder.text
    assert client.get("/files/RUN/2025/no_such_folder/").status_code == 404


def test_no_script_runs_in_any_served_page_and_foreign_html_is_sandboxed(outputs, client):
    """Issue 12: a partner's value in Data Docs must not run as script on the API server's origin."""
    out, year_dir, stage = outputs
    run_summary.write(run_summary.build(year_dir, "RUN", 2025, *stage), year_dir)
    for path in ("/", "/files/RUN/2025/korning.html", "/files/RUN/2025/validation/sammanfattning.html",
                 "/files/RUN/2025/validation/data_docs/index.html", "/files/RUN/2025/kommunbidrag_2025.csv"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp, path   # no script source at all
        assert r.headers["x-content-type-options"] == "nosniff"
    docs = client.get("/files/RUN/2025/validation/data_docs/index.html")
    assert docs.headers["content-security-policy"].endswith("; sandbox")
    assert "sandbox" not in client.get("/files/RUN/2025/korning.html").headers["content-security-policy"]
    own = client.get("/files/RUN/2025/validation/filer/001-huvudbok_2025.csv.html")   # our per-file page
    assert own.status_code == 200 and "sandbox" not in own.headers["content-security-policy"]
    assert "content-disposition" not in client.get("/files/RUN/2025/korning.html").headers
    for download in ("kommunbidrag_2025.csv", "verksamhetsberattelse_2025.docx", "invoices/outbox/RUN-2025-0001.xml"):
        assert client.get(f"/files/RUN/2025/{download}").headers["content-disposition"].startswith("attachment")


@pytest.mark.parametrize("path", [
    "/files/%2e%2e/secret.txt",
    "/files/RUN/2025/%2e%2e/%2e%2e/%2e%2e/secret.txt",
    "/files/RUN/2025/..%2F..%2F..%2Fsecret.txt",
    "/files/%2Fetc%2Fpasswd",
    "/files//etc/passwd",
    "/files/RUN/2025/link.txt",                       # symlink out of the folder
    "/files/RUN/2025/.hidden.html",
    "/files/RUN/2025/validation/gx_stores/result.json",
    "/files/RUN/2025/validation",                     # a folder
    "/files/RUN/2025/nonexistent.html",
])
def test_view_refuses_anything_outside_or_not_for_stewards(client, path):
    r = client.get(path)
    assert r.status_code == 404, (path, r.status_code, r.text[:200])
    assert "top secret" not in r.text


def test_safe_path_directly(outputs):
    out, _, _ = outputs
    root = out.resolve()
    assert run_stewards.safe_path(root, "RUN/2025/kommunbidrag_2025.csv").name == "kommunbidrag_2025.csv"
    assert run_stewards.safe_path(root, "RUN/2025/invoices/outbox", folder=True).name == "outbox"
    from fastapi import HTTPException

    for rel in ("..", "RUN/../..", "RUN/2025/.hidden", "RUN/2025/gx_stores"):
        with pytest.raises(HTTPException):
            run_stewards.safe_path(root, rel, folder=True)
    for rel in ("../secret.txt", "RUN/../../secret.txt", str(out.parent / "secret.txt"), "", "RUN/2025/link.txt"):
        with pytest.raises(Exception) as exc:
            run_stewards.safe_path(root, rel)
        assert getattr(exc.value, "status_code", None) == 404


def test_view_requires_an_airflow_login(outputs):
    r = TestClient(run_stewards.app).get("/files/RUN/2025/kommunbidrag_2025.csv")
    assert r.status_code == 401
    assert TestClient(run_stewards.app).get("/").status_code == 401


def test_plugin_registers_app_and_nav_link():
    plugin = run_stewards.RunStewardsPlugin
    assert plugin.fastapi_apps[0]["url_prefix"] == "/run-stewards"
    assert plugin.fastapi_apps[0]["app"] is run_stewards.app
    view = plugin.external_views[0]
    assert view["href"] == "/run-stewards/" and view["destination"] == "nav"
    from airflow.api_fastapi.core_api.datamodels.plugins import ExternalViewResponse

    ExternalViewResponse.model_validate(view)  # the shape Airflow's /ui/plugins serves to the UI


def test_a_steward_uploads_a_file_and_gets_the_runs_receipt_without_loading_it(outputs, client):
    """Issue 17: the receipt before the run, on the stewards' page (python -m runreport.check behind it)."""
    out, year_dir, _ = outputs
    form = client.get("/kontroll")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    assert "form-action 'self'" in form.headers["content-security-policy"]
    assert "script-src" not in form.headers["content-security-policy"]
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    ledger = (ROOT / "data" / "demo" / "inbox" / "ledger" / "huvudbok_2025.csv").read_bytes()
    good = client.post("/kontroll", files={"fil": ("huvudbok_2025.csv", ledger, "text/csv")})
    assert good.status_code == 200, good.text[:500]
    assert "huvudbok_2025.csv: godkänd" in good.text and "Ekonomi (huvudbok) 2025" in good.text
    assert "214 in = 213 läses in + 1 i karantän" in good.text
    bad = client.post("/kontroll", files={"fil": ("../../huvudbok_2025.csv", ledger.replace(b";Belopp;", b";Summa;", 1),
                                                  "text/csv")})
    assert bad.status_code == 200 and "huvudbok_2025.csv: inte godkänd" in bad.text and "Kolumnen Belopp" in bad.text
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before   # nothing written to the outputs
    assert run_stewards.upload_name("../../x/huvudbok_2025.csv") == "huvudbok_2025.csv"
    assert run_stewards.upload_name("..") == "fil.csv" and run_stewards.upload_name(None) == "fil.csv"


def test_a_released_drafts_link_leads_to_its_numbered_basis(outputs, client):
    """The approval links each draft's basis; after the release the basis carries the invoice's
    number, and the old link leads there (from the outbox's manifest) instead of 'Not found'."""
    out, year_dir, _ = outputs
    underlag = year_dir / "invoices" / "underlag"
    underlag.mkdir(parents=True)
    (underlag / "RUN-2025-0003_fakturaunderlag.docx").write_bytes(b"PK\x03\x04 numbered")
    (underlag / "UTKAST-RUN-2025-0002_fakturaunderlag.docx").write_bytes(b"PK\x03\x04 rejected draft")
    (year_dir / "invoices" / "outbox" / "leverans_2025_RUN-2025-0003_RUN-2025-0003.csv").write_text(
        '\ufeff"Fil";"SHA-256";"Typ";"Fakturanummer";"Utkast"\r\n'
        '"RUN-2025-0003.xml";"ab";"Faktura";"RUN-2025-0003";"UTKAST-RUN-2025-0001"\r\n', encoding="utf-8")
    base = "/files/RUN/2025/invoices/underlag/"
    r = client.get(base + "UTKAST-RUN-2025-0001_fakturaunderlag.docx", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "RUN-2025-0003_fakturaunderlag.docx"
    assert client.get(base + "UTKAST-RUN-2025-0001_fakturaunderlag.docx").content == b"PK\x03\x04 numbered"
    assert client.get(base + "UTKAST-RUN-2025-0002_fakturaunderlag.docx").content == b"PK\x03\x04 rejected draft"
    for missing in ("UTKAST-RUN-2025-0009_fakturaunderlag.docx", "UTKAST-RUN-2025-0001_fakturaunderlag.pdf"):
        assert client.get(base + missing, follow_redirects=False).status_code == 404


def test_a_partners_file_name_is_text_in_every_markdown_page(outputs):
    """Escaped by construction (runreport.markdown): a file name with markup, a link or a table cell
    of its own stays literal text in korning.md and sammanfattning.md; Swedish amounts keep their
    no-break spaces."""
    import re

    from runreport import markdown
    from runreport.validation import summary as stewards

    out, year_dir, (collected, outcomes) = outputs
    hostile = "[klicka](javascript:alert(1)) <img src=x onerror=alert(2)> | *x* www.evil.example.csv"
    collected = [*collected, {"source": "ledger", "file_name": hostile, "year": 2025, "status": "new"}]
    outcomes = [*outcomes, {"source": "ledger", "file_name": hostile, "status": "rejected", "rows_in": 1,
                            "rows_loaded": 0, "rows_quarantined": 1, "critical": True, "message": f"{hostile}: fel"}]
    rs = run_summary.build(year_dir, "RUN", 2025, collected, outcomes, run={"run_id": "manual__x"},
                           figures={"contributions_total": 925000})
    md = Path(run_summary.write(rs, year_dir)["markdown"]).read_text(encoding="utf-8")
    results = [stewards.FileResult("ledger", hostile, 1, 0, 1, status="rejected", message=f"{hostile}: fel")]
    summary = stewards.render_markdown(results, "manual__x", ["filer/1.html"], "karantan.csv")
    escaped = markdown.text(hostile)
    assert escaped.startswith(r"\[klicka\](javascript:alert(1)) \<img") and r"\| \*x\* `www.evil.example.csv`" in escaped
    for text in (md, summary):
        assert escaped in text
        assert not re.search(r"(?<!\\)\[klicka|(?<!\\)<img|(?<!\\)\| (?<!\\)\*x", text)   # nothing unescaped
    assert "925\u00a0000\u00a0kr" in md
