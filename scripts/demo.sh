#!/usr/bin/env bash
# The main job on the embedded default: SQLite warehouse, shipped demo data, real Airflow.
# Usage: bash scripts/demo.sh [YEAR]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
YEAR="${1:-$(.venv/bin/python -c 'from runreport.config import load; print(load().reporting.demo_year)')}"
.venv/bin/airflow db migrate >/dev/null
echo "== run_annual_report for $YEAR (airflow dags test) =="
.venv/bin/airflow dags test run_annual_report -c "{\"year\": $YEAR}" >var/demo_annual_report.log 2>&1 \
  || { tail -50 var/demo_annual_report.log; echo "run_annual_report failed; full log: var/demo_annual_report.log"; exit 1; }
echo "== run_invoices for $YEAR (airflow dag.test; the approval step is answered by 'demo-ekonomi') =="
echo "   In production nobody answers automatically: finance approves in the Airflow UI (Required actions)."
.venv/bin/python scripts/answer_invoice_approval.py Approve "$YEAR" demo-ekonomi >var/demo_invoices.log 2>&1 \
  || { tail -50 var/demo_invoices.log; echo "run_invoices failed; full log: var/demo_invoices.log"; exit 1; }
grep -q '"run": "success"' var/demo_invoices.log || { grep RESULT var/demo_invoices.log; exit 1; }
.venv/bin/python -m runreport.outputs "$YEAR"
