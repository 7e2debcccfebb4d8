"""Running real Airflow from tests: the environment of a temporary, project-local Airflow home."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW = str(Path(sys.executable).parent / "airflow")


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without its Airflow/RUN settings, plus an Airflow home on SQLite with
    the project's DAGs and plugins. ``extra`` adds or overrides (e.g. RUN_WAREHOUSE__URL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RUN_"))}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW_VAR_RUN_PSEUDONYM_SECRET": "test-secret",
        # `airflow dags test` cannot finish a DAG with a deadline alert (plugins/run_timetable.py)
        "RUN_REPORTING__DEADLINE_ALERTS": "false",
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    })
    from runreport.demo_payees import connection_env

    env.update(connection_env())  # the finance connections run_payee_<tenant> (demo values)
    env.update(extra)
    return env
