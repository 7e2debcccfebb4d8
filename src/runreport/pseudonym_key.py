"""The pseudonymisation key: where it lives and how a deployment gets one.

The key turns a registrant's name or e-mail into a pseudonym (``ingest/pseudonym.py``). It is the
Airflow Variable ``run_pseudonym_secret`` (``validation.pseudonym_secret_variable``): in the metadata
database, encrypted with the Fernet key, or in a secrets backend that serves that Variable. It is
never an environment variable of the production stack, never printed and never logged.

``python -m runreport.pseudonym_key ensure`` (run by ``airflow-init``) creates a random key once when
neither the database nor a secrets backend holds one, and leaves an existing key alone: a new key
would give every person a new pseudonym.
"""

from __future__ import annotations

import argparse
import secrets

VARIABLE = "run_pseudonym_secret"


def ensure(variable: str = VARIABLE) -> bool:
    """Create the key if it does not exist; True if created. Needs Airflow's metadata DB."""
    from airflow.models.variable import Variable

    if Variable.get(variable, default_var=None) is not None:
        return False
    Variable.set(variable, secrets.token_hex(32),
                 description="RUN: nyckel för pseudonymisering av personuppgifter (byt aldrig)")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runreport.pseudonym_key", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["ensure"])
    parser.add_argument("--variable", default=VARIABLE)
    args = parser.parse_args(argv)
    created = ensure(args.variable)
    print(f"Variabeln {args.variable}: {'skapad' if created else 'finns redan (oförändrad)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
