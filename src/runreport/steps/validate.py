"""The validate: read, parse and check each new file of the run (Great Expectations), apply the one
quarantine policy and keep each file's decision in the warehouse (never on a worker's disk)."""

from __future__ import annotations

import json
import logging
import sys
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from runreport.config import Config
from runreport.filecheck import PHASE, FileCheck, FileJob, check_files, executor, worker_count
from runreport.filecheck import shutdown as shutdown_workers
from runreport.ingest.collect import YEARLESS
from runreport.ingest.mapping import load_mappings
from runreport.ingest.organisations import load_partners
from runreport.ingest.read import once_per_step
from runreport.quality import RowIssue, SourceRejected
from runreport.schema import SOURCES
from runreport.steps.common import FileChanged, FileOutcome, read_inbox_file, sessions
from runreport.validation.reference import (
    RunReference,
    duplicates_against,
    existing_keys,
    organisation_numbers,
    reference_context,
)
from runreport.warehouse import models as m
from runreport.warehouse import staging
from runreport.warehouse.load import already_ingested

log = logging.getLogger(__name__)
# a per-year file whose name holds no year: (rule, reason_sv, reason_en), as FileCheck.rejected
NO_YEAR_IN_NAME = ("no_year_in_name", "Filnamnet saknar år (t.ex. anmalningar_2025.csv)",
                   "The file name has no year (e.g. registrations_2025.csv)")


def _reject_file(fo: FileOutcome, data: bytes, rule: str, reason_sv: str, reason_en: str) -> None:
    """A file that cannot be read at all: every (non-blank) line after the first counts as in and quarantined."""
    fo.status, fo.critical = "rejected", True
    fo.rows_in = 0 if b"\x00" in data[:8192] else max(0, sum(1 for ln in data.splitlines() if ln.strip()) - 1)
    fo.rows_loaded, fo.rows_quarantined = 0, fo.rows_in
    fo.issues = [RowIssue(0, None, rule, reason_sv, reason_en, critical=True)]
    fo.message = f"{fo.file_name}: {reason_sv} / {reason_en}"


def _apply_policy(fo: FileOutcome, typed: pd.DataFrame, issues: list[RowIssue], threshold: float) -> pd.DataFrame | None:
    """The quarantine policy (:func:`runreport.validation.policy.decide`) applied to a checked file:
    fills in the file's outcome; returns the rows to load (None: the whole file is rejected)."""
    from runreport.validation.policy import decide

    d = decide(fo.file_name, fo.source, len(typed), issues, threshold, raise_on_reject=False)
    fo.rows_in, fo.rows_loaded, fo.rows_quarantined = d.rows_in, d.rows_loaded, d.rows_quarantined
    fo.issues, fo.message = d.issues, d.message
    if d.rejected:
        fo.status, fo.critical = d.status, True   # "held" (a steward decides) or "rejected"
        return None
    return typed[d.ok_mask(typed["_row"])]


def _job(cfg: Config, year: int, fo: FileOutcome, data: bytes, ref: RunReference, secret: bytes, mappings: dict,
         docs_dir: Path, run_name: str) -> FileJob:
    from runreport import privacy

    return FileJob(fo.source, fo.file_name, data, ref.context(cfg, fo.source, fo.year, year), mappings,
                   dict(ref.names), ref.partners, secret, docs_dir, run_name,
                   name_digests=frozenset(privacy.known_digests()))


def _learn_registrant_names(s, cfg: Config, data_of: dict, todo, mappings: dict, secret: bytes) -> None:
    """Before any file is checked: the network's registrants' names (as digests) from earlier runs
    and from this run's registration files, so every file name, reason and page of the run masks
    them, whatever order the files are checked in and whichever process shows them later."""
    from runreport import privacy
    from runreport.ingest.read import read_table
    from runreport.warehouse import names as name_store

    privacy.use_key(secret)
    privacy.remember_digests(name_store.load(s, cfg.tenant))
    digests: set[str] = set()
    for fo, _e in todo:
        if fo.source != "registrations":
            continue
        data = data_of.get((fo.source, fo.file_name))
        if data is None:
            continue
        try:
            df = read_table(data, fo.file_name, fo.source, mappings, again=True).df   # the check reads it again
        except Exception:  # noqa: BLE001 - an unreadable file is rejected (and named masked) by its check
            continue
        if "person_name" in df.columns:
            digests |= privacy.remember_names(df["person_name"].dropna().astype(str).unique().tolist())
    if digests:
        name_store.store(s, cfg.tenant, digests)
        s.commit()


