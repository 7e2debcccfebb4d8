"""Great Expectations, through its public API only.

One place knows how RUN drives GX (1.x): a context per process and stores folder, one pandas data
source with a whole-dataframe asset per source, and per source a ``ValidationDefinition`` (the source's
suite on that asset's batch) run by a ``Checkpoint`` once per source and run: the batch is the
source's files of the run together (:mod:`runreport.validation.batch`; one file alone is its own
frame), named in the run's name. GX stores every result in the context's validation-results store
itself.

What GX keeps: the result format asks for the failing rows' *positions* (``unexpected_index_list``)
and never for the values (``exclude_unexpected_values``, ``partial_unexpected_count`` 0): a
partner's values may be markup or personal data, and the stewards' pages give the reasons, masked
(:mod:`runreport.privacy`). Positions become the file's row numbers in :mod:`runreport.validation.run`.

GX is imported inside the functions only (never at DAG parse time).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
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


DATA_SOURCE = "runreport"


def _batch_definition(ctx: Any, asset_name: str) -> Any:
    """The whole-dataframe batch of the asset ``asset_name`` (one per source) of the context's one
    pandas data source. One data source for all sources rather than one each: GX saves the context's
    configuration on every data source, asset and batch definition it adds."""
    try:
        ds = ctx.data_sources.get(DATA_SOURCE)
    except (KeyError, ValueError, LookupError):
        ds = ctx.data_sources.add_pandas(DATA_SOURCE)
    try:
        asset = ds.get_asset(asset_name)
    except LookupError:
        asset = ds.add_dataframe_asset(asset_name)
    try:
        return asset.get_batch_definition(BATCH)
    except (KeyError, ValueError, LookupError):
        return asset.add_batch_definition_whole_dataframe(BATCH)


def checkpoint(ctx: Any, source: str, suite_name: str, key: str, build: Callable[[], Any]) -> Any:
    """The source's Checkpoint in ``ctx``: one ``ValidationDefinition``, the suite ``build()`` makes
    on the source's whole-dataframe batch. Built and stored once per context, suite and checks
    (``key``), not once per file, and stored in one call: ``checkpoints.add_or_update`` stores the
    definition and the suite with it. Storing them separately as well compared and wrote the suite
    three times per file (``benchmarks/profile_network.py`` times this call)."""
    import great_expectations as gx

    cache = ctx.__dict__.setdefault("_runreport_checkpoints", {})
    cached = cache.get((source, suite_name))
    if cached is None or cached[0] != key:
        suite = build()
        name = safe_name(suite_name)
        definition = gx.ValidationDefinition(name=name, data=_batch_definition(ctx, source), suite=suite)
        cached = cache[(source, suite_name)] = (key, ctx.checkpoints.add_or_update(
            gx.Checkpoint(name=name, validation_definitions=[definition], actions=[], result_format=RESULT_FORMAT)))
    return cached[1]


def validate(checkpoint: Any, *, asset_name: str, frame: Any, run_name: str) -> Any:
    """Run the source's ``checkpoint`` (:func:`checkpoint`) on ``frame``, one file of the source named
    ``asset_name``; GX stores the result under the run and the file (run name ``<run>.<file>``).
    Returns the file's ``ExpectationSuiteValidationResult``."""
    from great_expectations.core.run_identifier import RunIdentifier

    result = checkpoint.run(batch_parameters={"dataframe": frame},
                            run_id=RunIdentifier(run_name=safe_name(f"{run_name}.{asset_name}")))
    (only,) = result.run_results.values()
    return only
