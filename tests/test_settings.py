"""runreport.settings: typed settings, and one loader that sees the Variable run_config in every
process (a task, the scheduler's plugins, the API server's stewards' view, the CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from airflow_helpers import AIRFLOW, airflow_env
from pydantic import ValidationError

from runreport import config, settings


def test_a_wrong_setting_is_named_when_loaded():
    with pytest.raises(settings.SettingsError) as exc:
        config.load({"reporting": {"run_iso_week": 60, "run_iso_weekday": "måndag"},
                     "validation": {"max_rejected_share": 1.5}, "invoicing": {"series": "run 2025"}}, environ={})
    text = str(exc.value)
    for name in ("reporting.run_iso_week", "reporting.run_iso_weekday", "validation.max_rejected_share",
                 "invoicing.series"):
        assert name in text
    with pytest.raises(settings.SettingsError, match="population.reference_date"):
        config.load(environ={"RUN_POPULATION__REFERENCE_DATE": "31/12"})
    with pytest.raises(settings.SettingsError, match="contribution.rounding"):
        config.load({"contribution": {"rounding": "bankers"}}, environ={})


def test_the_shipped_settings_and_every_network_are_valid():
    from runreport import tenants

    cfg = config.load(environ={})
    assert isinstance(cfg, settings.Settings) and cfg.reporting.meeting_iso_week == 9
    # what the model writes back reads again as the same settings (nothing lost in the typing)
    assert settings.validate(cfg.model_dump(by_alias=True)) == cfg
    for tenant in tenants.list_tenants():
        assert tenants.load_tenant(tenant, environ={}).tenant == tenant


def test_the_settings_are_typed_and_their_defaults_are_the_models():
    """Code reads attributes, never a dict's keys with a default of its own: a setting left out takes
    the model's default, and a value from YAML or the environment arrives as the model's type."""
    cfg = config.load({"report": {"goal_sets": None}}, environ={"RUN_REPORTING__DEADLINE_ALERTS": "false",
                                                                 "RUN_VALIDATION__WORKERS": "2"})
    assert cfg.reporting.deadline_alerts is False and cfg.validation.workers == 2
    assert cfg.reporting.run_hour == 6 and cfg.reporting.timezone == "Europe/Stockholm"
    assert cfg.path("notifications") == config.PROJECT_ROOT / "var" / "notifications"
    assert cfg.report.goal_sets is None and cfg.ledger.cost_accounts == ("4000", "7999")
    shipped = config.load(environ={}).report.goal_sets
    assert [g.model_dump(by_alias=True)["from"] for g in shipped] == [2020, 2023]
    with pytest.raises(KeyError, match="paths.organisations"):
        cfg.path("organisations")


def test_paths_and_urls_are_resolved_without_creating_folders(tmp_path):
    cfg = config.load({"paths": {"output": str(tmp_path / "ut")}, "warehouse": {"url": "sqlite:///nytt/lager.db"}},
                      environ={})
    assert cfg.output_dir(2025) == tmp_path / "ut" / "RUN" / "2025"
    assert cfg.warehouse_url == "sqlite:///" + str(config.PROJECT_ROOT / "nytt" / "lager.db")
    assert not (tmp_path / "ut").exists() and not (config.PROJECT_ROOT / "nytt").exists()


def test_the_variable_outside_airflow_comes_from_its_environment_form(monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_RUN_CONFIG", json.dumps({"reporting": {"demo_year": 2024}}))
    assert settings.load().reporting.demo_year == 2024
    monkeypatch.setenv("AIRFLOW_VAR_RUN_CONFIG", json.dumps({"reporting": {"demo_year": "tjugo"}}))
    with pytest.raises(settings.SettingsError, match="reporting.demo_year"):
        settings.load()


def test_server_processes_read_the_variable_from_the_metadata_db(tmp_path):
    """The scheduler, API server and triggerer (``_AIRFLOW_PROCESS_CONTEXT=server``) read run_config
    from Airflow's database, with a session of their own, as the stewards' view, the run-note listener
    and the timetable do; a Variable stored there (not in the environment) applies."""
    env = airflow_env(tmp_path)
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    out = tmp_path / "annan_utdata"
    subprocess.run([AIRFLOW, "variables", "set", "run_config",
                    json.dumps({"paths": {"output": str(out)}, "reporting": {"run_iso_week": 7}})],
                   env=env, check=True, capture_output=True, timeout=120)
    code = ("from runreport import settings, schedule; "
            "c = settings.load(); print(c.path('output'), schedule.ReportingCalendar.from_config().run_iso_week)")
    for context in ("server", None):
        run_env = {**env, "_AIRFLOW_PROCESS_CONTEXT": context} if context else env
        p = subprocess.run([sys.executable, "-c", code], env=run_env, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr[-2000:]
        if context == "server":
            assert p.stdout.split() == [str(out), "7"]
        else:  # neither a task nor a server: Airflow's fallback chain has no metadata DB, the file decides
            assert p.stdout.split()[1] == "6"


def test_in_production_only_the_deploy_migrates_the_warehouse(tmp_path):
    """``warehouse.migrate: deploy`` (docker-compose): a step finding the schema behind stops and says
    what to run; ``python -m runreport.warehouse migrate`` (the stack's airflow-init) brings it up."""
    from runreport.steps.common import sessions
    from runreport.warehouse.engine import NotMigrated

    url = f"sqlite:///{tmp_path / 'lager.db'}"
    cfg = config.load({"warehouse": {"url": url, "migrate": "deploy"}}, environ={})
    with pytest.raises(NotMigrated, match="python -m runreport.warehouse migrate"):
        sessions(cfg)
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("RUN_")}
    p = subprocess.run([sys.executable, "-m", "runreport.warehouse", "migrate"],
                       env={**env, "RUN_WAREHOUSE__URL": url}, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "schemaversion" in p.stdout, p.stderr[-2000:]
    with sessions(cfg)() as s:   # now at the code's revision: the step opens it without migrating
        from sqlalchemy import text

        assert s.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


def test_a_task_reads_the_variable_through_airflow(tmp_path):
    """In a task (``airflow dags test``: Airflow's task runner answers Variable lookups) a run_config
    stored in Airflow's database, not in the environment, applies."""
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "probe.py").write_text(
        "from airflow.sdk import dag, task\n\n\n"
        "@dag(schedule=None)\n"
        "def settings_probe():\n"
        "    @task\n"
        "    def probe():\n"
        "        from runreport import settings\n\n"
        "        print('PROBE', settings.load().reporting.demo_year)\n\n"
        "    probe()\n\n\n"
        "settings_probe()\n", encoding="utf-8")
    env = airflow_env(tmp_path / "home", AIRFLOW__CORE__DAGS_FOLDER=str(dags))
    (tmp_path / "home").mkdir()
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    subprocess.run([AIRFLOW, "variables", "set", "run_config", json.dumps({"reporting": {"demo_year": 2019}})],
                   env=env, check=True, capture_output=True, timeout=120)
    p = subprocess.run([AIRFLOW, "dags", "test", "settings_probe"], env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert "PROBE 2019" in p.stdout + p.stderr


def test_an_installed_package_finds_its_files_under_run_home(tmp_path):
    """The package is not tied to an editable checkout: with RUN_HOME (the production image) every
    path the package reads by itself (settings, templates, demo payees) is under RUN_HOME."""
    probe = ("from runreport import config, demo_payees, pages\n"
             "from runreport.report import render_docx\n"
             "for p in (config.PROJECT_ROOT, config.DEFAULT_FILE, demo_payees.DEMO_FILE,"
             " render_docx.DEFAULT_TEMPLATE, pages.TEMPLATES): print(p)\n")
    env = {k: v for k, v in os.environ.items() if k != "RUN_HOME"} | {"RUN_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120,
                         check=True).stdout.split()
    assert len(out) == 5 and all(p.startswith(str(tmp_path.resolve())) for p in out), out


def test_a_config_file_is_read_again_when_it_changes_and_a_loaded_config_is_the_callers_own(tmp_path):
    """The YAML files are parsed once per process and version: an edited file is read again, and
    changing one loaded configuration never changes the next."""
    base = config.DEFAULT_FILE.read_text(encoding="utf-8")
    file = tmp_path / "pipeline.yaml"
    file.write_text(base, encoding="utf-8")
    first = config.load(file=file, environ={})
    with pytest.raises(ValidationError, match="frozen"):   # read-only: no caller changes it for the next
        first.invoicing.series = "CHANGED"
    first.report.funders.clear()   # the one mutable part, a mapping: the caller's own copy
    second = config.load(file=file, environ={})
    assert second.invoicing.series != "CHANGED" and second.report.funders
    assert "\nnetwork_name: " in base
    file.write_text(base.replace("\nnetwork_name: ", "\nnetwork_name: Ett annat nätverk #", 1), encoding="utf-8")
    assert config.load(file=file, environ={}).network_name == "Ett annat nätverk"


def test_what_the_readers_accepted_before_still_loads_and_a_wrong_time_zone_is_named():
    """Goal sets without their own words (the report's are used), goal and funder codes written as
    numbers, and an empty notifications folder load as they did before the settings were typed; an
    unknown time zone is named when the settings load, not when a DAG file is parsed."""
    cfg = config.load({"report": {"funders": {4711: "Skolverket"}, "goal_sets": [
        {"from": 2020, "to": None, "goals": [[1, "Likvärdighet"], [2, "Ledarskap"]]}]},
        "paths": {"notifications": None}}, environ={})
    assert cfg.report.funders["4711"] == "Skolverket"   # merged over pipeline.yaml's funders
    (period,) = cfg.report.goal_sets
    assert period.goals == [("1", "Likvärdighet"), ("2", "Ledarskap")] and period.term is None
    from runreport.report.compose import goal_terms

    assert goal_terms(2025, [period.model_dump(by_alias=True, exclude_none=True)]) == \
        ("samverkansmål", "verksamhetsplanens samverkansmål")
    assert cfg.path("notifications") == config.PROJECT_ROOT / "var" / "notifications"
    with pytest.raises(settings.SettingsError, match="reporting.timezone.*Mars/Olympus"):
        config.load({"reporting": {"timezone": "Mars/Olympus"}}, environ={})


def test_the_outputs_listing_without_a_year_takes_the_demo_year(capsys):
    """``python -m runreport.outputs`` (what scripts/demo.sh prints at its end) without a year."""
    from runreport import outputs

    assert outputs.main(["outputs"]) == 0
    assert capsys.readouterr().out.startswith(f"Utdata för {config.load().reporting.demo_year}:")
    # the demo scripts' own way to the year when none is given (the README's first command)
    import re
    from pathlib import Path

    for script in ("demo.sh", "demo_networks.sh"):
        text = (Path(config.PROJECT_ROOT) / "scripts" / script).read_text(encoding="utf-8")
        (code,) = re.findall(r"python -c '([^']*demo_year[^']*)'", text)
        year = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert year.stdout.strip() == str(config.load().reporting.demo_year), script


def test_a_package_installed_outside_the_checkout_finds_the_project_or_says_how(tmp_path):
    """Installed from a wheel (the package's parents hold no config/), the project folder it runs
    in is the home; run anywhere else, loading the settings names RUN_HOME instead of failing later."""
    import shutil

    site = tmp_path / "site"
    shutil.copytree(config.PROJECT_ROOT / "src" / "runreport", site / "runreport",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if k not in ("RUN_HOME", "RUN_CONFIG_FILE")} | {"PYTHONPATH": str(site)}
    probe = "import runreport.config as c; print(c.__file__); print(c.PROJECT_ROOT); print(c.load(environ={}).tenant)"
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=config.PROJECT_ROOT, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    assert out == [str(site / "runreport" / "config.py"), str(config.PROJECT_ROOT), "RUN"]
    elsewhere = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True,
                               timeout=120)
    assert elsewhere.returncode != 0 and "RUN_HOME" in elsewhere.stderr