def _settle(s, cfg: Config, fo: FileOutcome, data: bytes, check: FileCheck, ref: RunReference
            ) -> tuple[pd.DataFrame | None, dict]:
    """Decide a checked file in this process: cross-file duplicates, organisation numbers, the
    quarantine policy. Returns the rows to load and the raw values of the quarantined rows
    (personal fields removed)."""
    if check.rejected is not None:
        _reject_file(fo, data, *check.rejected)
        return None, {}
    source, typed, issues = fo.source, check.typed, list(check.issues)
    fo.checks = list(check.checks)
    skey = (source, fo.year)
    if skey not in ref.seen_keys:
        ref.seen_keys[skey] = existing_keys(s, cfg, source, fo.year, ref.replacing.get(skey, {fo.slot}))
    issues += duplicates_against(typed, source, ref.seen_keys[skey])
    if source == "members":
        from runreport.validation.plausibility import member_overlaps

        issues += organisation_numbers(typed) + member_overlaps(typed)
    if source == "agreements":
        from runreport.validation.plausibility import rate_overlaps

        issues += rate_overlaps(typed)
    replaced = s.scalars(select(m.IngestedFile).where(
        m.IngestedFile.tenant == cfg.tenant, m.IngestedFile.slot == fo.slot, m.IngestedFile.status == "loaded",
        m.IngestedFile.checksum != fo.checksum).order_by(m.IngestedFile.id.desc())).first()
    if replaced is not None:
        from runreport.validation.plausibility import corrected_drop

        v = cfg.validation
        issues += corrected_drop(len(typed), replaced.file_name, replaced.rows_loaded, v.corrected_drop_share,
                                 fo.file_name in set(v.accept_corrected_drop))
    if source == "ledger":
        from runreport.validation.plausibility import amounts_over_budget

        v = cfg.validation
        issues += amounts_over_budget(typed, {c: b for (y, c), b in ref.budgets.items() if y == fo.year},
                                      v.ledger_line_budget_share, set(v.accept_over_budget))
    if source == "population":
        from runreport.validation.plausibility import population_changes

        v = cfg.validation
        issues += population_changes(typed, v.population_change_share, set(v.accept_population_change))
    good = _apply_policy(fo, typed, issues, cfg.validation.max_rejected_share)
    from runreport import privacy

    # the quarantine keeps the raw values a steward needs, as privacy.shown lets them be shown:
    # never personal fields or free text, the rest masked
    personal = {f.name for f in SOURCES[source].fields if f.personal} | {"free_text"}
    bad = {i.row for i in fo.issues if i.row}
    raw = check.raw
    if "person_name" in raw.columns:  # the names seen by a worker process are masked here too
        privacy.remember_names(raw["person_name"].dropna().astype(str).unique().tolist())
    raw_rows = {int(r["_row"]): {k: privacy.shown(v) for k, v in r.items() if k not in personal and k != "_row"}
                for r in raw[raw["_row"].isin(bad)].to_dict("records")}
    if good is not None:
        ref.accept(source, fo.year, good)
    return good, raw_rows


class _SourceCheck:
    """The files of one source and year in a phase, checked in one validation
    (:func:`runreport.filecheck.check_files`) on the pool; :meth:`result` gives each file's check."""

    def __init__(self, pool, jobs: list[FileJob]) -> None:
        self.jobs = jobs
        self._checks: list[FileCheck] | None = None
        try:
            self.future = pool.submit(check_files, jobs)
        except BrokenProcessPool as exc:  # an earlier job killed a worker: result() checks the files here
            self.future = exc

    def result(self, job: FileJob) -> FileCheck:
        """The check of ``job``'s file. If the worker failed (not a file: a file's problems are
        findings), the files are checked again in this process and the failure is logged."""
        if self._checks is None:
            try:
                if isinstance(self.future, BaseException):
                    raise self.future
                self._checks = self.future.result()
            except Exception as exc:  # noqa: BLE001 - logged, then the same check runs here
                from runreport import privacy

                log.warning("%s: the validation worker failed (%s); checking the files in this process instead",
                            ", ".join(privacy.file_name(j.file_name) for j in self.jobs), type(exc).__name__)
                if isinstance(exc, BrokenProcessPool):
                    shutdown_workers()
                self._checks = check_files(self.jobs)
        return self._checks[next(i for i, j in enumerate(self.jobs) if j is job)]


