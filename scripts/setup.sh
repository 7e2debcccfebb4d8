#!/usr/bin/env bash
# Create .venv with the pinned dependencies (constraints.txt locks every transitive version).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if ! .venv/bin/python -c "import runreport, airflow.sdk, great_expectations, docx" >/dev/null 2>&1 \
   || [ constraints.txt -nt .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  mkdir -p var
  echo "Installing the pinned dependencies into .venv (log: var/setup.log) ..."
  { .venv/bin/python -m pip install -q --upgrade pip \
    && .venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]"; } >var/setup.log 2>&1 \
    || { grep -v "WARNING: Location" var/setup.log | tail -40; echo "pip install failed: var/setup.log"; exit 1; }
  touch .venv/.installed
fi
