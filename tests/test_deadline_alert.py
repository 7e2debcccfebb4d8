"""End to end: the report-deadline alert fires for a late run and not for an on-time one.

Deadlines are evaluated by the scheduler and their callbacks run in the triggerer, so this test
runs real ``airflow dag-processor``, ``airflow scheduler`` and ``airflow triggerer`` processes
against a scratch PostgreSQL database (127.0.0.1:5432, user postgres, trust auth). Without
PostgreSQL it is skipped, unless RUN_REQUIRE_SERVICES=1, when it fails.

Two identical DAGs use the project's timetable and ``report_deadline_alert()`` (deadline from
config/pipeline.yaml). The "late" DAG gets a run for a reporting year whose deadline is long
past; the "on-time" DAG a run for the current year, whose deadline is next year. No SMTP
connection is configured, so the callback records to ``$RUN_PATHS__NOTIFICATIONS``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
AIRFLOW = str(VENV_BIN / "airflow") if (VENV_BIN / "airflow").exists() else shutil.which("airflow")
PG_HOST, PG_PORT = "127.0.0.1", 5432
LATE, ON_TIME = "run_deadline_late", "run_deadline_on_time"

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(300)]


def _require_or_skip(reason: str) -> None:
    if os.environ.get("RUN_REQUIRE_SERVICES") == "1":
        pytest.fail(f"RUN_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def _pg_connect(dbname: str = "postgres"):
    import psycopg2

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user="postgres", dbname=dbname, connect_timeout=5)
    conn.autocommit = True
    return conn


@pytest.fixture
def scratch_db():
    try:
        import asyncpg  # noqa: F401 - Airflow 3 opens an async engine to PostgreSQL at import
    except ImportError:
        _require_or_skip("asyncpg (Airflow's async PostgreSQL driver) is not installed")
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=3):
            pass
        admin = _pg_connect()
    except Exception as exc:  # any failure means "no usable PostgreSQL"
        _require_or_skip(f"PostgreSQL not usable at {PG_HOST}:{PG_PORT} as user postgres: {exc}")
    name = f"run_deadline_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


DAG_FILE = textwrap.dedent(
    """
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG
    from run_timetable import report_deadline_alert, timetable_from_config

    for dag_id in ({late!r}, {on_time!r}):
        with DAG(
            dag_id,
            schedule=timetable_from_config(),  # no start_date: only the runs the test creates
            deadline=report_deadline_alert(),
            is_paused_upon_creation=False,
        ):
            EmptyOperator(task_id="report")
    """
).format(late=LATE, on_time=ON_TIME)

# Creates a manual run for one reporting year the way the REST API does for a logical date
# (POST /api/v2/dags/{{dag_id}}/dagRuns {{"logical_date": "YYYY-01-01T00:00:00Z"}}).
TRIGGER_SCRIPT = textwrap.dedent(
    """
    import sys

    import pendulum
    from airflow.models.dagbag import DBDagBag
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType

    dag_id, year = sys.argv[1], int(sys.argv[2])
    with create_session() as session:
        dag = DBDagBag().get_latest_version_of_dag(dag_id, session=session)
        interval = dag.timetable.infer_manual_data_interval(run_after=pendulum.datetime(year, 1, 1, tz="UTC"))
        dag.create_dagrun(
            run_id=f"manual__report_{year}",
            logical_date=interval.start,
            data_interval=interval,
            run_after=pendulum.now("UTC"),
            run_type=DagRunType.MANUAL,
            triggered_by=DagRunTriggeredByType.TEST,
            state=DagRunState.QUEUED,
            session=session,
        )
    print("created", dag_id, year)
    """
)


class Processes:
    """The Airflow processes this test starts; :meth:`stop` ends exactly those (by process group)."""

    def __init__(self, env: dict[str, str], logdir: Path) -> None:
        self.env, self.logdir = env, logdir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        out = open(self.logdir / f"{name}.log", "wb")  # the child keeps its own descriptor
        self.procs[name] = subprocess.Popen(
            [AIRFLOW, *args], env={**self.env, **(env or {})}, stdout=out, stderr=subprocess.STDOUT,
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
        path = self.logdir / f"{name}.log"
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
            try:  # children of the process (parsers, trigger runner, executor workers) too
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)


def _wait_for(predicate, timeout: float, what: str, procs: Processes, interval: float = 1.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        result = predicate()
        if result:
            return result
        procs.check_alive()
        time.sleep(interval)
    logs = "\n".join(f"--- {name} ---\n{procs.tail(name)}" for name in procs.procs)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{logs}")


def _records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_deadline_alert_fires_only_for_late_run(tmp_path, scratch_db):
    if not AIRFLOW:
        pytest.fail("the airflow command is not installed")
    home, dags, notes, logs = (tmp_path / d for d in ("airflow_home", "dags", "notifications", "logs"))
    for d in (home, dags, notes, logs):
        d.mkdir()
    (dags / "deadline_dags.py").write_text(DAG_FILE, encoding="utf-8")
    (tmp_path / "trigger.py").write_text(TRIGGER_SCRIPT, encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RUN_"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"postgresql+psycopg2://postgres@{PG_HOST}:{PG_PORT}/{scratch_db}",
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__CORE__PARALLELISM="2",
        AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(logs),
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
        AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL="5",
        AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES="1",
        AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK="False",
        AIRFLOW__API_AUTH__JWT_SECRET=uuid.uuid4().hex,
        AIRFLOW__API__SECRET_KEY=uuid.uuid4().hex,
        RUN_PATHS__NOTIFICATIONS=str(notes),
        # the callback keeps "sent once" in the warehouse: this test's own, not the checkout's
        RUN_WAREHOUSE__URL=f"sqlite:///{tmp_path / 'warehouse.db'}",
        PYTHONUNBUFFERED="1",
    )
    migrate = subprocess.run([AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, timeout=180)
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]

    now = datetime.now(UTC)
    late_year, on_time_year = now.year - 2, now.year  # deadlines: Feb of now.year - 1 / now.year + 1
    procs = Processes(env, tmp_path)
    db = _pg_connect(scratch_db)
    try:
        procs.start("dag-processor", "dag-processor")
        procs.start("scheduler", "scheduler")
        procs.start("triggerer", "triggerer")

        def serialized() -> bool:
            with db.cursor() as cur:
                cur.execute("SELECT dag_id FROM serialized_dag WHERE dag_id IN (%s, %s)", (LATE, ON_TIME))
                return len({row[0] for row in cur.fetchall()}) == 2

        _wait_for(serialized, 90, "the DAGs to be parsed", procs)

        for dag_id, year in ((LATE, late_year), (ON_TIME, on_time_year)):
            out = subprocess.run([sys.executable, str(tmp_path / "trigger.py"), dag_id, str(year)],
                                 env=env, capture_output=True, text=True, timeout=90)
            assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]

        deadline_file = notes / "deadline_missed.jsonl"
        late_records = _wait_for(
            lambda: [r for r in _records(deadline_file) if r.get("dag_id") == LATE],
            120, "the deadline callback of the late run", procs,
        )

        def on_time_settled() -> bool:
            with db.cursor() as cur:
                cur.execute("SELECT state FROM dag_run WHERE dag_id = %s", (ON_TIME,))
                states = [row[0] for row in cur.fetchall()]
            return states == ["success"]

        _wait_for(on_time_settled, 60, "the on-time run to succeed", procs)
        time.sleep(5)  # give a wrongly-missed deadline time to show up

        with db.cursor() as cur:
            cur.execute(
                "SELECT r.dag_id, d.missed, d.deadline_time FROM deadline d "
                "JOIN dag_run r ON r.id = d.dagrun_id"
            )
            deadlines = cur.fetchall()
    finally:
        db.close()
        procs.stop()

    assert len(late_records) == 1
    rec = late_records[0]
    assert rec["event"] == "deadline_missed"
    assert rec["reporting_year"] == late_year
    assert rec["run_id"] == f"manual__report_{late_year}"
    assert str(late_year) in rec["subject"]
    assert not [r for r in _records(deadline_file) if r.get("dag_id") == ON_TIME]

    late_rows = [row for row in deadlines if row[0] == LATE]
    assert [row[1] for row in late_rows] == [True]
    # Monday of the configured deadline week of late_year + 1, 06:00 Stockholm.
    from runreport import schedule

    cal = schedule.ReportingCalendar.from_config()
    assert late_rows[0][2] == cal.deadline_at(late_year)
    # The on-time run succeeded before its deadline: its deadline was pruned (or is still pending).
    assert all(not row[1] for row in deadlines if row[0] == ON_TIME)
