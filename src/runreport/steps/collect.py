"""The collect: list the inbox, fingerprint every file, record the run's manifest in the warehouse."""

from __future__ import annotations

import logging

from runreport.config import Config
from runreport.ingest.collect import survey
from runreport.steps.common import inbox, sessions
from runreport.warehouse import staging
from runreport.warehouse.load import already_ingested

log = logging.getLogger(__name__)
INBOX_ITSELF = "(inkorgen)"   # the "source" of an entry at the inbox's top level


def collect_files(cfg: Config, year: int, run_key: str = staging.MANUAL) -> dict:
    """List the inbox, fingerprint every file and record the run's manifest in the warehouse: which
    files are new, which were ingested before, and which are copies of another file of the run
    (same bytes under another name). Nothing is copied: later steps read the inbox again. The
    manifest is the run's own (``run_key``, :func:`runreport.warehouse.staging.run_key`)."""
    from runreport import privacy

    Session = sessions(cfg)
    manifest = []
    found = survey(inbox(cfg), max_year=year, settle_seconds=cfg.validation.settle_seconds)
    with Session.begin() as s:
        first_name: dict[str, str] = {}
        for f in found.files:
            known = already_ingested(s, cfg.tenant, f.checksum)
            if known is not None and known.status == "held" and not _superseded(s, known):
                known = None   # held for a steward's decision: checked again (an accept setting may load it)
            copy_of = first_name.get(f.checksum) if not known else None
            first_name.setdefault(f.checksum, f.name)
            manifest.append({"source": f.source, "file_name": f.name, "year": f.year, "checksum": f.checksum,
                             "slot": f.slot, "size_bytes": len(f.data), "copy_of": copy_of,
                             "status": "unchanged" if known else "copy" if copy_of else "new",
                             "logged": known.status if known else None})   # loaded, rejected, replaced
            if copy_of:
                log.warning("%s/%s has the same content as %s: not checked or loaded twice", f.source,
                            privacy.file_name(f.name), privacy.file_name(copy_of))
        # every other entry of the inbox, set aside with its reason (on the run page; never loaded)
        aside = [(a, a.source or INBOX_ITSELF) for a in found.set_aside]
        manifest += [{"source": source, "file_name": a.name, "year": None, "checksum": "", "slot": "",
                      "size_bytes": 0, "status": "set_aside"} for a, source in aside]
        staging.write_manifest(s, cfg.tenant, year, manifest, run=run_key,
                               keep_hours=cfg.warehouse.staging_keep_hours)
        for a, source in aside:
            log.warning("Inkorgen: %s/%s läses inte: %s", source, privacy.file_name(a.name), a.reason_sv)
            staging.save_decision(s, cfg.tenant, year, source, a.name, {
                "source": source, "file_name": a.name, "year": None, "checksum": "", "slot": "", "status": "set_aside",
                "rows_in": 0, "rows_loaded": 0, "rows_quarantined": 0, "issues": [], "critical": False, "checks": [],
                "rule": a.rule, "message": f"{a.name}: {a.reason_sv} / {a.reason_en}"}, run=run_key)
    new = sum(e["status"] == "new" for e in manifest)
    files = len(found.files)
    log.info("Collected %d files for %s %s: %d new, %d already ingested; %d entries of the inbox set aside",
             files, cfg.tenant, year, new, files - new, len(found.set_aside))
    return {"files": files, "new": new, "set_aside": len(found.set_aside)}


def _superseded(s, logged) -> bool:
    """A later file of the same slot has loaded since ``logged`` (a corrected file replaced it)."""
    from sqlalchemy import select

    from runreport.warehouse import models as m

    return s.scalars(select(m.IngestedFile.id).where(
        m.IngestedFile.tenant == logged.tenant, m.IngestedFile.slot == logged.slot, m.IngestedFile.id > logged.id,
        m.IngestedFile.status.in_(("loaded", "replaced")))).first() is not None
