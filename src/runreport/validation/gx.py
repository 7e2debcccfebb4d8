"""Great Expectations, through its public API only.

One place knows how RUN drives GX (1.x): a context per process and stores folder, a pandas data
source per source with one whole-dataframe asset, and per source a ``ValidationDefinition`` (the source's
suite on that asset's batch) run by a ``Checkpoint`` once per file, the file's frame as the batch
and the file in the run's name. GX stores every result in the
context's validation-results store itself.

What GX keeps: the result format asks for the failing rows' *positions* (``unexpected_index_list``)
and never for the values (``exclude_unexpected_values``, ``partial_unexpected_count`` 0): a
partner's values may be markup or personal data, and the stewards' pages give the reasons, masked
(:mod:`runreport.privacy`). Positions become the file's row numbers in :mod:`runreport.validation.run`.

GX is imported inside the functions only (never at DAG parse time).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

RESULT_FORMAT = {"result_format": "COMPLETE", "exclude_unexpected_values": True, "partial_unexpected_count": 0,
                 "return_unexpected_index_query": False}
BATCH = "whole_file"


def quiet_logging() -> None:
    """Silence GX's import-time chatter ("Skipping registering function …") and metric progress."""
    logging.getLogger("great_expectations._docs_decorators").setLevel(logging.WARNING)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def stores_root(docs_dir: Path) -> Path:
    """The run's GX stores folder (suites, validation definitions, checkpoints, results)."""
    return Path(docs_dir).parent / "gx_stores"


def context(docs_dir: Path | None = None):
    """An ephemeral GX context; with ``docs_dir`` its stores are the folder :func:`stores_root`
    (shared by every process of the run), otherwise in memory."""
    quiet_logging()
    from runreport.validation import gx_import

    gx = gx_import.load()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        FilesystemStoreBackendDefaults,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    if docs_dir is None:
        defaults = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    else:
        root = stores_root(Path(docs_dir))
        root.mkdir(parents=True, exist_ok=True)
        defaults = FilesystemStoreBackendDefaults(root_directory=str(root))
    cfg = DataContextConfig(store_backend_defaults=defaults, progress_bars=ProgressBarsConfig(globally=False),
                            analytics_enabled=False)
    return gx.get_context(project_config=cfg, mode="ephemeral")


def safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)[:120] or "file"


def save_suite(ctx: Any, suite: Any, key: str) -> Any:
    """The suite as stored in ``ctx``; stored again only when its checks changed (``key``)."""
    cache = ctx.__dict__.setdefault("_runreport_suites", {})
    cached = cache.get(suite.name)
    if cached is not None and cached[0] == key:
        return cached[1]
    saved = ctx.suites.add_or_update(suite)
    cache[suite.name] = (key, saved)
    return saved


def _batch_definition(ctx: Any, source: str, asset_name: str) -> Any:
    try:
        ds = ctx.data_sources.get(source)
    except (KeyError, ValueError, LookupError):
        ds = ctx.data_sources.add_pandas(source)
    try:
        asset = ds.get_asset(asset_name)
    except LookupError:
        asset = ds.add_dataframe_asset(asset_name)
    try:
        return asset.get_batch_definition(BATCH)
    except (KeyError, ValueError, LookupError):
        return asset.add_batch_definition_whole_dataframe(BATCH)


def _checkpoint(ctx: Any, source: str, suite: Any) -> Any:
    """The source's Checkpoint in ``ctx`` (one ``ValidationDefinition``: the suite on the source's
    whole-dataframe batch), stored once per process and suite version, not once per file: storing
    them is most of GX's cost per file (profile in benchmarks/RESULTS.md)."""
    import great_expectations as gx

    cache = ctx.__dict__.setdefault("_runreport_checkpoints", {})
    cached = cache.get((source, suite.name))
    if cached is None or cached[0] is not suite:   # the suite object save_suite keeps while unchanged
        batch_definition = _batch_definition(ctx, source, source)
        name = safe_name(suite.name)
        definition = ctx.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=suite))
        cached = cache[(source, suite.name)] = (suite, ctx.checkpoints.add_or_update(
            gx.Checkpoint(name=name, validation_definitions=[definition], actions=[], result_format=RESULT_FORMAT)))
    return cached[1]


def validate(ctx: Any, *, source: str, asset_name: str, suite: Any, frame: Any, run_name: str) -> Any:
    """Run ``suite`` on ``frame`` (one file of ``source``, named ``asset_name``) with the source's
    Checkpoint; GX stores the result under the run and the file (run name ``<run>.<file>``).
    Returns the file's ``ExpectationSuiteValidationResult``."""
    from great_expectations.core.run_identifier import RunIdentifier

    checkpoint = _checkpoint(ctx, source, suite)
    result = checkpoint.run(batch_parameters={"dataframe": frame},
                            run_id=RunIdentifier(run_name=safe_name(f"{run_name}.{asset_name}")))
    (only,) = result.run_results.values()
    return only
