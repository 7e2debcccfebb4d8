"""The load: insert exactly the rows validate accepted, parsed again from the same bytes."""

from __future__ import annotations

import logging

import pandas as pd
from sqlalchemy import select

from runreport.config import Config
from runreport.ingest.mapping import load_mappings
from runreport.ingest.organisations import load_partners
from runreport.quality import RowIssue
from runreport.steps.common import FileChanged, read_inbox_file, sessions
from runreport.warehouse import models as m
from runreport.warehouse import staging
from runreport.warehouse.load import already_ingested, load_file

log = logging.getLogger(__name__)


def load_files(cfg: Config, year: int, secret: bytes) -> dict:
    """Load each validated file, one file per transaction: its rows are parsed again from the inbox
    (checksum checked) against the reference validate used, and exactly the rows validate accepted
    are inserted, with the quarantine. ``secret`` is the pseudonymisation key validate used."""
    Session = sessions(cfg)
    totals = {"files_loaded": 0, "rows_loaded": 0, "rows_quarantined": 0, "resolved": []}
    with Session() as s:
        staged = staging.decisions(s, cfg.tenant, year)
    mappings, partners = load_mappings(), load_partners()
    for e, d in staged:
        if e["status"] != "new" or d is None or d["status"] == "changed":
            continue
        issues = [RowIssue(**i) for i in d["issues"]]
        raw_rows = {int(k): v for k, v in d["raw_rows"].items()}
        frame = None
        stopped = d["status"] in ("rejected", "held")
        if not stopped:
            try:
                frame = _accepted_rows(cfg, e, d, issues, mappings, partners, secret)
            except FileChanged:
                log.warning("%s/%s changed after it was validated: left for the next run", e["source"],
                            _shown_name(e["file_name"]))
                continue
        with Session.begin() as s:
            logged = already_ingested(s, cfg.tenant, e["checksum"])
            if logged is not None and logged.status != "held":
                continue
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
                      frame=frame, issues=issues, raw_rows=raw_rows,
                      status=d["status"] if stopped else "loaded", message=d["message"],
                      checks=d.get("checks"))
        totals["files_loaded"] += 1
        totals["rows_loaded"] += d["rows_loaded"]
        totals["rows_quarantined"] += d["rows_quarantined"]
    return totals


def _shown_name(name: str) -> str:
    from runreport import privacy

    return privacy.file_name(name)


def _accepted_rows(cfg: Config, e: dict, d: dict, issues: list[RowIssue], mappings: dict, partners: dict,
                   secret: bytes) -> pd.DataFrame:
    """The rows validate accepted: the file parsed again, without the quarantined rows."""
    from runreport.ingest.organisations import OrganisationResolver
    from runreport.ingest.parse import parse_frame
    from runreport.ingest.read import read_table

    data = read_inbox_file(cfg, e["source"], e["file_name"], e["checksum"])
    raw = read_table(data, e["file_name"], e["source"], mappings)
    typed, _ = parse_frame(e["source"], raw.df, OrganisationResolver(d["names"], partners), secret)
    bad = {i.row for i in issues if i.row}
    good = typed[~typed["_row"].isin(bad)]
    if len(good) != d["rows_loaded"]:   # the same bytes and reference must give the same rows
        raise RuntimeError(f"{e['source']}/{_shown_name(e['file_name'])}: {len(good)} rows to load, "
                           f"validate accepted {d['rows_loaded']}")
    return good
