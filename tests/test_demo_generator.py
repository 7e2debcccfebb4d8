"""The demo-data generator is deterministic and the committed ``data/demo`` cannot drift from it."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
import yaml
from stdnum import luhn

from runreport.config import PROJECT_ROOT
from tools.demo.generator import generate

DEMO = PROJECT_ROOT / "data" / "demo"
YEARS = (2023, 2024, 2025)
SEED = 2026


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo_a")
    generate(out, YEARS, SEED)
    return out


def _csv_rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("cp1252")
    return [r for r in csv.reader(io.StringIO(text), delimiter=";") if r]


def _xlsx_row_count(path: Path) -> int:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml").count(b"<row ") - 1


def test_two_runs_are_byte_identical(fresh, tmp_path):
    generate(tmp_path, YEARS, SEED)
    a, b = _files(fresh), _files(tmp_path)
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_committed_demo_equals_fresh_generation(fresh):
    committed, new = _files(DEMO), _files(fresh)
    assert sorted(committed) == sorted(new), "data/demo has missing or extra files: regenerate it"
    drift = [k for k in new if committed[k] != new[k]]
    assert drift == [], f"data/demo drifted from the generator: {drift[:5]} (run python -m tools.demo.generator)"


def test_members_2025(fresh):
    rows = _csv_rows(fresh / "inbox/members/members_2020-2025.csv")[1:]
    active = {r[0] for r in rows
              if date.fromisoformat(r[6]) <= date(2025, 12, 31) and (not r[7] or date.fromisoformat(r[7]) >= date(2025, 1, 1))}
    assert len(active) == 19
    for r in rows:
        assert re.fullmatch(r"212000\d{4}", r[4]) and luhn.is_valid(r[4])
    nordanstig = sorted((r[6], r[7]) for r in rows if r[0] == "2132")
    assert nordanstig == [("2020-01-01", "2022-12-31"), ("2024-07-01", "")]


def test_registrations_per_year(fresh):
    reg = fresh / "inbox/registrations"
    for y in YEARS:
        n = len(_csv_rows(reg / f"anmalningar_{y}_vt.csv")) - 1 + _xlsx_row_count(reg / f"registrations_{y}_ht.xlsx")
        assert 2_000 <= n <= 5_000, (y, n)


def test_contributions_close_to_930k(fresh):
    lines = (fresh / "inbox/population/BE0101_folkmangd_2019-2025.csv").read_bytes().decode("cp1252").splitlines()
    assert lines[0] == '"Folkmängd efter region och år"' and lines[1] == ""
    total_2024 = sum(int(line.split(";")[6]) for line in lines[3:] if line.startswith('"2') and ";" in line)
    assert 900_000 <= 2 * total_2024 <= 960_000


def test_manifest_lists_bad_rows_and_missing_narrative(fresh):
    manifest = (fresh / "MANIFEST.md").read_text(encoding="utf-8")
    for needle in ("Gotham kommun", "HYPERLINK", "ca 5000", "exact duplicate", "wrong year", "Likert value 7",
                   "required field empty"):
        assert needle in manifest
    missing = re.search(r"WITHOUT a staff text.*?`(RUN25-\d\d)`", manifest).group(1)
    acts = fresh / "narrative/2025/activities"
    assert not (acts / f"{missing}.md").exists()
    budget = {r[0] for r in _csv_rows(fresh / "inbox/budget/handlingsplan_2025.csv")[1:]}
    assert budget - {p.stem for p in acts.glob("*.md")} == {missing}


def test_bad_row_positions_match_manifest(fresh):
    manifest = (fresh / "MANIFEST.md").read_text(encoding="utf-8")
    vt = (fresh / "inbox/registrations/anmalningar_2025_vt.csv").read_bytes().decode("cp1252").split("\r\n")
    line = int(re.search(r"anmalningar_2025_vt.csv` \| \d+ \| (\d+) \| Anmälningsdatum", manifest).group(1))
    assert vt[line - 1].split(";")[5].endswith("/2015")


def test_generator_headings_are_mapped(fresh):
    mappings = yaml.safe_load((PROJECT_ROOT / "config/mappings.yaml").read_text(encoding="utf-8"))
    for source, fields in mappings.items():
        seen: dict[str, str] = {}
        for canonical, variants in fields.items():
            for v in variants:
                key = str(v).strip().casefold()
                assert seen.setdefault(key, canonical) == canonical, (source, v)
    for folder in (fresh / "inbox").iterdir():
        if folder.name == "population":
            continue
        known = {str(v).strip().casefold() for vs in mappings[folder.name].values() for v in vs}
        for f in folder.iterdir():
            if f.suffix == ".csv":
                header = _csv_rows(f)[0]
            else:
                from openpyxl import load_workbook

                wb = load_workbook(f, read_only=True)
                header = [c for c in next(wb.active.iter_rows(values_only=True))]
                wb.close()
            assert [h for h in header if h.strip().casefold() not in known] == [], f.name
