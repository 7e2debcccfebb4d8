"""The stewards' summary of a run: per source and per file (partner) rows in, loaded, quarantined
and the top reasons, as Markdown and HTML (``<output>/validation/sammanfattning.md|.html``), with
a Swedish result page per file (``validation/filer/*.html``: every check of the file's suite and
how it went, and the quarantined rows with their reasons) and the per-run quarantine file
``karantan_<run>.csv``. The per-file pages replace Great Expectations' Data Docs for the stewards
(those load their CSS and scripts from public CDNs: blank in a locked-down municipal network).

No personal data ever appears: reasons on personal fields (``schema.Field.personal``) are replaced
by a generic text, and anything looking like an e-mail address is masked. The quarantine CSV is
for Swedish Excel (semicolon, UTF-8 with BOM) and cells that start with ``= + - @`` are prefixed
with ``'`` so that a spreadsheet never evaluates them as formulas.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from runreport.quality import RowIssue
from runreport.schema import SOURCES

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
LABEL_SV = {s.name: s.label_sv for s in SOURCES.values()}
PERSONAL = {(s.name, f.name) for s in SOURCES.values() for f in s.fields if f.personal}
CSV_COLUMNS = ("fil", "rad", "fält", "regel", "orsak", "orsak (engelska)")   # Swedish headings: stewards open it in Excel

STATUS_SV = {"loaded": "inläst", "new": "inläst", "rejected": "avvisad", "replaced": "ersatt",
             "skipped": "redan inläst", "unchanged": "redan inläst", "copy": "kopia (samma innehåll)",
             "changed": "ändrad under körningen", "set_aside": "läses inte",
             "held": "väntar på beslut"}


@dataclass
class FileResult:
    source: str
    file_name: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    issues: list[RowIssue] = field(default_factory=list)
    status: str = "loaded"          # loaded, rejected, replaced, skipped (same checksum again)
    message: str | None = None
    checks: list = field(default_factory=list)   # quality.CheckResult (or its dict) per check, this run

    @classmethod
    def from_decision(cls, decision) -> FileResult:
        """From a :class:`runreport.validation.policy.Decision`."""
        from runreport import privacy

        return cls(decision.source, privacy.file_name(decision.file_name), decision.rows_in, decision.rows_loaded,
                   decision.rows_quarantined, decision.issues, decision.status, decision.message)


def safe_reason(source: str, issue: RowIssue) -> tuple[str, str]:
    """The issue's reasons with personal data removed."""
    if (source, issue.field) in PERSONAL:   # say what is wrong, never the value
        from runreport.ingest.mapping import partner_headings

        heading = partner_headings(source, issue.field)[0]
        rule = (issue.rule or "").lower()
        if "null" in rule or "required" in rule or "missing" in rule:
            what_sv, what_en = "är tom", "is empty"
        elif "dup" in rule or "unique" in rule:
            what_sv, what_en = "finns redan på en annan rad (dubblett)", "repeats another row (duplicate)"
        else:
            what_sv, what_en = "har fel form", "is malformed"
        return (f"{heading} {what_sv} (värdet visas inte: personuppgift)",
                f"{heading} {what_en} (value not shown: personal data)")
    from runreport import privacy

    return privacy.mask(issue.reason_sv), privacy.mask(issue.reason_en)


def safe_text(text: str | None) -> str:
    """A message or reason as a page may show it (runreport.privacy.mask)."""
    from runreport import privacy

    return privacy.mask(text or "")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
INNER_FORMULA = re.compile(r"([,;\t\r\n][\s\u00a0]*)([=+\-@\uff1d\uff0b\uff0d\uff20])")


def csv_cell(value) -> str:
    """A cell a spreadsheet will never evaluate: prefixed with ``'`` when, read the way Excel reads it
    (leading blanks ignored, full-width ``＝`` as ``=``), it starts like a formula. Writers also quote
    every text field, so a comma-separated locale cannot split a cell into a new formula cell."""
    import unicodedata

    text = "" if value is None else str(value)
    # a spreadsheet whose list separator is a comma starts a new cell after every comma (quotes do
    # not help there): what follows a separator must not start a formula either
    text = INNER_FORMULA.sub(lambda m: f"{m.group(1)}'{m.group(2)}", text)
    probe = unicodedata.normalize("NFKC", text).lstrip(" \u00a0\u3000")
    return "'" + text if probe[:1] in FORMULA_START or text[:1] in FORMULA_START else text


