"""A plain-pandas baseline of one network-year: the same work as the pipeline without Airflow or
Great Expectations, to measure what they cost.

    .venv/bin/python benchmarks/baseline_pandas.py DATA_DIR TENANT[,TENANT…] YEAR [--out DIR] [--repeat 2]

What it does, in one process and one pass:

1. read every file of the year (the product's own reader and parser: ``runreport.ingest``),
   reference sources first, as the pipeline does;
2. run the same checks (``runreport.validation.suites.checks_for``, the checks as data) as vectorised
   pandas masks instead of GX expectations, plus the pipeline's own row checks (duplicate keys within
   and across files, organisation numbers' check digit); a row failing any check is quarantined;
3. load the accepted rows into SQLite (``DataFrame.to_sql``);
4. compute each member's contribution (population × rate, whole kronor half up);
5. write one Word document with one chart (python-docx, matplotlib's Figure API);
6. write the invoice XML of each member (a minimal UBL document, ElementTree).

It prints JSON: wall time per stage, peak memory (ru_maxrss) and the quarantined rows as
``[file, row]`` pairs, which the benchmark compares with the pipeline's (they must be the same).
Nothing here is used by the product.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# ----------------------------------------------------------------------------------- the checks
def failing_rows(check, frame):
    """The positions of ``frame`` that fail ``check`` (a row-level check), or None when the check holds
    for the file as a whole; a failed file-level check returns "critical"."""
    import numpy as np
    import pandas as pd

    k = check.kwargs
    kind = check.expectation
    col = frame[k["column"]] if "column" in k else None
    present = col.notna() if col is not None else None
    if kind == "ExpectColumnValuesToNotBeNull":
        bad = ~present
    elif kind == "ExpectColumnValuesToBeInTypeList":
        if col.dtype == object:
            names = col.map(lambda v: type(v).__name__)
            bad = present & ~names.isin(k["type_list"])
        else:
            dtype = col.dtype
            names = {str(dtype), dtype.name, type(dtype).__name__}
            return None if names & set(k["type_list"]) else "critical"
    elif kind == "ExpectColumnValuesToBeBetween":
        lo, hi = k.get("min_value"), k.get("max_value")
        if col.dtype == object:   # dates, Decimals: compared as they are
            values = col[present]
            outside = values.map(lambda v: (lo is not None and v < lo) or (hi is not None and v > hi))
            bad = pd.Series(False, index=frame.index)
            bad[outside.index] = outside.astype(bool)
        else:
            bad = present & (((col < lo) if lo is not None else False) | ((col > hi) if hi is not None else False))
    elif kind == "ExpectColumnValuesToBeInSet":
        bad = present & ~col.isin(list(k["value_set"]))
    elif kind == "ExpectColumnValuesToMatchRegex":
        bad = present & ~col.astype(str).str.contains(k["regex"], regex=True)
    elif kind == "ExpectColumnValuesToBeUnique":
        bad = present & col.duplicated(keep="first")
    elif kind == "ExpectCompoundColumnsToBeUnique":
        bad = frame.duplicated(subset=list(k["column_list"]), keep="first")
    elif kind == "ExpectColumnPairValuesAToBeGreaterThanB":
        a, b = frame[k["column_A"]], frame[k["column_B"]]
        both = a.notna() & b.notna()
        ok = pd.Series(True, index=frame.index)
        ok[both] = (a[both] >= b[both]) if k.get("or_equal") else (a[both] > b[both])
        bad = both & ~ok
    elif kind == "ExpectColumnSumToBeBetween":
        total = float(pd.to_numeric(col, errors="coerce").fillna(0).sum())
        return None if k["min_value"] <= total <= k["max_value"] else "critical"
    elif kind == "ExpectColumnDistinctValuesToContainSet":
        return None if set(k["value_set"]) <= set(col.dropna().astype(str)) else "critical"
    else:
        raise ValueError(f"no pandas mask for {kind}")
    return np.flatnonzero(bad.to_numpy(dtype=bool))


# ----------------------------------------------------------------------------------- the run
def run_all(data: Path, tenants: list[str], year: int, out: Path) -> dict:
    """:func:`run` for each network, one after the other, in this process."""
    total: dict = {"times": {}, "total_s": 0.0, "rows_in": 0, "contributions": 0, "quarantined": []}
    for tenant in tenants:
        r = run(data, tenant, year, out / tenant)
        for k, v in r["times"].items():
            total["times"][k] = total["times"].get(k, 0.0) + v
        total["total_s"] += r["total_s"]
        total["rows_in"] += r["rows_in"]
        total["contributions"] += r["contributions"]
        total["quarantined"] += [[tenant, f, row] for f, row in r["quarantined"]]
    total["quarantined"].sort()
    total["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return total


def run(data: Path, tenant: str, year: int, out: Path) -> dict:
    times: dict[str, float] = {}
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        times[name] = times.get(name, 0.0) + now - t0
        t0 = now

    import pandas as pd

    from runreport.contribution import MemberPeriod
    from runreport.filecheck import PHASE, _declared_total
    from runreport.ingest.collect import collect
    from runreport.ingest.mapping import load_mappings
    from runreport.ingest.organisations import OrganisationResolver, load_partners
    from runreport.ingest.parse import parse_frame
    from runreport.ingest.read import read_table
    from runreport.orgnumber import is_valid
    from runreport.quality import ValidationContext
    from runreport.schema import SOURCES
    from runreport.validation.suites import checks_for
    lap("import")

    files = sorted(collect(data / tenant / "inbox", max_year=year),
                   key=lambda f: (PHASE[f.source], f.source, f.year or 0, f.name))
    files = [f for f in files if f.year in (None, year) or f.source in ("budget",)]
    mappings, partners = load_mappings(), load_partners()
    names: dict[str, str] = {}
    periods: list[MemberPeriod] = []
    activities: set[tuple[int, str]] = set()
    seen: dict[tuple, set] = {}
    accepted: dict[str, list] = {}
    quarantined: set[tuple[str, int]] = set()
    rows_in = 0
    secret = b"benchmark-secret"
    for f in files:
        raw = read_table(f.data, f.name, f.source, mappings)
        typed, issues = parse_frame(f.source, raw.df, OrganisationResolver(names, partners), secret)
        rows_in += len(typed)
        typed = typed.reset_index(drop=True)
        frame = typed.rename(columns={"org_code": "organisation", "person_key": "email"})
        members = {p.municipality_code for p in periods
                   if f.year is None or (p.valid_from.year <= f.year and (p.valid_to is None or p.valid_to.year >= f.year))}
        codes = {c for (y, c) in activities if y == f.year}
        ctx = ValidationContext(tenant=tenant, year=year if f.source == "population" else f.year,
                                member_codes=members, known_municipalities=set(names), partner_codes=set(partners),
                                activity_codes=codes, budget_activity_codes=codes)
        bad = {i.row for i in issues if i.row}
        for fld in SOURCES[f.source].fields:   # as the pipeline: optional fields may be absent
            if not fld.required and fld.name not in frame.columns:
                frame[fld.name] = None
            elif fld.required and not fld.personal and fld.name not in frame.columns:
                bad |= set(int(r) for r in typed["_row"])   # a required column is missing: the file is rejected
        for check in checks_for(f.source, ctx, _declared_total(raw.declared_total)):
            if set(_columns(check)) - set(frame.columns):
                continue
            result = failing_rows(check, frame)
            if isinstance(result, str):
                bad |= set(int(r) for r in typed["_row"])   # a failed file-level check rejects the file
            elif result is not None:
                bad |= set(int(r) for r in typed["_row"].to_numpy()[result])
        key = [("person_key" if k == "email" else k) for k in SOURCES[f.source].key]
        if all(k in typed.columns for k in key):
            full = typed[typed[key].notna().all(axis=1)]
            seen_here = seen.setdefault((f.source, f.year), set())
            tuples = list(full[key].itertuples(index=False, name=None))
            across = [t in seen_here for t in tuples]
            within = full[[not a for a in across]].duplicated(subset=key, keep="first")
            bad |= {int(r) for r, a in zip(full["_row"], across, strict=True) if a}
            bad |= {int(r) for r in full[[not a for a in across]].loc[within, "_row"]}
        if f.source == "members":
            bad |= {int(r) for r, v in typed[["_row", "org_number"]].itertuples(index=False)
                    if v and not is_valid(str(v))}
        good = typed[~typed["_row"].isin(bad)]
        quarantined |= {(f.name, r) for r in bad}
        if all(k in good.columns for k in key):
            seen.setdefault((f.source, f.year), set()).update(good[key].itertuples(index=False, name=None))
        if f.source == "members":
            for r in good.itertuples(index=False):
                names[r.municipality_code] = r.municipality_name
                periods.append(MemberPeriod(r.municipality_code, r.municipality_name, r.valid_from, r.valid_to))
        elif f.source == "budget":
            activities |= {(f.year, c) for c in good["activity_code"]}
        accepted.setdefault(f.source, []).append(good.assign(file_name=f.name))
    lap("read_and_check")

    from sqlalchemy import create_engine

    out.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{out / 'baseline.db'}")
    frames = {s: pd.concat(v, ignore_index=True) for s, v in accepted.items()}
    for source, df in frames.items():
        df.astype({c: str for c in df.columns if df[c].dtype == object}).to_sql(source, engine, index=False,
                                                                              if_exists="replace")
    lap("load")

    from decimal import ROUND_HALF_UP, Decimal

    rates = frames["agreements"]
    rate = next(Decimal(str(r.rate_sek)) for r in rates.itertuples() if r.year_from <= year <= (r.year_to or 9999))
    pop = frames["population"]
    pop = pop[pop["year"] == year - 1].set_index("municipality_code")["population"]
    contributions = []
    for p in periods:
        if p.valid_from.year <= year and (p.valid_to is None or p.valid_to.year >= year) and p.municipality_code in pop:
            amount = (Decimal(int(pop[p.municipality_code])) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
            contributions.append((p.municipality_code, p.municipality_name, amount))
    lap("compute")

    import io

    from docx import Document
    from docx.shared import Cm

    from runreport.report.charts import bar_chart_png

    doc = Document()
    doc.add_heading(f"Verksamhetsberättelse {year}", 0)
    regs = frames.get("registrations")
    counts = (regs.groupby("org_code").size().sort_values(ascending=False).head(12) if regs is not None
              else pd.Series(dtype=int))
    doc.add_picture(io.BytesIO(bar_chart_png([(names.get(c, c), int(n)) for c, n in counts.items()])), width=Cm(15))
    table = doc.add_table(rows=1, cols=2)
    for _code, name, amount in contributions:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = name, f"{amount:,}".replace(",", "\u00a0") + " kr"
    doc.save(out / "baseline.docx")
    lap("report")

    import xml.etree.ElementTree as ET

    ns = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    cbc = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    for code, name, amount in contributions:
        inv = ET.Element(f"{{{ns}}}Invoice")
        ET.SubElement(inv, f"{{{cbc}}}ID").text = f"{tenant}-{year}-{code}"
        ET.SubElement(inv, f"{{{cbc}}}IssueDate").text = f"{year}-01-15"
        ET.SubElement(inv, f"{{{cbc}}}DocumentCurrencyCode").text = "SEK"
        ET.SubElement(inv, f"{{{cbc}}}Note").text = name
        ET.SubElement(inv, f"{{{cbc}}}PayableAmount", currencyID="SEK").text = f"{amount:.2f}"
        ET.ElementTree(inv).write(out / f"invoice_{code}.xml", encoding="utf-8", xml_declaration=True)
    lap("invoices")
    return {"times": times, "total_s": sum(times.values()), "rows_in": rows_in,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "contributions": len(contributions), "quarantined": sorted([list(q) for q in quarantined])}


def _columns(check) -> list[str]:
    k = check.kwargs
    return [k[c] for c in ("column", "column_A", "column_B") if c in k] + list(k.get("column_list", []))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("tenants", help="network(s), comma-separated")
    ap.add_argument("year", type=int)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=1, help="run again in the same process (warm)")
    ns = ap.parse_args(argv)
    import tempfile

    results = []
    for _ in range(ns.repeat):
        out = ns.out or Path(tempfile.mkdtemp(prefix="baseline_"))
        out.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        r = run_all(ns.data, ns.tenants.split(","), ns.year, out)
        r["wall_s"] = time.perf_counter() - t
        results.append(r)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
