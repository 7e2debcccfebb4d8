"""Speed and memory of the pipeline at three sizes, and Airflow's own costs, measured separately.

    .venv/bin/python benchmarks/run_benchmark.py [--sizes network-year,national-year,national-decade]
                                                 [--scales 1,2,4] [--networks N] [--parallel P]
                                                 [--warehouse sqlite|postgresql] [--out benchmarks/RESULTS.md]

Sizes (synthetic data from ``tools.demo.generator``, generated before the clock starts):

* ``network-year``: one network (the 19 RUN municipalities), one year, ~3 000 registrations;
* ``national-year``: 25 networks, 290 municipalities, ~500 000 registrations, ~200 000+ evaluations,
  ~100 000 ledger lines, one year; ``--scales`` runs it again at 2x and 4x the rows (linearity);
* ``national-decade``: the same 25 networks with ten years of files in their inboxes (2016-2025;
  ``--networks N`` keeps the first N): one annual run per network for the last year ingests all of
  them (the back-fill of a new deployment), then computes, reports and invoices that year.

Each size runs in its own subprocess (separate peak memory) on a new warehouse (SQLite in a
temporary directory, or a new PostgreSQL database), calling the pipeline's functions directly:
collect -> validate -> load -> compute -> report (Word, no PDF: LibreOffice is optional and timed
apart) -> prepare invoices (no PDF basis). The national sizes run ``--parallel`` networks at a time
(default: the CPUs), each in its own process, as Airflow's workers run the mapped network groups of
``run_all_networks``; the network-year runs alone. Per stage it prints the time (summed over the
networks), rows per second (rows in = data rows of the ingested files) and the peak RSS of the
process tree so far (sampled every 0.1 s); the total is the wall time end to end.

Airflow is measured apart from the pipeline: each DAG file's import time (fresh interpreter, after
``airflow.sdk`` is imported, which is measured on its own), the one-off start-up of
``airflow dags test`` and the per-task overhead ((T(N no-op tasks) - T(1 task)) / (N - 1)).
Nothing here is asserted: the figures go to the terminal and to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))   # tools/ (the demo generator) lives in the repository, not the package
PY = sys.executable
STAGES = ("collect", "validate", "load", "compute", "report", "invoices")
SIZES = ("network-year", "national-year", "national-decade")
NATIONAL_SCALE = 6.3        # ~20 000 registrations per network-year (25 networks: ~500 000)
LEDGER_FACTOR = 3.0         # ledger lines x3 on top of the scale (~4 000 per network-year: ~100 000)
YEAR = 2025
DECADE = 10                 # national-decade: YEAR-9 .. YEAR


def national_networks() -> list[tuple[str, int]]:
    """25 networks, 290 municipalities (15 of 12 and 10 of 11); ``--networks N`` (environment
    ``RUNBENCH_NETWORKS``) keeps the first N only: a partial run, reported as such."""
    nets = [(f"N{i + 1:02d}", 12 if i < 15 else 11) for i in range(25)]
    return nets[:int(os.environ.get("RUNBENCH_NETWORKS") or len(nets))]


def spec(size: str, scale: float) -> dict:
    if size == "network-year":
        return {"tenants": [("RUN", None)], "years": [YEAR], "scale": 0.93 * scale, "ledger": 1.0}
    years = [YEAR] if size == "national-year" else list(range(YEAR - DECADE + 1, YEAR + 1))
    return {"tenants": national_networks(), "years": years, "scale": NATIONAL_SCALE * scale, "ledger": LEDGER_FACTOR}


# ------------------------------------------------------------------------------------ data
def generate(size: str, scale: float, out: Path) -> dict:
    from tools.demo import generator as gen

    s = spec(size, scale)
    original = gen._ledger

    def _ledger(ctx, year, budget, sessions):  # more ledger lines than the registrations' scale gives
        return original(dataclasses.replace(ctx, scale=ctx.scale * s["ledger"]), year, budget, sessions)

    gen._ledger = _ledger
    try:
        t = time.perf_counter()
        gen.generate(out, s["years"], 2026, scale=s["scale"], tenants=s["tenants"])
        return {"seconds": time.perf_counter() - t}
    finally:
        gen._ledger = original  # the generator is left as it was (the demo data depends on it)


# ------------------------------------------------------------------------------------ pipeline
def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            out += [int(c) for c in text]
    except OSError:
        pass
    return out


def tree_rss_mb(pid: int | None = None) -> float:
    """Resident memory of this process and all its descendants (the validation workers), summed."""
    pid = os.getpid() if pid is None else pid
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += _rss_kib(p)
        todo += _children(p)
    return total / 1024


class TreeRssSampler(threading.Thread):
    """Samples :func:`tree_rss_mb` every 0.1 s; ``peak`` is the largest sum seen (the figure that
    must stay under the memory target: the main process and its worker processes together)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, tree_rss_mb())
            self._stop_event.wait(0.1)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        self.peak = max(self.peak, tree_rss_mb())
        return self.peak


