"""The stewards' page of one run: ``<output>/<tenant>/<year>/korning.html`` and ``korning.md``.

Readable without knowing Airflow: what was collected (new / already ingested files), what validation
made of each file (rows in, loaded, in quarantine; rejected files), and what the run produced (the
annual report in Word/PDF, the contribution table, invoices, the validation summary and its per-file result pages),
each with a link relative to the page itself, so the folder can be copied or served as it is (the
Airflow plugin ``plugins/run_stewards.py`` serves it under ``/run-stewards/``).

Built from the run's staging in the warehouse (what was collected, how each file was decided) and
the output folder. No personal data: file names, counts and the (already masked) messages only.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from runreport.privacy import file_name
from runreport.validation.summary import STATUS_SV, safe_text

log = logging.getLogger(__name__)

PAGE_STEM = "korning"
_TRIGGERS = {"manual": "manuellt", "scheduled": "schemat", "asset_triggered": "ny eller rättad partnerfil",
             "backfill_job": "efterkörning (backfill)", "asset_materialization": "ny eller rättad partnerfil"}


@dataclass
class Product:
    label: str
    rel: str                   # path relative to the year's output folder (POSIX)
    exists: bool
    count: int | None = None   # for folders: number of files


@dataclass
class RunSummary:
    tenant: str
    year: int
    run: dict = field(default_factory=dict)          # dag_id, run_id, run_type, started, ...
    collected: list[dict] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    figures: dict = field(default_factory=dict)      # contributions_total, carry_over, municipalities

    @property
    def new_files(self) -> list[dict]:
        return [c for c in self.collected if c.get("status") == "new"]

    @property
    def rejected(self) -> list[dict]:
        return [o for o in self.outcomes if o.get("status") in ("rejected", "held") or o.get("critical")]

    @property
    def set_aside(self) -> list[dict]:
        """Entries of the inbox that are not read (lock files, subfolders, other types …) and why."""
        return [o for o in self.outcomes if o.get("status") == "set_aside"]

    @property
    def quarantined_rows(self) -> int:
        return sum(int(o.get("rows_quarantined") or 0) for o in self.outcomes)


def _folder_count(p: Path) -> int:
    return sum(1 for q in p.iterdir() if q.is_file()) if p.is_dir() else 0


def products(out: Path, year: int) -> list[Product]:
    wanted = [
        ("Verksamhetsberättelse (Word)", f"verksamhetsberattelse_{year}.docx"),
        ("Verksamhetsberättelse (PDF)", f"verksamhetsberattelse_{year}.pdf"),
        ("Kommunbidrag per kommun (CSV)", f"kommunbidrag_{year}.csv"),
        ("Valideringssammanfattning", "validation/sammanfattning.html"),
        ("Karantän: alla avvisade rader (CSV)", f"validation/karantan_{year}.csv"),
    ]
    items = [Product(label, rel, (out / rel).is_file()) for label, rel in wanted]
    for label, rel in (("Fakturor att godkänna", "invoices/prepared"), ("Fakturor i utkorgen", "invoices/outbox"),
                       ("Avslagna fakturor", "invoices/rejected"), ("Fakturaunderlag", "invoices/underlag")):
        n = _folder_count(out / rel)
        items.append(Product(label, rel + "/", n > 0, n))
    return items


def build(out_dir: Path | str, tenant: str, year: int, collected: list[dict], outcomes: list[dict],
          run: dict | None = None, figures: dict | None = None) -> RunSummary:
    """The run page's content from the run's staging (``pipeline.staged_summary``: what was
    collected and how each file was decided) and the products in the output folder."""
    return RunSummary(tenant=tenant, year=int(year), run=dict(run or {}), collected=list(collected),
                      outcomes=list(outcomes), products=products(Path(out_dir), int(year)),
                      figures=dict(figures or {}))


def _kr(value) -> str:
    from decimal import Decimal

    from runreport.sweformat import kronor

    try:
        amount = Decimal(str(value))
        return kronor(amount, 2 if amount % 1 else 0)  # öre where there are any, as in the report
    except Exception:  # noqa: BLE001 - a figure we cannot format is shown as given
        return str(value)


def _source_sv(source: str) -> str:
    from runreport.schema import SOURCES

    return SOURCES[source].label_sv if source in SOURCES else source


def _reason_sv(outcome: dict) -> str:
    """A file's message as the page shows it: the Swedish sentence once, without the file name in
    front and the English translation behind ("huvudbok.csv: … / Required column …")."""
    text = safe_text(outcome.get("message"))
    name = file_name(outcome.get("file_name") or "")
    while name and text.startswith(f"{name}: "):
        text = text[len(name) + 2:]
    return text.split(" / ", 1)[0].strip()


def headline(rs: RunSummary) -> str:
    """The page's first line: done, or stopped and waiting for which corrected files."""
    if rs.rejected:
        waiting = ", ".join(f"{file_name(o['file_name'])} ({_source_sv(o['source'])})" for o in rs.rejected)
        return f"Stoppad – väntar på rättad fil eller beslut: {waiting}"
    return "Klar – alla filer i körningen är inlästa" + (
        f" ({rs.quarantined_rows} rader i karantän)" if rs.quarantined_rows else "")


