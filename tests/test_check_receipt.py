"""The receipt before the run (``python -m runreport.check``, issue 17): one file checked against the
contract without loading it gives the outcome the annual run gives the same file, writes nothing,
and shows no partner's e-mail address or name. SQLite only."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import badcorpus
import pytest

from runreport import check as check_cli
from runreport import config, pipeline, privacy, receipt
from runreport.quality import SourceRejected

SECRET = b"test-secret"
ROOT = Path(__file__).resolve().parents[1]


def _run(cfg, year):
    """A run of collect -> validate -> load, as tests/test_bad_corpus.py runs it."""
    pipeline.collect_files(cfg, year)
    try:
        pipeline.validate_files(cfg, year, SECRET, run_name="corpus")
    except SourceRejected:
        pass
    pipeline.load_files(cfg, year)


def _cfg(root: Path):
    return config.load(overrides={"warehouse": {"url": f"sqlite:///{root / 'warehouse.db'}"},
                                  "paths": {"inbox": str(root / "inbox"), "output": str(root / "out")}}, environ={})


def _inbox_with_reference(inbox: Path) -> None:
    for source, path in badcorpus.reference_files():
        (inbox / source).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, inbox / source / path.name)


@pytest.fixture(scope="module")
def reference_db(tmp_path_factory) -> Path:
    """The warehouse the corpus test builds before a case's file: the reference data loaded."""
    root = tmp_path_factory.mktemp("reference")
    _inbox_with_reference(root / "inbox")
    _run(_cfg(root), badcorpus.YEAR)
    return root / "warehouse.db"


@pytest.fixture
def warehouse(reference_db, tmp_path):
    """A copy of the reference warehouse (with its inbox) for one test: its configuration."""
    with sqlite3.connect(reference_db) as src, sqlite3.connect(tmp_path / "warehouse.db") as dst:
        src.backup(dst)
    _inbox_with_reference(tmp_path / "inbox")
    return _cfg(tmp_path)


def _status(outcome: dict) -> str:
    return "loaded" if outcome["status"] == "new" else outcome["status"]


def _assert_same(r: receipt.Receipt, o: dict, name: str) -> None:
    """The receipt says what the run did with the file."""
    assert r.status == _status(o), (name, r.status, o["status"], o.get("message"))
    if r.status == "set_aside":
        said = (o["message"] or "").removeprefix(f"{o['file_name']}: ").split(" / ")[0]
        assert r.reason_sv == said, (name, r.reason_sv, said)   # the reason collect gives, word for word
        return
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (o["rows_in"], o["rows_loaded"], o["rows_quarantined"]), name
    assert r.rows_in == r.rows_loaded + r.rows_quarantined
    assert {(i.row, i.field, i.rule) for i in r.issues} == {(i["row"], i["field"], i["rule"]) for i in o["issues"]}, name


