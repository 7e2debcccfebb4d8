"""A real Airflow stack for tests: dag-processor, scheduler, triggerer and API server on a scratch
PostgreSQL database, optionally with the clock moved to a chosen moment (libfaketime, Debian's
``faketime`` package), so a test can live a reporting year phase by phase.

Every process of one phase gets the same clock offset (``FAKETIME="+<seconds>"``, inherited by the
task processes they start), so JWTs, heartbeats and deadlines agree with each other. The phases'
moments must lie in the past of the real clock: Airflow asks PostgreSQL's ``now()`` whether a run's
``run_after`` has come.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
AIRFLOW = str(VENV_BIN / "airflow") if (VENV_BIN / "airflow").exists() else shutil.which("airflow")
PG_HOST, PG_PORT = "127.0.0.1", 5432
FAKETIME_LIBS = ("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                 "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1")


def require_or_skip(reason: str) -> None:
    if os.environ.get("RUN_REQUIRE_SERVICES") == "1":
        pytest.fail(f"RUN_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def require_asyncpg() -> None:
    try:
        import asyncpg  # noqa: F401 - Airflow 3 opens an async engine to PostgreSQL at import
    except ImportError:
        require_or_skip("asyncpg (Airflow's async PostgreSQL driver) is not installed")


def faketime_lib() -> str | None:
    return next((p for p in FAKETIME_LIBS if Path(p).exists()), None)


def pg_connect(dbname: str = "postgres"):
    import psycopg2

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname=dbname, connect_timeout=5)
    conn.autocommit = True
    return conn


def scratch_database(prefix: str):
    """Create a scratch database; returns (name, drop)."""
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=3):
            pass
        admin = pg_connect()
    except Exception as exc:  # noqa: BLE001
        require_or_skip(f"PostgreSQL not usable at {PG_HOST}:{PG_PORT} as user postgres: {exc}")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()

    return name, drop


def stack_env(home: Path, meta_db: str, dags: Path, logs: Path, **settings: str) -> dict[str, str]:
    """The environment of an Airflow stack with its metadata in the scratch database ``meta_db``: the
    caller's environment without its Airflow/RUN settings, an Airflow home with the DAGs of ``dags``, the
    project's plugins, task logs in ``logs``, the LocalExecutor and quick DAG parsing. ``settings`` add
    or override (the API's secrets, executor parallelism, paused at creation, RUN_*, …)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RUN_"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"postgresql+psycopg2://postgres@{PG_HOST}:{PG_PORT}/{meta_db}",
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(logs),
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
        AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL="5",
        AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES="1",
        AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK="False",
        PYTHONUNBUFFERED="1",
    )
    env.update(settings)
    return env


FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"


