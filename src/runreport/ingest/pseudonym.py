"""Keyed pseudonyms for personal data: names and e-mail addresses are replaced at ingest by
HMAC-SHA256 under a secret that lives in an Airflow Variable (never in the repository), so the same
person is recognised across files without the warehouse ever holding who it is."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd


def person_key(secret: bytes, email: str, name: str) -> str:
    basis = email.strip().casefold() or " ".join(name.split()).casefold()
    return hmac.new(secret, basis.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def pseudonymise(df: pd.DataFrame, secret: bytes) -> pd.Series:
    if not secret:
        raise ValueError("Pseudonym secret missing: set the Airflow Variable run_pseudonym_secret")
    emails = df["email"].astype(str) if "email" in df else pd.Series("", index=df.index)
    names = df["person_name"].astype(str) if "person_name" in df else pd.Series("", index=df.index)
    return pd.Series([person_key(secret, e, n) for e, n in zip(emails, names, strict=True)], index=df.index,
                     dtype=object)
