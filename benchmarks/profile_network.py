"""Where one network's time goes, function by function, and what one Great Expectations check costs.

    .venv/bin/python benchmarks/profile_network.py [--work DIR] [--gx-rows 1000,20000] [--cprofile]

1. Generates one network of the benchmark's national year (``run_benchmark.spec('national-year')``,
   the first network: ~31 000 rows, one registrations workbook) unless ``--work`` already holds it.
2. Runs the network twice in this process (``run_benchmark.run_pipeline``: cold, then warm on a new
   warehouse) and prints, for the warm pass, the wall time spent in the functions that profiles
   named: reading a file (``read_table``, of it the workbook parse and its layout scan), validating a
   frame (``validate_frame``, of it the store calls for the source's Checkpoint and
   ``Checkpoint.run``), drawing a chart, loading the configuration, GX's data source set-up, writing an
   invoice basis and storing the name digests. A function missing from the code being measured (an
   older commit) is left out.
   With ``--cprofile``, the warm pass's ``Checkpoint.run`` calls are also profiled and the share of
   GX's parts printed (metric graph, freshness checks, result serialisation, metric computation).
3. Times GX's Checkpoint on a frame of ``--gx-rows`` rows with 1 and 12 not-null expectations (the
   cost of one expectation, per file).

Nothing is asserted; it prints. ``RUN_ROOT``/``PYTHONPATH`` pointed at another checkout measure that
checkout's code with this script (as benchmarks/RESULTS.md's "before" runs do).
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

SPENT: dict[str, float] = collections.defaultdict(float)
CALLS: collections.Counter = collections.Counter()


def _timed(owner, name: str, label: str) -> None:
    fn = getattr(owner, name, None)
    if fn is None:
        return

    @functools.wraps(fn)
    def timed(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            SPENT[label] += time.perf_counter() - t
            CALLS[label] += 1

    setattr(owner, name, timed)


def _instrument() -> None:
    import great_expectations.checkpoint.checkpoint as gx_checkpoint

    from runreport.ingest import read, xlsx_layout
    from runreport.report import charts
    from runreport.validation import gx, run

    _timed(read, "read_table", "read_table (a file)")
    _timed(read, "_parse_xlsx", "  workbook parse (openpyxl)")
    _timed(xlsx_layout, "scan", "  workbook layout scan")
    _timed(run, "validate_frame", "validate_frame (GX and reasons)")
    _timed(gx, "checkpoint", "  store the source's Checkpoint")
    _timed(gx, "_checkpoint", "  store the source's Checkpoint")
    _timed(gx_checkpoint.Checkpoint, "run", "  Checkpoint.run")
    _timed(charts, "_bar_chart_png", "one chart (Figure, PNG)")
    from runreport import config
    from runreport.invoicing import basis
    from runreport.warehouse import names

    _timed(config, "load", "configuration load")
    _timed(gx, "_batch_definition", "GX data source, asset, batch")
    _timed(basis, "write_docx", "one invoice basis (Word)")
    _timed(names, "store", "store the name digests")


GX_PARTS = {   # (file ending, function) -> what it is
    ("validator/validator.py", "_generate_metric_dependency_subgraphs_for_each_expectation_configuration"):
        "building the metric graph",
    ("checkpoint/checkpoint.py", "is_fresh"): "freshness checks against the store",
    ("core/validation_definition.py", "is_fresh"): "freshness checks against the store",
    ("great_expectations/util.py", "convert_to_json_serializable"): "serialising the result",
    ("execution_engine/execution_engine.py", "resolve_metrics"): "computing the metrics",
}


def _profiled_checkpoint_runs():
    """Profile every ``Checkpoint.run`` from now on; returns the profiler."""
    import cProfile

    import great_expectations.checkpoint.checkpoint as gx_checkpoint

    profiler = cProfile.Profile()
    run = gx_checkpoint.Checkpoint.run

    @functools.wraps(run)
    def profiled(*a, **k):
        profiler.enable()
        try:
            return run(*a, **k)
        finally:
            profiler.disable()

    gx_checkpoint.Checkpoint.run = profiled
    return profiler


def _gx_shares(profiler) -> None:
    import pstats

    stats = pstats.Stats(profiler).stats
    total = sum(ct for (f, _, fn), (_, _, _, ct, _) in stats.items()
                if f.endswith("checkpoint/checkpoint.py") and fn == "run")
    parts: dict[str, float] = collections.defaultdict(float)
    for (f, _, fn), (_, _, _, ct, _) in stats.items():
        for (ending, name), part in GX_PARTS.items():
            if f.endswith(ending) and fn == name:
                parts[part] += ct
    print(f"inside Checkpoint.run (cProfile, {total:.2f} s profiled):")
    for part, spent in parts.items():
        print(f"  {part:36s} {spent / total:5.0%}")


def network(work: Path, profile: bool = False) -> None:
    os.environ["RUNBENCH_NETWORKS"] = "1"
    import run_benchmark as rb

    if not (work / "data").exists():
        rb.generate("national-year", 1.0, work / "data")
    from runreport.validation import gx_import

    gx_import.load()
    _instrument()
    profiler = None
    for name in ("cold", "warm"):
        if name == "warm" and profile:
            profiler = _profiled_checkpoint_runs()
        shutil.rmtree(work / name, ignore_errors=True)
        SPENT.clear()
        CALLS.clear()
        r = rb.run_pipeline("national-year", 1.0, work / "data", work / name)
        stages = ", ".join(f"{k} {v:.2f}" for k, v in r["times"].items())
        print(f"{name}: {r['counts']['rows_in']:,} rows in; stages (s): {stages}; total {r['total_s']:.2f} s")
    print("warm pass, by function (s, calls):")
    for label, spent in SPENT.items():
        print(f"  {label:36s} {spent:6.2f}  {CALLS[label]}")
    if profiler is not None:
        import great_expectations.checkpoint.checkpoint as gx_checkpoint

        gx_checkpoint.Checkpoint.run = gx_checkpoint.Checkpoint.run.__wrapped__   # the timings below unprofiled
        _gx_shares(profiler)


def gx_cost(rows: list[int]) -> None:
    import numpy as np
    import pandas as pd

    from runreport.validation import gx as rgx
    from runreport.validation import gx_import

    gxm = gx_import.load()
    import great_expectations.expectations as gxe

    if not hasattr(rgx, "checkpoint"):
        print("GX Checkpoint.run per file: skipped (the measured code has no runreport.validation.gx.checkpoint)")
        return

    print("GX Checkpoint.run, one file (ms):")
    for n in rows:
        frame = pd.DataFrame({f"c{i}": np.where(np.arange(n) % 97 == 0, None, "x") for i in range(12)})
        for k in (1, 12):
            ctx = rgx.context(None)
            suite = gxm.ExpectationSuite(name=f"s{k}", expectations=[
                gxe.ExpectColumnValuesToNotBeNull(column=f"c{i}", meta={"check_id": str(i)}) for i in range(k)])
            built = rgx.checkpoint(ctx, "src", suite.name, "k", lambda s=suite: s)
            rgx.validate(built, asset_name="warm-up", frame=frame, run_name="r")
            t = time.perf_counter()
            for j in range(5):
                rgx.validate(built, asset_name=f"f{j}", frame=frame, run_name="r")
            print(f"  {n:>7,} rows, {k:2d} not-null expectations: {(time.perf_counter() - t) / 5 * 1000:6.0f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default=None, help="folder for the generated network (default: a temporary one)")
    ap.add_argument("--gx-rows", default="1000,20000")
    ap.add_argument("--cprofile", action="store_true", help="also profile GX's Checkpoint.run in the warm pass")
    ns = ap.parse_args(argv)
    import logging
    import tempfile

    logging.basicConfig(level=logging.ERROR)
    work = Path(ns.work) if ns.work else Path(tempfile.mkdtemp(prefix="runprofile-"))
    network(work, ns.cprofile)
    gx_cost([int(x) for x in ns.gx_rows.split(",")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