def validate_files(cfg: Config, year: int, secret: bytes, run_name: str = "manual",
                   run_key: str = staging.MANUAL) -> dict:
    """Read, parse and validate every staged file; stage the valid rows and the findings; write the
    stewards' summary. Raises SourceRejected (after staging everything and writing the summary) when a
    file fails a critical expectation or its rejected share passes the threshold: the load step still
    loads the other files and logs the rejected one, while compute and report are blocked. A file
    rejected in an earlier run keeps blocking until a corrected file for its slot has loaded.

    The files are checked in phases (reference data first) on ``validation.workers`` processes
    (:mod:`runreport.filecheck`) and decided here in the manifest's order. ``run_key``: the run whose
    staging this is (:func:`runreport.warehouse.staging.run_key`)."""
    from runreport.validation import summary as stewards

    log.info("Great Expectations: %s", "already imported by this worker" if "great_expectations" in sys.modules
             else "imported by this task (a worker started with runreport.celery_config imports it once)")
    with sessions(cfg)() as s:
        staged = staging.decisions(s, cfg.tenant, year, run=run_key)
    manifest = [e for e, _ in staged]
    aside_message = {(e["source"], e["file_name"]): (d or {}).get("message") for e, d in staged
                     if e["status"] == "set_aside"}
    out_dir = cfg.output_dir(year) / "validation"
    out_dir.mkdir(parents=True, exist_ok=True)
    docs_dir = out_dir / "data_docs"
    mappings = load_mappings()
    outcomes: list[FileOutcome] = []
    earlier_rejected: list[FileOutcome] = []
    rejected_now: list[FileOutcome] = []
    pool = None  # made when the first file needs checking
    with sessions(cfg)() as s, once_per_step():   # the registrations are read twice: read once
        ref = RunReference(*reference_context(s, cfg), partners=load_partners())
        todo: list[tuple[FileOutcome, dict]] = []
        for e in manifest:
            fo = FileOutcome(e["source"], e["file_name"], e["year"], e["checksum"], e["slot"], e["status"])
            outcomes.append(fo)
            if e["status"] == "set_aside":   # not a file to read (collect says why): shown, never loaded
                fo.message = aside_message.get((fo.source, fo.file_name))
                continue
            if e["status"] == "copy":
                fo.message = (f"Samma innehåll som {e['copy_of']}: kontrolleras och läses in bara en gång / "
                              f"the same content as {e['copy_of']}: checked and loaded once")
                continue
            if e["status"] != "new":
                _from_log(s, cfg, fo)  # already ingested: the summary still accounts for its rows
                if fo.status in ("rejected", "held") and not _corrected_since(s, cfg, fo):
                    earlier_rejected.append(fo)
            else:
                todo.append((fo, e))
                ref.replacing.setdefault((fo.source, fo.year), set()).add(fo.slot)
        data_of: dict[tuple[str, str], bytes | None] = {}
        for fo, _e in todo:
            try:
                data_of[(fo.source, fo.file_name)] = read_inbox_file(cfg, fo.source, fo.file_name, fo.checksum)
            except (FileChanged, FileNotFoundError):
                data_of[(fo.source, fo.file_name)] = None
        _learn_registrant_names(s, cfg, data_of, todo, mappings, secret)
        for phase in sorted({PHASE[fo.source] for fo, _ in todo}):
            batch = []
            groups: dict[tuple, list[FileJob]] = {}
            for fo, _e in (t for t in todo if PHASE[t[0].source] == phase):
                data = data_of[(fo.source, fo.file_name)]
                if data is None:
                    batch.append((fo, b"", "changed"))
                    continue
                if fo.source not in YEARLESS and fo.year is None:
                    batch.append((fo, data, None))
                    continue
                if pool is None:
                    pool = executor(worker_count(
                        cfg.validation.workers, sum(len(d) for d in data_of.values() if d),
                        cfg.validation.pool_min_bytes))
                job = _job(cfg, year, fo, data, ref, secret, mappings, docs_dir, run_name)
                groups.setdefault((fo.source, fo.year), []).append(job)
                batch.append((fo, data, job))
            # one validation per source (and year) of the phase: its files together
            checking = {key: _SourceCheck(pool, jobs) for key, jobs in groups.items()}
            for fo, data, pending in batch:
                if pending == "changed":   # not logged: the next run collects the file as it is then
                    fo.status = "changed"
                    fo.message = ("Filen ändrades eller försvann under körningen (skrivs den fortfarande?); "
                                  "den tas med i nästa körning / the file changed during the run; the next run takes it")
                    _stage(s, cfg, year, run_key, fo, {}, {})
                    continue
                if pending is None:
                    check = FileCheck(rejected=NO_YEAR_IN_NAME)
                else:
                    check = checking[(fo.source, fo.year)].result(pending)
                good, raw_rows = _settle(s, cfg, fo, data, check, ref)
                _stage(s, cfg, year, run_key, fo, raw_rows, pending.names if pending else {}, good)
                if fo.status in ("rejected", "held"):
                    rejected_now.append(fo)
        checked = {(fo.source, fo.file_name) for fo, _ in todo}
        for fo in outcomes:   # ingested before, or a copy: on the run page too, never loaded again
            if (fo.source, fo.file_name) not in checked:
                _stage(s, cfg, year, run_key, fo, {}, {})
    rejections = [o.message for o in rejected_now]
    corrected_now = {o.slot for o in outcomes if o.status == "new"}
    rejections += [f"{fo.message} (avvisad tidigare, inväntar rättad fil / rejected earlier, awaiting a "
                   f"corrected file)" for fo in earlier_rejected if fo.slot not in corrected_now]
    summary_paths = stewards.write_run_summary(out_dir, year, run_name, outcomes)
    result = {"files": len(outcomes), "rejected": rejections,
              **{k: str(v) for k, v in summary_paths.items() if k != "files"}}
    if rejections:
        from runreport.completeness import LABEL_SV

        blocking = [*rejected_now, *(fo for fo in earlier_rejected if fo.slot not in corrected_now)]
        files = [{"file_name": fo.file_name, "source": fo.source, "source_sv": LABEL_SV.get(fo.source, fo.source),
                  "year": fo.year, "checksum": fo.checksum,
                  "reason": (fo.message or "").removeprefix(f"{fo.file_name}: ").split(" / ")[0]}
                 for fo in blocking]
        from runreport import privacy

        raise SourceRejected(privacy.mask("Validering stoppade körningen / validation stopped the run:\n"
                                          + "\n".join(rejections)), files=files)
    return result


