#!/usr/bin/env bash
# The main job on the embedded default: SQLite warehouse, shipped demo data, real Airflow.
# Usage: bash scripts/demo.sh [YEAR]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
YEAR="${1:-$(.venv/bin/python -c 'from runreport.config import load; print(load()["reporting"]["demo_year"])')}"
.venv/bin/airflow db migrate >/dev/null
echo "== run_annual_report for $YEAR (airflow dags test) =="
.venv/bin/airflow dags test run_annual_report -c "{\"year\": $YEAR}" >var/demo_annual_report.log 2>&1 \
  || { tail -50 var/demo_annual_report.log; echo "run_annual_report failed; full log: var/demo_annual_report.log"; exit 1; }
.venv/bin/python -m runreport.outputs "$YEAR"
