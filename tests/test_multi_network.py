"""Several networks (tenants) in one warehouse: one report and one set of invoices per network, and
nothing of one network in another's outputs. The domain part runs on SQLite and PostgreSQL; the
whole run goes through the real DAG ``run_all_networks`` with ``airflow dags test``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from docx_text import document_text

from runreport import tenants
from tools.demo.networks import DEMO_NETWORKS

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW = str(Path(sys.executable).parent / "airflow")
YEAR = 2025
NETWORKS = ("ALFA", "BETA", "GAMMA")
ORG = {"ALFA": "2021002841", "BETA": "2021002882", "GAMMA": "2021006388"}
MUNIS = {
    "ALFA": DEMO_NETWORKS["NORRBOTTEN"][:6],
    "BETA": DEMO_NETWORKS["KALMAR"][:6],
    "GAMMA": [("1280", "Malmö", "Skåne", "västra", 360_000), ("1281", "Lund", "Skåne", "västra", 128_000),
              ("1282", "Landskrona", "Skåne", "östra", 46_000), ("1283", "Helsingborg", "Skåne", "östra", 150_000),
              ("1287", "Trelleborg", "Skåne", "västra", 47_000)],
}


@pytest.fixture(scope="module")
def networks(tmp_path_factory):
    """Partner files for three networks (one year, small) and their tenant files."""
    from tools.demo.generator import generate

    tmp = tmp_path_factory.mktemp("networks")
    generate(tmp / "data", [YEAR], 2026, scale=0.3, tenants=[(t, MUNIS[t]) for t in NETWORKS])
    tdir = tmp / "tenants"
    tdir.mkdir()
    for t in NETWORKS:
        overlay = {"tenant": t, "network_name": f"Nätverket {t.title()}", "host_university": f"Universitet {t}",
                   "paths": {"inbox": str(tmp / "data" / t / "inbox"), "narrative": str(tmp / "data" / t / "narrative")},
                   "invoicing": {"series": t[:3], "basis_pdf": False,
                                 "seller": {"name": f"Universitet {t}", "vat_number": f"SE{ORG[t]}01"}}}
        (tdir / f"{t}.yaml").write_text(yaml.safe_dump(overlay, allow_unicode=True), encoding="utf-8")
    return {"tmp": tmp, "tenants_dir": tdir, "data": tmp / "data"}


def _payee_env() -> dict[str, str]:
    """The finance connections of the test networks (their payment details are no configuration)."""
    return {f"AIRFLOW_CONN_RUN_PAYEE_{t}": json.dumps({"conn_type": "generic", "extra": {
        "org_number": ORG[t], "iban": "SE4550000000058398257466"}}) for t in NETWORKS}


@pytest.fixture(autouse=True)
def _payees(monkeypatch):
    for name, value in _payee_env().items():
        monkeypatch.setenv(name, value)


def _fingerprints(data: Path, tenant: str) -> set[str]:
    """What identifies a network's own data: municipality names and codes, activity codes, org numbers."""
    marks = {code for code, *_ in MUNIS[tenant]} | {name for _, name, *_ in MUNIS[tenant]}
    members = (data / tenant / "inbox" / "members").glob("*.csv")
    for f in members:
        marks |= set(re.findall(r"\b212000\d{4}\b", f.read_text(encoding="utf-8-sig")))
    budget = data / tenant / "inbox" / "budget" / f"handlingsplan_{YEAR}.csv"
    marks |= set(re.findall(rf"\b{tenant[:6]}{YEAR % 100}-\d\d\b", budget.read_text(encoding="utf-8-sig")))
    return marks




# What identifies the RUN network (the project's first tenant, whose settings are pipeline.yaml's and
# whose demo texts the generator adapts for other networks): none of it belongs in another network's
# outputs. (The test networks borrow RUN's seller address for their invoices, so Sundsvall is not here.)
RUN_MARKS = (r"\bRUN\b", "Mittuniversitet", "MIUN", "Mittsverige", "Östersund", "Region Jämtland",
             "Kommunförbundet Västernorrland", "Jämtlands gymnasieförbund", "2,40 operativ")