def _facts(rs: RunSummary) -> list[tuple[str, str]]:
    from runreport.sweformat import stockholm

    r = rs.run
    facts = [("Nätverk", rs.tenant), ("Verksamhetsår", str(rs.year))]
    if r.get("run_id"):
        facts.append(("Körning", f"{r.get('dag_id', '')} / {r['run_id']}"))
    if r.get("triggered_by"):
        facts.append(("Startad av", _TRIGGERS.get(str(r["triggered_by"]).rsplit(".", 1)[-1].lower(),
                                                   str(r["triggered_by"]))))
    facts.append(("Sammanställd", f"{stockholm(r.get('written_at') or datetime.now(UTC))} (svensk tid)"))
    f = rs.figures
    if f.get("contributions_total") is not None:
        facts.append(("Kommunbidrag totalt", _kr(f["contributions_total"])))
    if f.get("municipalities") is not None:
        facts.append(("Kommuner med bidrag", str(f["municipalities"])))
    if f.get("carry_over") is not None:
        facts.append(("Överskjutande medel vid årets slut", _kr(f["carry_over"])))
    return facts


def _collected_status(c: dict) -> str:
    """What the run did with a file of the inbox. A file seen before says how it went then: a
    rejected file is not 'redan inläst' (it was never loaded)."""
    if c.get("status") == "unchanged":
        return {"rejected": "avvisad tidigare, väntar på rättad fil", "replaced": "ersatt av en rättad fil",
                "held": "väntar på beslut"}.get(c.get("logged") or "", "redan inläst")
    return {"new": "ny", "set_aside": "läses inte", "copy": "kopia"}.get(c.get("status"), "redan inläst")


def render_markdown(rs: RunSummary) -> str:
    """``korning.md`` (``include/templates/pages/korning.md.j2``, every value escaped)."""
    from runreport import markdown

    return markdown.render(
        "korning.md.j2", tenant=rs.tenant, year=rs.year, headline=headline(rs), facts=_facts(rs),
        new_files=len(rs.new_files), quarantined_rows=rs.quarantined_rows, products=rs.products,
        collected=[{"source": _source_sv(c["source"]), "file_name": file_name(c["file_name"]), "year": c.get("year"),
                    "status": _collected_status(c)} for c in rs.collected],
        set_aside=[{"source": o["source"], "file_name": file_name(o["file_name"]),
                    "message": safe_text(o.get("message")).split(": ", 1)[-1]} for o in rs.set_aside],
        outcomes=[{"source": _source_sv(o["source"]), "file_name": file_name(o["file_name"]),
                   "status": STATUS_SV.get(o.get("status"), o.get("status")), "rows_in": o.get("rows_in", 0),
                   "rows_loaded": o.get("rows_loaded", 0), "rows_quarantined": o.get("rows_quarantined", 0)}
                  for o in rs.outcomes],
        rejected=[{"file_name": file_name(o["file_name"]), "reason": _reason_sv(o)} for o in rs.rejected])


def render_html(rs: RunSummary) -> str:
    """The run page (``include/templates/pages/korning.html.j2``, autoescaped)."""
    from runreport.pages import render

    collected = [{"source": _source_sv(c["source"]), "file_name": file_name(c["file_name"]), "year": c.get("year"),
                  "new": c.get("status") == "new", "status": _collected_status(c)} for c in rs.collected]
    outcomes = [{"source": _source_sv(o["source"]), "file_name": file_name(o["file_name"]),
                 "status": STATUS_SV.get(o.get("status"), o.get("status") or ""), "rows_in": o.get("rows_in", 0),
                 "rows_loaded": o.get("rows_loaded", 0), "rows_quarantined": o.get("rows_quarantined", 0)}
                for o in rs.outcomes]
    run_link = None
    if rs.run.get("dag_id") and rs.run.get("run_id"):   # back to the run in Airflow's UI (same server)
        from urllib.parse import quote

        run_link = f"/dags/{quote(str(rs.run['dag_id']))}/runs/{quote(str(rs.run['run_id']), safe='')}"
    return render("korning.html.j2", tenant=rs.tenant, year=rs.year, headline=headline(rs), run_link=run_link, facts=[(k, str(v)) for k, v in _facts(rs)],
                  collected=collected, n_new=len(rs.new_files), quarantined_rows=rs.quarantined_rows,
                  outcomes=outcomes, products=rs.products,
                  rejected=[(file_name(o["file_name"]), _reason_sv(o)) for o in rs.rejected],
                  set_aside=[(f"{o['source']}/{file_name(o['file_name'])}",
                              safe_text(o.get("message")).split(": ", 1)[-1]) for o in rs.set_aside])


