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
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PG_HOST, PG_PORT = "127.0.0.1", 5432
FAKETIME_LIBS = ("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                 "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1")


def require_or_skip(reason: str) -> None:
    if os.environ.get("RUN_REQUIRE_SERVICES") == "1":
        pytest.fail(f"RUN_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


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


FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"


def fab_users(env: dict[str, str], users: dict[str, tuple[str, list[str]]], tenants=("RUN", "KALMAR")) -> None:
    """RUN's roles and the given users ({username: (role, networks)}, password ``<username>-pw``) in the
    FAB auth manager's tables of ``env``'s metadata DB, the way docs/operations.md tells an admin."""
    import sys

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


class Stack:
    """The Airflow processes of one phase; :meth:`stop` ends exactly those (by process group)."""

    COMPONENTS = ("dag-processor", "scheduler", "triggerer", "api-server")

    def __init__(self, airflow: str, env: dict[str, str], logdir: Path, port: int, db=None) -> None:
        self.airflow, self.env, self.logdir, self.port, self.db = airflow, env, logdir, port, db
        self.procs: dict[str, subprocess.Popen] = {}
        self.phase = "setup"

    def start(self, phase: str, at: datetime | None) -> None:
        """Start every component with the clock at ``at`` (None: the real clock)."""
        self.phase = phase
        env = dict(self.env)
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
            out = open(self.logdir / f"{phase}-{name}.log", "wb")
            self.procs[name] = subprocess.Popen([self.airflow, *args], env=env, stdout=out,
                                                stderr=subprocess.STDOUT, start_new_session=True)
            out.close()

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"airflow {name} exited with {proc.returncode}:\n{self.tail(name)}")

    def tail(self, name: str, n: int = 3000) -> str:
        path = self.logdir / f"{self.phase}-{name}.log"
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
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
        self.procs = {}

    def wait_for(self, predicate, timeout: float, what: str, interval: float = 1.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            result = predicate()
            if result:
                return result
            self.check_alive()
            time.sleep(interval)
        logs = "\n".join(f"--- {name} ---\n{self.tail(name)}" for name in self.procs)
        raise AssertionError(f"[{self.phase}] timed out after {timeout}s waiting for {what}\n{logs}")

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
