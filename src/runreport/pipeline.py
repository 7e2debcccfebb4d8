"""The annual run, step by step, keyed by (tenant, reporting year). Each function is one DAG task;
all of them are idempotent: running a year twice gives the same warehouse and outputs.

collect -> validate -> load -> compute -> report
"""

from __future__ import annotations

import json
import logging
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, insert, select

from runreport.carry_over import balance_chain
from runreport.config import Config
from runreport.contribution import MemberPeriod, MissingPopulation, MissingRate, Rate, compute_contributions
from runreport.filecheck import PHASE, FileCheck, FileJob, check_file, executor, worker_count
from runreport.filecheck import shutdown as shutdown_workers
from runreport.ingest.collect import YEARLESS, collect
from runreport.ingest.mapping import load_mappings
from runreport.ingest.organisations import load_partners
from runreport.quality import RowIssue, SourceRejected, ValidationContext
from runreport.schema import SOURCES
from runreport.sql import run_sql
from runreport.warehouse import models as m
from runreport.warehouse import staging
from runreport.warehouse.engine import migrate, session_factory
from runreport.warehouse.load import TABLES, already_ingested, load_file

log = logging.getLogger(__name__)


@dataclass
class FileOutcome:
    source: str
    file_name: str
    year: int | None
    checksum: str
    slot: str
    status: str                     # new, unchanged, rejected
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    issues: list[RowIssue] = field(default_factory=list)
    message: str | None = None
    critical: bool = False
    checks: list = field(default_factory=list)   # quality.CheckResult of each check (this run only)


def clear_staging(cfg: Config, year: int) -> bool:
    """Forget the run's staging (the manifest and the files' decisions in the warehouse) when the run
    ends, whatever its outcome. Raw partner files are never copied anywhere (validate and load read
    them from the inbox and check their checksum), so nothing personal is left behind."""
    with sessions(cfg).begin() as s:
        return staging.clear(s, cfg.tenant, year) > 0


def staged_summary(cfg: Config, year: int) -> tuple[list[dict], list[dict]]:
    """The run's collected files and per-file outcomes (for the run page), from the warehouse."""
    with sessions(cfg)() as s:
        pairs = staging.decisions(s, cfg.tenant, year)
    return [e for e, _ in pairs], [_outcome_view(d) for _, d in pairs if d is not None]


def _outcome_view(decision: dict) -> dict:
    return {k: v for k, v in decision.items() if k not in ("raw_rows", "names")}


class FileChanged(RuntimeError):
    """The file in the inbox is no longer the one collected (still being written, replaced)."""


def read_inbox_file(cfg: Config, source: str, file_name: str, checksum: str) -> bytes:
    """The collected file's bytes, read again from the inbox (shared by every worker, local or an
    ObjectStoragePath), and checked against the checksum taken when it was collected."""
    import hashlib

    data = (_inbox(cfg) / source / file_name).read_bytes()
    if hashlib.sha256(data).hexdigest() != checksum:
        raise FileChanged(f"{source}/{file_name}")
    return data


def _inbox(cfg: Config):
    raw = str(cfg["paths"]["inbox"])
    if "://" in raw:
        from airflow.sdk import ObjectStoragePath  # only for remote inboxes

        return ObjectStoragePath(raw)
    return cfg.path("inbox")


def sessions(cfg: Config):
    migrate(cfg.warehouse_url)
    return session_factory(cfg.warehouse_url)


# ----------------------------------------------------------------------------------------- collect
def collect_files(cfg: Config, year: int) -> dict:
    """List the inbox, fingerprint every file and record the run's manifest in the warehouse: which
    files are new, which were ingested before, and which are copies of another file of the run
    (same bytes under another name). Nothing is copied: later steps read the inbox again."""
    from runreport import privacy

    Session = sessions(cfg)
    manifest = []
    with Session.begin() as s:
        first_name: dict[str, str] = {}
        for f in collect(_inbox(cfg), max_year=year):
            known = already_ingested(s, cfg.tenant, f.checksum)
            copy_of = first_name.get(f.checksum) if not known else None
            first_name.setdefault(f.checksum, f.name)
            manifest.append({"source": f.source, "file_name": f.name, "year": f.year, "checksum": f.checksum,
                             "slot": f.slot, "size_bytes": len(f.data), "copy_of": copy_of,
                             "status": "unchanged" if known else "copy" if copy_of else "new"})
            if copy_of:
                log.warning("%s/%s has the same content as %s: not checked or loaded twice", f.source,
                            privacy.file_name(f.name), privacy.file_name(copy_of))
        staging.write_manifest(s, cfg.tenant, year, manifest)
    new = sum(e["status"] == "new" for e in manifest)
    log.info("Collected %d files for %s %s: %d new, %d already ingested", len(manifest), cfg.tenant, year, new,
             len(manifest) - new)
    return {"files": len(manifest), "new": new}