def fab_users(env: dict[str, str], users: dict[str, tuple[str, list[str]]], tenants=("RUN", "KALMAR")) -> None:
    """RUN's roles and the given users ({username: (role, networks)}, password ``<username>-pw``) in the
    FAB auth manager's tables of ``env``'s metadata DB, the way docs/operations.md tells an admin."""
    sync = [sys.executable, "-m", "runreport.access", "sync-roles"]
    for t in tenants:
        sync += ["--tenant", t]
    subprocess.run(sync, env=env, check=True, capture_output=True, timeout=300)
    for name, (role, networks) in users.items():
        args = [sys.executable, "-m", "runreport.access", "add-user", "--username", name, "--role", role,
                "--email", f"{name}@natverk.example", "--password-stdin"]
        for n in networks:
            args += ["--network", n]
        subprocess.run(args, env=env, check=True, capture_output=True, timeout=300, input=f"{name}-pw\n", text=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def install_fake_clock(conn) -> None:
    """Make ``now()`` in this database follow the phase's clock. Airflow compares run times with
    PostgreSQL's ``now()`` (``DagModel.next_dagrun_create_after <= now()``, ``run_after <= now()``);
    with ``search_path = public, pg_catalog`` an unqualified ``now()`` resolves to this function,
    which adds the offset kept in ``fake_clock`` (updated at every phase by :meth:`Stack.start`)."""
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS fake_clock (off interval NOT NULL)")
        cur.execute("INSERT INTO fake_clock SELECT interval '0' WHERE NOT EXISTS (SELECT 1 FROM fake_clock)")
        cur.execute("CREATE OR REPLACE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql STABLE AS "
                    "$$ SELECT pg_catalog.now() + (SELECT off FROM public.fake_clock LIMIT 1) $$")
        cur.execute("SELECT current_database()")
        cur.execute(f'ALTER DATABASE "{cur.fetchone()[0]}" SET search_path = public, pg_catalog')


class Processes:
    """Airflow processes a test starts, each in its own process group: :meth:`stop` ends exactly those
    (and their children: parsers, trigger runner, executor workers)."""

    def __init__(self, env: dict[str, str], logdir: Path, airflow: str | None = None) -> None:
        self.airflow = airflow or AIRFLOW
        self.env, self.logdir = env, logdir
        self.procs: dict[str, subprocess.Popen] = {}

    def log_path(self, name: str) -> Path:
        return self.logdir / f"{name}.log"

    def start(self, name: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        """Start ``airflow <args>`` as ``name``; ``env`` adds to or overrides the common environment."""
        out = open(self.log_path(name), "wb")  # the child keeps its own descriptor
        self.procs[name] = subprocess.Popen(
            [self.airflow, *args], env={**self.env, **(env or {})}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=cwd,
        )
        out.close()

    def stop_one(self, name: str, timeout: float = 120) -> None:
        """End one process gracefully (SIGTERM: a Celery worker finishes its task and hands back
        what it had fetched), then for good."""
        proc = self.procs.pop(name)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"airflow {name} exited with {proc.returncode}:\n{self.tail(name)}")

    def tail(self, name: str, n: int = 4000) -> str:
        path = self.log_path(name)
        return path.read_text(errors="replace")[-n:] if path.exists() else ""

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for proc in self.procs.values():
            try:  # children of the process too
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
        self.procs = {}

    def wait_for(self, predicate, timeout: float, what: str, interval: float = 1.0):
        """``predicate()``'s first true result within ``timeout`` seconds; fails (with every process's
        log tail) when a process exits or time runs out."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            result = predicate()
            if result:
                return result
            self.check_alive()
            time.sleep(interval)
        logs = "\n".join(f"--- {name} ---\n{self.tail(name)}" for name in self.procs)
        raise AssertionError(f"{self.label()}timed out after {timeout}s waiting for {what}\n{logs}")

    def label(self) -> str:
        return ""


def wait_for(predicate, timeout: float, what: str, procs: Processes, interval: float = 1.0):
    """:meth:`Processes.wait_for` as a function (the form tests/test_distributed.py calls)."""
    return procs.wait_for(predicate, timeout, what, interval)


class Stack(Processes):
    """The Airflow processes of one phase; :meth:`stop` ends exactly those (by process group)."""

    COMPONENTS = ("dag-processor", "scheduler", "triggerer", "api-server")

    def __init__(self, airflow: str, env: dict[str, str], logdir: Path, port: int, db=None) -> None:
        super().__init__(env, logdir, airflow)
        self.port, self.db = port, db
        self.phase = "setup"

    def log_path(self, name: str) -> Path:
        return self.logdir / f"{self.phase}-{name}.log"

    def label(self) -> str:
        return f"[{self.phase}] "

    def start(self, phase: str, at: datetime | None) -> None:  # type: ignore[override]
        """Start every component with the clock at ``at`` (None: the real clock)."""
        self.phase = phase
        env: dict[str, str] = {}
        if at is not None:
            offset = int((at - datetime.now(UTC)).total_seconds())
            if self.db is not None:
                with self.db.cursor() as cur:
                    cur.execute("UPDATE fake_clock SET off = make_interval(secs => %s)", (offset,))
            # FORCE_MONOTONIC_FIX: without it libfaketime 0.9.10 breaks Python's time.sleep
            # (clock_nanosleep with an absolute monotonic deadline: EINVAL)
            env.update(LD_PRELOAD=faketime_lib(), FAKETIME=f"{offset:+d}", FAKETIME_FORCE_MONOTONIC_FIX="1",
                       FAKETIME_DONT_RESET="1")
        for name in self.COMPONENTS:
            args = [name] + (["--port", str(self.port)] if name == "api-server" else [])
            super().start(name, *args, env=env)

    # -- the REST API, as a user would call it ----------------------------------------------------

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def token(self, username: str, password: str) -> str:
        body = json.dumps({"username": username, "password": password}).encode()
        req = urllib.request.Request(self.url("/auth/token"), data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())["access_token"]

    def api(self, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
        req = urllib.request.Request(self.url(path), method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def api_ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url("/api/v2/monitor/health"), timeout=5) as resp:
                return resp.status == 200
        except Exception:  # noqa: BLE001
            return False
