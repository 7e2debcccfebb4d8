"""The annual pipeline's steps as functions, on SQLite and PostgreSQL: the demo's figures, re-runs,
corrected files and the balance chain after a late correction, an object-storage inbox."""

from __future__ import annotations

import shutil
from decimal import Decimal

import demo_expectations as expect
import pytest
from sqlalchemy import func, select

from runreport import config, pipeline
from runreport.quality import SourceRejected
from runreport.warehouse import models as m

SECRET = b"pipeline-test-secret"


def run_year(cfg, year):
    pipeline.collect_files(cfg, year)
    pipeline.validate_files(cfg, year, SECRET)
    pipeline.load_files(cfg, year)
    return pipeline.compute(cfg, year)


@pytest.fixture
def demo_cfg(tmp_path, warehouse_url):
    inbox = tmp_path / "inbox"
    shutil.copytree(expect.INBOX, inbox)
    return config.load(overrides={"warehouse": {"url": warehouse_url},
                                  "paths": {"inbox": str(inbox), "output": str(tmp_path / "out")}}, environ={})


def counts(cfg):
    with pipeline.sessions(cfg)() as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t))
                for t in (m.Registration, m.Evaluation, m.LedgerLine, m.Activity, m.Contribution, m.Balance,
                          m.IngestedFile, m.QuarantinedRow)}


def test_demo_year_figures_and_rerun(demo_cfg):
    first = run_year(demo_cfg, 2025)
    assert first["contributions_total"] == expect.contribution_total(2025)
    assert first["municipalities"] == 19
    assert Decimal(first["carry_over"]) == expect.carry_over(2025)
    before = counts(demo_cfg)
    with pipeline.sessions(demo_cfg)() as s:
        files = s.scalars(select(m.IngestedFile)).all()
        assert all(f.rows_in == f.rows_loaded + f.rows_quarantined for f in files)
        assert sum(f.rows_quarantined for f in files) == 7  # data/demo/MANIFEST.md
        assert s.scalar(select(func.count()).select_from(m.Registration).where(
            m.Registration.year == 2025, m.Registration.status == "deltog")) == expect.participants(2025)
    again = run_year(demo_cfg, 2025)
    assert again == first
    assert counts(demo_cfg) == before


def test_corrected_ledger_replaces_rows_and_flows_into_later_years(demo_cfg, tmp_path):
    run_year(demo_cfg, 2025)
    inbox = demo_cfg.path("inbox")
    original = inbox / "ledger" / "huvudbok_2023.csv"
    lines = original.read_bytes().decode("cp1252").splitlines()
    # the correction: one more cost line of 10 000 kr in 2023, and the total row updated
    header, *body = lines
    total_line = next(ln for ln in body if ln.startswith("Summa"))
    data = [ln for ln in body if ln and not ln.startswith("Summa")]
    first = data[0].split(";")
    extra = ";".join(["2399999", "1", "2023-12-30", "6550", first[4], "Rättelse AB", "10000,00", "Sen rättelse"])
    old_total = Decimal(total_line.split(";")[-1].replace(",", ".").replace(" ", ""))
    new_total = str(old_total + 10000).replace(".", ",")
    corrected = "\r\n".join([header, *data, extra, f"Summa;;;;;;{new_total}"]) + "\r\n"
    (inbox / "ledger" / "huvudbok_2023_v2.csv").write_bytes(corrected.encode("cp1252"))
    before = {b.year: b for b in pipeline.sessions(demo_cfg)().scalars(select(m.Balance))}
    run_year(demo_cfg, 2025)
    with pipeline.sessions(demo_cfg)() as s:
        after = {b.year: b for b in s.scalars(select(m.Balance))}
        logs = {f.file_name: f.status for f in s.scalars(select(m.IngestedFile).where(m.IngestedFile.source == "ledger"))}
        assert logs["huvudbok_2023.csv"] == "replaced" and logs["huvudbok_2023_v2.csv"] == "loaded"
        assert s.scalar(select(func.count()).select_from(m.LedgerLine).where(m.LedgerLine.year == 2023)) == len(data) + 1
    for year in (2023, 2024, 2025):
        assert after[year].closing_sek == before[year].closing_sek - 10000
    assert after[2024].opening_sek == after[2023].closing_sek


def test_same_file_again_is_a_no_op(demo_cfg):
    run_year(demo_cfg, 2025)
    before = counts(demo_cfg)
    src = demo_cfg.path("inbox") / "registrations" / "anmalningar_2025_vt.csv"
    shutil.copy(src, src.with_name("kopia_anmalningar_2025_vt.csv"))
    run_year(demo_cfg, 2025)
    assert counts(demo_cfg) == before


