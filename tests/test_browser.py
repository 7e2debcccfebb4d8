"""A real browser (Debian's chromium, driven by selenium) against the real API server with the
stewards' view, logged in as a steward, after a run on a partner file carrying script, ``onerror``
and ``javascript:`` payloads in every kind of field and in its file name (issue 12): no script runs,
no Variable changes, and the pages still show the rows' reasons.

Without chromium/chromedriver the test skips, unless RUN_REQUIRE_SERVICES=1 (CI), when it fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import stack as st

from runreport import config, pipeline, run_summary

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo" / "inbox"
AIRFLOW = str(Path(sys.executable).parent / "airflow")
YEAR = 2025

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

STEAL = ("fetch('/api/v2/variables',{method:'POST',headers:{'Content-Type':'application/json'},"
         "body:JSON.stringify({key:'run_config',value:'invoicing: {seller: {iban: SE00}}'})})")
PAYLOADS = [f"<script>window.__pwned=1;document.title='PWNED';{STEAL}</script>",
            "<img src=x onerror=\"window.__pwned=2;document.title='PWNED'\">",
            "<a href=\"javascript:window.__pwned=3\">klicka</a>",
            "<svg onload=window.__pwned=4>"]
FILE_NAME = "anmalningar_2025_vt <img src=x onerror=window.__pwned=5>.csv"


def _plant(inbox: Path) -> None:
    regs = inbox / "registrations"
    src = regs / "anmalningar_2025_vt.csv"
    lines = src.read_bytes().decode("cp1252").splitlines()
    for i, p in enumerate(PAYLOADS):
        # activity, organisation, role, date and status: each a checked field that quarantines
        lines.append(f"{p};Namn {i};p{i}@x.example;Östersund;Lärare;2/1/2025;deltog")
        lines.append(f"RUN25-13;Namn {i};q{i}@x.example;{p};Lärare;2/1/2025;deltog")
        lines.append(f"RUN25-13;Namn {i};r{i}@x.example;Östersund;Lärare;{p};deltog")
        lines.append(f"RUN25-13;Namn {i};s{i}@x.example;Östersund;Lärare;2/1/2025;{p}")
    src.unlink()
    (regs / FILE_NAME).write_bytes("\r\n".join(lines).encode("utf-8"))
    ledger = inbox / "ledger" / "huvudbok_2025.csv"
    lt = ledger.read_bytes().decode("cp1252").splitlines()
    lt.append(f"2599990;1;2025-03-03;6550;{PAYLOADS[1]};{PAYLOADS[0]};100,00;{PAYLOADS[2]}")
    ledger.write_bytes(("\r\n".join(lt) + "\r\n").encode("cp1252", "replace"))


@pytest.fixture
def driver():
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        st.require_or_skip("Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"):
        opts.add_argument(flag)
    d = webdriver.Chrome(service=Service(chromedriver), options=opts)
    d.set_page_load_timeout(60)
    yield d
    d.quit()


def test_partner_markup_never_runs_in_a_stewards_browser(tmp_path, driver):
    inbox, out, home = tmp_path / "inbox", tmp_path / "output", tmp_path / "home"
    shutil.copytree(DEMO, inbox)
    _plant(inbox)
    home.mkdir()
    cfg = config.load(overrides={"warehouse": {"url": f"sqlite:///{tmp_path / 'wh.db'}"},
                                 "paths": {"inbox": str(inbox), "output": str(out)}}, environ={})
    pipeline.collect_files(cfg, YEAR)
    try:
        pipeline.validate_files(cfg, YEAR, b"secret", run_name="browser")
    except Exception:  # noqa: BLE001 - a file may be rejected; its page must still be safe
        pass
    pipeline.load_files(cfg, YEAR)
    run_summary.publish(cfg, YEAR, run={}, figures={})
    # HTML the product did not write, with a live script (as an unescaping renderer would leave it):
    # the view's CSP must stop it, whatever the page holds
    docs = out / "RUN" / str(YEAR) / "validation" / "data_docs"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "foreign.html").write_text(f"<html><body><p>x</p>{PAYLOADS[0]}{PAYLOADS[1]}</body></html>",
                                       encoding="utf-8")

    server = _api_server(tmp_path, home, out)
    try:
        token = _log_in(server, driver)
        base = f"/run-stewards/files/RUN/{YEAR}"
        pages = ["/run-stewards/", f"{base}/korning.html", f"{base}/validation/sammanfattning.html"]
        pages.append(f"{base}/validation/data_docs/foreign.html")
        per_file = sorted((out / "RUN" / str(YEAR) / "validation" / "filer").glob("*.html"))
        planted = [p for p in per_file if "anmalningar_2025_vt" in p.name or "huvudbok_2025" in p.name]
        assert len(planted) == 2, [p.name for p in per_file]
        pages += [f"{base}/validation/filer/{p.name}" for p in planted]
        seen = {}
        for path in pages:
            driver.get(server.url(path))
            for a in driver.find_elements("css selector", "a[href^='javascript:']"):
                a.click()
            pwned = driver.execute_script("return window.__pwned || null")
            seen[path] = (driver.title, pwned, driver.find_element("tag name", "body").text)
        for path, (title, pwned, _) in seen.items():
            assert pwned is None and title != "PWNED", path
        summary_text = seen[f"{base}/validation/sammanfattning.html"][2]
        assert "Okänd" in summary_text or "Aktiviteten" in summary_text   # the reasons are still there
        texts = [seen[f"{base}/validation/filer/{p.name}"][2] for p in planted]   # our pages work offline
        assert all("Kontroller" in t and "Rader i karantän" in t for t in texts)
        assert any("onerror" in t for t in texts)   # the payload is shown as text, never run
        code, body = server.api("GET", "/api/v2/variables/run_config", token)
        assert code == 404, (code, body)   # no script set the Variable
    finally:
        server.stop()


def _api_server(tmp_path: Path, home: Path, out: Path) -> st.Stack:
    """Airflow's API server (UI, REST API and the stewards' plugin) on SQLite, with one steward."""
    import os

    (home / "passwords.json").write_text(json.dumps({"forvaltare": "forvaltare-pw"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RUN_"))}
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
               AIRFLOW__CORE__DAGS_FOLDER=str(tmp_path / "no_dags"), AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
               AIRFLOW__CORE__LOAD_EXAMPLES="False", AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="forvaltare:op",
               AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(home / "passwords.json"),
               AIRFLOW__API_AUTH__JWT_SECRET=uuid.uuid4().hex, AIRFLOW__API__SECRET_KEY=uuid.uuid4().hex,
               AIRFLOW__API__WORKERS="1", RUN_PATHS__OUTPUT=str(out), PYTHONWARNINGS="ignore::DeprecationWarning")
    (tmp_path / "no_dags").mkdir(exist_ok=True)
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    server = st.Stack(AIRFLOW, env, tmp_path, st.free_port())
    server.COMPONENTS = ("api-server",)
    server.start("browser", None)
    try:
        server.wait_for(server.api_ready, 120, "the API server")
    except BaseException:
        server.stop()
        raise
    return server


def _log_in(server: st.Stack, driver) -> str:  # noqa: ANN001
    token = server.token("forvaltare", "forvaltare-pw")
    driver.get(server.url("/api/v2/monitor/health"))
    driver.add_cookie({"name": "_token", "value": token, "path": "/"})
    return token


def test_a_steward_reaches_the_checklist_in_two_clicks_and_copies_the_request(tmp_path, driver):
    """Issue 17: from Airflow's home page, the top navigation's "RUN: leveranskontroll" (click 1) and
    "Leveranskontroll 2025" (click 2); after a run with one missing, one rejected and one replaced
    delivery the statuses are right, and the "begär rättad fil" text names the rows, no personal data."""
    import re

    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
    from test_deliveries import missing_rejected_replaced

    cfg, _ = missing_rejected_replaced(tmp_path)
    run_summary.publish(cfg, YEAR, run={}, figures={})
    home = tmp_path / "home"
    home.mkdir()
    server = _api_server(tmp_path, home, Path(cfg.paths.output))
    try:
        _log_in(server, driver)
        driver.get(server.url("/"))
        wait = WebDriverWait(driver, 60)
        wait.until(ec.element_to_be_clickable(("link text", "RUN: leveranskontroll"))).click()          # click 1
        wait.until(ec.frame_to_be_available_and_switch_to_it(("css selector", "iframe")))
        wait.until(ec.element_to_be_clickable(("partial link text", f"Leveranskontroll {YEAR}"))).click()  # click 2
        wait.until(ec.presence_of_element_located(("id", "leveranser")))
        assert driver.find_element("tag name", "h1").text == f"Leveranskontroll {YEAR}"
        status = {}
        for tr in driver.find_elements("css selector", "#leveranser tr[data-source]"):
            cells = [td.text for td in tr.find_elements("tag name", "td")]
            status[(tr.get_attribute("data-source"), cells[3])] = tr.get_attribute("data-status")
        from datetime import UTC, datetime

        from runreport.deliveries import expected

        due = next(e.due for e in expected(cfg, YEAR) if e.source == "evaluations")
        assert status[("evaluations", "–")] == ("för sent" if datetime.now(UTC) > due else "väntas")
        assert status[("ledger", "huvudbok_2025.csv")] == "avvisad"
        assert status[("registrations", "anmalningar_2025_vt.csv")] == "ersatt"
        assert status[("registrations", "anmalningar_2025_vt_v2.csv")].startswith("levererad")
        headline = driver.find_element("id", "rubrik").text
        assert "avvisad: Ekonomi (huvudbok)" in headline and "Utvärderingar" in headline, headline
        request = driver.find_element("css selector", "section.begaran textarea").get_attribute("value")
        assert "huvudbok_2025.csv" in request and "Kolumnen Belopp" in request
        assert not re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", request)   # no e-mail address in the text
        driver.set_window_size(1400, 1100)
        driver.save_screenshot(str(tmp_path / "leveranskontroll.png"))   # docs/images/leveranskontroll.png
    finally:
        server.stop()
