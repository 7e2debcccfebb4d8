"""Expected deliveries (issue 17): the statuses on constructed file logs, and the stewards' checklist
(leveranser_<år>.csv, leveranser.html with its "begär rättad fil" texts) after real runs of the
pipeline on the demo inbox with one missing, one rejected and one replaced delivery."""

from __future__ import annotations

import csv
import io
import re
import shutil
from datetime import UTC, datetime

import demo_expectations as expect
import pytest

from runreport import config, delivery_page, pipeline
from runreport import deliveries as dl
from runreport.quality import SourceRejected

YEAR = 2025
DUE = datetime(2026, 2, 1, 23, 0, tzinfo=UTC)   # Monday of week 6, 00:00 Stockholm


def _exp(source: str) -> dl.Expected:
    return dl.Expected(source, "Partner", "p@example.se", DUE, True)


def _file(i: int, source: str, status: str, at: datetime, name: str = "f.csv", replaced_by: str | None = None):
    return dl.LoggedFile(i, source, name, name, YEAR, status, 10, 10 if status == "loaded" else 0,
                         0 if status == "loaded" else 10, at.replace(tzinfo=None), replaced_by)


def test_statuses_from_the_file_log():
    early, late = datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 2, 10, tzinfo=UTC)
    wanted = [_exp(s) for s in ("members", "budget", "ledger", "registrations", "evaluations", "sessions")]
    files = [_file(1, "budget", "loaded", early),
             _file(2, "ledger", "rejected", early, "huvudbok_2025.csv"),
             _file(3, "registrations", "replaced", early, "anm_vt.csv", replaced_by="anm_vt_v2.csv"),
             _file(4, "registrations", "loaded", late, "anm_vt_v2.csv"),
             _file(5, "sessions", "held", early)]
    before = dl.statuses(wanted, files, missing={"members", "ledger", "evaluations"}, now=early)
    status = {(d.expected.source, d.file.file_name if d.file else None): d.status for d in before}
    assert status[("members", None)] == "väntas" and status[("evaluations", None)] == "väntas"
    assert status[("budget", "f.csv")] == "levererad"
    assert status[("ledger", "huvudbok_2025.csv")] == "avvisad" and ("ledger", None) not in status
    assert status[("registrations", "anm_vt_v2.csv")] == "levererad för sent"
    assert status[("registrations", "anm_vt.csv")] == "ersatt"
    assert status[("sessions", "f.csv")] == "väntar på beslut"
    after = dl.statuses(wanted, files, missing={"members"}, now=late)
    assert [d.status for d in after if d.expected.source == "members"] == ["för sent"]
    # a replaced file is listed after the one that replaced it
    regs = [d.file.file_name for d in before if d.expected.source == "registrations"]
    assert regs == ["anm_vt_v2.csv", "anm_vt.csv"]
    assert dl.headline(before, YEAR).startswith("4 leveranser saknas eller behöver åtgärdas")
    assert dl.headline([d for d in after if not d.open], YEAR).startswith("Alla leveranser för 2025")


def missing_rejected_replaced(tmp):
    """Two runs of 2025 on the demo inbox without the evaluations, with a ledger whose amount
    column is misnamed (rejected), and the spring registrations corrected by a _v2 in the second run.
    Returns (cfg, inbox). Used here and by the real-browser test (tests/test_browser.py)."""
    inbox = tmp / "inbox"
    shutil.copytree(expect.INBOX, inbox)
    for f in (inbox / "evaluations").glob("*2025*"):
        f.unlink()
    ledger = inbox / "ledger" / "huvudbok_2025.csv"
    ledger.write_bytes(ledger.read_bytes().replace(b";Belopp;", b";Summa;", 1))
    cfg = config.load(overrides={"warehouse": {"url": f"sqlite:///{tmp / 'w.db'}"},
                                 "paths": {"inbox": str(inbox), "output": str(tmp / "out")}}, environ={})
    from runreport.warehouse.engine import migrate

    migrate(cfg.warehouse.url)

    def run():
        pipeline.collect_files(cfg, YEAR)
        try:
            pipeline.validate_files(cfg, YEAR, b"secret")
        except SourceRejected:   # the run stops; load still takes the files that passed (as the DAG does)
            pass
        pipeline.load_files(cfg, YEAR)

    run()
    spring = inbox / "registrations" / "anmalningar_2025_vt.csv"
    lines = spring.read_bytes().splitlines(keepends=True)
    (inbox / "registrations" / "anmalningar_2025_vt_v2.csv").write_bytes(b"".join(lines[:-1]))   # one row fewer
    spring.unlink()
    run()
    return cfg, inbox