# ---------------------------------------------------------------------------------------- validate
def _reference_context(s, cfg: Config) -> tuple[dict, list, set]:
    members = s.scalars(select(m.Member).where(m.Member.tenant == cfg.tenant)).all()
    periods = [MemberPeriod(x.municipality_code, x.municipality_name, x.valid_from, x.valid_to) for x in members]
    acts = s.execute(select(m.Activity.year, m.Activity.activity_code).where(m.Activity.tenant == cfg.tenant)).all()
    return {p.municipality_code: p.municipality_name for p in periods}, periods, {(y, c) for y, c in acts}


def _members_in(periods: list[MemberPeriod], year: int | None) -> set[str]:
    if year is None:
        return {p.municipality_code for p in periods}
    start, end = date(year, 1, 1), date(year, 12, 31)
    return {p.municipality_code for p in periods if p.valid_from <= end and (p.valid_to is None or p.valid_to >= start)}


def _duplicates_against(typed: pd.DataFrame, source: str, seen: set) -> list[RowIssue]:
    """Rows whose key repeats an earlier row of the same file, or is already held by another file
    (in the warehouse or earlier in this run). The first occurrence in the file is kept; rows with
    an empty key field are left to the required-field checks."""
    key = _key_columns(source)
    if not all(k in typed.columns for k in key) or typed.empty:
        return []
    sub = typed[["_row", *key]]
    sub = sub[sub[key].notna().all(axis=1)]
    if sub.empty:
        return []
    across = pd.MultiIndex.from_frame(sub[key]).isin(list(seen)) if seen else pd.Series(False, index=sub.index)
    across = pd.Series(across, index=sub.index)
    rest = sub[~across]
    first = rest.groupby(key, sort=False)["_row"].transform("first")
    repeat = rest["_row"] != first
    same = ", ".join(SOURCES[source].key)
    found = [(int(r), RowIssue(int(r), key[-1], "duplicate_across_files", "Raden finns redan i en annan fil",
                               "The row already exists in another file"))
             for r in sub.loc[across, "_row"]]
    found += [(int(r), RowIssue(int(r), key[-1], "duplicate_row", f"Dubblett av rad {int(f)} (samma {same})",
                                f"Duplicate of row {int(f)} (same {same})"))
              for r, f in zip(rest.loc[repeat, "_row"], first[repeat], strict=True)]
    return [i for _, i in sorted(found, key=lambda t: t[0])]


def _organisation_numbers(typed: pd.DataFrame) -> list[RowIssue]:
    """Members' organisation numbers must carry a valid Luhn check digit (they go on invoices)."""
    from runreport.orgnumber import is_valid

    out = []
    for row, value in typed[["_row", "org_number"]].itertuples(index=False):
        if value and not is_valid(str(value)):
            out.append(RowIssue(int(row), "org_number", "org_number_luhn",
                                f"Organisationsnumret {value} är ogiltigt (kontrollsiffran stämmer inte)",
                                f"Organisation number {value} is invalid (the check digit does not match)"))
    return out


def _existing_keys(s, cfg: Config, source: str, year: int | None, exclude_slots: set[str]) -> set:
    """The keys of the source held in the warehouse by files whose rows stay: not those of the slots
    that a file of this run replaces (their rows go when it loads)."""
    model = TABLES[source]
    key = _key_columns(source)
    q = (select(*[getattr(model, k) for k in key])
         .join(m.IngestedFile, m.IngestedFile.id == model.file_id)
         .where(model.tenant == cfg.tenant, m.IngestedFile.slot.not_in(sorted(exclude_slots))))
    if year is not None and source not in YEARLESS:
        q = q.where(model.year == year)
    return {tuple(r) for r in s.execute(q).all()}


