"""The production shape end to end: Airflow's distributed stack runs the annual report.

Starts real ``airflow dag-processor``, ``scheduler``, ``api-server`` and ``celery worker`` (CeleryExecutor,
broker Redis 127.0.0.1:6379, result backend and metadata on a scratch PostgreSQL database) with a
temp AIRFLOW_HOME, the project's dags/ and plugins/, the warehouse on a second scratch PostgreSQL
database and the outputs in tmp. Then, like an operator would, through the public REST API with a
SimpleAuthManager login (JWT from ``POST /auth/token``): trigger ``run_annual_report`` for 2025 with
conf ``{"year": 2025}``, unpause it, wait for success, and check the report, the contribution table
and the stewards' view (plugin mounted in the API server). Deadline alerts stay on (scheduler path).

Two Celery workers stand for two hosts (issue 15): each has its own working directory, temporary
directory and log folder, and they share only the inbox and the output folder. Worker A runs until
``collect`` has finished and is then stopped; worker B, which never saw A's disk, runs the rest. The
run succeeds because what one task hands the next goes through the warehouse.

Without PostgreSQL or Redis the test is skipped, unless RUN_REQUIRE_SERVICES=1 (then it fails).
Everything it starts is stopped by process group in ``finally``; the scratch databases are dropped
and the Redis database it used is flushed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from conftest import skip_or_fail
from stack import AIRFLOW, Processes
from stack import wait_for as _wait_for

ROOT = Path(__file__).resolve().parents[1]
PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
DAG_ID, YEAR = "run_annual_report", 2025

pytestmark = [pytest.mark.slow, pytest.mark.services, pytest.mark.postgres, pytest.mark.timeout(600)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_admin():
    import psycopg2

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres", connect_timeout=5)
    conn.autocommit = True
    return conn


@pytest.fixture
def services():
    """Two scratch PostgreSQL databases (metadata, warehouse) and a Redis database number."""
    try:
        import asyncpg  # noqa: F401 - Airflow 3 opens an async engine to PostgreSQL
        import redis
    except ImportError as exc:
        skip_or_fail(f"a driver for the distributed stack is missing: {exc}")
    try:
        admin = _pg_admin()
    except Exception as exc:  # noqa: BLE001 - any failure means "no usable PostgreSQL"
        skip_or_fail(f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT} as user postgres: {exc.__class__.__name__}")
    try:
        r = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=3)
        r.ping()
    except Exception as exc:  # noqa: BLE001
        admin.close()
        skip_or_fail(f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT}: {exc.__class__.__name__}")
    # a Redis database nobody else uses right now (1..15; 0 is left to others)
    db_number = next((n for n in range(15, 0, -1)
                      if not redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=n).dbsize()), 15)
    suffix = uuid.uuid4().hex[:10]
    names = {"meta": f"run_dist_meta_{suffix}", "warehouse": f"run_dist_wh_{suffix}"}
    with admin.cursor() as cur:
        for name in names.values():
            cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**names, "redis_db": db_number}
    finally:
        with admin.cursor() as cur:
            for name in names.values():
                cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
                cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db_number).flushdb()


def test_annual_report_on_celery_stack(tmp_path, services):
    import httpx

    t0 = time.monotonic()
    home, logs, out, notes = (tmp_path / d for d in ("airflow_home", "logs", "output", "notifications"))
    for d in (home, logs, out, notes):
        d.mkdir()
    port = _free_port()
    password = secrets.token_hex(12)
    (home / "passwords.json").write_text(json.dumps({"steward": password}), encoding="utf-8")
    pg = f"postgres@{PG_HOST}:{PG_PORT}"
    base = f"http://127.0.0.1:{port}"

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RUN_"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"postgresql+psycopg2://{pg}/{services['meta']}",
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__CELERY__BROKER_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{services['redis_db']}",
        AIRFLOW__CELERY__RESULT_BACKEND=f"db+postgresql+psycopg2://{pg}/{services['meta']}",
        AIRFLOW__CELERY__WORKER_CONCURRENCY="1",
        AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS="runreport.celery_config.CELERY_CONFIG",  # as docker-compose.yaml
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{base}/execution/",
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="steward:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(home / "passwords.json"),
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(32),
        AIRFLOW__API__SECRET_KEY=secrets.token_hex(32),
        AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(logs),
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(_free_port()),
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
        AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES="1",
        AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK="False",
        AIRFLOW_VAR_RUN_PSEUDONYM_SECRET=secrets.token_hex(16),
        RUN_WAREHOUSE__URL=f"postgresql+psycopg2://{pg}/{services['warehouse']}",
        RUN_PATHS__OUTPUT=str(out),
        RUN_PATHS__NOTIFICATIONS=str(notes),
        PYTHONUNBUFFERED="1",
        PYTHONWARNINGS="ignore::DeprecationWarning",
    )  # deadline alerts stay on: RUN_REPORTING__DEADLINE_ALERTS is not set (config default true)
    migrate = subprocess.run([AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, timeout=240)
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
    timings = {"migrate": time.monotonic() - t0}

    procs = Processes(env, tmp_path)
    try:
        procs.start("dag-processor", "dag-processor")
        procs.start("scheduler", "scheduler")
        procs.start("api-server", "api-server", "--port", str(port), "--host", "127.0.0.1")
        def worker(label: str) -> None:
            own = tmp_path / f"host-{label}"
            for d in ("cwd", "tmp", "logs"):
                (own / d).mkdir(parents=True, exist_ok=True)
            procs.start(f"celery-worker-{label}", "celery", "worker", "--concurrency", "1", "--skip-serve-logs",
                        "--celery-hostname", f"worker-{label}@%h", cwd=own / "cwd",
                        env={"RUN_TEST_WORKER": f"worker-{label}", "TMPDIR": str(own / "tmp"),
                             "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(own / "logs"),
                             "AIRFLOW__CORE__HOSTNAME_CALLABLE": "worker_identity.name",
                             "PYTHONPATH": str(ROOT / "tests")})

        worker("a")
        client = httpx.Client(base_url=base, timeout=30)

        def api_up():
            try:
                return client.get("/api/v2/monitor/health").status_code == 200
            except httpx.HTTPError:
                return False

        _wait_for(api_up, 120, "the API server", procs)
        token = client.post("/auth/token", json={"username": "steward", "password": password})
        assert token.status_code == 201, token.text
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        assert httpx.get(f"{base}/api/v2/dags/{DAG_ID}").status_code == 401  # the API needs the login

        _wait_for(lambda: client.get(f"/api/v2/dags/{DAG_ID}").status_code == 200, 120,
                  f"{DAG_ID} to be parsed", procs)
        timings["parsed"] = time.monotonic() - t0

        # Trigger the 2025 report (logical date = the reporting year's start, as the timetable does),
        # then unpause. In that order the scheduler finds the 2025 run already there and does not add
        # a scheduled duplicate for it (with catchup=False it would create the latest due year: 2025).
        run = client.post(f"/api/v2/dags/{DAG_ID}/dagRuns",
                          json={"logical_date": f"{YEAR}-01-01T00:00:00Z", "conf": {"year": YEAR}})
        assert run.status_code == 200, run.text
        run_id = run.json()["dag_run_id"]
        unpause = client.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False})
        assert unpause.status_code == 200 and unpause.json()["is_paused"] is False, unpause.text

        def task_states() -> dict[str, str]:
            tis = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances").json()["task_instances"]
            return {t["task_id"]: t["state"] for t in tis}

        _wait_for(lambda: task_states().get("collect") == "success", 240, "collect on worker A", procs, interval=2)
        procs.stop_one("celery-worker-a")   # host A goes away; host B never saw its disk
        worker("b")

        def finished():
            state = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}").json()["state"]
            if state == "failed":
                tis = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances").json()
                raise AssertionError(f"run failed: {[(t['task_id'], t['state']) for t in tis['task_instances']]}\n"
                                     + "\n".join(f"--- {n} ---\n{procs.tail(n)}" for n in procs.procs))
            return state == "success"

        _wait_for(finished, 480, f"{DAG_ID} {run_id} to succeed", procs, interval=3)
        timings["run"] = time.monotonic() - t0

        tis = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances").json()["task_instances"]
        assert {t["task_id"]: t["state"] for t in tis} == {
            t: "success" for t in ("collect", "validate", "load", "compute", "report", "publish")}
        assert {t["executor"] or "CeleryExecutor" for t in tis} == {"CeleryExecutor"}
        hosts = {t["task_id"]: t["hostname"] for t in tis}
        assert hosts["collect"] == "worker-a" and hosts["publish"] == "worker-b", hosts
        assert hosts["load"] == "worker-b", hosts   # load gets validate's decisions from the warehouse

        # the stewards' view is mounted in the API server and needs the same login
        view = client.get("/run-stewards/")
        assert view.status_code == 200 and f"/run-stewards/files/RUN/{YEAR}/korning.html" in view.text
        page = client.get(f"/run-stewards/files/RUN/{YEAR}/korning.html")
        assert page.status_code == 200 and f"verksamhetsberattelse_{YEAR}.docx" in page.text
        assert httpx.get(f"{base}/run-stewards/").status_code == 401
    finally:
        procs.stop()

    # the tasks wrote nowhere the hosts would have to share but the output folder (and the warehouse)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == [
        "airflow_home", "host-a", "host-b", "logs", "notifications", "output"], list(tmp_path.iterdir())
    # the worker imported Great Expectations once, at start-up: the validate task it forked found it there
    validating_host = tmp_path / hosts["validate"].replace("worker-", "host-")
    (validate_log,) = (validating_host / "logs").rglob("task_id=validate/attempt=*.log")
    assert "Great Expectations: already imported by this worker" in validate_log.read_text(encoding="utf-8")
    year_dir = out / "RUN" / str(YEAR)
    import docx

    document = docx.Document(str(year_dir / f"verksamhetsberattelse_{YEAR}.docx"))
    assert len(document.paragraphs) > 10
    assert any(str(YEAR) in p.text for p in document.paragraphs)
    with open(year_dir / f"kommunbidrag_{YEAR}.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(io.StringIO(fh.read()), delimiter=";"))
    assert len(rows) == 19
    assert len({r["municipality_code"] for r in rows}) == 19
    assert (year_dir / "korning.html").is_file() and (year_dir / "korning.md").is_file()
    assert (year_dir / "validation" / "sammanfattning.html").is_file()
    print("timings (s since start):", {k: round(v, 1) for k, v in timings.items()})
