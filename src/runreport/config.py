"""Configuration: ``config/pipeline.yaml``, overridden by an Airflow Variable or environment.

:func:`load` merges the layers and returns them typed (:class:`runreport.settings.Settings`, also
importable here as ``Config``): code reads ``cfg.validation.workers``, never a key of a dict, and
every default is the model's.

The loader for every process is :func:`runreport.settings.load` (it reads the Variable where the
process can); this module merges the layers and :mod:`runreport.settings` types and checks them.

Precedence (later wins): the YAML file, ``RUN_CONFIG_FILE`` (another YAML merged over it),
the JSON/YAML given to :func:`load` as ``overrides`` (the DAGs pass the Airflow Variable
``run_config`` here), then environment variables ``RUN_<SECTION>__<KEY>``.
"""

from __future__ import annotations

import copy
import functools
import os
from pathlib import Path
from typing import Any

import yaml

from runreport.settings import Settings as Config  # noqa: F401 (the typed settings load returns)

SETTINGS_FILE = Path("config") / "pipeline.yaml"


def _home() -> Path:
    """Where ``config/`` and ``include/`` are and relative paths start: ``RUN_HOME`` when set (the
    production image); else the checkout this package sits in (an editable install), when it holds
    ``config/pipeline.yaml``; else the current folder, when it does (a package installed from a
    wheel, run from the project's folder). Otherwise :func:`load` says that RUN_HOME must name it."""
    env = os.environ.get("RUN_HOME")
    if env:
        return Path(env).resolve()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / SETTINGS_FILE).is_file():
        return checkout
    cwd = Path.cwd().resolve()
    return cwd if (cwd / SETTINGS_FILE).is_file() else checkout


PROJECT_ROOT = _home()
DEFAULT_FILE = PROJECT_ROOT / SETTINGS_FILE


def _yaml_file(path: Path) -> Any:
    """A YAML file's data: parsed once per process and version of the file (its modification time
    and size in the key), then a copy of that. Every task and every network of a run loads the
    configuration, some more than once; PyYAML's pure-Python parser took ~8 ms for pipeline.yaml
    each time (benchmarks/profile_network.py). libyaml's parser (``CSafeLoader``) where PyYAML has it: the same safe constructors."""
    stat = path.stat()
    return copy.deepcopy(_parsed(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=32)
def _parsed(path: str, mtime_ns: int, size: int) -> Any:  # noqa: ARG001 (the key: a changed file is read again)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 (a safe loader)


def _merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _env_overrides(environ: dict[str, str]) -> dict:
    out: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith("RUN_") or "__" not in name:
            continue
        path = name[4:].lower().split("__")
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = yaml.safe_load(raw) if raw else raw
    return out


def load(overrides: dict | str | None = None, environ: dict[str, str] | None = None,
         file: Path | None = None, network: dict | None = None) -> Config:
    """pipeline.yaml < ``overrides`` (the Variable ``run_config``; may not set ``tenant``) <
    ``network`` (a tenant file, ``runreport.tenants``) < ``RUN_*`` environment."""
    environ = dict(os.environ) if environ is None else environ
    file = file or DEFAULT_FILE
    if not file.is_file():
        raise FileNotFoundError(f"Inställningsfilen {file} finns inte: sätt RUN_HOME till mappen med config/ och "
                                f"include/ / the settings file {file} does not exist: set RUN_HOME to the folder "
                                f"holding config/ and include/")
    data = _yaml_file(file)
    extra_file = environ.get("RUN_CONFIG_FILE")
    if extra_file:
        data = _merge(data, _yaml_file(Path(extra_file)) or {})
    if isinstance(overrides, str):
        overrides = yaml.safe_load(overrides) or {}
    if overrides:
        # which network a run serves decides whose payee connection (bank account) invoices carry:
        # it comes from the tenant file or this file, never from the Variable run_config
        if "tenant" in overrides:
            import logging

            logging.getLogger(__name__).warning("run_config may not set 'tenant'; ignored (docs/security.md)")
            overrides = {k: v for k, v in overrides.items() if k != "tenant"}
        data = _merge(data, overrides)
    if network:
        data = _merge(data, network)
    data = _merge(data, _env_overrides(environ))
    from runreport import settings

    return settings.validate(data)   # typed; a wrong setting is named here, not deep in a task
