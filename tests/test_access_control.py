"""Production access control (issue 12): the real API server with Airflow's FAB auth manager, as
docker-compose.yaml runs it, on a scratch PostgreSQL metadata database; the roles come from
``python -m runreport.access sync-roles`` and the users from ``... add-user``, as docs/operations.md
tells an admin to do.

* a coordinator (samordnare) can read but can neither approve invoices nor start runs;
* a steward (förvaltare) can start runs but cannot approve invoices; only finance (ekonomi) passes
  the approval's permission check;
* a user of another network (KALMAR) neither sees RUN in the stewards' view nor reads its files.

The approval itself, answered by finance through the REST API on a real waiting run, is lived in
tests/test_year_lived.py (P9) under the same auth manager.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import stack as st

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
AIRFLOW = str(VENV_BIN / "airflow")

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(600)]

USERS = {  # username: (role, networks)
    "ekonomi": ("ekonomi", ["RUN"]),
    "forvaltare": ("forvaltare", ["RUN"]),
    "samordnare": ("samordnare", ["RUN"]),
    "kalmar": ("forvaltare", ["KALMAR"]),
}


def fab_env(home: Path, db: str, out: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RUN_"))}
    env.update(
        AIRFLOW_HOME=str(home), AIRFLOW__CORE__AUTH_MANAGER=st.FAB_AUTH_MANAGER,
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"postgresql+psycopg2://postgres@{st.PG_HOST}:{st.PG_PORT}/{db}",
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"), AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False", AIRFLOW__API_AUTH__JWT_SECRET=uuid.uuid4().hex,
        AIRFLOW__API__SECRET_KEY=uuid.uuid4().hex, AIRFLOW__API__WORKERS="1",
        RUN_PATHS__OUTPUT=str(out), PYTHONWARNINGS="ignore::DeprecationWarning",
        PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}")
    return env


@pytest.fixture
def fab_server(tmp_path):
    db, drop = st.scratch_database("run_access")
    home, out = tmp_path / "home", tmp_path / "output"
    home.mkdir()
    for tenant in ("RUN", "KALMAR"):
        (out / tenant / "2025").mkdir(parents=True)
        (out / tenant / "2025" / "korning.html").write_text(f"<h1>Körning {tenant}</h1>", encoding="utf-8")
    (out / "RUN" / "2025" / "kommunbidrag_2025.csv").write_text("kommun;belopp\n2380;130000\n", encoding="utf-8")
    env = fab_env(home, db, out)
    server = None
    try:
        subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
        st.fab_users(env, USERS)
        server = st.Stack(AIRFLOW, env, tmp_path, st.free_port())
        server.COMPONENTS = ("api-server",)
        server.start("access", None)
        server.wait_for(server.api_ready, 180, "the API server")
        yield server
    finally:
        if server is not None:
            server.stop()
        drop()


def _get(server, path: str, token: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(server.url(path), headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def test_roles_decide_who_approves_who_runs_and_which_network_is_seen(fab_server):
    s = fab_server
    tokens = {name: s.token(name, f"{name}-pw") for name in USERS}
    approve = "/api/v2/dags/run_invoices/dagRuns/manual__x/taskInstances/approval/-1/hitlDetails"
    answers = {name: s.api("PATCH", approve, tokens[name], {"chosen_options": ["Approve"]})[0] for name in USERS}
    # the permission check comes before the run is looked up: only finance gets past it (404: no such run)
    assert answers == {"ekonomi": 404, "forvaltare": 403, "samordnare": 403, "kalmar": 403}, answers

    trigger = "/api/v2/dags/run_annual_report/dagRuns"
    started = {name: s.api("POST", trigger, tokens[name], {"logical_date": None})[0] for name in USERS}
    assert started["samordnare"] == 403 and started["ekonomi"] == 403, started
    assert started["forvaltare"] != 403, started   # a steward may start a run (the DAG is not parsed here: 404)

    # every role reads Airflow (the coordinator is read-only, not blind)
    assert all(s.api("GET", "/api/v2/dags", tokens[name])[0] == 200 for name in USERS)
    assert s.api("POST", "/api/v2/variables", tokens["samordnare"], {"key": "run_config", "value": "{}"})[0] == 403

    # the stewards' view: each user sees and reads only their network
    for name in ("forvaltare", "samordnare", "ekonomi"):
        code, body = _get(s, "/run-stewards/files/RUN/2025/korning.html", tokens[name])
        assert code == 200 and "Körning RUN" in body, (name, code)
    code, body = _get(s, "/run-stewards/", tokens["kalmar"])
    assert code == 200 and "KALMAR" in body and "/files/RUN/" not in body, body
    for path in ("korning.html", "kommunbidrag_2025.csv"):
        code, body = _get(s, f"/run-stewards/files/RUN/2025/{path}", tokens["kalmar"])
        assert code == 403 and "130000" not in body and "Körning RUN" not in body, (path, code, body)
    assert _get(s, "/run-stewards/files/KALMAR/2025/korning.html", tokens["kalmar"])[0] == 200
    code, body = _get(s, "/run-stewards/", tokens["forvaltare"])
    assert "/files/RUN/" in body and "/files/KALMAR/" not in body


def test_steward_role_neither_answers_approvals_nor_deletes():
    from airflow.providers.fab.auth_manager.security_manager.override import (
        FabAirflowSecurityManagerOverride as Fab,
    )

    from runreport.access import role_definitions

    roles = {r["role"]: set(r["perms"]) for r in role_definitions(Fab.VIEWER_PERMISSIONS, Fab.USER_PERMISSIONS,
                                                                   ["RUN"])}
    assert ("can_edit", "HITL Detail") not in roles["forvaltare"]
    assert not [p for p in roles["forvaltare"] if p[0] == "can_delete"]
    assert ("can_create", "DAG Runs") in roles["forvaltare"]   # but runs and clears tasks
    assert {("can_edit", "HITL Detail"), ("can_edit", "DAG:run_invoices")} <= roles["ekonomi"]
    assert ("can_edit", "DAGs") not in roles["ekonomi"] and ("can_edit", "DAGs") not in roles["samordnare"]
    assert not [p for p in roles["samordnare"] if p[0] in ("can_edit", "can_create", "can_delete")
                and p[1] not in ("My Password", "My Profile")]