@pytest.fixture(scope="module")
def checklist(tmp_path_factory):
    cfg, inbox = missing_rejected_replaced(tmp_path_factory.mktemp("deliveries"))
    now = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)   # a Monday before the due day
    with pipeline.sessions(cfg)() as s:
        written = delivery_page.write(s, cfg, YEAR, now=now)
    return cfg, inbox, written


def test_the_csv_matches_the_inbox_it_ran_on(checklist):
    cfg, inbox, written = checklist
    text = open(written["csv"], encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert set(rows[0]) == set(dl.CSV_HEADER)
    by_file = {r["fil"]: r for r in rows if r["fil"]}
    in_inbox = {p.name for p in inbox.rglob("*") if p.is_file() and ("2025" in p.name or p.parent.name in (
        "members", "agreements", "population"))}
    assert in_inbox <= set(by_file) | {"anmalningar_2025_vt.csv"}
    assert by_file["huvudbok_2025.csv"]["status"] == "avvisad"
    assert by_file["anmalningar_2025_vt_v2.csv"]["status"].startswith("levererad")
    replaced = by_file["anmalningar_2025_vt.csv"]
    assert replaced["status"] == "ersatt" and replaced["ersatt av"] == "anmalningar_2025_vt_v2.csv"
    assert replaced["rader in"] == replaced["inlästa"] == ""   # its rows left the warehouse with it
    assert int(by_file["anmalningar_2025_vt_v2.csv"]["rader in"]) == 1815   # the spring file less one row
    missing = [r for r in rows if r["källa"] == "Utvärderingar"]
    assert [(r["status"], r["fil"]) for r in missing] == [("väntas", "")]
    for r in rows:   # rows in = loaded + quarantined on every delivered file
        if r["fil"] and r["status"] != "ersatt":
            assert int(r["rader in"]) == int(r["inlästa"]) + int(r["i karantän"]), r
    assert all(r["nätverk"] == cfg.tenant and r["senast"] == "2026-02-02 06:00" for r in rows)


def test_the_page_heads_with_what_to_chase_and_asks_for_the_corrected_file(checklist):
    _, _, written = checklist
    page = open(written["html"], encoding="utf-8").read()
    assert "<h1>Leveranskontroll 2025</h1>" in page
    headline = re.search(r'id="rubrik">([^<]*)<', page).group(1)
    assert "avvisad: Ekonomi (huvudbok)" in headline and "väntas: Utvärderingar" in headline
    assert "måndag 2 februari 2026 kl. 06:00 (13 dagar kvar)" in page
    request = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S).group(1)
    assert "huvudbok_2025.csv" in request and "Hej Mittuniversitetets ekonomiavdelning!" in request
    assert "senast måndag 2 februari 2026 kl. 06:00" in request
    assert "Belopp" in request or "belopp" in request   # names what is wrong in the partner's words
    assert "ekonomi-run@miun.se" in page   # the contact, configured
    emails = set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", request))
    assert not emails, emails   # no personal data in the text to send
    assert "<script" not in page


