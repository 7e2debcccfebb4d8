"""Property (Hypothesis): a ledger written from known rows in any dialect partners' programs use
(delimiter, encoding incl. UTF-16, Swedish or English amounts, heading variants in NFC or NFD, title
lines, blank lines, a total row, a line separator in a title) is read back as exactly those rows:
every row either loads with the values written, or is quarantined with a reason; never anything else.
Read by the product's own reader and parser (``read_table`` + ``parse_frame``)."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runreport.ingest.mapping import load_mappings
from runreport.ingest.organisations import OrganisationResolver, load_partners
from runreport.ingest.parse import parse_frame
from runreport.ingest.read import read_table

MAPPINGS = load_mappings()
HEADINGS = {
    "voucher_no": ["Ver.nr", "Verifikation", "Vernr"], "line_no": ["Rad", "Radnr"],
    "booking_date": ["Bokföringsdatum", "Bokf.datum", "Datum"], "account": ["Konto", "Kontonr"],
    "activity_code": ["Projekt", "Aktivitetskod"], "counterparty": ["Motpart", "Leverantör"],
    "amount_sek": ["Belopp", "Belopp (kr)", "Utfall"], "text": ["Text", "Beskrivning"],
}
FIELDS = list(HEADINGS)
NBSP = "\u00a0"

amounts = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2,
                      allow_nan=False, allow_infinity=False)
rows = st.lists(st.tuples(
    st.integers(1, 4),                                                       # line
    st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 31)),
    st.sampled_from(["4010", "4110", "5010", "3010"]),
    st.sampled_from(["A-2025-01", "A-2025-02", "ORG-2025"]),
    st.text(alphabet="abcåäö ÅÄÖ-", min_size=1, max_size=12).map(str.strip).filter(bool),
    amounts,
    st.text(alphabet="abcdefåäö 0123456789,.;\"", max_size=20),
), min_size=1, max_size=25)


def _amount(value: Decimal, style: str) -> str:
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(value), 1)
    grouped = f"{int(whole):,}"
    cents_text = f"{int(cents * 100):02d}"
    if style == "sv":
        return f"{sign}{grouped.replace(',', ' ')},{cents_text}"
    if style == "sv_kr":
        nbsp_grouped = grouped.replace(",", NBSP)
        return f"{sign}{nbsp_grouped},{cents_text} kr"
    if style == "en":
        return f"{sign}{grouped}.{cents_text}"
    return f"{sign}{int(whole)}.{cents_text}"   # plain, decimal point


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=rows, delimiter=st.sampled_from([";", ",", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
       style=st.sampled_from(["sv", "sv_kr", "en", "plain"]), nfd=st.booleans(),
       titles=st.lists(st.sampled_from(["Huvudbok 2025", "Utdrag\u2028mars", "Ekonomisystemet"]), max_size=2),
       blank_every=st.sampled_from([0, 3, 7]), total=st.booleans(), pick=st.integers(0, 2))
def test_a_ledger_in_any_dialect_reads_back_as_written(data, delimiter, encoding, style, nfd, titles, blank_every,
                                                        total, pick):
    headings = [HEADINGS[f][pick % len(HEADINGS[f])] for f in FIELDS]
    if nfd and encoding != "cp1252":   # a Mac export's decomposed letters come in UTF-8/16 only
        headings = [unicodedata.normalize("NFD", h) for h in headings]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for t in titles:
        w.writerow([t])
    w.writerow(headings)
    written = {}   # spreadsheet row number -> the row as written
    row_no = len(titles) + 1
    for k, (line, day, account, activity, party, amount, text) in enumerate(data):
        if blank_every and k and k % blank_every == 0:
            w.writerow([])
            row_no += 1
        row_no += 1
        voucher = f"V{1000 + k}"
        w.writerow([voucher, line, day.isoformat(), account, activity, party, _amount(amount, style), text])
        written[row_no] = (voucher, line, day, account, activity, party, amount)
    if total:
        w.writerow(["Summa", "", "", "", "", "", _amount(sum((r[5] for r in data), Decimal(0)), style), ""])
    raw_bytes = buf.getvalue().encode(encoding, errors="replace")
    if encoding == "cp1252" and "\u2028" in buf.getvalue():
        raw_bytes = buf.getvalue().replace("\u2028", " ").encode(encoding, errors="replace")

    table = read_table(raw_bytes, "huvudbok_2025.csv", "ledger", MAPPINGS)
    typed, issues = parse_frame("ledger", table.df, OrganisationResolver({}, load_partners()), b"k")
    quarantined = {i.row for i in issues}
    assert all(i.reason_sv and i.reason_en for i in issues)
    assert not issues, [(i.row, i.field, i.rule) for i in issues]   # every form written here is a certain one
    assert set(typed["_row"]) == set(written)          # every row accounted for, with its own row number
    for r in typed.to_dict("records"):
        if r["_row"] in quarantined:
            continue
        voucher, line, day, account, activity, party, amount = written[r["_row"]]
        assert (r["voucher_no"], r["line_no"], r["booking_date"], r["account"], r["activity_code"]) == (
            voucher, line, day, account, activity)
        assert r["amount_sek"] == amount, (style, r["amount_sek"], amount)   # exact, to the öre
        assert r["counterparty"] == unicodedata.normalize("NFC", party)
    if total:
        assert table.total_rows   # the total row is not a data row


# --- SCB population files and registrations -----------------------------------------------------------

MUNICIPALITIES = {"2380": "Östersund", "2281": "Sundsvall", "2262": "Timrå", "2361": "Härjedalen"}


def _int_text(n: int, grouped: bool, space: str) -> str:
    return f"{n:,}".replace(",", space) if grouped else str(n)


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(pops=st.dictionaries(st.sampled_from(sorted(MUNICIPALITIES)), st.tuples(st.integers(500, 999_999),
                                                                               st.integers(500, 999_999)),
                            min_size=1),
       delimiter=st.sampled_from([";", "\t", ","]), encoding=st.sampled_from(["utf-8-sig", "cp1252", "utf-16"]),
       grouped=st.booleans(), space=st.sampled_from([" ", "\u00a0"]), titles=st.integers(0, 2),
       heading=st.sampled_from(["region", "Region", "Kommun"]))
def test_an_scb_population_file_reads_back_as_written(pops, delimiter, encoding, grouped, space, titles, heading):
    """SCB's wide export (a region label, then one column per year): every figure as written."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for k in range(titles):
        w.writerow([f"Folkmängd efter region och år, tabell {k + 1}"])
    w.writerow([heading, "2023", "2024"])
    for code, (a, b) in pops.items():
        w.writerow([f"{code} {MUNICIPALITIES[code]}", _int_text(a, grouped, space), _int_text(b, grouped, space)])
    text = buf.getvalue()
    if encoding == "cp1252":
        text = text.replace("\u00a0", " ")
    table = read_table(text.encode(encoding), "BE0101_folkmangd_2023-2024.csv", "population", MAPPINGS)
    typed, issues = parse_frame("population", table.df, OrganisationResolver({}, load_partners()), b"k")
    assert not issues, [(i.row, i.field, i.rule, i.reason_en) for i in issues]
    got = {(r["municipality_code"], int(r["year"])): int(r["population"]) for r in typed.to_dict("records")}
    want = {(c, y): v for c, (a, b) in pops.items() for y, v in ((2023, a), (2024, b))}
    assert got == want


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(regs=st.lists(st.tuples(
           st.sampled_from(["A-2025-01", "A-2025-02"]),
           st.text(alphabet="abcåäöé ", min_size=2, max_size=15).map(str.strip).filter(lambda s: len(s) > 1),
           st.sampled_from(sorted(MUNICIPALITIES)), st.booleans(),
           st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 31)),
           st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y%m%d"]),
           st.sampled_from(["anmäld", "avbokad", "deltog"])), min_size=1, max_size=20),
       delimiter=st.sampled_from([";", ",", "\t"]), encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
       nfd=st.booleans())
