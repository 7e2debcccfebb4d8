"""How long finance waits for the invoice bases of one network-year, Word and PDF.

    .venv/bin/python benchmarks/invoice_bases.py [--work DIR] [--repeat 2]

1. Runs the benchmark's network-year (``run_benchmark.generate`` and ``run_network``: 19 invoices,
   prepared without PDF copies, as the benchmark does) unless ``--work`` already holds it.
2. Writes the basis of every invoice of the year again, Word and PDF, the way prepare and release do
   (``runreport.invoicing.issue.write_documents`` with ``invoicing.basis_pdf`` on), ``--repeat``
   times, and prints the seconds of each pass and the number of PDFs made.

Needs LibreOffice (``soffice``). Nothing is asserted; it prints. ``RUN_ROOT``/``PYTHONPATH`` pointed
at another checkout measure that checkout's code (benchmarks/RESULTS.md's "before" runs).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/run-invoice-bases"))
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    if shutil.which("soffice") is None:
        sys.exit("LibreOffice (soffice) is not installed: no PDF copies to time")

    import run_benchmark as rb
    from sqlalchemy import select

    from runreport import config
    from runreport.invoicing.issue import write_documents
    from runreport.warehouse.engine import migrate, session_factory
    from runreport.warehouse.invoices import Invoice

    work, data = args.work / "work", args.work / "data"
    url = f"sqlite:///{work / 'warehouse.db'}"
    if not (work / "warehouse.db").exists():
        shutil.rmtree(args.work, ignore_errors=True)
        rb.generate("network-year", 1.0, data)
        work.mkdir(parents=True)
        migrate(url)
        rb.run_network("RUN", data, work, url, 1)
    cfg = config.load(network={"tenant": "RUN"}, overrides={
        "network_name": "Nätverk RUN", "warehouse": {"url": url}, "paths": {"output": str(work / "out")},
        "invoicing": {"series": "RUN", "basis_pdf": True}}, environ={})
    sessions = session_factory(url)
    for n in range(1, args.repeat + 1):
        with sessions() as session:
            invoices = list(session.scalars(select(Invoice).where(Invoice.tenant == "RUN", Invoice.year == rb.YEAR)))
            t = time.perf_counter()
            written = write_documents(session, cfg, rb.YEAR, invoices)
            spent = time.perf_counter() - t
        pdfs = sum(p.suffix == ".pdf" for p in written)
        print(f"pass {n}: {len(invoices)} invoices, {pdfs} PDF copies, {spent:.2f} s "
              f"({spent / max(1, len(invoices)):.2f} s an invoice)")


if __name__ == "__main__":
    main()