def write(rs: RunSummary, out_dir: Path | str) -> dict[str, str]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md, page, facts = out / f"{PAGE_STEM}.md", out / f"{PAGE_STEM}.html", out / f".{PAGE_STEM}.json"
    md.write_text(render_markdown(rs), encoding="utf-8")
    page.write_text(render_html(rs), encoding="utf-8")
    # the run's facts (not the products, which are read from the folder), so that a later step can
    # redraw the page when its products change (refresh); hidden: the stewards' view does not serve it
    kept = _masked({"tenant": rs.tenant, "year": rs.year, "run": rs.run, "collected": rs.collected,
                    "outcomes": rs.outcomes, "figures": rs.figures})   # as the page shows them: masked
    facts.write_text(json.dumps(kept, ensure_ascii=False, default=str), encoding="utf-8")
    return {"markdown": str(md), "html": str(page)}


def _masked(value):  # noqa: ANN001, ANN202 - JSON-like data
    from runreport import privacy

    if isinstance(value, str):
        return privacy.mask(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


def refresh(cfg, year: int) -> dict[str, str] | None:  # noqa: ANN001
    """Redraw the year's run page with its products as they are now (after finance released or
    rejected invoices: 'Fakturor i utkorgen' must not say 'saknas' beside a full outbox). None when
    no run page was written for the year."""
    out = Path(cfg.output_dir(year))
    facts = out / f".{PAGE_STEM}.json"
    if not facts.is_file():
        return None
    try:
        saved = json.loads(facts.read_text(encoding="utf-8"))
        rs = build(out, saved["tenant"], saved["year"], saved["collected"], saved["outcomes"], run=saved["run"],
                   figures=saved["figures"])
        return write(rs, out)
    except (OSError, ValueError, KeyError, TypeError):   # a page redraw never fails the step that asked for it
        log.warning("The run page of %s could not be redrawn; the next annual run writes it again", year,
                    exc_info=True)
        return None


def run_facts(dag_run) -> dict:
    """What the run page says about the Airflow run that wrote it (``dag_run`` may be None)."""
    return {"dag_id": getattr(dag_run, "dag_id", None), "run_id": getattr(dag_run, "run_id", None),
            "triggered_by": str(getattr(dag_run, "run_type", "") or "")}


def _with_logged_status(cfg, collected: list[dict]) -> list[dict]:  # noqa: ANN001
    """Each file the run found unchanged, with how the file log decided it before ('rejected' is not
    'redan inläst'): the staging keeps only the run's own facts."""
    from runreport.steps.common import sessions
    from runreport.warehouse.load import already_ingested

    if not any(c.get("status") == "unchanged" for c in collected):
        return collected
    with sessions(cfg)() as s:
        out = []
        for c in collected:
            if c.get("status") == "unchanged" and c.get("checksum") and not c.get("logged"):
                known = already_ingested(s, cfg.tenant, c["checksum"])
                c = {**c, "logged": known.status if known is not None else None}
            out.append(c)
    return out


def publish(cfg, year: int, run: dict | None = None, figures: dict | None = None,
            run_key: str | None = None) -> dict[str, str]:
    """Write the run page for ``year`` of ``cfg.tenant`` (the annual DAG's last task) from the staging
    of the run ``run_key`` (:func:`runreport.warehouse.staging.run_key`; None: a run outside Airflow)."""
    from runreport.pipeline import staged_summary
    from runreport.warehouse import staging

    collected, outcomes = staged_summary(cfg, year, run_key or staging.MANUAL)
    collected = _with_logged_status(cfg, collected)
    from runreport import delivery_page

    checklist = delivery_page.publish(cfg, year)   # before the run page, which links to it
    rs = build(cfg.output_dir(year), cfg.tenant, year, collected, outcomes, run=run, figures=figures)
    return {**write(rs, cfg.output_dir(year)), "deliveries_html": checklist["html"], "deliveries_csv": checklist["csv"]}