def write_quarantine_csv(results: Iterable[FileResult], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";", quoting=csv.QUOTE_ALL)
        w.writerow(CSV_COLUMNS)
        for fr in results:
            for issue in fr.issues:
                sv, en = safe_reason(fr.source, issue)
                w.writerow([csv_cell(v) for v in (fr.file_name, issue.row, issue.field or "", issue.rule, sv, en)])
    return path


def top_reasons(fr: FileResult, n: int = 3) -> list[tuple[str, int]]:
    """The most frequent reasons of a file, worded for stewards: 'field: example reason (count)'."""
    counts: Counter = Counter()
    example: dict[tuple[str, str], str] = {}
    for issue in fr.issues:
        key = (issue.rule, issue.field or "")
        counts[key] += 1
        example.setdefault(key, safe_reason(fr.source, issue)[0])
    out = []
    from runreport.validation.descriptions import field_label

    for key, k in counts.most_common(n):
        fld = f"{field_label(fr.source, key[1])}: " if key[1] else ""   # the partner's heading, not email
        out.append((f"{fld}{example[key]}", k))
    return out


def _sv_once(fr: FileResult) -> str:
    """A file's message once, in Swedish: without its file name in front (repeated by the pages) and
    without the English translation behind the ' / '."""
    text = safe_text(fr.message)
    while fr.file_name and text.startswith(f"{fr.file_name}: "):
        text = text[len(fr.file_name) + 2:]
    return text.split(" / ", 1)[0].strip()


def _per_source(results: list[FileResult]) -> list[tuple[str, int, int, int, int, int]]:
    agg: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for fr in results:
        a = agg[fr.source]
        a[0] += 1
        a[1] += fr.rows_in
        a[2] += fr.rows_loaded
        a[3] += fr.rows_quarantined
        a[4] += fr.status in ("rejected", "held")
    return [(LABEL_SV.get(src, src), *vals) for src, vals in sorted(agg.items())]


MAX_ROWS_ON_PAGE = 500


def page_name(index: int, fr: FileResult) -> str:
    """The per-file page's path, relative to the validation folder."""
    slug = re.sub(r"[^\w.-]+", "_", fr.file_name, flags=re.ASCII).strip("_")[:80] or "fil"
    return f"filer/{index:03d}-{slug}.html"


def write_file_pages(results: list[FileResult], vdir: Path, csv_link: str) -> list[str]:
    """One Swedish result page per file (autoescaped template ``pages/fil.html.j2``); returns their
    paths relative to ``vdir``, in the order of ``results``."""
    from dataclasses import asdict, is_dataclass

    from runreport import pages
    from runreport.completeness import LABEL_SV
    from runreport.validation.descriptions import field_label

    folder = vdir / "filer"
    if folder.exists():
        for old in folder.glob("*.html"):
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for n, fr in enumerate(results, start=1):
        rel = page_name(n, fr)
        issues = [{"row": i.row, "field": field_label(fr.source, i.field) if i.field else "",
                   "reason": safe_reason(fr.source, i)[0]}
                  for i in fr.issues[:MAX_ROWS_ON_PAGE]]
        checks = [asdict(c) if is_dataclass(c) else dict(c) for c in fr.checks]
        (vdir / rel).write_text(pages.render(
            "fil.html.j2", file_name=fr.file_name, source_sv=LABEL_SV.get(fr.source, fr.source), status=fr.status,
            status_sv=STATUS_SV.get(fr.status, fr.status), rows_in=fr.rows_in, rows_loaded=fr.rows_loaded,
            rows_quarantined=fr.rows_quarantined, message=safe_text(fr.message) if fr.message else None,
            checks=checks, issues=issues, more=max(0, len(fr.issues) - MAX_ROWS_ON_PAGE), csv_link=csv_link),
            encoding="utf-8")
        names.append(rel)
    return names


