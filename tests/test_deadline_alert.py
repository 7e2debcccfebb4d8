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
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import stack as st
from stack import AIRFLOW, Processes

LATE, ON_TIME = "run_deadline_late", "run_deadline_on_time"

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(300)]


@pytest.fixture
def scratch_db():
    st.require_asyncpg()
    name, drop = st.scratch_database("run_deadline_test")
    try:
        yield name
    finally:
        drop()


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

    env = st.stack_env(
        home, scratch_db, dags, logs,
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__CORE__PARALLELISM="2",
        AIRFLOW__API_AUTH__JWT_SECRET=uuid.uuid4().hex,
        AIRFLOW__API__SECRET_KEY=uuid.uuid4().hex,
        RUN_PATHS__NOTIFICATIONS=str(notes),
        # the callback keeps "sent once" in the warehouse: this test's own, not the checkout's
        RUN_WAREHOUSE__URL=f"sqlite:///{tmp_path / 'warehouse.db'}",
    )
    migrate = subprocess.run([AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, timeout=180)
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]

    now = datetime.now(UTC)
    late_year, on_time_year = now.year - 2, now.year  # deadlines: Feb of now.year - 1 / now.year + 1
    procs = Processes(env, tmp_path)
    db = st.pg_connect(scratch_db)
    try:
        procs.start("dag-processor", "dag-processor")
        procs.start("scheduler", "scheduler")
        procs.start("triggerer", "triggerer")

        def serialized() -> bool:
            with db.cursor() as cur:
                cur.execute("SELECT dag_id FROM serialized_dag WHERE dag_id IN (%s, %s)", (LATE, ON_TIME))
                return len({row[0] for row in cur.fetchall()}) == 2

        procs.wait_for(serialized, 90, "the DAGs to be parsed")

        for dag_id, year in ((LATE, late_year), (ON_TIME, on_time_year)):
            out = subprocess.run([sys.executable, str(tmp_path / "trigger.py"), dag_id, str(year)],
                                 env=env, capture_output=True, text=True, timeout=90)
            assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]

        deadline_file = notes / "deadline_missed.jsonl"
        late_records = procs.wait_for(
            lambda: [r for r in _records(deadline_file) if r.get("dag_id") == LATE],
            120, "the deadline callback of the late run",
        )

        def on_time_settled() -> bool:
            with db.cursor() as cur:
                cur.execute("SELECT state FROM dag_run WHERE dag_id = %s", (ON_TIME,))
                states = [row[0] for row in cur.fetchall()]
            return states == ["success"]

        procs.wait_for(on_time_settled, 60, "the on-time run to succeed")
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
