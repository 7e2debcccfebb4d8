"""Personal data never leaves ingest, tried the way it happens (issue 12): e-mail addresses,
personnummer in every common form, samordningsnummer, phone numbers and registrants' names planted in
EVERY field of EVERY source's file and in every file name, then the real DAG (``airflow dags test
run_annual_report``) runs on them. None of the planted values may appear in any file the run leaves
(report, invoices' material, CSV, HTML, Markdown, Data Docs, quarantine, run page; Word and Excel
unzipped, PDFs through pdftotext), in the task logs, the notifications, the staging area, the
command's own output or Airflow's metadata database (XComs, run notes).

The run itself fails (a reference file with a junk row is rejected): that is the path on which
reasons, notices and pages name the most partner values.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from airflow_helpers import AIRFLOW, airflow_env
from test_privacy import DEMO, EMAIL, PHONES, PNRS, _texts

YEAR = 2025
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

NAMES = ["Eva Lind", "Anders Eriksson"]          # both register in the planted file
PLANTED = [*PNRS, *PHONES, EMAIL, *NAMES]
IN_FILE_NAMES = ["Eva Lind", "850101-1234", "eva.lind@skola.example", "070-123 45 67"]


def _encoding(raw: bytes) -> str:
    return "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "cp1252"


def _plant_csv(path: Path, k: int) -> Path:
    """Append one row per column, each a copy of the last data row with that column replaced by a
    planted value; rename the file with a planted value in its name. Returns the new path."""
    raw = path.read_bytes()
    enc = _encoding(raw)
    lines = raw.decode(enc).splitlines()
    header_at = max(range(min(len(lines), 6)), key=lambda i: lines[i].count(";"))
    width = lines[header_at].count(";") + 1
    template = next(line for line in reversed(lines) if line.count(";") + 1 == width and line.strip())
    cells = template.split(";")
    for col in range(width):
        row = list(cells)
        value = PLANTED[(col + k) % len(PLANTED)]
        row[col] = f'"{value}"' if row[col].startswith('"') else value
        lines.append(";".join(row))
    if path.parent.name == "registrations":
        lines.append(f"RUN25-13;Eva Lind;{EMAIL};Östersund;Lärare;2/1/2025;deltog")
    path.unlink()
    target = path.with_name(f"{path.stem} {IN_FILE_NAMES[k % len(IN_FILE_NAMES)]}{path.suffix}")
    target.write_bytes(("\r\n".join(lines) + "\r\n").encode(enc, "replace"))
    return target


def _plant_inbox(inbox: Path) -> list[str]:
    planted_files = []
    for k, path in enumerate(sorted(p for p in inbox.rglob("*") if p.is_file())):
        is_year = str(YEAR) in path.name
        if path.suffix == ".csv" and (is_year or not re.search(r"20\d\d", path.name.replace("2020-2025", ""))):
            planted_files.append(_plant_csv(path, k).name)
        elif is_year:   # an .xlsx of the year: the personal data is in its name
            target = path.with_name(f"{path.stem} {IN_FILE_NAMES[k % len(IN_FILE_NAMES)]}{path.suffix}")
            path.rename(target)
            planted_files.append(target.name)
    return planted_files


def test_planted_personal_data_reaches_no_output_log_notice_or_staging(tmp_path):
    inbox, out, notes, home = (tmp_path / d for d in ("inbox", "out", "notes", "home"))
    shutil.copytree(DEMO, inbox)
    files = _plant_inbox(inbox)
    sources = {p.parent.name for p in inbox.rglob("*") if p.is_file() and any(p.name == f for f in files)}
    assert sources == {"agreements", "budget", "evaluations", "ledger", "members", "population",
                       "registrations", "sessions"}, sources
    home.mkdir()
    env = airflow_env(home, RUN_WAREHOUSE__URL=f"sqlite:///{tmp_path / 'warehouse.db'}",
                      RUN_PATHS__INBOX=str(inbox), RUN_PATHS__OUTPUT=str(out), RUN_PATHS__NOTIFICATIONS=str(notes),
                      AIRFLOW__LOGGING__LOGGING_LEVEL="INFO", RUN_INVOICING__BASIS_PDF="false")
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    run = subprocess.run([AIRFLOW, "dags", "test", "run_annual_report", "-c", json.dumps({"year": YEAR})],
                         env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode != 0   # the rejected reference files stop the run, loudly

    # it ran far enough to say something about every file, and to write pages and a notice
    page = (out / "RUN" / str(YEAR) / "korning.html").read_text(encoding="utf-8")
    assert "[namn]" in page or "[personnummer]" in page or "[e-post]" in page
    assert list(notes.glob("*.jsonl")), "no notification was written"
    assert len(list((out / "RUN" / str(YEAR) / "validation" / "filer").glob("*.html"))) >= len(files)

    secrets = PLANTED + IN_FILE_NAMES
    found = []
    for folder in (out, notes, home / "logs", tmp_path / "staging"):
        if folder.exists():
            for path, text in _texts(folder):
                seen = text + "\n" + text.replace("_", " ")   # file names made path-safe
                found += [(str(path.relative_to(tmp_path)), s) for s in secrets if s in seen]
    found += [("airflow dags test output", s) for s in secrets if s in run.stdout + run.stderr]
    metadata = (home / "airflow.db").read_bytes()
    found += [("Airflow metadata DB", s) for s in secrets if s.encode() in metadata]
    assert not found, sorted(set(found))[:30]
    assert not (tmp_path / "staging" / "RUN" / str(YEAR)).exists() or not any(
        (tmp_path / "staging" / "RUN" / str(YEAR)).rglob("*.csv"))
