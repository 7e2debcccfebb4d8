"""The load: insert exactly the rows validate accepted, as validate staged them in the warehouse."""

from __future__ import annotations

import logging

from sqlalchemy import select

from runreport.config import Config
from runreport.quality import RowIssue
from runreport.steps.common import sessions
from runreport.warehouse import models as m
from runreport.warehouse import staging
from runreport.warehouse.load import already_ingested, load_file, row_count

log = logging.getLogger(__name__)


def load_files(cfg: Config, year: int, run_key: str = staging.MANUAL) -> dict:
    """Load each validated file, one file per transaction: exactly the rows validate accepted (staged
    in the warehouse, :mod:`runreport.warehouse.staged_rows`; the file is not read again), with the
    quarantine. The staged rows already carry the pseudonyms validate made. ``run_key``: the run
    whose staging is loaded (:func:`runreport.warehouse.staging.run_key`)."""
    Session = sessions(cfg)
    totals = {"files_loaded": 0, "rows_loaded": 0, "rows_quarantined": 0, "resolved": []}
    with Session() as s:
        staged = staging.decisions(s, cfg.tenant, year, run=run_key)
    for e, d in staged:
        if e["status"] != "new" or d is None or d["status"] == "changed":
            continue
        issues = [RowIssue(**i) for i in d["issues"]]
        raw_rows = {int(k): v for k, v in d["raw_rows"].items()}
        stopped = d["status"] in ("rejected", "held")
        with Session.begin() as s:
            logged = already_ingested(s, cfg.tenant, e["checksum"])
            if logged is not None and logged.status != "held":   # loaded by an earlier load of this run
                staging.save_accepted_rows(s, cfg.tenant, year, e["source"], e["file_name"], None, run=run_key)
                continue
            rows = None if stopped else _accepted_rows(s, cfg, year, e, d, run_key)
            if logged is not None:   # held before and checked again: this run's decision replaces the entry
                s.delete(logged)
                s.flush()
            if not stopped:
                slot_files = s.scalars(select(m.IngestedFile).where(
                    m.IngestedFile.tenant == cfg.tenant, m.IngestedFile.slot == e["slot"])
                    .order_by(m.IngestedFile.id)).all()
                last_good = max((f.id for f in slot_files if f.status in ("loaded", "replaced")), default=0)
                earlier = [f for f in slot_files if f.status in ("rejected", "held") and f.id > last_good]
                totals["resolved"] += [{"file_name": e["file_name"], "checksum": e["checksum"], "source": e["source"],
                                        "replaces": ", ".join(r.file_name for r in earlier)}
                                       for _ in earlier[:1]]
            load_file(s, tenant=cfg.tenant, source=e["source"], file_name=e["file_name"], slot=e["slot"],
                      year=e["year"], checksum=e["checksum"], size_bytes=e["size_bytes"], rows_in=d["rows_in"],
                      rows=rows, issues=issues, raw_rows=raw_rows,
                      status=d["status"] if stopped else "loaded", message=d["message"],
                      checks=d.get("checks"))
            staging.save_accepted_rows(s, cfg.tenant, year, e["source"], e["file_name"], None, run=run_key)   # loaded: not kept twice
        totals["files_loaded"] += 1
        totals["rows_loaded"] += d["rows_loaded"]
        totals["rows_quarantined"] += d["rows_quarantined"]
    return totals


def _shown_name(name: str) -> str:
    from runreport import privacy

    return privacy.file_name(name)


def _accepted_rows(s, cfg: Config, year: int, e: dict, d: dict, run_key: str) -> dict[str, list]:
    """The rows validate accepted, as it staged them in the warehouse (never parsed again here)."""
    from runreport.warehouse import staged_rows

    blob = staging.accepted_rows(s, cfg.tenant, year, e["source"], e["file_name"], run=run_key)
    if blob is None:
        raise RuntimeError(f"{e['source']}/{_shown_name(e['file_name'])}: validate staged no rows for load; "
                           "run the year's validate again")
    rows = staged_rows.decode(e["source"], blob)
    if row_count(rows) != d["rows_loaded"]:
        raise RuntimeError(f"{e['source']}/{_shown_name(e['file_name'])}: {row_count(rows)} rows staged, "
                           f"validate accepted {d['rows_loaded']}")
    return rows