SAMPLER: TreeRssSampler | None = None


def peak_mb() -> float:
    """Peak RSS so far: the sampled sum over the process tree (never below this process's own peak)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    return max(own, SAMPLER.peak if SAMPLER is not None else 0.0)


def run_network(tenant: str, data: Path, work: Path, url: str, workers: str | int) -> dict:
    """collect -> validate -> load -> compute -> report -> prepare invoices for one network, timed per
    stage (what one mapped task group of ``run_all_networks`` does, without Airflow)."""
    from runreport import config, pipeline
    from runreport.invoicing.issue import prepare_invoices
    from runreport.quality import SourceRejected
    from runreport.report import write_report

    times = dict.fromkeys(STAGES, 0.0)
    peaks = dict.fromkeys(STAGES, 0.0)
    counts = {"rows_in": 0, "rows_loaded": 0, "files": 0, "files_checked": 0, "networks": 1, "invoices": 0,
              "rejected_files": 0}
    by_source: dict[str, int] = {}
    from runreport import demo_payees
    from runreport.invoicing import payee

    cfg = config.load(network={"tenant": tenant}, overrides={
        "network_name": f"Nätverk {tenant}",
        "warehouse": {"url": url}, "validation": {"workers": workers},
        "paths": {"inbox": str(data / tenant / "inbox"), "narrative": str(data / tenant / "narrative"),
                  "output": str(work / "out")},
        "invoicing": {"series": tenant, "basis_pdf": False}}, environ={})

    def stage(name, fn):
        t = time.perf_counter()
        try:
            return fn()
        finally:
            times[name] += time.perf_counter() - t
            peaks[name] = max(peaks[name], peak_mb())

    stage("collect", lambda: pipeline.collect_files(cfg, YEAR))
    try:
        stage("validate", lambda: pipeline.validate_files(cfg, YEAR, b"benchmark-secret", "bench"))
    except SourceRejected as exc:  # a rejected file is counted; the rest of the run goes on
        counts["rejected_files"] += str(exc).count("\n")
    loaded = stage("load", lambda: pipeline.load_files(cfg, YEAR))
    counts["rows_loaded"] += loaded["rows_loaded"]
    outcomes = pipeline.staged_summary(cfg, YEAR)[1]
    for o in outcomes:
        counts["rows_in"] += o["rows_in"]
        by_source[o["source"]] = by_source.get(o["source"], 0) + o["rows_in"]
    counts["files"] += len(outcomes)
    counts["files_checked"] += sum(o["status"] != "unchanged" for o in outcomes)  # new (or rejected) files
    from sqlalchemy import select

    from runreport.warehouse import models as m

    with pipeline.sessions(cfg)() as session:   # which rows were quarantined (compared with the baseline)
        quarantined = sorted({(f, r) for f, r in session.execute(
            select(m.QuarantinedRow.file_name, m.QuarantinedRow.row_number)
            .where(m.QuarantinedRow.tenant == tenant, m.QuarantinedRow.row_number > 0)).all()})
    stage("compute", lambda: pipeline.compute(cfg, YEAR))

    def _report():
        with pipeline.sessions(cfg)() as session:
            return write_report(session, cfg, YEAR, report_date=date(YEAR + 1, 2, 2), pdf=False)

    stage("report", _report)

    def _invoices():
        # every benchmark network is paid like the demo's RUN; the payee is handed over here rather than
        # read from the finance connection through Airflow's SDK (pipeline work without Airflow)
        with pipeline.sessions(cfg)() as session, payee.supplied({tenant: demo_payees.payee("RUN")}):
            return prepare_invoices(session, cfg, YEAR, issue_date=date(YEAR, 1, 15))

    counts["invoices"] += len(stage("invoices", _invoices)["invoices"])
    import sys

    return {"times": times, "peaks": peaks, "counts": counts, "by_source": by_source,
            "quarantined": [[tenant, f, r] for f, r in quarantined], "airflow_imported": "airflow" in sys.modules}


def _network_process(args: tuple) -> dict:
    """Entry point of one network's process when networks run in parallel."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    return run_network(*args)


