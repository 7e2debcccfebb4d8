"""Collection accounts for every entry of the inbox: collected, or set aside with a reason the
stewards see on the run page; junk never blocks the annual run; the year comes from the name's
year, not from an export date in it."""

from __future__ import annotations

import os
import shutil

import badcorpus

from runreport import config, pipeline, run_summary
from runreport.ingest.collect import survey, year_of, years_in_name

SECRET = b"test-secret"


def test_the_year_is_the_names_year_not_an_export_date():
    assert year_of("registrations", "anmalningar_vt2025_export_2026-01-15.csv") == 2025
    assert year_of("registrations", "anmalningar_2025_export_20260115.csv") == 2025
    assert year_of("registrations", "anmalningar_2025_vt.csv") == 2025
    assert years_in_name("anmalningar_2024_2025.csv") == {2024, 2025}
    assert year_of("registrations", "anmalningar_2024_2025.csv") is None
    assert year_of("members", "members_2020-2025.csv") is None   # reference data has no year


def _inbox(tmp_path):
    inbox = tmp_path / "inbox"
    for source, path in badcorpus.reference_files():
        (inbox / source).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, inbox / source / path.name)
    reg = badcorpus.BAD_DIR / "10_duplicated_rows" / "anmalningar_2025.csv"
    (inbox / "Registrations").mkdir()                       # a source folder in another case
    shutil.copy(reg, inbox / "Registrations" / "anmalningar_vt2025_export_2026-01-15.csv")
    junk = {"Thumbs.db": b"\x00\x01", ".DS_Store": b"\x00", "desktop.ini": b"[x]", "README.md": b"# hej",
            "~$anmalningar_2025.xlsx": b"lock", "underlag.pdf": b"%PDF-1.4", "anmalningar_2024_2025.csv": b"a;b\n"}
    for name, data in junk.items():
        (inbox / "Registrations" / name).write_bytes(data)
    (inbox / "Registrations" / "2025").mkdir()
    shutil.copy(reg, inbox / "Registrations" / "2025" / "anmalningar_ht_2025.csv")
    (inbox / "anteckningar.txt").write_text("inte en källa")
    (inbox / "gammalt").mkdir()
    os.symlink(inbox / "members" / "medlemmar.csv", inbox / "Registrations" / "lank_2025.csv")
    return inbox


def test_every_entry_is_collected_or_set_aside_with_a_reason(tmp_path):
    found = survey(_inbox(tmp_path), max_year=2025)
    collected = {(f.source, f.name, f.year) for f in found.files}
    assert ("registrations", "anmalningar_vt2025_export_2026-01-15.csv", 2025) in collected
    aside = {(a.source, a.name): a.rule for a in found.set_aside}
    assert aside == {
        ("registrations", "Thumbs.db"): "system_file", ("registrations", ".DS_Store"): "system_file",
        ("registrations", "desktop.ini"): "system_file", ("registrations", "README.md"): "unsupported_type",
        ("registrations", "~$anmalningar_2025.xlsx"): "lock_file", ("registrations", "underlag.pdf"): "unsupported_type",
        ("registrations", "anmalningar_2024_2025.csv"): "year_ambiguous", ("registrations", "2025"): "subfolder",
        ("registrations", "lank_2025.csv"): "symlink", (None, "anteckningar.txt"): "unknown_folder",
        (None, "gammalt"): "unknown_folder"}
    assert all(a.reason_sv and a.reason_en for a in found.set_aside)


def test_junk_in_the_inbox_never_blocks_the_run_and_the_run_page_says_why(tmp_path, warehouse_url):
    inbox = _inbox(tmp_path)
    cfg = config.load(overrides={"warehouse": {"url": warehouse_url},
                                 "paths": {"inbox": str(inbox), "output": str(tmp_path / "out")}}, environ={})
    pipeline.collect_files(cfg, 2025)
    pipeline.validate_files(cfg, 2025, SECRET, run_name="t")   # raises SourceRejected if anything blocks
    loaded = pipeline.load_files(cfg, 2025)
    assert loaded["rows_loaded"] >= 30   # the registrations of the folder written 'Registrations'
    collected, outcomes = pipeline.staged_summary(cfg, 2025)
    statuses = {o["file_name"]: o["status"] for o in outcomes}
    assert statuses["anmalningar_vt2025_export_2026-01-15.csv"] == "new"
    assert statuses["README.md"] == "set_aside" and statuses["~$anmalningar_2025.xlsx"] == "set_aside"
    assert len(collected) == len(outcomes)   # every entry has its outcome
    paths = run_summary.publish(cfg, 2025)
    page = open(paths["html"], encoding="utf-8").read()
    assert "<h3>Läses inte</h3>" in page
    assert "registrations/~$anmalningar_2025.xlsx</strong>: låsfil" in page
    assert "registrations/2025</strong>: undermapp" in page and "(inkorgen)/gammalt" in page


def test_a_file_still_being_written_is_left_for_the_next_run(tmp_path):
    import time

    inbox = tmp_path / "inbox"
    (inbox / "registrations").mkdir(parents=True)
    fresh = inbox / "registrations" / "anmalningar_2025.csv"
    fresh.write_text("Aktivitet;Namn\n")
    settled = inbox / "registrations" / "anmalningar_2025_ht.csv"
    settled.write_text("Aktivitet;Namn\n")
    old = time.time() - 600
    os.utime(settled, (old, old))
    found = survey(inbox, 2025, settle_seconds=120)
    assert [f.name for f in found.files] == ["anmalningar_2025_ht.csv"]
    assert [(a.name, a.rule) for a in found.set_aside] == [("anmalningar_2025.csv", "being_written")]
    assert [f.name for f in survey(inbox, 2025).files] == ["anmalningar_2025.csv", "anmalningar_2025_ht.csv"]


def test_links_pipes_odd_names_and_dates_found_by_review(tmp_path):
    """An adversarial review's findings: a symlinked source folder is not followed, a pipe does not
    hang the survey, README.txt and LibreOffice lock files are set aside, day-first and unpadded
    export dates are not years, a year followed by a day-month code stays the year, and a later
    year's file is accounted for."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "handlingsplan_2025.csv").write_text("x")
    inbox = tmp_path / "inbox"
    (inbox / "registrations").mkdir(parents=True)
    os.symlink(outside, inbox / "budget")
    (inbox / "members").write_text("not a folder")
    reg = inbox / "registrations"
    for name in ("README.txt", ".~lock.anmalningar_2025.csv#", "anmalningar_export_15-01-2026.csv",
                 "anmalningar_ht25_export_2026-1-15.csv", "anmalningar_2025_1101.csv", "anmalningar_2026.csv"):
        (reg / name).write_text("Aktivitet\n")
    os.mkfifo(reg / "anmalningar_2025_pipe.csv")
    found = survey(inbox, 2025)
    aside = {(a.source, a.name): a.rule for a in found.set_aside}
    assert aside[(None, "budget")] == "symlink" and aside[(None, "members")] == "unknown_folder"
    assert aside[("registrations", "README.txt")] == "name_not_matching"
    assert aside[("registrations", ".~lock.anmalningar_2025.csv#")] == "lock_file"
    assert aside[("registrations", "anmalningar_2025_pipe.csv")] == "not_a_file"
    assert aside[("registrations", "anmalningar_2026.csv")] == "later_year"
    years = {f.name: f.year for f in found.files}
    assert years == {"anmalningar_export_15-01-2026.csv": None, "anmalningar_ht25_export_2026-1-15.csv": None,
                     "anmalningar_2025_1101.csv": 2025}
    assert "handlingsplan_2025.csv" not in {f.name for f in found.files}