@pytest.mark.parametrize("case", badcorpus.cases(), ids=badcorpus.case_ids())
def test_receipt_matches_the_run_on_the_bad_corpus(case, warehouse, tmp_path):
    """The check-a-file receipt matches the annual run's outcome for the same file on the whole
    bad-input corpus: status, rows in/loaded/quarantined and every (row, field, rule)."""
    cfg, inbox = warehouse, tmp_path / "inbox"
    case.materialise(tmp_path / "generated")
    for drop in case.drops:
        placed = {}
        for f in drop:
            target = inbox / (f.place or f"{case.source}/{f.file_name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(case.file_path(f), target)
            placed[f.name] = target
        # every receipt before the run, against the warehouse as the run finds it
        receipts = {name: receipt.check(target, cfg, SECRET, year=badcorpus.YEAR) for name, target in placed.items()}
        _run(cfg, badcorpus.YEAR)
        entries, outcomes = pipeline.staged_summary(cfg, badcorpus.YEAR)
        by_name = {o["file_name"]: o for o in outcomes}
        copy_of = {e["file_name"]: e.get("copy_of") for e in entries}
        for f in drop:
            o = by_name[f.summary_name]
            r = receipts[f.name]
            if o["status"] == "copy":   # the run reads the same bytes once, under the other name
                o = by_name[copy_of[f.summary_name]]
            _assert_same(r, o, f.name)
            assert r.accepted == (f.status in ("loaded", "copy", "unchanged") and o["status"] != "rejected")
            text = r.text_sv()
            assert r.verdict_sv in text and (r.status == "set_aside" or f"{r.rows_in} in" in text)


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("in_use", [False, True], ids=["closed", "in_use"])
def test_a_check_writes_nothing(in_use, warehouse, tmp_path, monkeypatch, capsys):
    """The warehouse, the output folder, the inbox (and the working folder) are byte for byte the
    same after checks of a good file, a file with quarantined rows and a rejected one; also while
    another process has the warehouse open (its write-ahead log exists)."""
    cfg, inbox = warehouse, tmp_path / "inbox"
    if in_use:
        from sqlalchemy import text

        from runreport.warehouse.engine import get_engine

        conn = get_engine(cfg.warehouse_url).connect()
        conn.execute(text("SELECT count(*) FROM member")).scalar()
        assert (tmp_path / "warehouse.db-wal").exists()
    (tmp_path / "out" / "RUN" / "2025").mkdir(parents=True)
    (tmp_path / "out" / "RUN" / "2025" / "korning.html").write_text("<p>förra körningen</p>", encoding="utf-8")
    files = []
    for n, case_id in enumerate(("01_encoding_cp1252", "11_unknown_municipality", "25_total_row_mismatch")):
        (case,) = [c for c in badcorpus.cases() if c.id == case_id]
        name = Path(case.files[0].file_name)
        target = inbox / case.source / f"{name.stem}_del{n}{name.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(case.file_path(case.files[0]), target)
        files.append(target)
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    codes = [check_cli.main([str(f), "--year", "2025"], cfg=cfg, secret=SECRET) for f in files]
    capsys.readouterr()
    codes.append(check_cli.main([str(files[0]), "--json"], cfg=cfg, secret=SECRET))
    assert json.loads(capsys.readouterr().out)["verdict_sv"] == "godkänd"
    assert codes == [0, 0, 1, 0]
    assert _snapshot(tmp_path) == before
    assert not (tmp_path / "out" / "RUN" / "2025" / "validation").exists()
    if in_use:
        conn.close()


def test_exit_codes(warehouse, tmp_path, capsys):
    cfg = warehouse
    (case,) = [c for c in badcorpus.cases() if c.id == "26_rejected_share_exceeded"]
    assert check_cli.main([str(case.file_path(case.files[0]))], cfg=cfg, secret=SECRET) == 1
    assert "Besked: avvisad" in capsys.readouterr().out
    (case,) = [c for c in badcorpus.cases() if c.id == "32_population_typo"]
    assert check_cli.main([str(case.file_path(case.files[0])), "--year", "2025"], cfg=cfg, secret=SECRET) == 1
    assert "Besked: väntar på beslut" in capsys.readouterr().out
    (case,) = [c for c in badcorpus.cases() if c.id == "11_unknown_municipality"]
    assert check_cli.main([str(case.file_path(case.files[0]))], cfg=cfg, secret=SECRET) == 0
    out = capsys.readouterr().out
    assert "Besked: godkänd med rader i karantän" in out and "Leverans: Anmälningar 2025" in out
    assert "30 in = 29 läses in + 1 i karantän" in out
    unplaced = tmp_path / "rapport.csv"
    unplaced.write_bytes(case.file_path(case.files[0]).read_bytes())
    assert check_cli.main([str(unplaced)], cfg=cfg, secret=SECRET) == 1
    out = capsys.readouterr().out
    assert "namnet följer ingen källas mönster" in out and "anmalningar*" in out
    assert check_cli.main([str(unplaced), "--source", "registrations"], cfg=cfg, secret=SECRET) == 1  # not its name
    capsys.readouterr()
    assert check_cli.main([str(tmp_path / "saknas_2025.csv")], cfg=cfg, secret=SECRET) == 2
    with pytest.raises(SystemExit) as exc:
        check_cli.main([str(unplaced), "--source", "okand"], cfg=cfg, secret=SECRET)
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        check_cli.main([], cfg=cfg, secret=SECRET)
    assert exc.value.code == 2


def test_python_m_runreport_check(warehouse, tmp_path):
    """The command as a steward runs it: the run's configuration from the environment."""
    (case,) = [c for c in badcorpus.cases() if c.id == "10_duplicated_rows"]
    env = {**os.environ, "RUN_WAREHOUSE__URL": warehouse.warehouse_url, "RUN_PATHS__INBOX": str(tmp_path / "inbox"),
           "RUN_PATHS__OUTPUT": str(tmp_path / "out"), "AIRFLOW_VAR_RUN_PSEUDONYM_SECRET": SECRET.decode()}
    before = _snapshot(tmp_path)
    done = subprocess.run([sys.executable, "-m", "runreport.check", str(case.file_path(case.files[0])), "--json"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["status"], data["rows_in"], data["rows_loaded"], data["rows_quarantined"]) == ("loaded", 31, 30, 1)
    assert data["verdict_sv"] == "godkänd med rader i karantän"
    assert _snapshot(tmp_path) == before


def test_no_email_address_or_name_in_the_receipt(warehouse, tmp_path, capsys):
    """A registration file whose bad rows hold e-mail addresses (one where a municipality should
    be) and names: the receipt, as text and as JSON, shows none of them."""
    (case,) = [c for c in badcorpus.cases() if c.id == "10_duplicated_rows"]
    lines = case.file_path(case.files[0]).read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(";")    # spreadsheet row 4
    cells[3] = "karin.lund@example.se"   # Kommun/organisation: a value its reason would show
    lines[3] = ";".join(cells)
    path = tmp_path / "anmalningar_2025.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    emails = set(privacy.EMAIL.findall(text))
    assert "karin.lund@example.se" in emails and len(emails) > 5
    assert check_cli.main([str(path)], cfg=warehouse, secret=SECRET) in (0, 1)
    assert check_cli.main([str(path), "--json"], cfg=warehouse, secret=SECRET) in (0, 1)
    out = capsys.readouterr().out
    assert "rad 4" in out or '"row": 4' in out
    for email in emails:
        assert email not in out and email.split("@")[0] not in out, email
    import csv

    names = {r.get("Namn") or r.get("Deltagare") or "" for r in csv.DictReader(text.splitlines(), delimiter=";")}
    for name in names - {""}:
        assert name not in out, name


def test_without_members_a_registration_file_is_not_judged(tmp_path, capsys):
    """No warehouse yet: every organisation would read as unknown and a good file as rejected
    (found by a steward's review); the receipt says it cannot check yet, exit 2."""
    cfg = _cfg(tmp_path)
    (case,) = [c for c in badcorpus.cases() if c.id == "10_duplicated_rows"]
    assert check_cli.main([str(case.file_path(case.files[0]))], cfg=cfg, secret=SECRET) == 2
    out = capsys.readouterr().out
    assert "Besked: kan inte kontrolleras ännu" in out and "läs in medlemsfilen först" in out
    assert "Okänd kommun" not in out and "Rader:" not in out


def test_without_the_networks_key_the_check_runs_and_says_what_it_could_not_compare(warehouse, capsys, monkeypatch):
    from runreport import runcontext

    def no_key(cfg):  # noqa: ANN001, ANN202
        raise RuntimeError("Hemlig nyckel saknas")

    monkeypatch.setattr(runcontext, "pseudonym_secret", no_key)
    (case,) = [c for c in badcorpus.cases() if c.id == "10_duplicated_rows"]   # accepted, one duplicate row
    assert check_cli.main([str(case.file_path(case.files[0]))], cfg=warehouse) == 0
    out = capsys.readouterr().out
    assert "Besked: godkänd" in out and "nyckel för pseudonymer finns inte här" in out


def test_the_command_gives_the_logging_level_back(warehouse, capsys):
    """It quiets the package's log while it speaks; a process that calls it keeps its own level (a test
    session's later log assertions failed when it did not)."""
    import logging

    logger = logging.getLogger("runreport")
    before = logger.level
    (case,) = [c for c in badcorpus.cases() if c.id == "10_duplicated_rows"]
    check_cli.main([str(case.file_path(case.files[0]))], cfg=warehouse, secret=SECRET)
    assert logger.level == before