def test_rejected_source_blocks_but_others_load(demo_cfg):
    inbox = demo_cfg.path("inbox")
    bad = inbox / "evaluations" / "utvarderingar_2025.csv"
    text = bad.read_bytes().decode("utf-8-sig").splitlines()
    rows = [text[0]] + [ln.replace(";4;", ";9;") for ln in text[1:]]  # most Likert answers out of range
    bad.write_bytes(("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8"))
    pipeline.collect_files(demo_cfg, 2025)
    with pytest.raises(SourceRejected, match="utvarderingar_2025.csv"):
        pipeline.validate_files(demo_cfg, 2025, SECRET)
    summary = (demo_cfg.output_dir(2025) / "validation" / "sammanfattning.md").read_text(encoding="utf-8")
    assert "utvarderingar\\_2025.csv" in summary or "utvarderingar_2025.csv" in summary
    pipeline.load_files(demo_cfg, 2025)
    with pipeline.sessions(demo_cfg)() as s:
        log = s.scalars(select(m.IngestedFile).where(m.IngestedFile.file_name == "utvarderingar_2025.csv")).one()
        assert log.status == "rejected" and log.rows_loaded == 0 and log.rows_quarantined == log.rows_in > 0
        assert s.scalar(select(func.count()).select_from(m.Evaluation).where(m.Evaluation.year == 2025)) == 0
        assert s.scalar(select(func.count()).select_from(m.Registration).where(m.Registration.year == 2025)) > 0
    # the next run still blocks, from the log, until a corrected file for the same slot loads
    pipeline.collect_files(demo_cfg, 2025)
    with pytest.raises(SourceRejected, match="avvisad tidigare"):
        pipeline.validate_files(demo_cfg, 2025, SECRET)
    good = expect.INBOX / "evaluations" / "utvarderingar_2025.csv"
    shutil.copy(good, inbox / "evaluations" / "utvarderingar_2025_v2.csv")
    pipeline.collect_files(demo_cfg, 2025)
    pipeline.validate_files(demo_cfg, 2025, SECRET)
    pipeline.load_files(demo_cfg, 2025)
    with pipeline.sessions(demo_cfg)() as s:
        assert s.scalar(select(func.count()).select_from(m.Evaluation).where(m.Evaluation.year == 2025)) > 1000


def test_inbox_as_object_storage_path(tmp_path):
    """The inbox may be any ObjectStoragePath URL; file:// exercises the same code path as s3://."""
    inbox = tmp_path / "inbox"
    shutil.copytree(expect.INBOX, inbox)
    cfg = config.load(overrides={"warehouse": {"url": f"sqlite:///{tmp_path / 'w.db'}"},
                                 "paths": {"inbox": f"file://{inbox}", "output": str(tmp_path / "out")}}, environ={})
    result = pipeline.collect_files(cfg, 2025)
    assert result["new"] == result["files"] == 21


def test_workers_do_not_change_the_outcome(tmp_path):
    """Checking the files on a pool of worker processes gives the same findings, in the same
    order, and the same warehouse as checking them one after another in this process."""

    results = {}
    for workers in (1, 2):
        inbox = tmp_path / f"inbox{workers}"
        shutil.copytree(expect.INBOX, inbox)
        cfg = config.load(overrides={
            "warehouse": {"url": f"sqlite:///{tmp_path / f'w{workers}.db'}"},
            "paths": {"inbox": str(inbox), "output": str(tmp_path / f"out{workers}")},
            "validation": {"workers": workers}}, environ={})
        first = run_year(cfg, 2025)
        first.pop("contribution_table")  # a path in the run's own output folder
        outcomes = pipeline.staged_summary(cfg, 2025)[1]
        results[workers] = (first, outcomes, counts(cfg))
    assert sum(o["rows_quarantined"] for o in results[1][1]) == 7  # data/demo/MANIFEST.md
    assert results[1] == results[2]


def test_corrected_files_for_two_slots_in_one_run_are_not_duplicates_of_the_rows_they_replace(demo_cfg):
    """A corrected VT file and a corrected HT file of the same year arrive together: each replaces its
    own slot's rows, so neither is checked against the rows the other replaces (before, the HT file's
    rows were quarantined as duplicates of the old HT rows)."""
    from openpyxl import load_workbook

    run_year(demo_cfg, 2025)
    before = counts(demo_cfg)
    folder = demo_cfg.path("inbox") / "registrations"
    vt = folder / "anmalningar_2025_vt.csv"
    (folder / "anmalningar_2025_vt_v2.csv").write_bytes(vt.read_bytes() + b"\r\n")  # same rows, new file
    wb = load_workbook(folder / "registrations_2025_ht.xlsx")
    wb.properties.title = "rättad"
    wb.save(folder / "registrations_2025_ht_v2.xlsx")
    run_year(demo_cfg, 2025)  # raises SourceRejected if the rows were taken for duplicates
    with pipeline.sessions(demo_cfg)() as s:
        logs = {f.file_name: (f.status, f.rows_quarantined) for f in s.scalars(
            select(m.IngestedFile).where(m.IngestedFile.source == "registrations", m.IngestedFile.year == 2025))}
    assert logs["anmalningar_2025_vt.csv"][0] == logs["registrations_2025_ht.xlsx"][0] == "replaced"
    assert logs["anmalningar_2025_vt_v2.csv"] == ("loaded", logs["anmalningar_2025_vt.csv"][1])
    assert logs["registrations_2025_ht_v2.xlsx"] == ("loaded", logs["registrations_2025_ht.xlsx"][1])
    after = counts(demo_cfg)
    assert after["registration"] == before["registration"]
    assert after["ingested_file"] == before["ingested_file"] + 2