def warehouse_size_mb(url: str, work: Path) -> float:
    if url.startswith("sqlite"):
        return (work / "warehouse.db").stat().st_size / 2**20
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    engine.dispose()
    return size / 2**20


def run_pipeline(size: str, scale: float, data: Path, work: Path, parallel: int = 1, url: str | None = None) -> dict:
    """One pass of the size in this process; ``work`` holds its warehouse and outputs.

    ``parallel`` > 1 runs that many networks at a time, each in its own process (as Airflow's
    workers run the mapped network groups of ``run_all_networks``), with ``validation.workers`` =
    CPUs / parallel per network; stage times are then summed over the networks (process-seconds)
    while the total is the wall time from the first network's start to the last one's end."""
    work.mkdir(parents=True, exist_ok=True)
    from runreport.warehouse.engine import migrate

    s = spec(size, scale)
    url = url or f"sqlite:///{work / 'warehouse.db'}"
    t = time.perf_counter()
    migrate(url)  # the warehouse's schema, once per warehouse (set-up, like `airflow db migrate`), before
    schema_s = time.perf_counter() - t  # networks start in parallel; timed apart from the pipeline
    times = dict.fromkeys(STAGES, 0.0)
    peaks = dict.fromkeys(STAGES, 0.0)
    counts = {"rows_in": 0, "rows_loaded": 0, "files": 0, "files_checked": 0, "networks": 0, "invoices": 0,
              "rejected_files": 0}
    by_source: dict[str, int] = {}
    quarantined: list = []
    tenants = [t for t, _ in s["tenants"]]
    t_all = time.perf_counter()
    if parallel <= 1:
        results = (run_network(t, data, work, url, "auto") for t in tenants)
        pool = None
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        workers = max(1, (os.cpu_count() or 1) // parallel)
        pool = ProcessPoolExecutor(parallel, mp_context=multiprocessing.get_context("spawn"))
        results = pool.map(_network_process, [(t, data, work, url, workers) for t in tenants])
    airflow_imported = False
    for r in results:
        airflow_imported = airflow_imported or r["airflow_imported"]
        for st in STAGES:
            times[st] += r["times"][st]
            peaks[st] = max(peaks[st], r["peaks"][st], peak_mb())
        for k, v in r["counts"].items():
            counts[k] = counts.get(k, 0) + v
        for k, v in r["by_source"].items():
            by_source[k] = by_source.get(k, 0) + v
        quarantined += r["quarantined"]
    if pool is not None:
        pool.shutdown()
    total = time.perf_counter() - t_all
    return {"size": size, "scale": scale, "years": s["years"], "times": times, "peaks_mb": peaks, "total_s": total,
            "peak_mb": peak_mb(), "counts": counts, "rows_by_source": by_source, "parallel": parallel,
            "schema_s": schema_s, "quarantined": sorted(quarantined), "airflow_imported": airflow_imported,
            "warehouse": url.split(":", 1)[0].split("+")[0], "warehouse_mb": warehouse_size_mb(url, work)}


# ------------------------------------------------------------------------------------ airflow
def airflow_env(home: Path, dags: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING", "RUN_REPORTING__DEADLINE_ALERTS": "false",
                "AIRFLOW_VAR_RUN_PSEUDONYM_SECRET": "benchmark", "PYTHONWARNINGS": "ignore"})
    return env


IMPORT_PROBE = textwrap.dedent("""
    import sys, time, importlib.util
    sys.path.insert(0, {plugins!r}); sys.path.insert(0, {dags!r})
    t = time.perf_counter(); import airflow.sdk; sdk = time.perf_counter() - t
    spec = importlib.util.spec_from_file_location("dag_under_test", {path!r})
    mod = importlib.util.module_from_spec(spec)
    t = time.perf_counter(); spec.loader.exec_module(mod); dag = time.perf_counter() - t
    print(sdk, dag)
""")

NOOP_DAG = textwrap.dedent("""
    import pendulum
    from airflow.sdk import dag, task

    @dag(dag_id="bench_noop_{n}", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), catchup=False)
    def bench():
        @task
        def noop(i: int) -> int:
            return i
        prev = None
        for i in range({n}):
            t = noop.override(task_id=f"noop_{{i}}")(i)
            if prev is not None:
                prev >> t
            prev = t

    bench()
""")


