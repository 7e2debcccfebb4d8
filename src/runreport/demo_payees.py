"""The demo's payment details as Airflow Connection environment variables (``data/demo_payees.json``
-> ``AIRFLOW_CONN_RUN_PAYEE_<TENANT>``), for the local demo and the tests. Production keeps them in
a secrets backend owned by finance (``docs/security.md``)."""

from __future__ import annotations

import json
from pathlib import Path

from runreport.config import PROJECT_ROOT

DEMO_FILE = PROJECT_ROOT / "data" / "demo_payees.json"   # RUN_HOME, or the checkout


def connection_env(path: Path = DEMO_FILE) -> dict[str, str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {f"AIRFLOW_CONN_RUN_PAYEE_{tenant.upper()}": json.dumps({"conn_type": "generic", "extra": extra})
            for tenant, extra in data.items() if not tenant.startswith("_")}


def payee(tenant: str = "RUN", path: Path = DEMO_FILE):
    """The demo network's payment details as a :class:`runreport.invoicing.payee.Payee`, for
    harnesses that run the steps without Airflow (``runreport.invoicing.payee.supplied``)."""
    from runreport.invoicing.payee import Payee

    extra = json.loads(path.read_text(encoding="utf-8"))[tenant]
    return Payee(org_number=str(extra["org_number"]).replace("-", "").strip(),
                 iban=str(extra["iban"]).replace(" ", "").upper(), bic=extra.get("bic") or None)


if __name__ == "__main__":  # `eval "$(python -m runreport.demo_payees)"`
    import shlex

    for name, value in connection_env().items():
        print(f"export {name}={shlex.quote(value)}")