def render_markdown(results: list[FileResult], run_name: str, file_links: list[str], csv_link: str) -> str:
    """``sammanfattning.md`` (``include/templates/pages/sammanfattning.md.j2``, every value escaped)."""
    from runreport import markdown

    files = [{"source": LABEL_SV.get(fr.source, fr.source), "file_name": fr.file_name, "link": link,
              "status": STATUS_SV.get(fr.status, fr.status), "rows_in": fr.rows_in, "rows_loaded": fr.rows_loaded,
              "rows_quarantined": fr.rows_quarantined, "reasons": top_reasons(fr)}
             for fr, link in zip(results, file_links, strict=True)]
    return markdown.render(
        "sammanfattning.md.j2", run_name=run_name, files=files, per_source=list(_per_source(results)),
        total_in=sum(r.rows_in for r in results), total_loaded=sum(r.rows_loaded for r in results),
        total_quarantined=sum(r.rows_quarantined for r in results), csv_link=csv_link,
        rejected=[{"file_name": fr.file_name, "message": _sv_once(fr)} for fr in results if fr.status == "rejected"],
        held=[{"file_name": fr.file_name, "message": _sv_once(fr)} for fr in results if fr.status == "held"])


def render_html(results: list[FileResult], run_name: str, file_links: list[str], csv_link: str) -> str:
    """The stewards' summary page (``include/templates/pages/sammanfattning.html.j2``, autoescaped)."""
    from runreport.pages import render

    files = [{"source": LABEL_SV.get(fr.source, fr.source), "file_name": fr.file_name, "link": link,
              "status": STATUS_SV.get(fr.status, fr.status), "rows_in": fr.rows_in, "rows_loaded": fr.rows_loaded,
              "rows_quarantined": fr.rows_quarantined, "reasons": top_reasons(fr)}
             for fr, link in zip(results, file_links, strict=True)]
    return render("sammanfattning.html.j2", run_name=run_name, files=files, per_source=list(_per_source(results)),
                  total_in=sum(r.rows_in for r in results), total_loaded=sum(r.rows_loaded for r in results),
                  total_q=sum(r.rows_quarantined for r in results),
                  n_rejected=sum(r.status in ("rejected", "held") for r in results), csv_link=csv_link,
                  held=[(fr.file_name, _sv_once(fr)) for fr in results if fr.status == "held"],
                  rejected=[(fr.file_name, _sv_once(fr)) for fr in results if fr.status == "rejected"])


def write_summary(results: Iterable[FileResult], validation_dir: Path | str, run_name: str,
                  file_stem: str | None = None) -> dict[str, Path]:
    """Write ``sammanfattning.md``, ``sammanfattning.html`` and ``karantan_<run>.csv`` into
    ``validation_dir`` (``<output>/validation``). Links are relative to that folder."""
    results = list(results)
    vdir = Path(validation_dir)
    vdir.mkdir(parents=True, exist_ok=True)
    safe_run = re.sub(r"[^\w.-]+", "_", file_stem or run_name)
    csv_path = write_quarantine_csv(results, vdir / f"karantan_{safe_run}.csv")
    links = write_file_pages(results, vdir, csv_path.name)
    md = vdir / "sammanfattning.md"
    md.write_text(render_markdown(results, run_name, links, csv_path.name), encoding="utf-8")
    page = vdir / "sammanfattning.html"
    page.write_text(render_html(results, run_name, links, csv_path.name), encoding="utf-8")
    return {"markdown": md, "html": page, "csv": csv_path, "files": [vdir / rel for rel in links]}


def write_run_summary(validation_dir: Path | str, year: int | None, run_name: str, outcomes: Iterable
                      ) -> dict[str, Path]:
    """:func:`write_summary` for any per-file outcome objects with the attributes of
    :class:`FileResult` (e.g. the pipeline's ``FileOutcome``); ``year`` goes into the title."""
    from runreport import privacy

    results = [o if isinstance(o, FileResult) else FileResult(
        o.source, privacy.file_name(o.file_name), int(o.rows_in or 0), int(o.rows_loaded or 0), int(o.rows_quarantined or 0),
        list(o.issues or []), getattr(o, "status", "loaded") or "loaded", getattr(o, "message", None),
        list(getattr(o, "checks", None) or []))
        for o in outcomes]
    title = f"{run_name} ({year})" if year is not None else run_name
    return write_summary(results, validation_dir, title, file_stem=run_name)
