"""The production stack: docker-compose.yaml, .env.example, Dockerfile.

``docker compose config -q`` validates the file with a generated ``.env`` (no engine needed).
When no compose command is installed the test is skipped, unless RUN_REQUIRE_SERVICES=1: then
Debian's ``docker-compose`` package is installed with apt-get. The other checks are pure Python.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
REQUIRED_SERVICES = {
    "postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
    "airflow-triggerer", "airflow-worker", "airflow-init",
}
AIRFLOW_SERVICES = {s for s in REQUIRED_SERVICES if s.startswith("airflow-")}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|_KEY$|REQUIREPASS", re.I)
VAR_REF = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?])?([^}]*)\}")


def _compose_code() -> str:
    """docker-compose.yaml without its comment lines."""
    lines = COMPOSE.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


def _env_example() -> dict[str, str]:
    out = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def _generated_env() -> str:
    from cryptography.fernet import Fernet

    lines = []
    for key, value in _env_example().items():
        if not value:
            value = Fernet.generate_key().decode() if key == "AIRFLOW_FERNET_KEY" else secrets.token_hex(16)
        lines.append(f"{key}={value}")
    return "\n".join(lines) + "\n"


def _stack_dir(tmp_path: Path, env_text: str) -> Path:
    d = tmp_path / "stack"
    d.mkdir()
    shutil.copy(COMPOSE, d / "docker-compose.yaml")
    shutil.copy(ROOT / "Dockerfile", d / "Dockerfile")
    shutil.copytree(ROOT / "docker", d / "docker")
    (d / ".env").write_text(env_text, encoding="utf-8")
    return d


def _compose_command() -> list[str] | None:
    for cmd in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(cmd[0]) is None:
            continue
        try:
            ok = subprocess.run([*cmd, "version"], capture_output=True, timeout=60).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return cmd
    return None


@pytest.fixture(scope="module")
def compose_cmd() -> list[str]:
    cmd = _compose_command()
    if cmd is None and os.environ.get("RUN_REQUIRE_SERVICES") == "1":
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "docker-compose"], env=env, check=True, timeout=600)
        cmd = _compose_command()
        if cmd is None:
            pytest.fail("installed Debian's docker-compose but no compose command works")
    if cmd is None:
        pytest.skip("no `docker compose` plugin nor `docker-compose` installed "
                    "(set RUN_REQUIRE_SERVICES=1 to install Debian's docker-compose)")
    return cmd


def _clean_env() -> dict[str, str]:
    names = set(_env_example())
    return {k: v for k, v in os.environ.items() if k not in names}


def _config(cmd: list[str], d: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*cmd, "config", "-q"], cwd=d, env=_clean_env(), capture_output=True, text=True,
                          timeout=120)


def test_compose_config_validates(compose_cmd, tmp_path):
    d = _stack_dir(tmp_path, _generated_env())
    result = _config(compose_cmd, d)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_config_refuses_missing_password(compose_cmd, tmp_path):
    env_text = re.sub(r"(?m)^POSTGRES_PASSWORD=.*$", "POSTGRES_PASSWORD=", _generated_env())
    d = _stack_dir(tmp_path, env_text)
    result = _config(compose_cmd, d)
    assert result.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in result.stdout + result.stderr


# -- pure Python ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_required_services(compose):
    assert REQUIRED_SERVICES <= set(compose["services"])


def test_airflow_services_share_image_and_mounts(compose):
    for name in AIRFLOW_SERVICES:
        svc = compose["services"][name]
        assert svc["build"]["dockerfile"] == "Dockerfile", name
        mounts = {re.search(r":(/opt/[^:]+)(:ro)?$", v).group(1) for v in svc["volumes"]}
        assert {"/opt/airflow/dags", "/opt/airflow/plugins", "/opt/run/include", "/opt/run/config"} <= mounts
        assert svc["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert svc["environment"]["RUN_WAREHOUSE__URL"].startswith("postgresql+psycopg2://")
        assert "@postgres:5432/" in svc["environment"]["RUN_WAREHOUSE__URL"]


def test_warehouse_database_init_script(compose):
    volumes = compose["services"]["postgres"]["volumes"]
    assert any("/docker-entrypoint-initdb.d/" in v and "init-run-warehouse.sh" in v for v in volumes)
    script = (ROOT / "docker" / "postgres" / "init-run-warehouse.sh").read_text(encoding="utf-8")
    assert "CREATE DATABASE" in script and "WAREHOUSE_DB_PASSWORD:?" in script


def _walk_strings(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk_strings(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk_strings(v, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def test_no_password_literals(compose):
    text = _compose_code()
    # Every secret variable is required: ${VAR:?message}, never ${VAR:-default} or ${VAR}.
    for name, op, _ in VAR_REF.findall(text):
        if SECRET_NAME.search(name):
            assert op == ":?", f"${{{name}}} must be written ${{{name}:?...}} (no default)"
    for path, value in _walk_strings(compose):
        key = path.rsplit(".", 1)[-1]
        if SECRET_NAME.search(key) and not key.endswith("_FILE"):
            assert value.startswith("${") and ":?" in value, f"{path} holds a literal: {value!r}"
        # Credentials inside URLs: user:password@host, the password must be a required variable.
        for m in re.finditer(r"://([^:/@\s]*):([^@\s]*)@", value):
            assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", m.group(2)), f"{path}: literal password in URL"
    assert "airflow:airflow@" not in text
    assert not re.search(r"(?i)(password|secret)\s*[:=]\s*['\"]?(airflow|admin|changeme|postgres)\b", text)


def test_env_example_lists_every_setting_without_secrets():
    example = _env_example()
    names = {name for name, _, _ in VAR_REF.findall(_compose_code())}
    names -= {"HOSTNAME"}
    missing = names - set(example)
    assert not missing, f".env.example lacks {sorted(missing)}"
    for key, value in example.items():
        if SECRET_NAME.search(key):
            assert value == "", f".env.example must not carry a value for {key}"
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    for key in example:  # each setting is explained by a comment above it (in its block)
        block = text.split(f"\n{key}=")[0].rsplit("\n\n", 1)[-1]
        assert "#" in block, f"{key} has no comment"


def test_dockerfile_installs_project_with_constraints():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"(?m)^FROM apache/airflow:3\.3\.2-python3\.11$", text)
    assert re.search(r"pip install .*-c constraints\.txt", text)
    # installed as a package, not editable from a checkout: RUN_HOME names where config/ and
    # include/ are copied (and mounted), the folder the package reads them from
    install = re.search(r"(?m)^RUN pip install .*$", text).group(0)
    assert not re.search(r"(^|\s)(-e|--editable)(\s|$)", install), install
    home = re.search(r"(?m)^ENV RUN_HOME=(\S+)$", text).group(1)
    assert re.search(r"(?m)^COPY .*config/ config/$", text) and re.search(r"(?m)^WORKDIR (\S+)$", text).group(1) == home


def test_production_auth_manager_roles_and_no_key_in_the_environment(compose):
    """FAB auth manager with RUN's roles (issue 12); the pseudonymisation key is an Airflow Variable,
    made by airflow-init, never an environment variable of the stack."""
    for name in AIRFLOW_SERVICES:
        env = compose["services"][name]["environment"]
        assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("fab_auth_manager.FabAuthManager"), name
        assert not any("PSEUDONYM" in k for k in env), name
        assert not any(k.startswith("AIRFLOW__CORE__SIMPLE_AUTH") for k in env), name
    init = "\n".join(compose["services"]["airflow-init"]["command"])
    assert "runreport.access sync-roles" in init and "runreport.pseudonym_key ensure" in init
    assert "PSEUDONYM" not in ENV_EXAMPLE.read_text(encoding="utf-8")
    pins = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'"apache-airflow-providers-fab==[\d.]+"', pins)


def test_the_stack_migrates_the_warehouse_once_at_deploy():
    """airflow-init runs the warehouse's migrations; every service's tasks only check the schema."""
    import yaml

    stack = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    init = "\n".join(stack["services"]["airflow-init"]["command"])
    assert "python -m runreport.warehouse migrate" in init
    for name, service in stack["services"].items():
        if name.startswith("airflow-"):
            assert service["environment"]["RUN_WAREHOUSE__MIGRATE"] == "deploy", name

