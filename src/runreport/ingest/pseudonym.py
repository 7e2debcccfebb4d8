"""Keyed pseudonyms for personal data: names and e-mail addresses are replaced at ingest by
HMAC-SHA256 under a secret that lives in an Airflow Variable (never in the repository), so the same
person is recognised across files without the warehouse ever holding who it is."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

import numpy as np
import pandas as pd


def _basis(email: str, name: str) -> str:
    return email.strip().casefold() or " ".join(name.split()).casefold()


def _keyer(secret: bytes) -> Callable[[str, str], str]:
    """person_key for one secret: the HMAC is keyed once and copied per value (same result, faster)."""
    keyed = hmac.new(secret, digestmod=hashlib.sha256)

    def key(email: str, name: str) -> str:
        h = keyed.copy()
        h.update(_basis(email, name).encode("utf-8"))
        return h.hexdigest()[:32]

    return key


def person_key(secret: bytes, email: str, name: str) -> str:
    return hmac.new(secret, _basis(email, name).encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def pseudonymise(df: pd.DataFrame, secret: bytes) -> pd.Series:
    if not secret:
        raise ValueError("Pseudonym secret missing: set the Airflow Variable run_pseudonym_secret")
    emails = df["email"].astype(str) if "email" in df else pd.Series("", index=df.index)
    names = df["person_name"].astype(str) if "person_name" in df else pd.Series("", index=df.index)
    # one HMAC per distinct (e-mail, name) pair: a person registers for many activities
    e_codes, e_values = pd.factorize(emails, use_na_sentinel=False)
    n_codes, n_values = pd.factorize(names, use_na_sentinel=False)
    width = max(len(n_values), 1)
    pair_codes, pairs = pd.factorize(e_codes.astype(np.int64) * width + n_codes)
    key = _keyer(secret)
    keys = [key(e, n) for e, n in zip(e_values.to_numpy(dtype=object)[pairs // width],
                                       n_values.to_numpy(dtype=object)[pairs % width], strict=True)]
    return pd.Series(np.array(keys, dtype=object)[pair_codes], index=df.index, dtype=object)
