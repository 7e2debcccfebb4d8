"""What each check of a suite means, in Swedish, for the stewards' per-file result page
(``validation/filer/*.html``): the page the product shows instead of Great Expectations' Data Docs
(which load their CSS and scripts from public CDNs and are blank in a locked-down network).

Only the product's own words and reference values appear here, never a partner's value.
"""

from __future__ import annotations

from functools import lru_cache

from runreport.validation.suites import Check

TYPE_SV = {"int": "ett heltal", "date": "ett datum", "decimal": "ett belopp",
           "municipality": "en kommun med kommunkod (t.ex. 2380 Östersund)",
           "organisation": "en känd kommun eller organisation"}


@lru_cache(maxsize=1)
def _headings() -> dict:
    import yaml

    from runreport.ingest.mapping import DEFAULT_MAPPINGS

    return yaml.safe_load(DEFAULT_MAPPINGS.read_text(encoding="utf-8")) or {}


def field_label(source: str, field: str | None) -> str:
    """The partner's usual heading for a field (the first partner heading of config/mappings.yaml),
    e.g. ``Aktivitetskod`` for ``activity_code``."""
    if not field:
        return "Hela filen"
    variants = (_headings().get(source) or {}).get(field) or []
    return str(variants[1]) if len(variants) > 1 else field


def describe(source: str, check: Check) -> str:
    """One sentence: what the check requires of every row (or of the file)."""
    p, label = check.params, field_label(source, check.field)
    year = p.get("year")
    match check.reason:
        case "read":
            return "Varje rad kunde läsas: obligatoriska fält ifyllda; datum, tal och koder tolkbara"
        case "not_null":
            return f"{label} är ifyllt"
        case "type":
            return f"{label} är {TYPE_SV.get(p.get('type'), p.get('type'))}"
        case "unique":
            keys = ", ".join(field_label(source, k) for k in p.get("key", []))
            return f"Ingen rad förekommer två gånger ({keys})"
        case "value_set":
            values = ", ".join(str(v) for v in check.kwargs.get("value_set", []))
            return f"{label} är ett av: {values}"
        case "activity":
            return f"Aktiviteten finns i handlingsplanen för {year}"
        case "budget_activity":
            return f"Aktiviteten (projektet) finns i budgeten för {year}"
        case "organisation":
            return f"Kommunen är medlem {year} eller organisationen är en känd partner"
        case "in_year":
            return f"{label} ligger inom {year}"
        case "in_year_or_before":
            return f"{label} ligger inom {year - 1}–{year}" if year else f"{label} ligger inom året"
        case "code4":
            return f"{label} har fyra siffror"
        case "orgnr":
            return f"{label} har tio siffror"
        case "account":
            return f"{label} är ett konto med fyra siffror"
        case "non_negative":
            return f"{label} är 0 eller mer"
        case "positive":
            return f"{label} är större än 0"
        case "min1":
            return f"{label} är 1 eller mer"
        case "likert":
            return f"{label} är ett svar 1–5"
        case "pair_order":
            return f"{field_label(source, p.get('a'))} ligger inte före {field_label(source, p.get('b'))}"
        case "population_members":
            return f"Folkmängd finns för varje medlemskommun ({p.get('ref_year')})"
        case "ledger_total":
            return "Summan av beloppen stämmer med filens summarad"
    return f"{label}: {check.rule}"