def test_the_run_page_heads_with_done_or_what_it_waits_for(tmp_path):
    from runreport import run_summary

    ok = {"source": "ledger", "file_name": "huvudbok_2025.csv", "status": "loaded", "rows_in": 3,
          "rows_loaded": 3, "rows_quarantined": 0}
    bad = {"source": "ledger", "file_name": "huvudbok_2025_v2.csv", "status": "rejected", "rows_in": 3,
           "rows_loaded": 0, "rows_quarantined": 3, "message": "huvudbok_2025_v2.csv: Kolumnen Belopp saknas"}
    done = run_summary.build(tmp_path, "RUN", YEAR, [], [ok])
    assert run_summary.headline(done) == "Klar – alla filer i körningen är inlästa"
    stopped = run_summary.build(tmp_path, "RUN", YEAR, [], [ok, bad])
    assert run_summary.headline(stopped) == ("Stoppad – väntar på rättad fil eller beslut: "
                                             "huvudbok_2025_v2.csv (Ekonomi (huvudbok))")
    page = run_summary.render_html(stopped)
    assert 'id="rubrik"' in page and "Ekonomi (huvudbok)" in page and "<td>ledger</td>" not in page
    assert 'href="leveranser.html">Leveranskontroll 2025' in page and "(svensk tid)" in page
    linked = run_summary.render_html(run_summary.build(tmp_path, "RUN", YEAR, [], [ok], run={
        "dag_id": "run_annual_report", "run_id": "scheduled__verksamhetsar-2025_2026-02-02T05:00:00+00:00"}))
    assert ('href="/dags/run_annual_report/runs/scheduled__verksamhetsar-2025_2026-02-02T05%3A00%3A00%2B00%3A00"'
            in linked)   # back to the run in Airflow (links both ways)


def test_the_run_page_is_redrawn_when_finance_releases_invoices(tmp_path):
    """Issue 17: after approval the run page said 'Fakturor i utkorgen: saknas' beside a full outbox."""
    from types import SimpleNamespace

    from runreport import run_summary

    run_summary.write(run_summary.build(tmp_path, "RUN", YEAR, [], [], run={"run_id": "scheduled__x"}), tmp_path)
    assert "Fakturor i utkorgen: saknas" in (tmp_path / "korning.md").read_text(encoding="utf-8")
    outbox = tmp_path / "invoices" / "outbox"
    outbox.mkdir(parents=True)
    for n in (1, 2):
        (outbox / f"RUN-2025-000{n}.xml").write_text("<Invoice/>", encoding="utf-8")
    cfg = SimpleNamespace(output_dir=lambda year: tmp_path)
    assert run_summary.refresh(cfg, YEAR) is not None
    page = (tmp_path / "korning.md").read_text(encoding="utf-8")
    assert "[Fakturor i utkorgen](invoices/outbox/) (2 filer)" in page and r"scheduled\_\_x" in page   # escaped text
    assert run_summary.refresh(SimpleNamespace(output_dir=lambda year: tmp_path / "none"), YEAR) is None


def test_a_file_rejected_earlier_is_not_called_already_loaded():
    from runreport.run_summary import _collected_status

    assert _collected_status({"status": "unchanged", "logged": "loaded"}) == "redan inläst"
    assert _collected_status({"status": "unchanged", "logged": "rejected"}).startswith("avvisad tidigare")
    assert _collected_status({"status": "unchanged", "logged": "replaced"}) == "ersatt av en rättad fil"
    assert _collected_status({"status": "new"}) == "ny"


def test_a_rejection_reads_once_in_swedish_on_the_run_page():
    from runreport.run_summary import _reason_sv

    o = {"file_name": "huvudbok_2025.csv", "message": "huvudbok_2025.csv: huvudbok_2025.csv: Kolumnen Belopp saknas "
                                                      "(rubriker i filen: Summa) / Required column missing: amount_sek"}
    assert _reason_sv(o) == "Kolumnen Belopp saknas (rubriker i filen: Summa)"


def test_a_broken_kept_page_never_fails_the_release(tmp_path):
    from types import SimpleNamespace

    from runreport import run_summary

    (tmp_path / ".korning.json").write_text('{"tenant": "RUN"}', encoding="utf-8")   # an older page's facts
    assert run_summary.refresh(SimpleNamespace(output_dir=lambda year: tmp_path), YEAR) is None
