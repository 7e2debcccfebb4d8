#!/usr/bin/env bash
# The production-like stack on this machine, in one command: Airflow's scheduler, dag-processor,
# triggerer and API server (`airflow standalone`) with the project's DAGs and plugins, the real
# timetables, deadline alerts and reminders. The metadata database is PostgreSQL when one answers
# at 127.0.0.1:5432 (database run_airflow, created if missing), else SQLite under var/.
# Open http://localhost:8080; the login users and passwords are printed by Airflow at start.
#   bash scripts/stack.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
export RUN_REPORTING__DEADLINE_ALERTS=true     # the scheduler handles deadlines (dags test cannot)
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True
if .venv/bin/python - <<'PY' 2>/dev/null
import psycopg2
c = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3)
c.autocommit = True
cur = c.cursor()
cur.execute("SELECT 1 FROM pg_database WHERE datname = 'run_airflow'")
if cur.fetchone() is None:
    cur.execute("CREATE DATABASE run_airflow")
PY
then
  export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql+psycopg2://postgres@127.0.0.1:5432/run_airflow"
  export AIRFLOW__CORE__EXECUTOR=LocalExecutor
  echo "Metadata database: PostgreSQL run_airflow"
else
  echo "Metadata database: SQLite $AIRFLOW_HOME/airflow.db (no PostgreSQL at 127.0.0.1:5432)"
fi
.venv/bin/airflow db migrate >/dev/null
echo "DAGs start paused: unpause run_ingest, run_annual_report, run_deadline_reminder and run_invoices in the UI."
export PATH="$PWD/.venv/bin:$PATH"   # standalone starts its components as `airflow …` commands
exec .venv/bin/airflow standalone
