"""Print where a year's outputs are: ``python -m runreport.outputs YEAR [--tenant NETWORK | --all]``."""

from __future__ import annotations

import argparse
import sys

from runreport.config import Config, load


def listing(year: int, cfg: Config | None = None) -> list[tuple[str, str]]:
    cfg = cfg or load()
    out = cfg.output_dir(year)
    wanted = [
        ("Körningens sammanfattning (förvaltare)", "korning.html"),
        ("Verksamhetsberättelse (Word)", f"verksamhetsberattelse_{year}.docx"),
        ("Verksamhetsberättelse (PDF)", f"verksamhetsberattelse_{year}.pdf"),
        ("Kommunbidrag (tabell)", f"kommunbidrag_{year}.csv"),
        ("Valideringssammanfattning", "validation/sammanfattning.html"),
        ("Valideringssammanfattning (Markdown)", "validation/sammanfattning.md"),
        ("Resultat per fil (kontroller och karantän)", "validation/filer"),
        ("Fakturautkast (väntar på attest)", "invoices/prepared"),
        ("Fakturor, Peppol (utkorg)", "invoices/outbox"),
        ("Fakturor, sammanställning", f"invoices/fakturor_{year}.xlsx"),
        ("Fakturaunderlag", "invoices/underlag"),
    ]
    rows = []
    for label, rel in wanted:
        p = out / rel
        where = str(p) if p.exists() else f"{p} (saknas)"
        if p.is_dir() and rel.startswith("invoices/") and rel != "invoices/underlag":
            where += f" ({sum(1 for f in p.iterdir() if f.suffix == '.xml')} st)"
        rows.append((label, where))
    return rows


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m runreport.outputs", description=__doc__.split("\n")[0])
    ap.add_argument("year", type=int, nargs="?")
    ap.add_argument("--tenant", help="a network (config/tenants/<tenant>.yaml); default: pipeline.yaml's")
    ap.add_argument("--all", action="store_true", help="every network in config/tenants/")
    ns = ap.parse_args(argv[1:])
    from runreport import tenants

    if ns.all:
        configs = list(tenants.load_all().values())
    elif ns.tenant:
        configs = [tenants.load_tenant(ns.tenant)]
    else:
        configs = [load()]
    year = ns.year or configs[0].reporting.demo_year
    for cfg in configs:
        print(f"Utdata för {year}" + (f", nätverk {cfg.tenant} ({cfg.network_name})" if ns.all or ns.tenant
                                      else "") + ":")
        for label, path in listing(year, cfg):
            print(f"  {label:40s} {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
