"""The validation workers of a task process end with it: an Airflow task that is killed (timeout,
marked failed in the UI) must not leave processes behind that each hold Great Expectations and a
file's frames."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

TASK = textwrap.dedent("""
    import time
    from runreport import filecheck

    pool = filecheck.executor(2)
    list(pool.map(time.sleep, [0.2, 0.2]))           # both workers up
    print(" ".join(str(p.pid) for p in pool._processes.values()), flush=True)
    time.sleep(600)
""")


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has ended; only its exit status is left


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_their_task_process_is_killed():
    task = subprocess.Popen([sys.executable, "-c", TASK], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        pids = [int(p) for p in task.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
    finally:
        task.send_signal(signal.SIGKILL)  # as the supervisor kills a task: no clean-up code runs
        task.wait()
    deadline = time.monotonic() + 30
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [p for p in pids if _alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    assert not left, f"validation workers {left} outlived their killed task process"


def test_auto_starts_no_pool_for_little_data(monkeypatch):
    """``workers: auto`` checks a network-year's few megabytes in this process (a pool's start costs
    more than it saves) and uses the CPUs for more data; a number is taken as given."""
    from runreport import filecheck

    monkeypatch.delenv("AIRFLOW_CTX_DAG_ID", raising=False)
    monkeypatch.delenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", raising=False)
    assert filecheck.worker_count("auto", 500_000, 8_000_000) == 1
    assert filecheck.worker_count("auto", 9_000_000, 8_000_000) == max(1, min(len(os.sched_getaffinity(0)), 4))
    assert filecheck.worker_count(2, 500_000, 8_000_000) == 2
    monkeypatch.setenv("AIRFLOW_CTX_DAG_ID", "run_annual_report")
    assert filecheck.worker_count("auto", 9_000_000, 8_000_000) == 1
