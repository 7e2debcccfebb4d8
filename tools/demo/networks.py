"""Partner files for the demo networks other than RUN (``config/tenants/*.yaml``)::

    python -m tools.demo.networks [--out data/demo-networks] [--years 2023 2024 2025] [--scale 1.0]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# The demo networks (config/tenants/NORRBOTTEN.yaml, KALMAR.yaml): municipality code, name, county,
# subnetwork, population; in reference.yaml beside the RUN demo's data.
DEMO_NETWORKS: dict[str, list[tuple[str, str, str, str, int]]] = {
    tenant: [tuple(row) for row in rows] for tenant, rows in
    yaml.safe_load(Path(__file__).with_name("reference.yaml").read_text(encoding="utf-8"))["demo_networks"].items()}


def generate_demo(out: str | Path = "data/demo-networks", years: Sequence[int] = (2025,), seed: int = 2026,
                  scale: float = 1.0, networks: Sequence[str] | None = None) -> list[Path]:
    """Partner files for the demo networks (``<out>/<tenant>/inbox``, ``narrative``)."""
    from tools.demo.generator import generate

    out = Path(out)
    out = out if out.is_absolute() else ROOT / out
    names = list(networks or DEMO_NETWORKS)
    return generate(out, years, seed, scale=scale, tenants=[(t, DEMO_NETWORKS[t]) for t in names])


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.demo.networks", description=__doc__.split("\n")[0])
    p.add_argument("--out", default="data/demo-networks")
    p.add_argument("--years", nargs="+", type=int, default=[2023, 2024, 2025])
    p.add_argument("--scale", type=float, default=1.0)
    ns = p.parse_args(argv)
    for root in generate_demo(ns.out, ns.years, scale=ns.scale):
        print(root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