def measure_airflow(work: Path, n_tasks: int = 20, repeats: int = 3) -> dict:
    home, dags = work / "airflow_home", work / "dags"
    home.mkdir(parents=True)
    dags.mkdir()
    env = airflow_env(home, dags)
    airflow = str(Path(PY).parent / "airflow")
    out: dict = {"dag_imports": {}}
    for path in sorted((ROOT / "dags").glob("*.py")):
        runs = []
        for _ in range(repeats):
            p = subprocess.run([PY, "-c", IMPORT_PROBE.format(plugins=str(ROOT / "plugins"), dags=str(ROOT / "dags"),
                                                             path=str(path))],
                               env=airflow_env(home, ROOT / "dags"), capture_output=True, text=True, cwd=ROOT)
            if p.returncode != 0:
                runs.append((float("nan"), float("nan")))
                out.setdefault("import_errors", {})[path.name] = p.stderr[-500:]
                continue
            sdk, dag = (float(x) for x in p.stdout.split()[-2:])
            runs.append((sdk, dag))
        out["dag_imports"][path.name] = {"sdk_s": min(r[0] for r in runs), "dag_s": min(r[1] for r in runs)}
    t = time.perf_counter()
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    out["db_migrate_s"] = time.perf_counter() - t
    for n in (1, n_tasks):
        (dags / f"bench_noop_{n}.py").write_text(NOOP_DAG.format(n=n), encoding="utf-8")
    for n in (1, n_tasks):
        best = None
        for _ in range(2):
            t = time.perf_counter()
            p = subprocess.run([airflow, "dags", "test", f"bench_noop_{n}"], env=env, capture_output=True, text=True)
            dt = time.perf_counter() - t
            if p.returncode != 0:
                raise RuntimeError(p.stdout[-2000:] + p.stderr[-2000:])
            best = dt if best is None else min(best, dt)
        out[f"dags_test_{n}_s"] = best
    out["n_tasks"] = n_tasks
    out["dags_test_n_s"] = out[f"dags_test_{n_tasks}_s"]
    out["per_task_s"] = (out[f"dags_test_{n_tasks}_s"] - out["dags_test_1_s"]) / (n_tasks - 1)
    out["startup_s"] = out["dags_test_1_s"] - out["per_task_s"]
    return out


IMPORTS = {
    "pandas": "import pandas",
    "runreport.pipeline (pandas, SQLAlchemy)": "import runreport.pipeline",
    "great_expectations (plain import)": "import great_expectations",
    "great_expectations as the pipeline imports it (scipy.stats, altair deferred)":
        "from runreport.validation import gx_import; gx_import.load()",
    "matplotlib (font engine + tick locator, what the charts use)": "import matplotlib.font_manager, matplotlib.ticker",
    "python-docx": "import docx",
}
POOL_PROBE = textwrap.dedent("""
    import time
    t = time.perf_counter()
    from runreport import filecheck
    pool = filecheck.executor(2)
    list(pool.map(abs, [-1, -2]))
    print(time.perf_counter() - t)
    filecheck.shutdown()
""")


def measure_imports(repeats: int = 3) -> dict:
    """One-off start-up of the pipeline's libraries, each in a fresh interpreter (best of
    ``repeats``), and the start of the validation pool (2 workers that import Great Expectations)."""
    out = {}
    for label, stmt in IMPORTS.items():
        code = f"import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
        runs = [float(subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
                      .stdout.split()[-1]) for _ in range(repeats)]
        out[label] = min(runs)
    runs = [float(subprocess.run([PY, "-c", POOL_PROBE], capture_output=True, text=True, cwd=ROOT, check=True)
                  .stdout.split()[-1]) for _ in range(repeats)]
    out["validation pool of 2 workers, ready"] = min(runs)
    return out


def measure_pdf(work: Path) -> dict:
    """The LibreOffice PDF of one report (the demo), timed apart; absent LibreOffice says so."""
    from runreport.report.pdf import find_soffice, to_pdf

    if find_soffice() is None:
        return {"pdf_s": None}
    docx = next(work.rglob("verksamhetsberattelse_*.docx"), None)
    if docx is None:
        return {"pdf_s": None}
    t = time.perf_counter()
    ok = to_pdf(docx, work / "pdf") is not None
    return {"pdf_s": time.perf_counter() - t if ok else None}


