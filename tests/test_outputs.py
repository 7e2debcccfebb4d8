"""The outputs listing the demos end with: one network's folder per network, missing outputs named,
invoice folders counted."""

from __future__ import annotations

from runreport import config, outputs


def _cfg(tmp_path, tenant: str):
    return config.load(overrides={"paths": {"output": str(tmp_path)}}, network={"tenant": tenant}, environ={})


def test_listing_names_missing_outputs_and_counts_invoices(tmp_path):
    cfg = _cfg(tmp_path, "ALFA")
    prepared = cfg.output_dir(2025) / "invoices" / "prepared"
    prepared.mkdir(parents=True)
    for n in ("ALF-1.xml", "ALF-2.xml", "ALF-1.pdf"):
        (prepared / n).write_text("x", encoding="utf-8")
    rows = dict(outputs.listing(2025, cfg))
    assert rows["Fakturautkast (väntar på attest)"].endswith("prepared (2 st)")
    assert rows["Verksamhetsberättelse (Word)"].endswith("verksamhetsberattelse_2025.docx (saknas)")
    assert all(f"{tmp_path}/ALFA/2025/" in where for where in rows.values())
    other = dict(outputs.listing(2025, _cfg(tmp_path, "BETA")))
    assert all("/BETA/2025/" in where and "/ALFA/" not in where for where in other.values())
