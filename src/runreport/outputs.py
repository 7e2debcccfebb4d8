"""Print where a year's outputs are: ``python -m runreport.outputs YEAR``."""

from __future__ import annotations

import sys

from runreport.config import load


def listing(year: int) -> list[tuple[str, str]]:
    cfg = load()
    out = cfg.output_dir(year)
    wanted = [
        ("Körningens sammanfattning (förvaltare)", "korning.html"),
        ("Verksamhetsberättelse (Word)", f"verksamhetsberattelse_{year}.docx"),
        ("Verksamhetsberättelse (PDF)", f"verksamhetsberattelse_{year}.pdf"),
        ("Kommunbidrag (tabell)", f"kommunbidrag_{year}.csv"),
        ("Valideringssammanfattning", "validation/sammanfattning.html"),
        ("Valideringssammanfattning (Markdown)", "validation/sammanfattning.md"),
        ("Data Docs (Great Expectations)", "validation/data_docs/index.html"),
        ("Fakturor, Peppol (utkorg)", "invoices/outbox"),
        ("Fakturor, sammanställning", f"invoices/fakturor_{year}.xlsx"),
        ("Fakturaunderlag", "invoices/underlag"),
    ]
    rows = []
    for label, rel in wanted:
        p = out / rel
        rows.append((label, str(p) if p.exists() else f"{p} (saknas)"))
    return rows


def main(argv: list[str]) -> int:
    year = int(argv[1]) if len(argv) > 1 else int(load()["reporting"]["demo_year"])
    print(f"Utdata för {year}:")
    for label, path in listing(year):
        print(f"  {label:40s} {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