def _check_outputs(out: Path, data: Path, run_page: bool = False) -> None:
    marks = {t: _fingerprints(data, t) for t in NETWORKS}
    for t in NETWORKS:
        ydir = out / t / str(YEAR)
        if run_page:  # run_all_networks publishes each network's page for its stewards
            page = (ydir / "korning.md").read_text(encoding="utf-8")
            assert t in page and "verksamhetsberattelse" in page, page[:2000]
            assert not any(other in page for other in NETWORKS if other != t)
        reports = list(ydir.glob("verksamhetsberattelse_*.docx"))
        assert [p.name for p in reports] == [f"verksamhetsberattelse_{YEAR}.docx"], t
        xml = sorted((ydir / "invoices" / "prepared").glob("*.xml"))
        assert len(xml) == len(MUNIS[t]), (t, [p.name for p in xml])
        assert all(p.name.startswith(f"UTKAST-{t[:3]}-") for p in xml)  # draft ids until finance releases
        texts = {"report": document_text(reports[0]), "invoices": "\n".join(p.read_text(encoding="utf-8") for p in xml),
                 "contributions": (ydir / f"kommunbidrag_{YEAR}.csv").read_text(encoding="utf-8-sig")}
        own = marks[t]
        assert any(m in texts["report"] for m in own) and any(m in texts["invoices"] for m in own)
        if run_page:
            texts["run page"] = page
        for kind, text in texts.items():
            found = [m for m in RUN_MARKS if re.search(m, text)]
            assert not found, f"RUN's {found} in {t}'s {kind}"
        for other in NETWORKS:
            if other == t:
                continue
            foreign = marks[other] - own  # an org number may occur in two networks by chance
            for kind, text in texts.items():
                leaked = sorted(m for m in foreign if re.search(rf"(?<![\w-]){re.escape(m)}(?![\w-])", text))
                assert not leaked, f"{other}'s data in {t}'s {kind}: {leaked[:10]}"


def test_tenant_files_overlay_pipeline_yaml(networks):
    assert tenants.list_tenants(networks["tenants_dir"]) == sorted(NETWORKS)
    cfg = tenants.load_tenant("BETA", path=networks["tenants_dir"], environ={"RUN_WAREHOUSE__URL": "sqlite:///x.db"})
    assert cfg.tenant == "BETA" and cfg.network_name == "Nätverket Beta"
    assert cfg.invoicing.series == "BET" and cfg.invoicing.seller.vat_number == "SE202100288201"
    assert cfg.invoicing.seller.city == "Sundsvall"      # the rest of the seller from pipeline.yaml
    assert cfg.warehouse.url == "sqlite:///x.db"             # env wins over the tenant file
    assert cfg.reporting.meeting_iso_week == 9


def test_shipped_tenant_files_load():
    names = tenants.list_tenants()
    assert "RUN" in names
    assert len({tenants.load_tenant(t).invoicing.series for t in names}) == len(names)



def test_another_network_never_inherits_the_base_networks_delivery_contacts():
    """A reminder to a partner goes to the network's own contact, never to RUN's on KALMAR's behalf."""
    run, kalmar = tenants.load_tenant("RUN"), tenants.load_tenant("KALMAR")
    assert run.deliveries.sources["ledger"].contact.endswith("@miun.se")
    assert {s.contact for s in kalmar.deliveries.sources.values()} == {""}
    assert kalmar.deliveries.due_iso_week == run.deliveries.due_iso_week   # the rule is shared


