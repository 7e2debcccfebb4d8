"""The demo year's headline figures computed independently from the demo files, with nothing but
csv and openpyxl: the end-to-end tests compare the report and the warehouse against these."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import load_workbook

INBOX = Path(__file__).resolve().parents[1] / "data" / "demo" / "inbox"


def _rows(path: Path) -> list[list[str]]:
    if path.suffix == ".xlsx":
        ws = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        out = []
        for r in ws.iter_rows(values_only=True):
            out.append(["" if v is None else (v.date().isoformat() if hasattr(v, "date") and not isinstance(v, date)
                                               else v.isoformat() if isinstance(v, date) else
                                               str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
                        for v in r])
        return out
    raw = path.read_bytes()
    text = raw[3:].decode("utf-8") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("cp1252")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def _amount(text: str) -> Decimal | None:
    t = re.sub(r"(?i)\s*kr\s*$", "", text).replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        return Decimal(t)
    except Exception:  # noqa: BLE001
        return None


def members_in(year: int) -> dict[str, int]:
    """code -> months of membership in the year."""
    rows = _rows(INBOX / "members" / "members_2020-2025.csv")[1:]
    months: Counter = Counter()
    for r in rows:
        if not r or not r[0]:
            continue
        start = date.fromisoformat(r[6])
        end = date.fromisoformat(r[7]) if r[7] else None
        months[r[0]] += sum(1 for m in range(1, 13)
                            if start <= date(year, m, 1) and (end is None or date(year, m, 1) <= end))
    return {c: n for c, n in months.items() if n}


def population(year: int) -> dict[str, int]:
    rows = _rows(INBOX / "population" / "BE0101_folkmangd_2019-2025.csv")
    header = next(r for r in rows if r and r[0].strip('"').lower() == "region")
    col = header.index(str(year))
    return {r[0][:4]: int(r[col]) for r in rows if r and re.match(r"^\d{4} ", r[0])}


def rate(year: int) -> Decimal:
    for r in _rows(INBOX / "agreements" / "agreements.csv")[1:]:
        if r and int(r[0]) <= year <= int(r[1]):
            return _amount(r[2])
    raise LookupError(year)


def contribution_total(year: int) -> int:
    pop = population(year - 1)
    total = 0
    for code, months in members_in(year).items():
        total += int((rate(year) * pop[code] * months / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return total


def ledger(year: int) -> tuple[Decimal, Decimal]:
    """(costs, external income) of the year's ledger; lines with an unreadable amount excluded."""
    path = next((INBOX / "ledger").glob(f"huvudbok_{year}.*"))
    costs = income = Decimal(0)
    for r in _rows(path)[1:]:
        if len(r) < 7 or not r[3].isdigit():
            continue
        amount = _amount(r[6])
        if amount is None:
            continue
        if "4000" <= r[3] <= "7999":
            costs += amount
        elif "3000" <= r[3] <= "3999":
            income -= amount
    return costs, income


def carry_over(year: int, first_year: int = 2023, opening: Decimal = Decimal(0)) -> Decimal:
    balance = opening
    for y in range(first_year, year + 1):
        costs, income = ledger(y)
        balance += contribution_total(y) + income - costs
    return balance


def known_organisations() -> set[str]:
    """Every spelling of a member municipality or partner organisation, lower case."""
    import yaml

    known = set()
    for r in _rows(INBOX / "members" / "members_2020-2025.csv")[1:]:
        if r and r[0]:
            name = r[1].lower()
            known |= {r[0], name, f"{name} kommun", f"{name}s kommun"}
    orgs = yaml.safe_load((INBOX.parents[2] / "config" / "organisations.yaml").read_text(encoding="utf-8"))
    for code, entry in orgs.items():
        known |= {code.lower(), entry["display_name"].lower(), *(s.lower() for s in entry.get("spellings", []))}
    return known


def activities_in_sections(year: int, sections: set[str]) -> set[str]:
    path = next((INBOX / "budget").glob(f"handlingsplan_{year}.*"))
    rows = _rows(path)
    header = [h.strip().lower() for h in rows[0]]
    code_i = next(i for i, h in enumerate(header) if "kod" in h)
    sec_i = next(i for i, h in enumerate(header) if h in ("avsnitt", "sektion", "del", "section"))
    return {r[code_i] for r in rows[1:] if len(r) > sec_i and r[sec_i] in sections}


def participants(year: int, sections: set[str] | None = None) -> int:
    """Distinct (activity, e-mail) registrations with status 'deltog', registered in the year, from
    a member municipality or a known partner (only activities of ``sections``, when given)."""
    seen = set()
    known = known_organisations()
    wanted = activities_in_sections(year, sections) if sections else None
    for path in sorted((INBOX / "registrations").glob(f"*_{year}_*")):
        rows = _rows(path)
        header = [h.strip().lower() for h in rows[0]]
        ix = {name: i for i, name in enumerate(header)}
        email_i = ix.get("e-post", ix.get("epost"))
        act_i = ix.get("aktivitet", ix.get("kurskod"))
        date_i = ix.get("anmälningsdatum", ix.get("datum"))
        for r in rows[1:]:
            if len(r) <= max(email_i, act_i, date_i) or not r[email_i].strip():
                continue
            d = r[date_i]
            y = int(d[:4]) if re.match(r"^\d{4}-", d) else int(d.rsplit("/", 1)[-1]) if "/" in d else None
            if y != year or r[ix["status"]].strip().lower() != "deltog":
                continue
            org_i = ix.get("kommun/organisation", ix.get("organisation"))
            if r[org_i].strip().lower() not in known:
                continue
            if wanted is not None and r[act_i].strip() not in wanted:
                continue
            seen.add((r[act_i].strip(), r[email_i].strip().lower()))
    return len(seen)


def _rows_text(path: Path) -> str:
    """The whole file as text (for searching it)."""
    return "\n".join(";".join(r) for r in _rows(path))