@dataclass
class _RunReference:
    """What the files of one validation run are checked against; grows as reference files pass."""

    names: dict[str, str]                 # municipality code -> name
    periods: list[MemberPeriod]
    activities: set[tuple[int, str]]      # (year, activity code)
    partners: dict
    seen_keys: dict[tuple, set] = field(default_factory=dict)
    replacing: dict[tuple, set[str]] = field(default_factory=dict)  # (source, year) -> slots of new files

    def context(self, cfg: Config, source: str, file_year: int | None, run_year: int) -> ValidationContext:
        codes = {c for (y, c) in self.activities if y == file_year}
        return ValidationContext(
            tenant=cfg.tenant, year=run_year if source == "population" else file_year,
            member_codes=_members_in(self.periods, file_year), known_municipalities=set(self.names),
            partner_codes=set(self.partners), activity_codes=codes, budget_activity_codes=codes)

    def accept(self, source: str, file_year: int | None, good: pd.DataFrame) -> None:
        """Reference data validated in this run serves the files after it."""
        key = _key_columns(source)
        if all(k in good.columns for k in key):
            self.seen_keys[(source, file_year)] |= {tuple(r) for r in good[key].itertuples(index=False)}
        if source == "members":
            for r in good.itertuples(index=False):
                self.names[r.municipality_code] = r.municipality_name
                self.periods.append(MemberPeriod(r.municipality_code, r.municipality_name, r.valid_from, r.valid_to))
        elif source == "budget":
            self.activities |= {(file_year, c) for c in good["activity_code"]}


def _key_columns(source: str) -> list[str]:
    """The source's uniqueness key as stored: e-mail is replaced by its pseudonym."""
    return [("person_key" if k == "email" else k) for k in SOURCES[source].key]


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
        fo.status, fo.critical = "rejected", True
        return None
    return typed[d.ok_mask(typed["_row"])]


