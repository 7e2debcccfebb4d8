"""Who gets paid: the seller's organisation number and bank account (IBAN, BIC).

These are **not configuration**. They come only from a finance-owned Airflow Connection,
``run_payee_<tenant>`` (e.g. ``run_payee_run``), whose extra holds
``{"org_number": "2021002841", "iban": "SE45…", "bic": "ESSESESS"}``. A Connection lives in
Airflow's secrets backend (or, locally, ``AIRFLOW_CONN_RUN_PAYEE_RUN``), which only Airflow admins
and finance can change; the Variable ``run_config`` and the ``RUN_*`` environment overrides cannot
reach it. Any ``org_number``/``iban``/``bic`` found under ``invoicing.seller`` in the configuration
is ignored with a warning. The connection id follows from the tenant and is not configurable.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

PAYMENT_KEYS = ("org_number", "iban", "bic")


class PayeeMissing(RuntimeError):
    """The finance connection for the tenant's payment details is missing or incomplete."""


@dataclass(frozen=True)
class Payee:
    org_number: str
    iban: str
    bic: str | None = None

    @property
    def iban_spaced(self) -> str:
        return " ".join(self.iban[i:i + 4] for i in range(0, len(self.iban), 4))


def connection_id(tenant: str) -> str:
    return f"run_payee_{tenant.lower()}"


_SUPPLIED: dict[str, Payee] | None = None   # set by code only (supplied()), never by configuration


@contextlib.contextmanager
def supplied(payees: dict[str, Payee]) -> Iterator[None]:
    """Within the block, :func:`payee` answers from ``payees`` instead of the finance connection.

    For harnesses that run the pipeline's steps without Airflow (``benchmarks/run_benchmark.py``:
    importing Airflow's SDK only to read a Connection would add its 1.4 s and 85 MB to what is
    measured as pipeline work). Only code can do this: no configuration, Variable or environment
    variable reaches it, so the rule above holds for every run of the product."""
    global _SUPPLIED
    outer, _SUPPLIED = _SUPPLIED, dict(payees)
    try:
        yield
    finally:
        _SUPPLIED = outer


def payee(tenant: str) -> Payee:
    """The tenant's payment details from its finance connection; :class:`PayeeMissing` otherwise."""
    if _SUPPLIED is not None:
        if tenant not in _SUPPLIED:
            raise PayeeMissing(f"Betalningsuppgifterna saknas för {tenant} / payment details missing for {tenant}")
        return _SUPPLIED[tenant]
    from airflow.sdk import BaseHook

    conn_id = connection_id(tenant)
    try:
        conn = BaseHook.get_connection(conn_id)
        extra = conn.extra_dejson
    except Exception as exc:  # noqa: BLE001 - not found, or no Airflow to ask
        raise PayeeMissing(f"Betalningsuppgifterna saknas: ekonomi ska lägga in Airflow-anslutningen {conn_id} "
                           f"(org_number, iban, bic) / payment details missing: connection {conn_id}") from exc
    missing = [k for k in ("org_number", "iban") if not extra.get(k)]
    if missing:
        raise PayeeMissing(f"Anslutningen {conn_id} saknar {', '.join(missing)} / connection {conn_id} lacks "
                           f"{', '.join(missing)}")
    return Payee(org_number=str(extra["org_number"]).replace("-", "").strip(),
                 iban=str(extra["iban"]).replace(" ", "").upper(), bic=extra.get("bic") or None)


def ignored_keys(seller_cfg: dict) -> list[str]:
    """Payment keys found in the configuration (never used); logged once per use."""
    found = [k for k in PAYMENT_KEYS if seller_cfg.get(k)]
    if found:
        log.warning("invoicing.seller.%s in the configuration is ignored: payment details come only from the "
                    "finance connection (runreport.invoicing.payee)", "/".join(found))
    return found
