"""Rebuild only the annual report of a year from the warehouse, in seconds, without running the
pipeline: after editing a narrative text, a free chapter or the template.

    python -m runreport.report 2025                 # the Word document and its PDF
    python -m runreport.report 2025 --no-pdf        # the Word document only (no LibreOffice)
    python -m runreport.report 2025 --tenant N01 --date 2026-02-16

The configuration is the pipeline's (config/pipeline.yaml, ``RUN_*`` environment, ``RUN_CONFIG_FILE``);
the report is written where the annual run writes it (``<paths.output>/<tenant>/<year>/``). Its
figures are the warehouse's as the last run left them: the data itself changes only through a run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import date


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m runreport.report", description=__doc__.split("\n")[0])
    p.add_argument("year", type=int, help="verksamhetsåret, t.ex. 2025")
    p.add_argument("--tenant", help="nätverket (standard: konfigurationens)")
    p.add_argument("--date", type=date.fromisoformat, default=None,
                   help="datumet på titelsidan, ÅÅÅÅ-MM-DD (standard: i dag)")
    p.add_argument("--no-pdf", action="store_true", help="bara Word-dokumentet")
    args = p.parse_args(argv)

    from runreport import config
    from runreport.report import write_report
    from runreport.steps.common import sessions

    cfg = config.load(network={"tenant": args.tenant} if args.tenant else None)
    started = time.perf_counter()
    with sessions(cfg)() as session:
        result = write_report(session, cfg, args.year, report_date=args.date, pdf=not args.no_pdf)
    for warning in result["warnings"]:
        print(f"Varning: {warning}", file=sys.stderr)
    for path in result["paths"]:
        print(path)
    print(f"Verksamhetsberättelsen {args.year} byggdes om på {time.perf_counter() - started:.1f} s.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
