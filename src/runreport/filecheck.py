"""The checking work of the validate step: read and parse each partner file of a source, and run the
source's Great Expectations suite once on them together. It depends only on what the job carries
(no database, no configuration files), so it runs the same in the task's own process or on a pool
of worker processes.

Why a pool: on a deployment's small machine (2 cores) validation is most of a year's run time, and
files are independent once their reference data is known. The validate step therefore works in
phases (:data:`PHASE`): members and agreements first, then population and budget (checked
against the members), then the activity data (checked against the budget). Within a phase the
sources are checked on ``validation.workers`` processes, each source's files in one Great
Expectations validation (:func:`check_files`); the results are applied in the manifest's
order, so the outcome is the same as one file after another (cross-file duplicates, the
quarantine and the row accounting are decided in the task's process).

The pool is made once per process (``spawn``: no fork of a process that may hold threads or
database connections) and reused by later runs of the same process; each worker imports Great
Expectations once and keeps one GX context per Data Docs folder.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import multiprocessing
import os
import threading
import time
import traceback
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from runreport.quality import CheckResult, RowIssue, ValidationContext
from runreport.schema import SOURCES

log = logging.getLogger(__name__)

# Reference data validated in a run serves the files of later phases.
PHASE = {name: s.phase for name, s in SOURCES.items()}


@dataclass
class FileJob:
    """Everything the check of one file needs."""

    source: str
    file_name: str
    data: bytes
    ctx: ValidationContext
    mappings: dict
    names: dict[str, str]          # municipality code -> name (members known so far)
    partners: dict
    secret: bytes
    docs_dir: Path | None          # None: GX keeps its results in memory (runreport.receipt)
    run_name: str
    name_digests: frozenset[str] = frozenset()   # registrants' names (privacy.name_digest), to mask



@dataclass
class FileCheck:
    """The result: the typed rows, the raw rows (for the quarantine's raw values) and the findings
    (parse findings first; a GX finding on a row and field that failed to parse is not repeated).
    ``rejected`` holds (rule, reason_sv, reason_en) when the file cannot be read at all."""

    typed: pd.DataFrame | None = None
    raw: pd.DataFrame | None = None
    issues: list[RowIssue] = field(default_factory=list)
    rejected: tuple[str, str, str] | None = None
    checks: list[CheckResult] = field(default_factory=list)   # how each check of the suite went


def _declared_total(text: str | None) -> Decimal | None:
    if text is None:
        return None
    from runreport.ingest.numbers import MONEY, read_number

    return read_number(text, MONEY).value if text.strip() else None


_CONTEXTS: dict[str, Any] = {}   # one GX context per Data Docs folder, per process


def gx_for(docs_dir: Path | None):
    """The process's GX context for a Data Docs folder; for None one in memory (nothing written)."""
    from runreport.validation import gx

    key = str(docs_dir)
    if key not in _CONTEXTS:
        if len(_CONTEXTS) > 8:
            _CONTEXTS.clear()
        if docs_dir is None:
            _CONTEXTS[key] = gx.context(None)
            return _CONTEXTS[key]
        # The workers share the run's GX stores folder: the first context to open it writes the
        # store's id file, so they open it one at a time.
        lock_path = Path(docs_dir).parent / ".gx_stores.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                _CONTEXTS[key] = gx.context(Path(docs_dir))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    return _CONTEXTS[key]


def check_file(job: FileJob) -> FileCheck:
    """Read, parse and validate one file (in whichever process runs it)."""
    (check,) = check_files([job])
    return check


def check_files(jobs: list[FileJob]) -> list[FileCheck]:
    """Read and parse each file of one source checked against the same reference data (``jobs``),
    then validate the readable ones in one Great Expectations validation
    (:func:`runreport.validation.run.validate_frames`); one result per job, in order."""
    from runreport import privacy
    from runreport.ingest.organisations import OrganisationResolver
    from runreport.ingest.parse import parse_frame
    from runreport.ingest.read import FileRejected, read_table
    from runreport.validation.run import FileFrame, validate_frames

    first = jobs[0]
    if any((j.source, j.ctx, j.docs_dir, j.run_name) != (first.source, first.ctx, first.docs_dir, first.run_name)
           for j in jobs):
        raise ValueError("check_files: the files of one validation share their source, context and run")
    privacy.use_key(first.secret)
    for job in jobs:
        privacy.remember_digests(job.name_digests)
    checks: list[FileCheck] = []
    readable: list[tuple[FileCheck, FileFrame]] = []
    for job in jobs:
        try:  # the partner's data: any failure here is this file's finding
            raw = read_table(job.data, job.file_name, job.source, job.mappings)
            typed, issues = parse_frame(job.source, raw.df, OrganisationResolver(job.names, job.partners),
                                        job.secret)
        except FileRejected as exc:
            checks.append(FileCheck(rejected=(exc.rule, exc.reason_sv, exc.reason_en)))
            continue
        except Exception as exc:  # noqa: BLE001 - a file's problem is a finding, never a crashed run
            detail = privacy.mask(f"{type(exc).__name__}: {str(exc)[:200]}")
            # the exception's own text may hold a partner's value: only the masked detail and the
            # code's frames (no values) reach the task log
            log.error("%s: reading or checking the file failed (%s)\n%s", privacy.file_name(job.file_name), detail,
                      "".join(traceback.format_tb(exc.__traceback__)))
            checks.append(FileCheck(rejected=("unreadable", f"Filen kunde inte läsas eller kontrolleras ({detail})",
                                              f"The file could not be read or checked ({detail})")))
            continue
        check = FileCheck(typed=typed, raw=raw.df, issues=issues)
        checks.append(check)
        readable.append((check, FileFrame(typed, job.file_name, _declared_total(raw.declared_total), issues)))
    if readable:
        # GX's own failures (a store race between workers) propagate: the caller checks the files again
        outcomes = validate_frames(first.source, [f for _, f in readable], first.ctx, docs_dir=first.docs_dir,
                                   run_name=first.run_name, context=gx_for(first.docs_dir))
        for (check, _f), outcome in zip(readable, outcomes, strict=True):
            parsed_at = {(i.row, i.field) for i in check.issues}
            # the parse finding says it first
            check.issues = check.issues + [i for i in outcome.issues if (i.row, i.field) not in parsed_at]
            check.checks = outcome.checks
    return checks


# ------------------------------------------------------------------------------------------ the pool
class InlineExecutor(Executor):
    """Runs each job at once in this process (``validation.workers: 1``, or where no child
    processes can be made)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        f: Future = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            f.set_exception(exc)
        return f


def _exit_with_parent(parent: int, interval: float = 0.5) -> None:
    """In a worker: end this process once the process that made the pool is gone. A task process
    that Airflow kills (timeout, marked failed) runs no clean-up, and its workers would otherwise
    wait for work forever, each holding Great Expectations and a file's frames."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _warm_up(parent: int) -> None:
    """Worker initialiser: watch the parent, then import Great Expectations once, while the other
    workers do the same."""
    _exit_with_parent(parent)
    from runreport.validation.gx import quiet_logging

    quiet_logging()
    from runreport.validation import gx_import

    gx_import.load()


_POOL: tuple[int, ProcessPoolExecutor] | None = None


def in_airflow_task() -> bool:
    """True inside an Airflow task process. There Airflow blocks its metadata database for task
    code (it sets the connection URL to ``airflow-db-not-allowed:///``), and a ``spawn``ed child
    re-imports the process's main module (the ``airflow`` or ``celery`` command), which then fails
    to parse that URL: the pool cannot start. Parallelism under Airflow comes from its task slots
    (``run_all_networks`` maps one group per network), so validation runs in the task's process."""
    return bool(os.environ.get("AIRFLOW_CTX_DAG_ID")) or os.environ.get(
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "").startswith("airflow-db-not-allowed")


def worker_count(setting: Any, new_bytes: int | None = None, pool_min_bytes: int = 0) -> int:
    """``validation.workers``: a number, or ``auto`` (the CPUs this process may use, at most 4; 1
    when the run's new files hold fewer than ``pool_min_bytes`` bytes: starting a pool costs each
    worker an import of Great Expectations, about 2.5 s, more than a network-year's checks take in
    one process). Inside an Airflow task always 1 (see :func:`in_airflow_task`)."""
    if in_airflow_task():
        return 1
    if setting in (None, "", "auto"):
        if new_bytes is not None and new_bytes < pool_min_bytes:
            return 1
        try:
            cpus = len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            cpus = os.cpu_count() or 1
        return max(1, min(cpus, 4))
    return max(1, int(setting))


def executor(workers: int) -> Executor:
    """The process's pool of ``workers`` processes (made on first use, kept for later runs), or an
    :class:`InlineExecutor` for one worker or where a pool cannot be made (a daemonic process)."""
    global _POOL
    if workers <= 1 or multiprocessing.current_process().daemon:
        return InlineExecutor()
    if _POOL is not None and _POOL[0] == workers and not getattr(_POOL[1], "_broken", False):
        return _POOL[1]
    shutdown()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_warm_up, initargs=(os.getpid(),))
    _POOL = (workers, pool)
    log.info("Validation runs on %d worker processes", workers)
    return pool


def shutdown() -> None:
    global _POOL
    if _POOL is not None:
        _POOL[1].shutdown(wait=True, cancel_futures=True)
        _POOL = None


atexit.register(shutdown)