def test_domain_run_per_network_keeps_networks_apart(networks, warehouse_url, tmp_path):
    """collect -> validate -> load -> compute -> report -> prepare invoices per network, one warehouse."""
    from runreport import pipeline
    from runreport.invoicing.issue import prepare_invoices
    from runreport.report import write_report

    out = tmp_path / "out"
    for t in NETWORKS:
        cfg = tenants.load_tenant(t, overrides={"warehouse": {"url": warehouse_url}, "paths": {"output": str(out)}},
                                  environ={}, path=networks["tenants_dir"])
        pipeline.collect_files(cfg, YEAR)
        pipeline.validate_files(cfg, YEAR, b"multi-network-secret", run_name="test")
        pipeline.load_files(cfg, YEAR)
        pipeline.compute(cfg, YEAR)
        with pipeline.sessions(cfg)() as s:
            write_report(s, cfg, YEAR, report_date=date(YEAR + 1, 2, 2), pdf=False)
        with pipeline.sessions(cfg)() as s:
            prepare_invoices(s, cfg, YEAR, issue_date=date(YEAR, 1, 15))
    _check_outputs(out, networks["data"])


def test_all_networks_dag_end_to_end(networks, tmp_path):
    from airflow_helpers import airflow_env

    home = tmp_path / "airflow_home"
    home.mkdir()
    env = airflow_env(home, **_payee_env(), RUN_WAREHOUSE__URL=f"sqlite:///{tmp_path / 'warehouse.db'}",
                      RUN_PATHS__OUTPUT=str(tmp_path / "out"), RUN_TENANTS_DIR=str(networks["tenants_dir"]))
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    p = subprocess.run([AIRFLOW, "dags", "test", "run_all_networks", "-c", json.dumps({"year": YEAR})],
                       env=env, capture_output=True, text=True, timeout=1200)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    _check_outputs(tmp_path / "out", networks["data"], run_page=True)


def test_a_rejected_network_fails_the_run_but_not_the_others(networks, tmp_path):
    """GAMMA's evaluations are mostly out of range: the DAG run fails (so the stewards see it), ALFA and
    BETA still get their report and invoices, and GAMMA gets its run page saying what was rejected."""
    import shutil

    from airflow_helpers import airflow_env

    data, tdir = tmp_path / "data", tmp_path / "tenants"
    shutil.copytree(networks["data"], data)
    tdir.mkdir()
    for f in networks["tenants_dir"].glob("*.yaml"):
        (tdir / f.name).write_text(f.read_text(encoding="utf-8").replace(str(networks["data"]), str(data)),
                                   encoding="utf-8")
    bad = next((data / "GAMMA" / "inbox" / "evaluations").glob(f"*{YEAR}*.csv"))
    lines = bad.read_bytes().decode("utf-8-sig").splitlines()
    bad.write_bytes(("\ufeff" + "\r\n".join([lines[0]] + [ln.replace(";4;", ";9;") for ln in lines[1:]])
                     + "\r\n").encode("utf-8"))
    home = tmp_path / "airflow_home"
    home.mkdir()
    out = tmp_path / "out"
    env = airflow_env(home, **_payee_env(), RUN_WAREHOUSE__URL=f"sqlite:///{tmp_path / 'warehouse.db'}",
                      RUN_PATHS__OUTPUT=str(out), RUN_TENANTS_DIR=str(tdir))
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    p = subprocess.run([AIRFLOW, "dags", "test", "run_all_networks", "-c", json.dumps({"year": YEAR})],
                       env=env, capture_output=True, text=True, timeout=1200)
    assert p.returncode != 0, "a rejected network must fail the run"
    for t in ("ALFA", "BETA"):
        assert (out / t / str(YEAR) / f"verksamhetsberattelse_{YEAR}.docx").exists()
        assert len(list((out / t / str(YEAR) / "invoices" / "prepared").glob("*.xml"))) == len(MUNIS[t])
    gamma = out / "GAMMA" / str(YEAR)
    assert not (gamma / f"verksamhetsberattelse_{YEAR}.docx").exists()
    from runreport import markdown

    assert markdown.text(bad.name) in (gamma / "korning.md").read_text(encoding="utf-8")   # as escaped text
