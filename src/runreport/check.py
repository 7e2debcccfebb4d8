"""Check one partner file against the data contract without loading it: the receipt the annual run
would give the same file (issue 17, :mod:`runreport.receipt`).

    python -m runreport.check inkorg/registrations/anmalningar_2025.csv
    python -m runreport.check anmalningar_2025.csv --source registrations --year 2025 --json
    python -m runreport.check huvudbok_2025.csv --tenant N01

The configuration is the run's (config/pipeline.yaml, ``RUN_*`` environment, a tenant file); the
warehouse is only read. Exit code 0: the run would accept the file (perhaps with rows in
quarantine); 1: it would reject it, hold it for a steward's decision or not read it; 2: wrong use
(no such file, an unknown source, a warehouse that cannot be read) or not checkable yet
(registrations or evaluations before the warehouse has members). Without the network's
pseudonymisation key the check runs with a key of its own and says what it could not compare.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from contextlib import redirect_stdout
from pathlib import Path

from runreport.schema import SOURCES


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m runreport.check",
                                description="Kontrollera en partnerfil mot dataavtalet utan att läsa in den: samma "
                                            "kvitto som körningen skulle ge filen. Inget sparas.")
    p.add_argument("file", type=Path, help="filen som ska kontrolleras (CSV eller .xlsx)")
    p.add_argument("--source", choices=sorted(SOURCES), help="källan (standard: av mappen eller filnamnet)")
    p.add_argument("--year", type=int, help="verksamhetsåret (standard: året i filnamnet)")
    p.add_argument("--tenant", help="nätverket (standard: konfigurationens)")
    p.add_argument("--json", action="store_true", help="kvittot som JSON i stället för text")
    return p


def _check(args: argparse.Namespace, cfg, secret: bytes | None):
    from runreport import receipt

    if cfg is None:
        from runreport import settings

        cfg = settings.load(args.tenant)
    note = None
    if secret is None:
        from runreport.runcontext import pseudonym_secret

        try:
            secret = pseudonym_secret(cfg)
        except Exception:  # noqa: BLE001 - no key here (a steward's laptop): check with a key of this check only
            import secrets

            secret = secrets.token_bytes(32)
            note = ("Obs: nätverkets nyckel för pseudonymer finns inte här, så anmälningar jämförs inte med redan "
                    "inlästa personer (dubbletter mellan filer syns först i körningen).")
    result = receipt.check(args.file, cfg, secret, source=args.source, year=args.year)
    if note:
        result.notes.append(note)
    return result


def main(argv: Sequence[str] | None = None, cfg=None, secret: bytes | None = None) -> int:
    """The command; ``cfg`` and ``secret`` replace the run's configuration and key (tests)."""
    p = _parser()
    args = p.parse_args(argv)
    if not args.file.is_file():
        print(f"Filen finns inte: {args.file}", file=sys.stderr)
        return 2
    import logging

    logger = logging.getLogger("runreport")
    level = logger.level
    logger.setLevel(logging.ERROR)   # the receipt speaks; no English log lines (the level is given back after)
    try:
        with redirect_stdout(sys.stderr):   # log lines (Airflow's logging writes to stdout) stay out of the receipt
            result = _check(args, cfg, secret)
    except Exception as exc:  # noqa: BLE001 - said in one line, without a partner's value
        from runreport import privacy

        print(f"Kontrollen kunde inte göras: {privacy.mask(str(exc))[:300]}", file=sys.stderr)
        return 2
    finally:
        logger.setLevel(level)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(result.text_sv(), end="")
    return 0 if result.accepted else 2 if result.status == "not_checked" else 1


if __name__ == "__main__":
    raise SystemExit(main())