# ------------------------------------------------------------------------------------ output
def machine() -> dict:
    import airflow

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"nproc": os.cpu_count(), "memory_gib": round(mem, 1), "cpu": cpu, "python": platform.python_version(),
            "airflow": airflow.__version__, "date": time.strftime("%Y-%m-%d %H:%M %Z"), "os": platform.platform()}


def fmt_table(results: list[dict]) -> list[str]:
    lines = []
    for r in results:
        c = r["counts"]
        partial = r["size"] != "network-year" and c["networks"] < 25
        lines += [f"### {r['size']}" + (f" ×{r['scale']:g}" if r["scale"] != 1 else "")
                  + (f" (partial: first {c['networks']} of the 25 networks)" if partial else ""), "",
                  *([f"Years {r['years'][0]}–{r['years'][-1]} ({len(r['years'])}), ingested in one annual run "
                     f"per network for {YEAR}.", ""]
                    if r["size"] == "national-decade" else []),
                  f"{c['networks']} network(s), {c['files']} files, {c['rows_in']:,} rows in "
                  f"({', '.join(f'{k} {v:,}' for k, v in sorted(r['rows_by_source'].items()))}), "
                  f"{c['rows_loaded']:,} loaded, {c['invoices']} invoices, {c['rejected_files']} rejected file(s); "
                  f"{r.get('warehouse', 'sqlite')} warehouse {r['warehouse_mb']:.0f} MB; "
                  f"data generated in {r['generate_s']:.1f} s and warehouse schema created in "
                  f"{r.get('schema_s', 0):.2f} s (neither counted: set-up). Airflow imported by the pipeline's "
                  f"processes: {'yes' if r.get('airflow_imported') else 'no'} (the payee is handed to the "
                  "invoices stage, as runreport.invoicing.payee.supplied; a DAG's task reads it from the "
                  "finance connection).", "",
                  *([f"{r['parallel']} networks at a time, each in its own process with "
                     f"{max(1, (os.cpu_count() or 1) // r['parallel'])} validation worker(s): stage times are "
                     "summed over the networks (process-seconds, more than the wall time); **total** is the wall "
                     "time end to end.", ""] if r.get("parallel", 1) > 1 else []),
                  *stage_table(r)]
        if "rerun" in r:
            rc = r["rerun"]["counts"]
            lines += [f"The same national year run again on the same warehouse and inboxes: {rc['files_checked']} of "
                      f"{rc['files']} files read and validated again (only new or corrected files are), "
                      f"{rc['invoices']} new invoices (the contributions are unchanged: none is issued twice):", "",
                      *stage_table(r["rerun"])]
        if "warm" in r:
            lines += ["The same network-year again in the same process on a new warehouse (libraries imported, "
                      "validation workers up: a long-running worker's steady state):", "", *stage_table(r["warm"])]
    return lines


def stage_table(r: dict) -> list[str]:
    c = r["counts"]
    head = "time summed over networks (s)" if r.get("parallel", 1) > 1 else "wall time (s)"
    lines = [f"| stage | {head} | rows/s | peak RSS so far, process tree (MB) |", "|---|---:|---:|---:|"]
    for st in STAGES:
        t = r["times"][st]
        lines.append(f"| {st} | {t:.2f} | {c['rows_in'] / t if t else 0:,.0f} | {r['peaks_mb'][st]:.0f} |")
    lines += [f"| **total** | **{r['total_s']:.2f}** | {c['rows_in'] / r['total_s']:,.0f} | "
              f"**{r.get('tree_peak_mb', r['peak_mb']):.0f}** |", ""]
    return lines


def child_main(ns) -> int:
    work = Path(ns.work)
    if ns.child == "generate":
        print(json.dumps(generate(ns.size, ns.scale, work / "data")))
    elif ns.child == "pipeline":
        global SAMPLER
        SAMPLER = TreeRssSampler()
        SAMPLER.start()
        result = run_pipeline(ns.size, ns.scale, work / "data", work / "cold", ns.parallel, ns.url)
        # the first pass's own peak (what the baseline's first pass is compared with), before a second
        # pass in the same process adds what it keeps
        result["tree_peak_mb"] = max(SAMPLER.peak, tree_rss_mb(), result["peak_mb"])
        if ns.size == "network-year":
            # The same network-year again in the same process, on a new warehouse: the libraries are
            # imported and the validation workers are up (a long-running worker's steady state).
            result["warm"] = run_pipeline(ns.size, ns.scale, work / "data", work / "warm")
        elif ns.size == "national-year" and ns.scale == 1:
            # The same year again on the same warehouse and inboxes: no file is new, so nothing is read,
            # validated or loaded again; compute, report and invoices repeat (no second invoice).
            result["rerun"] = run_pipeline(ns.size, ns.scale, work / "data", work / "cold", ns.parallel, ns.url)
        second = result.get("warm") or result.get("rerun")
        peak = SAMPLER.stop()
        if second is not None:
            second["tree_peak_mb"] = peak
        print(json.dumps(result))
    return 0


