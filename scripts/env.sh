# Shared environment for the project's commands: a project-local Airflow home on SQLite.
# Sourced by scripts/*.sh; safe to source in your own shell too: `source scripts/env.sh`.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export RUN_ROOT="$ROOT"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$ROOT/var/airflow_home}"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$ROOT/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__UNIT_TEST_MODE="${AIRFLOW__CORE__UNIT_TEST_MODE:-False}"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite:///$AIRFLOW_HOME/airflow.db}"
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-WARNING}"
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning}"
# matplotlib's font list per checkout: made after the fonts are installed (Carlito for the charts and
# the report's table widths), never a list from before they were
export MPLCONFIGDIR="${MPLCONFIGDIR:-$ROOT/var/matplotlib}"
# The pseudonymisation key is a secret: never in the repository. Locally it is generated once into
# var/ and handed to Airflow as the Variable run_pseudonym_secret (AIRFLOW_VAR_* environment form).
if [ -z "${AIRFLOW_VAR_RUN_PSEUDONYM_SECRET:-}" ]; then
  mkdir -p "$ROOT/var"
  [ -s "$ROOT/var/pseudonym_secret" ] || (umask 077; python3 -c 'import secrets; print(secrets.token_hex(32))' > "$ROOT/var/pseudonym_secret")
  export AIRFLOW_VAR_RUN_PSEUDONYM_SECRET="$(cat "$ROOT/var/pseudonym_secret")"
fi
# `airflow dags test` (Airflow 3.3.2) cannot finish a run of a DAG with a deadline alert: the one-off
# local runs switch the alert off; the scheduler (production) keeps it. See plugins/run_timetable.py.
export RUN_REPORTING__DEADLINE_ALERTS="${RUN_REPORTING__DEADLINE_ALERTS:-false}"
# The seller's payment details are a finance-owned Airflow Connection (run_payee_<tenant>), never
# configuration; the demo's fictitious ones come from data/demo_payees.json.
if [ -z "${AIRFLOW_CONN_RUN_PAYEE_RUN:-}" ] && [ -x "$ROOT/.venv/bin/python" ]; then
  eval "$("$ROOT/.venv/bin/python" -m runreport.demo_payees)"
fi
