"""No amount is a float artefact anywhere, and every amount a person reads is Swedish (issue 18).

Constructed data: the demo inbox with an agreement rate of 2,15 kr (2.15 × population is not exact
in binary floating point) and ledger rows in öre (0,10 + 0,20 is not 0,30 in float). The whole
year runs through the domain steps on SQLite and PostgreSQL; then every place an amount ends up is
read back with a real reader: the warehouse (raw values, as the database stores them), the steps'
return values (what Airflow keeps as XCom), the contribution CSV, the invoice register (xlsx), the
Peppol XML, the invoice bases and the report (Word), the run page and the finance approval text.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from docx_text import document_text
from lxml import etree
from sqlalchemy import create_engine, inspect, text

REPO = Path(__file__).resolve().parents[1]
YEAR = 2025
RATE = "2,15"

# a Swedish amount: digit groups joined by no-break spaces, decimal comma, minus sign U+2212
SWEDISH_KR = re.compile(r"^\u2212?\d{1,3}(?:\u00a0\d{3})*(?:,\d{2})?\u00a0kr$")
KR = re.compile(r"[\u2212\-]?\d[\d.,\u00a0]*[ \u00a0]?kr\b")
ARTEFACT = re.compile(r"\d[.,]\d*(?:0000+[1-9]|9999+\d)")   # 455000.00000000006, 469999.99999999994


def _constructed_inbox(tmp: Path) -> Path:
    inbox = tmp / "inbox"
    shutil.copytree(REPO / "data" / "demo" / "inbox", inbox)
    (inbox / "agreements" / "agreements.csv").write_text(
        "Från år;Till år;Kr per invånare\n2020;2022;2,00\n2023;2023;1,00\n2024;2026;" + RATE + "\n",
        encoding="utf-8-sig")
    ledger = inbox / "ledger" / "huvudbok_2025.csv"
    raw = ledger.read_bytes()
    extra = "".join(f"25999{i:02d};1;2025-11-{10 + i:02d};6550;RUN25-02;Konsult AB;{amount};Arvode\r\n"
                    for i, amount in enumerate(["0,10", "0,20", "1 234,35", "-0,30", "12 500,05"]))
    ledger.write_bytes(raw.rstrip(b"\r\n") + b"\r\n" + extra.encode("cp1252"))
    return inbox


def _floats(value, where: str = "") -> list[str]:  # noqa: ANN001
    """Every float inside a JSON-like value (an XCom), with its path."""
    if isinstance(value, float):
        return [f"{where}={value!r}"]
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _floats(v, f"{where}.{k}")]
    if isinstance(value, (list, tuple)):
        return [f for i, v in enumerate(value) for f in _floats(v, f"{where}[{i}]")]
    return []


def _amounts_read_by_people(name: str, body: str) -> list[str]:
    """Amounts in kronor in ``body`` that are not written the Swedish way, or are float artefacts."""
    bad = [f"{name}: {m.group()!r}" for m in KR.finditer(body) if not SWEDISH_KR.match(m.group().strip())]
    bad += [f"{name}: artefact {m.group()!r}" for m in ARTEFACT.finditer(body)]
    bad += [f"{name}: grouped with a plain space {m.group()!r}" for m in re.finditer(r"\d \d{3}[ \u00a0]kr\b", body)]
    return bad


@pytest.fixture
def year_run(tmp_path, warehouse_url, monkeypatch):
    from runreport import config, pipeline, run_summary
    from runreport.invoicing.approval_text import markdown
    from runreport.invoicing.issue import prepare_invoices
    from runreport.invoicing.release import release_invoices
    from runreport.report import write_report

    inbox = _constructed_inbox(tmp_path)
    cfg = config.load(overrides={"warehouse": {"url": warehouse_url},
                                 "paths": {"output": str(tmp_path / "out"), "inbox": str(inbox)},
                                 "invoicing": {"basis_pdf": False}}, environ={})
    xcom = {"collect": pipeline.collect_files(cfg, YEAR),
            "validate": pipeline.validate_files(cfg, YEAR, b"money-exact-secret", run_name="test"),
            "load": pipeline.load_files(cfg, YEAR),
            "compute": pipeline.compute(cfg, YEAR)}
    with pipeline.sessions(cfg)() as s:
        write_report(s, cfg, YEAR, report_date=date(YEAR + 1, 2, 2), pdf=False)
    with pipeline.sessions(cfg)() as s:
        xcom["prepare"] = prepare_invoices(s, cfg, YEAR, issue_date=date(YEAR + 1, 1, 15))
    approval = markdown(xcom["prepare"], "http://steward.example")
    with pipeline.sessions(cfg)() as s:
        xcom["release"] = [str(p) for p in release_invoices(s, cfg, YEAR, release_date=date(YEAR + 1, 1, 20),
                                                            decided_by="ekonomi")]
    xcom["publish"] = run_summary.publish(cfg, YEAR, figures=xcom["compute"])
    return {"cfg": cfg, "url": warehouse_url, "xcom": xcom, "approval": approval, "out": cfg.output_dir(YEAR)}


def test_no_amount_anywhere_is_a_float_artefact_and_every_read_amount_is_swedish(year_run):
    out, url, bad = year_run["out"], year_run["url"], []

    # the warehouse: raw values as stored, every money column exact to the öre
    engine = create_engine(url)
    with engine.connect() as c:
        insp = inspect(c)
        money = [(t, col["name"], col["type"]) for t in insp.get_table_names() for col in insp.get_columns(t)
                 if col["type"].__class__.__name__ in ("NUMERIC", "Numeric", "DECIMAL", "FLOAT", "REAL",
                                                       "DOUBLE", "DOUBLE_PRECISION")]
        assert any(col == "amount_sek" for _, col, _ in money), money
        for table, col, typ in money:
            assert typ.__class__.__name__ not in ("FLOAT", "REAL", "DOUBLE", "DOUBLE_PRECISION"), (table, col, typ)
            if url.startswith("sqlite"):
                # SQLite has no decimal type: NUMERIC(14, 2) keeps an integer or an IEEE double, which
                # holds every value of 14 digits with two decimals exactly (15 significant digits
                # round-trip); what it prints must be the value written, never 469999.99999999994
                rows = c.execute(text(f'SELECT typeof("{col}"), CAST("{col}" AS TEXT) FROM "{table}"')).all()
                bad += [f"{table}.{col} stored as {kind}: {raw}" for kind, raw in rows
                        if kind not in ("integer", "real", "null")]
            else:
                rows = c.execute(text(f'SELECT "{col}"::text FROM "{table}"')).all()
            for (*_, raw) in rows:
                if raw is not None and (ARTEFACT.search(raw) or Decimal(raw) != Decimal(raw).quantize(Decimal("0.01"))):
                    bad.append(f"{table}.{col} = {raw}")
        rates = {r for (r,) in c.execute(text("SELECT CAST(rate_sek AS TEXT) FROM contribution WHERE year = :y"),
                                         {"y": YEAR})}
    engine.dispose()
    assert rates == {"2.15"}, rates

    # what the steps hand on (XCom): no float anywhere, and JSON as Airflow stores it
    xcom = year_run["xcom"]
    bad += _floats(xcom, "xcom")
    json.dumps(xcom, default=str)

    # the contribution table for Swedish Excel: decimal comma, nothing that Excel reads as a date
    rows = list(csv.DictReader(io.StringIO((out / f"kommunbidrag_{YEAR}.csv").read_text(encoding="utf-8-sig")),
                               delimiter=";"))
    assert len(rows) == 19 and {r["rate_sek"] for r in rows} == {RATE}, rows[:2]
    bad += [f"csv {k}={v}" for r in rows for k, v in r.items() if re.fullmatch(r"-?\d+\.\d+", v)]

    # the invoice register: amounts as numbers of whole öre, shown with a Swedish number format
    from openpyxl import load_workbook

    wb = load_workbook(out / "invoices" / f"fakturor_{YEAR}.xlsx")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if isinstance(v, float) and (Decimal(repr(v)) != Decimal(repr(v)).quantize(Decimal("0.01"))):
                    bad.append(f"xlsx {ws.title}!{cell.coordinate} = {v!r}")
                if isinstance(v, str):
                    bad += _amounts_read_by_people(f"xlsx {cell.coordinate}", v)

    # the Peppol documents: UBL amounts with a dot and two decimals; the line text in Swedish
    outbox = sorted((out / "invoices" / "outbox").glob("*.xml"))
    assert len(outbox) == 19
    for path in outbox:
        root = etree.parse(str(path)).getroot()
        for el in root.iter():
            name = etree.QName(el).localname
            if name.endswith("Amount") and not re.fullmatch(r"-?\d+\.\d{2}", el.text or ""):
                bad.append(f"{path.name} {name}={el.text!r}")
            if name in ("Description", "Note") and el.text:
                bad += _amounts_read_by_people(f"{path.name} {name}", el.text)
        description = root.find(".//{*}Item/{*}Description").text
        assert "Bidrag 2,15\u00a0kr per invånare" in description, description

    # what people read: the report, the invoice bases, the run page, the approval
    readable = {"verksamhetsberättelse": document_text(out / f"verksamhetsberattelse_{YEAR}.docx"),
                "korning.md": (out / "korning.md").read_text(encoding="utf-8"),
                "korning.html": html.unescape(re.sub(r"<[^>]+>", " ", (out / "korning.html").read_text(encoding="utf-8"))),
                "godkännandet": year_run["approval"]}
    bases = sorted((out / "invoices" / "underlag").glob("*.docx"))
    assert len(bases) == 19
    readable |= {p.name: document_text(p) for p in bases}
    for name, body in readable.items():
        bad += _amounts_read_by_people(name, body)
    assert "2,15\u00a0kr" in readable["godkännandet"] and "Bidrag per invånare | 2,15\u00a0kr" in readable[bases[0].name]
    assert re.search(r"\d\u00a0kr", readable["verksamhetsberättelse"])   # the check saw amounts at all

    assert not bad, "\n".join(bad[:40])


def test_staff_written_amounts_are_bound_but_years_stay_apart():
    from runreport.sweformat import bind_amounts

    assert bind_amounts("en budget på 915 000 kr och 2 kr per invånare") == \
        "en budget på 915\u00a0000\u00a0kr och 2\u00a0kr per invånare"
    assert bind_amounts("år 2024 925 000 kr, 12 % av 1 234 567 kronor") == \
        "år 2024 925\u00a0000\u00a0kr, 12\u00a0% av 1\u00a0234\u00a0567\u00a0kronor"
    assert bind_amounts("2020 och 2021: 3 krokar") == "2020 och 2021: 3 krokar"
