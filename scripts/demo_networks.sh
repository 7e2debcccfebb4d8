#!/usr/bin/env bash
# The multi-network demo: every network in config/tenants/ (RUN's committed demo data and two demo
# networks whose partner files are generated here into data/demo-networks/) through the DAG
# run_all_networks (airflow dags test) on the shared SQLite warehouse: one report and one set of
# prepared invoices per network, in var/output/<network>/<year>/.
# Usage: bash scripts/demo_networks.sh [YEAR]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
YEAR="${1:-$(.venv/bin/python -c 'from runreport.config import load; print(load().reporting.demo_year)')}"
echo "== demo networks' partner files (generated) =="
.venv/bin/python -m tools.demo.networks
.venv/bin/python -m runreport.tenants
.venv/bin/airflow db migrate >/dev/null
echo "== run_all_networks for $YEAR (airflow dags test) =="
.venv/bin/airflow dags test run_all_networks -c "{\"year\": $YEAR}" >var/demo_networks.log 2>&1 \
  || { tail -50 var/demo_networks.log; echo "run_all_networks failed; full log: var/demo_networks.log"; exit 1; }
echo "Invoices are prepared per network; finance approves each network's in run_invoices (param tenant)."
.venv/bin/python -m runreport.outputs "$YEAR" --all
