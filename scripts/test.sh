#!/usr/bin/env bash
# The test suite. Tests that need PostgreSQL/Redis skip (saying why) when those are absent,
# unless RUN_REQUIRE_SERVICES=1 (as in CI), where they must run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest -q -rs "$@"