def test_registrations_read_back_as_written(regs, delimiter, encoding, nfd):
    """Organisations by code or by 'X kommun', dates in the formats partners use, names and e-mail
    pseudonymised (the same e-mail, the same key), every row with its own number."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    headings = ["Aktivitet", "Namn", "E-post", "Kommun/organisation", "Anmälningsdatum", "Status"]
    if nfd and encoding != "cp1252":
        headings = [unicodedata.normalize("NFD", h) for h in headings]
    w.writerow(headings)
    for k, (activity, name, code, by_name, day, fmt, status) in enumerate(regs):
        org = f"{MUNICIPALITIES[code]}s kommun" if by_name else code
        w.writerow([activity, name, f"person{k % 5}@example.se", org, day.strftime(fmt), status])
    table = read_table(buf.getvalue().encode(encoding), "anmalningar_2025.csv", "registrations", MAPPINGS)
    typed, issues = parse_frame("registrations", table.df, OrganisationResolver(MUNICIPALITIES, load_partners()),
                                b"k")
    assert not issues, [(i.row, i.field, i.rule, i.reason_en) for i in issues]
    assert list(typed["_row"]) == list(range(2, len(regs) + 2))
    assert "person_name" not in typed.columns and "email" not in typed.columns
    for r, (activity, _name, code, _by, day, _fmt, status) in zip(typed.to_dict("records"), regs, strict=True):
        assert (r["activity_code"], r["org_code"], r["registration_date"], r["status"]) == (activity, code, day, status)
    keys = list(typed["person_key"])
    assert all(keys[i] == keys[i + 5] for i in range(len(keys) - 5))   # the same e-mail, the same key