def run_child(kind: str, size: str, scale: float, work: Path, parallel: int = 1, url: str | None = None) -> dict:
    extra = ["--parallel", str(parallel)] + (["--url", url] if url else [])
    p = subprocess.run([PY, __file__, "--child", kind, "--size", size, "--scale", str(scale), "--work", str(work),
                        *extra],
                       capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "PYTHONWARNINGS": "ignore", "RUN_REPORTING__DEADLINE_ALERTS": "false"})
    if p.returncode != 0:
        raise RuntimeError(f"{kind} {size} x{scale} failed:\n{p.stderr[-3000:]}")
    for line in p.stderr.splitlines():  # a worker that failed is retried in the main process: say so
        if "worker failed" in line:
            print("WARNING:", line, flush=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def run_baseline(work: Path, tenants: list[str], repeat: int = 1) -> dict:
    """The plain-pandas baseline (``benchmarks/baseline_pandas.py``) on the same data, in a fresh
    process: the networks one after the other; with ``repeat`` 2 the second pass shows it warm."""
    p = subprocess.run([PY, str(ROOT / "benchmarks" / "baseline_pandas.py"), str(work / "data"), ",".join(tenants),
                        str(YEAR), "--repeat", str(repeat)], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if p.returncode != 0:
        raise RuntimeError(f"baseline failed:\n{p.stderr[-3000:]}")
    passes = json.loads(p.stdout.strip().splitlines()[-1])
    first = passes[0]
    return {"cold_s": first["wall_s"], "warm_s": passes[-1]["wall_s"] if repeat > 1 else None,
            "peak_mb": first["peak_rss_mb"], "rows_in": first["rows_in"], "times": first["times"],
            "quarantined": first["quarantined"]}


@contextlib.contextmanager
def warehouse_db(ns, size: str):
    """None (SQLite in the size's temporary directory) or the URL of a new PostgreSQL database."""
    if ns.warehouse == "sqlite":
        yield None
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"runbench_{os.getpid()}_{size.replace('-', '_')}"
    admin = create_engine(ns.pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ns.pg_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default=",".join(SIZES))
    ap.add_argument("--scales", default="1,2,4", help="scales of the national year (linearity)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    ap.add_argument("--no-airflow", action="store_true", help="skip the Airflow measurements")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    ap.add_argument("--networks", type=int, help="national sizes: only the first N of the 25 networks (partial run)")
    ap.add_argument("--parallel", type=int, default=os.cpu_count() or 1,
                    help="national sizes: networks at a time, each in its own process (as Airflow's workers run "
                         "run_all_networks' mapped groups); the network-year always runs alone")
    ap.add_argument("--warehouse", choices=("sqlite", "postgresql"), default="sqlite",
                    help="postgresql: a new database per size on --pg-admin-url's server, dropped afterwards")
    ap.add_argument("--pg-admin-url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--size", help=argparse.SUPPRESS)
    ap.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    ns = ap.parse_args(argv)
    if ns.child:
        return child_main(ns)
    if ns.networks:
        os.environ["RUNBENCH_NETWORKS"] = str(ns.networks)  # inherited by the children
    sizes = [s.strip() for s in ns.sizes.split(",") if s.strip()]
    scales = [float(x) for x in ns.scales.split(",")]
    info = machine()
    print("Machine:", json.dumps(info, ensure_ascii=False), flush=True)
    results = []
    pdf = {}
    for size in sizes:
        for scale in (scales if size == "national-year" else [1.0]):
            work = Path(tempfile.mkdtemp(prefix=f"runbench-{size}-"))
            gen = run_child("generate", size, scale, work)
            parallel = 1 if size == "network-year" else ns.parallel
            with warehouse_db(ns, size) as url:
                r = run_child("pipeline", size, scale, work, parallel, url)
            r["generate_s"] = gen["seconds"]
            if size == "network-year" or (size == "national-year" and scale == 1):
                r["baseline"] = run_baseline(work, [t for t, _ in spec(size, scale)["tenants"]],
                                             repeat=2 if size == "network-year" else 1)
                print("baseline:", json.dumps({k: v for k, v in r["baseline"].items() if k != "quarantined"}),
                      flush=True)
            results.append(r)
            print("\n".join(fmt_table([r])), flush=True)
            if size == "network-year" and not pdf:
                pdf = measure_pdf(work)
            if not ns.keep:
                shutil.rmtree(work, ignore_errors=True)
    imports = measure_imports()
    print(json.dumps(imports, indent=1), flush=True)
    af = None
    if not ns.no_airflow:
        work = Path(tempfile.mkdtemp(prefix="runbench-airflow-"))
        af = measure_airflow(work)
        print(json.dumps(af, indent=1), flush=True)
        if not ns.keep:
            shutil.rmtree(work, ignore_errors=True)
    write_results(Path(ns.out), info, results, af, pdf, " ".join(sys.argv[1:]), imports)
    return 0


TARGETS = {"network_year_s": 5.0, "decade_s": 600.0, "decade_peak_mb": 4096.0, "dag_import_s": 0.5}


def _linear_fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares line through (million rows, seconds): (fixed seconds, seconds per million rows)."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0
    return my - slope * mx, slope


def target_lines(results: list[dict], af: dict | None) -> list[str]:
    """The issue's targets against this run's figures: met, missed (by how much), or not measured."""
    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**missed**"

    rows = []
    by = {(r["size"], r["scale"]): r for r in results}
    ny = by.get(("network-year", 1.0))
    if ny:
        cold, warm = ny["total_s"], ny.get("warm", {}).get("total_s")
        ok = cold <= TARGETS["network_year_s"]
        rows.append(("one network-year, pipeline work without Airflow start-up ≤ 5 s",
                     f"{cold:.2f} s in a fresh process (libraries imported on the way)"
                     + (f"; {warm:.2f} s with the libraries imported" if warm is not None else ""),
                     verdict(ok) if ok or warm is None else f"{verdict(False)} cold, **met** warm"))
    for r in (ny, by.get(("national-year", 1.0))):
        base = (r or {}).get("baseline")
        if not base:
            continue
        same = [tuple(q) for q in base["quarantined"]] == [tuple(q) for q in r["quarantined"]]
        found = (f"the same {len(r['quarantined'])} quarantined rows" if same else
                 f"**different** quarantined rows: pipeline {len(r['quarantined'])}, baseline {len(base['quarantined'])}")
        if r["size"] == "network-year":
            ratio = r["total_s"] / base["cold_s"]
            rows.append(("network-year ≤ 2× the plain-pandas baseline, cold",
                         f"{r['total_s']:.2f} s vs {base['cold_s']:.2f} s = **{ratio:.2f}×**"
                         + (f" (warm: {r['warm']['total_s']:.2f} s vs {base['warm_s']:.2f} s = "
                            f"{r['warm']['total_s'] / base['warm_s']:.2f}×)" if r.get("warm") and base.get("warm_s")
                            else "") + f"; {found}", verdict(ratio <= 2.0)))
            peak = r.get("tree_peak_mb", r["peak_mb"])
            rows.append(("network-year peak memory ≤ 2× the baseline",
                         f"{peak:,.0f} MB (process tree) vs {base['peak_mb']:,.0f} MB = **{peak / base['peak_mb']:.2f}×**",
                         verdict(peak <= 2 * base["peak_mb"])))
        else:
            ratio = r["total_s"] / base["cold_s"]
            rows.append(("national year ≤ 1.3× a single-process pandas baseline",
                         f"{r['total_s']:.1f} s ({r['parallel']} networks at a time) vs {base['cold_s']:.1f} s = "
                         f"**{ratio:.2f}×**; {found}", verdict(ratio <= 1.3)))
    dec = by.get(("national-decade", 1.0))
    if dec:
        c = dec["counts"]
        partial = c["networks"] < 25
        rows.append(("national decade ≤ 10 min end to end",
                     f"{dec['total_s']:.1f} s = {dec['total_s'] / 60:.1f} min ({c['networks']} networks × "
                     f"{len(dec['years'])} years, {c['rows_in']:,} rows, {c['files']:,} files"
                     f"{', partial' if partial else ''})",
                     verdict(dec["total_s"] <= TARGETS["decade_s"]) + (" (partial run)" if partial else "")))
        peak = dec.get("tree_peak_mb", dec["peak_mb"])
        rows.append(("national decade peak memory ≤ 4 GB", f"{peak:,.0f} MB (process tree)",
                     verdict(peak <= TARGETS["decade_peak_mb"])))
    nat = sorted((r for r in results if r["size"] == "national-year"), key=lambda r: r["scale"])
    if len(nat) >= 2:
        pts = [(r["counts"]["rows_in"] / 1e6, r["total_s"]) for r in nat]
        fixed, per_m = _linear_fit(pts)
        worst = max(abs(y - (fixed + per_m * x)) / y for x, y in pts)
        rows.append(("cost grows linearly with rows (1×, 2×, 4× national year)",
                     ", ".join(f"×{r['scale']:g}: {r['total_s']:.1f} s for {r['counts']['rows_in'] / 1e6:.2f} M rows"
                               for r in nat)
                     + f"; least-squares line {fixed:.1f} s + {per_m:.1f} s per million rows, every point within "
                       f"{worst:.1%} of it", verdict(worst <= 0.10) + " (within 10 % of a line)"))
    if af:
        worst_dag = max(v["dag_s"] for v in af["dag_imports"].values())
        rows.append(("each DAG file imports in ≤ 0.5 s",
                     f"slowest DAG file {worst_dag:.3f} s after `airflow.sdk` (itself "
                     f"{max(v['sdk_s'] for v in af['dag_imports'].values()):.2f} s, once per parser process)",
                     verdict(worst_dag <= TARGETS["dag_import_s"])))
    if not rows:
        return []
    return ["## Targets (this run)", "", "| target | measured | verdict |", "|---|---|---|",
            *[f"| {a} | {b} | {c} |" for a, b, c in rows], ""]


def write_results(out: Path, info: dict, results: list[dict], af: dict | None, pdf: dict, args: str,
                  imports: dict | None = None) -> None:
    lines = ["# Benchmark results", "",
             f"Command: `.venv/bin/python benchmarks/run_benchmark.py {args}`".replace("  ", " "), "",
             f"Machine: {info['nproc']} CPU(s) ({info['cpu']}), {info['memory_gib']} GiB memory, {info['os']}; "
             f"Python {info['python']}, Airflow {info['airflow']}; run {info['date']}.", "",
             "Pipeline work only (no Airflow), one subprocess per size, on a new warehouse per size (SQLite in a "
             "temporary directory, or a new PostgreSQL database with `--warehouse postgresql`); "
             "report = Word without PDF; invoices = prepare (UBL XML + register, no PDF basis). "
             "Times are summed over the networks; rows/s = rows in ÷ stage time.", ""]
    lines += target_lines(results, af)
    lines += fmt_table(results)
    if pdf.get("pdf_s") is not None:
        lines += [f"PDF of one report through LibreOffice (not in the figures above): {pdf['pdf_s']:.1f} s.", ""]
    if imports:
        lines += ["## One-off start-up of the pipeline's libraries (fresh interpreter each, best of 3)", "",
                  "| what | seconds |", "|---|---:|", *[f"| {k} | {v:.2f} |" for k, v in imports.items()], ""]
    if af:
        lines += ["## Airflow (measured apart from the pipeline)", "",
                  "| DAG file | import of `airflow.sdk` (s) | import of the DAG file after it (s) |", "|---|---:|---:|"]
        for name, v in af["dag_imports"].items():
            lines.append(f"| {name} | {v['sdk_s']:.2f} | {v['dag_s']:.3f} |")
        lines += ["", f"- `airflow db migrate` (once per Airflow home): {af['db_migrate_s']:.1f} s",
                  f"- `airflow dags test` of a 1-task DAG: {af['dags_test_1_s']:.1f} s; of a {af['n_tasks']}-task "
                  f"DAG: {af['dags_test_n_s']:.1f} s",
                  f"- one-off start-up ≈ {af['startup_s']:.1f} s; per-task overhead ≈ {af['per_task_s']:.2f} s", ""]
    existing = out.read_text(encoding="utf-8") if out.exists() else ""
    marker = "<!-- analysis -->"
    tail = existing[existing.index(marker):] if marker in existing else marker + "\n"
    out.write_text("\n".join(lines) + "\n" + tail, encoding="utf-8")
    print(f"\nWritten: {out}")


if __name__ == "__main__":
    raise SystemExit(main())
