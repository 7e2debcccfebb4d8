"""The benchmark script runs (tiny sizes): networks in parallel processes give the same rows,
invoices and contributions as one network after another. No time is asserted here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import run_benchmark

    yield run_benchmark
    sys.path.remove(str(ROOT / "benchmarks"))


def test_parallel_networks_give_the_same_warehouse(bench, tmp_path, monkeypatch):
    from sqlalchemy import create_engine, text

    monkeypatch.setenv("RUNBENCH_NETWORKS", "3")
    monkeypatch.setattr(bench, "NATIONAL_SCALE", 0.1)
    data = tmp_path / "data"
    bench.generate("national-year", 1.0, data)
    runs = {p: bench.run_pipeline("national-year", 1.0, data, tmp_path / f"p{p}", parallel=p) for p in (1, 2)}
    seq, par = runs[1]["counts"], runs[2]["counts"]
    assert seq["networks"] == par["networks"] == 3
    assert seq["rows_in"] > 0 and seq == par
    assert runs[1]["rows_by_source"] == runs[2]["rows_by_source"]
    assert par["invoices"] == 12 + 12 + 12  # the first three networks have 12 municipalities each

    def contributions(p: int) -> list:
        engine = create_engine(f"sqlite:///{tmp_path / f'p{p}' / 'warehouse.db'}")
        with engine.connect() as c:
            rows = c.execute(text("SELECT tenant, year, municipality_code, amount_sek FROM contribution "
                                  "ORDER BY tenant, year, municipality_code")).all()
        engine.dispose()
        return rows

    assert contributions(1) == contributions(2) and len(contributions(1)) >= 36
    # per-stage times are reported for every stage; the parallel run says it ran in parallel
    assert set(runs[2]["times"]) == set(bench.STAGES) and runs[2]["parallel"] == 2
    lines = bench.fmt_table([{**runs[2], "generate_s": 0.0}])
    assert any("networks at a time" in line for line in lines)


def test_generate_leaves_the_demo_generator_as_it_was(bench, tmp_path, monkeypatch):
    from tools.demo import generator

    before = generator._ledger
    monkeypatch.setattr(bench, "NATIONAL_SCALE", 0.05)
    monkeypatch.setenv("RUNBENCH_NETWORKS", "1")
    bench.generate("national-year", 1.0, tmp_path / "data")
    assert generator._ledger is before