def _job(cfg: Config, year: int, fo: FileOutcome, data: bytes, ref: _RunReference, secret: bytes, mappings: dict,
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
            df = read_table(data, fo.file_name, fo.source, mappings).df
        except Exception:  # noqa: BLE001 - an unreadable file is rejected (and named masked) by its check
            continue
        if "person_name" in df.columns:
            digests |= privacy.remember_names(df["person_name"].dropna().astype(str).unique().tolist())
    if digests:
        name_store.store(s, cfg.tenant, digests)
        s.commit()


def _settle(s, cfg: Config, fo: FileOutcome, data: bytes, check: FileCheck, ref: _RunReference
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
        ref.seen_keys[skey] = _existing_keys(s, cfg, source, fo.year, ref.replacing.get(skey, {fo.slot}))
    issues += _duplicates_against(typed, source, ref.seen_keys[skey])
    if source == "members":
        issues += _organisation_numbers(typed)
    good = _apply_policy(fo, typed, issues, float(cfg["validation"]["max_rejected_share"]))
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


def _submit(pool, job: FileJob):
    try:
        return pool.submit(check_file, job)
    except BrokenProcessPool as exc:  # an earlier job killed a worker: _result checks the file here
        return exc


def _result(job: FileJob, future, file_name: str) -> FileCheck:
    """The worker's result; if the worker failed (not the file: a file's problems are findings),
    the file is checked again in this process and the failure is logged."""
    try:
        if isinstance(future, BaseException):
            raise future
        return future.result()
    except Exception as exc:  # noqa: BLE001 - logged, then the same check runs here
        from runreport import privacy

        log.warning("%s: the validation worker failed (%s); checking the file in this process instead",
                    privacy.file_name(file_name), type(exc).__name__)
        if isinstance(exc, BrokenProcessPool):
            shutdown_workers()
        return check_file(job)


def validate_files(cfg: Config, year: int, secret: bytes, run_name: str = "manual") -> dict:
    """Read, parse and validate every staged file; stage the valid rows and the findings; write the
    stewards' summary. Raises SourceRejected (after staging everything and writing the summary) when a
    file fails a critical expectation or its rejected share passes the threshold: the load step still
    loads the other files and logs the rejected one, while compute and report are blocked. A file
    rejected in an earlier run keeps blocking until a corrected file for its slot has loaded.

    The files are checked in phases (reference data first) on ``validation.workers`` processes
    (:mod:`runreport.filecheck`) and decided here in the manifest's order."""
    from runreport.validation import summary as stewards

    with sessions(cfg)() as s:
        manifest = staging.manifest(s, cfg.tenant, year)
    out_dir = cfg.output_dir(year) / "validation"
    out_dir.mkdir(parents=True, exist_ok=True)
    docs_dir = out_dir / "data_docs"
    mappings = load_mappings()
    outcomes: list[FileOutcome] = []
    earlier_rejected: list[FileOutcome] = []
    rejected_now: list[FileOutcome] = []
    pool = None  # made when the first file needs checking
    with sessions(cfg)() as s:
        ref = _RunReference(*_reference_context(s, cfg), partners=load_partners())
        todo: list[tuple[FileOutcome, dict]] = []
        for e in manifest:
            fo = FileOutcome(e["source"], e["file_name"], e["year"], e["checksum"], e["slot"], e["status"])
            outcomes.append(fo)
            if e["status"] == "copy":
                fo.message = (f"Samma innehåll som {e['copy_of']}: kontrolleras och läses in bara en gång / "
                              f"the same content as {e['copy_of']}: checked and loaded once")
                continue
            if e["status"] != "new":
                _from_log(s, cfg, fo)  # already ingested: the summary still accounts for its rows
                if fo.status == "rejected" and not _corrected_since(s, cfg, fo):
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
            for fo, _e in (t for t in todo if PHASE[t[0].source] == phase):
                data = data_of[(fo.source, fo.file_name)]
                if data is None:
                    batch.append((fo, b"", "changed"))
                    continue
                if fo.source not in YEARLESS and fo.year is None:
                    batch.append((fo, data, None))
                    continue
                if pool is None:
                    pool = executor(worker_count(cfg["validation"].get("workers", "auto")))
                job = _job(cfg, year, fo, data, ref, secret, mappings, docs_dir, run_name)
                batch.append((fo, data, (job, _submit(pool, job))))
            for fo, data, pending in batch:
                if pending == "changed":   # not logged: the next run collects the file as it is then
                    fo.status = "changed"
                    fo.message = ("Filen ändrades eller försvann under körningen (skrivs den fortfarande?); "
                                  "den tas med i nästa körning / the file changed during the run; the next run takes it")
                    _stage(s, cfg, year, fo, None, {})
                    continue
                if pending is None:
                    check = FileCheck(rejected=("no_year_in_name", "Filnamnet saknar år (t.ex. anmalningar_2025.csv)",
                                                "The file name has no year (e.g. registrations_2025.csv)"))
                else:
                    check = _result(*pending, fo.file_name)
                good, raw_rows = _settle(s, cfg, fo, data, check, ref)
                _stage(s, cfg, year, fo, raw_rows, pending[0].names if pending else {})
                if fo.status == "rejected":
                    rejected_now.append(fo)
        checked = {(fo.source, fo.file_name) for fo, _ in todo}
        for fo in outcomes:   # ingested before, or a copy: on the run page too, never loaded again
            if (fo.source, fo.file_name) not in checked:
                _stage(s, cfg, year, fo, {}, {})
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


def _stage(s, cfg: Config, year: int, fo: FileOutcome, raw_rows: dict, names: dict) -> None:
    """Hand the file's decision to the load step through the warehouse: the outcome, the masked raw
    values of its quarantined rows and the municipality names it was parsed against (load parses
    the same bytes again with them, so it keeps exactly the rows validate accepted)."""
    decision = _public(fo)
    decision["raw_rows"] = {str(k): v for k, v in raw_rows.items()}
    decision["names"] = dict(names)
    staging.save_decision(s, cfg.tenant, year, fo.source, fo.file_name, decision)
    s.commit()


# -------------------------------------------------------------------------------------------- load
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
        if d["status"] != "rejected":
            try:
                frame = _accepted_rows(cfg, e, d, issues, mappings, partners, secret)
            except FileChanged:
                log.warning("%s/%s changed after it was validated: left for the next run", e["source"],
                            _shown_name(e["file_name"]))
                continue
        with Session.begin() as s:
            if already_ingested(s, cfg.tenant, e["checksum"]):
                continue
            if d["status"] != "rejected":
                slot_files = s.scalars(select(m.IngestedFile).where(
                    m.IngestedFile.tenant == cfg.tenant, m.IngestedFile.slot == e["slot"])
                    .order_by(m.IngestedFile.id)).all()
                last_good = max((f.id for f in slot_files if f.status in ("loaded", "replaced")), default=0)
                earlier = [f for f in slot_files if f.status == "rejected" and f.id > last_good]
                totals["resolved"] += [{"file_name": e["file_name"], "checksum": e["checksum"], "source": e["source"],
                                        "replaces": ", ".join(r.file_name for r in earlier)}
                                       for _ in earlier[:1]]
            load_file(s, tenant=cfg.tenant, source=e["source"], file_name=e["file_name"], slot=e["slot"],
                      year=e["year"], checksum=e["checksum"], size_bytes=e["size_bytes"], rows_in=d["rows_in"],
                      frame=frame, issues=issues, raw_rows=raw_rows,
                      status="rejected" if d["status"] == "rejected" else "loaded", message=d["message"],
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


# ----------------------------------------------------------------------------------------- compute
def compute(cfg: Config, year: int) -> dict:
    """Contributions for every year from ``balance.first_year`` to ``year`` and the balance chain."""
    Session = sessions(cfg)
    first = int(cfg["balance"]["first_year"])
    years = list(range(first, year + 1))
    with Session.begin() as s:
        members = [MemberPeriod(x.municipality_code, x.municipality_name, x.valid_from, x.valid_to)
                   for x in s.scalars(select(m.Member).where(m.Member.tenant == cfg.tenant))]
        rates = [Rate(r.year_from, r.year_to, r.rate_sek)
                 for r in s.scalars(select(m.AgreementRate).where(m.AgreementRate.tenant == cfg.tenant))]
        pop = {(p.municipality_code, p.year): p.population
               for p in s.scalars(select(m.Population).where(m.Population.tenant == cfg.tenant))}
        s.execute(delete(m.Contribution).where(m.Contribution.tenant == cfg.tenant, m.Contribution.year.in_(years)))
        rows_for_year = []
        gaps: list[str] = []
        for y in years:
            try:
                rows = compute_contributions(y, members, rates, pop)
            except (MissingPopulation, MissingRate) as exc:  # the year's report becomes a draft
                rows = []
                if y == year:
                    gaps.append(str(exc).split(" / ")[0])
            if y == year:
                rows_for_year = rows
            if rows:
                s.execute(insert(m.Contribution), [
                    {"tenant": cfg.tenant, "year": r.year, "municipality_code": r.municipality_code,
                     "population": r.population, "population_year": r.population_year, "rate_sek": r.rate_sek,
                     "months": r.months, "amount_sek": r.amount_sek} for r in rows])
        s.flush()
        contrib = {r["year"]: Decimal(str(r["contributions_sek"]))
                   for r in run_sql(s, "contribution_total_per_year", tenant=cfg.tenant, year=year)}
        cost_from, cost_to = cfg["ledger"]["cost_accounts"]
        inc_from, inc_to = cfg["ledger"]["income_accounts"]
        ledger = run_sql(s, "ledger_totals_per_year", tenant=cfg.tenant, year=year, cost_from=str(cost_from),
                         cost_to=str(cost_to), income_from=str(inc_from), income_to=str(inc_to))
        costs = {r["year"]: Decimal(str(r["costs_sek"] or 0)) for r in ledger}
        income = {r["year"]: Decimal(str(r["external_income_sek"] or 0)) for r in ledger}
        chain = balance_chain(years, Decimal(str(cfg["balance"]["opening_balance_sek"])), contrib, income, costs)
        s.execute(delete(m.Balance).where(m.Balance.tenant == cfg.tenant, m.Balance.year.in_(years)))
        s.execute(insert(m.Balance), [
            {"tenant": cfg.tenant, "year": b.year, "opening_sek": b.opening_sek,
             "contributions_sek": b.contributions_sek, "external_income_sek": b.external_income_sek,
             "costs_sek": b.costs_sek, "closing_sek": b.closing_sek} for b in chain])
    out = cfg.output_dir(year)
    import csv

    from runreport.validation.summary import csv_cell

    table = pd.DataFrame([asdict(r) for r in rows_for_year])
    for col in table.columns:  # a cell that starts with = + - @ must not run as a formula in Excel
        if table[col].dtype == object:
            table[col] = table[col].map(lambda v: csv_cell(v) if isinstance(v, str) else v)
    csv_path = out / f"kommunbidrag_{year}.csv"
    table.to_csv(csv_path, sep=";", index=False, decimal=",", encoding="utf-8-sig", quoting=csv.QUOTE_NONNUMERIC)
    this = next(b for b in chain if b.year == year)
    return {"contributions_total": int(sum(r.amount_sek for r in rows_for_year)), "municipalities": len(rows_for_year),
            "carry_over": str(this.closing_sek), "contribution_table": str(csv_path), "gaps": gaps}


class InvoicingRefused(Exception):
    """The year cannot be invoiced (before ``balance.first_year``, or reference data missing)."""


def contributions_for_invoicing(cfg: Config, year: int) -> list:
    """The year's contributions for ``run_invoices``: those ``compute`` stored for the year, else
    computed now from members, agreement rate and population and stored the same way (on 15 January
    of Y the annual run has not yet computed Y). Raises :class:`InvoicingRefused`, in Swedish,
    naming what is missing."""
    from runreport import completeness

    first = int(cfg["balance"]["first_year"])
    if year < first:
        raise InvoicingRefused(f"Fakturering för {year} går inte: lagret börjar med {first} (balance.first_year)")
    Session = sessions(cfg)
    with Session.begin() as s:
        stored = s.scalars(select(m.Contribution).where(m.Contribution.tenant == cfg.tenant,
                                                        m.Contribution.year == year)).all()
        if stored:
            return stored
        gaps = completeness.gaps(s, cfg.tenant, year, completeness.required(cfg, "invoices"))
        if gaps:
            raise InvoicingRefused(f"Inga fakturor för {year}: underlag saknas:\n" + "\n".join(f"- {g}" for g in gaps))
        members = [MemberPeriod(x.municipality_code, x.municipality_name, x.valid_from, x.valid_to)
                   for x in s.scalars(select(m.Member).where(m.Member.tenant == cfg.tenant))]
        rates = [Rate(r.year_from, r.year_to, r.rate_sek)
                 for r in s.scalars(select(m.AgreementRate).where(m.AgreementRate.tenant == cfg.tenant))]
        pop = {(p.municipality_code, p.year): p.population
               for p in s.scalars(select(m.Population).where(m.Population.tenant == cfg.tenant))}
        try:
            rows = compute_contributions(year, members, rates, pop)
        except (MissingPopulation, MissingRate) as exc:
            raise InvoicingRefused(f"Inga fakturor för {year}: {str(exc).split(' / ')[0]}") from exc
        s.execute(delete(m.Contribution).where(m.Contribution.tenant == cfg.tenant, m.Contribution.year == year))
        s.execute(insert(m.Contribution), [
            {"tenant": cfg.tenant, "year": r.year, "municipality_code": r.municipality_code,
             "population": r.population, "population_year": r.population_year, "rate_sek": r.rate_sek,
             "months": r.months, "amount_sek": r.amount_sek} for r in rows])
    return rows


# ------------------------------------------------------------------------------------------ report
class IncompleteYear(Exception):
    """The year lacks required sources: only a draft (UTKAST) was written."""


def report(cfg: Config, year: int) -> dict:
    """Write the annual report (Word, and PDF where LibreOffice is present) for the year.

    A year that lacks a required source (:mod:`runreport.completeness`) gets only a draft,
    ``verksamhetsberattelse_<year>_UTKAST.docx``, marked UTKAST on every page and listing the gaps;
    then :class:`IncompleteYear` is raised, so the run fails and says what is missing."""
    from runreport import completeness
    from runreport.report import report_path, write_report
    from runreport.warehouse import status

    Session = sessions(cfg)
    with Session() as s:
        gaps = [str(g) for g in completeness.gaps(s, cfg.tenant, year, completeness.required(cfg, "report"))]
    # The report is dated the day the schedule produces it (Monday of the run week of year+1), not
    # the clock: the same data gives the same document, whenever it is re-run.
    r = cfg["reporting"]
    report_date = date.fromisocalendar(year + 1, int(r["run_iso_week"]), int(r["run_iso_weekday"]))
    with Session() as s:
        result = write_report(s, cfg, year, report_date=report_date, draft_gaps=tuple(gaps))
    with Session.begin() as s:
        status.set_report_state(s, cfg.tenant, year, status.DRAFT if gaps else status.FINAL, gaps)
    if not gaps:  # a draft left from before the data was complete would mislead
        draft = report_path(cfg, year, draft=True)
        for p in (draft, draft.with_suffix(".pdf")):
            p.unlink(missing_ok=True)
    for w in result.get("warnings", []):
        log.warning("%s", w)
    out = {"docx": str(result["docx"]), "pdf": str(result["pdf"]) if result.get("pdf") else None,
           "warnings": [str(w) for w in result.get("warnings", [])], "draft": bool(gaps), "gaps": gaps}
    if gaps:
        raise IncompleteYear(f"Underlag saknas för {year}; bara ett utkast (UTKAST) skrevs, "
                             f"{Path(result['docx']).name}:\n" + "\n".join(f"- {g}" for g in gaps))
    return out