def _from_log(s, cfg: Config, fo: FileOutcome) -> None:
    logged = already_ingested(s, cfg.tenant, fo.checksum)
    if logged is None:
        return
    fo.rows_in, fo.rows_loaded, fo.rows_quarantined = logged.rows_in, logged.rows_loaded, logged.rows_quarantined
    fo.status = "unchanged" if logged.status == "loaded" else logged.status
    fo.message = logged.message
    fo.checks = json.loads(logged.checks) if logged.checks else []
    fo.issues = [RowIssue(q.row_number, q.field, q.rule, q.reason_sv, q.reason_en)
                 for q in s.scalars(select(m.QuarantinedRow).where(m.QuarantinedRow.file_id == logged.id))]


def _corrected_since(s, cfg: Config, fo: FileOutcome) -> bool:
    logged = already_ingested(s, cfg.tenant, fo.checksum)
    return s.scalars(select(m.IngestedFile.id).where(
        m.IngestedFile.tenant == cfg.tenant, m.IngestedFile.slot == fo.slot, m.IngestedFile.id > logged.id,
        m.IngestedFile.status.in_(("loaded", "replaced")))).first() is not None


def _public(o: FileOutcome) -> dict:
    d = asdict(o)
    d["issues"] = [asdict(i) for i in o.issues]
    return d


def _stage(s, cfg: Config, year: int, run_key: str, fo: FileOutcome, raw_rows: dict, names: dict,
           good: pd.DataFrame | None = None) -> None:
    """Hand the file to the load step through the warehouse: the decision (the outcome, the masked
    raw values of its quarantined rows, the municipality names it was parsed against) and the rows it
    accepted, as the warehouse will hold them (:mod:`runreport.warehouse.staged_rows`)."""
    decision = _public(fo)
    decision["raw_rows"] = {str(k): v for k, v in raw_rows.items()}
    decision["names"] = dict(names)
    staging.save_decision(s, cfg.tenant, year, fo.source, fo.file_name, decision, run=run_key)
    blob = None
    if good is not None:
        from runreport.warehouse import staged_rows
        from runreport.warehouse.load import table_columns

        blob = staged_rows.encode(fo.source, table_columns(fo.source, good))
    staging.save_accepted_rows(s, cfg.tenant, year, fo.source, fo.file_name, blob, run=run_key)
    s.commit()
