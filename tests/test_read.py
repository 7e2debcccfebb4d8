"""Reading partner files: dialects, encodings, layouts. Real bytes, real readers."""

import io

import pytest
from openpyxl import Workbook

from runreport.ingest.mapping import load_mappings
from runreport.ingest.organisations import OrganisationResolver
from runreport.ingest.parse import parse_frame
from runreport.ingest.read import FileRejected, read_table

MAPPINGS_YAML = """
registrations:
  activity_code: [Aktivitet, Kurskod]
  person_name: [Namn, Deltagare]
  email: [E-post, Epost]
  organisation: [Kommun/organisation, Organisation]
  role: [Roll]
  registration_date: [Anmälningsdatum, Datum]
  status: [Status]
ledger:
  voucher_no: [Ver.nr]
  line_no: [Rad]
  booking_date: [Bokföringsdatum]
  account: [Konto]
  activity_code: [Projekt]
  counterparty: [Motpart]
  amount_sek: [Belopp]
  text: [Text]
population:
  municipality_code: [region]
"""
REG = ("Aktivitet;Namn;E-post;Kommun/organisation;Roll;Anmälningsdatum;Status\n"
       "RUN25-01;Anna Berg;anna@example.se;Östersunds kommun;Lärare;4/3/2025;deltog\n"
       "\n"
       "RUN25-01;Per Ek;per@example.se;2281;Rektor;2025-03-05;anmäld\n")


@pytest.fixture(scope="module")
def mappings(tmp_path_factory):
    p = tmp_path_factory.mktemp("m") / "mappings.yaml"
    p.write_text(MAPPINGS_YAML, encoding="utf-8")
    return load_mappings(p)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_csv_dialects_read_alike(mappings, encoding, delimiter):
    text = REG.replace(";", delimiter)
    t = read_table(text.encode(encoding), "anmalningar_2025.csv", "registrations", mappings)
    assert list(t.df["organisation"]) == ["Östersunds kommun", "2281"]
    assert list(t.df["_row"]) == [2, 4]  # spreadsheet rows: the heading is row 1, the blank line row 3
    assert t.blank_rows == 1


def test_xlsx_first_sheet(mappings):
    wb = Workbook()
    ws = wb.active
    for line in REG.strip().splitlines():
        ws.append(line.split(";") if line else [])
    buf = io.BytesIO()
    wb.save(buf)
    t = read_table(buf.getvalue(), "registrations_2025.xlsx", "registrations", mappings)
    assert len(t.df) == 2 and t.encoding == "xlsx"


def test_trailing_total_row_is_not_data_and_amounts_parse(mappings):
    text = ("Ver.nr;Rad;Bokföringsdatum;Konto;Projekt;Motpart;Belopp;Text\n"
            "V1;1;2025-02-01;5010;RUN25-01;Hotell AB;12 500,00 kr;Lokal\n"
            "V2;1;2025-02-02;3010;RUN25-01;Skolverket;-4 000;Bidrag\n"
            "Summa;;;;;;8 500,00;\n")
    t = read_table(text.encode("cp1252"), "huvudbok_2025.csv", "ledger", mappings)
    assert len(t.df) == 2 and t.total_rows == [4] and t.declared_total == "8 500,00"
    typed, issues = parse_frame("ledger", t.df, OrganisationResolver())
    assert issues == []
    assert list(typed["amount_sek"]) == [12500.0, -4000.0]


def test_scb_population_layout_becomes_long(mappings):
    text = ('"Folkmängd efter region och år"\n\n"region";"2023";"2024"\n'
            '"2380 Östersund";64000;64500\n"2281 Sundsvall";99000;99100\n\n"Källa: SCB"\n')
    t = read_table(text.encode("cp1252"), "BE0101.csv", "population", mappings)
    assert len(t.df) == 4
    typed, issues = parse_frame("population", t.df, OrganisationResolver())
    assert issues == []
    assert set(typed["municipality_code"]) == {"2380", "2281"}
    assert typed.loc[typed["municipality_code"] == "2380", "population"].tolist() == [64000, 64500]


@pytest.mark.parametrize("data,rule", [
    (b"", "empty_file"),
    (b"\x00\x01\x02binary\x00" * 50, "binary_file"),
    (b"Aktivitet;Namn\nRUN25-01;Anna\n", "missing_column"),
    (b"foo;bar\n1;2\n", "no_heading_row"),
])
def test_unreadable_files_are_rejected_with_a_reason(mappings, data, rule):
    with pytest.raises(FileRejected) as exc:
        read_table(data, "anmalningar_2025.csv", "registrations", mappings)
    assert exc.value.rule == rule
    assert exc.value.reason_sv and exc.value.reason_en


def test_parse_finds_bad_values_and_pseudonymises(mappings):
    text = REG + "RUN25-02;Eva Ö;eva@example.se;Gotham kommun;Lärare;31/2/2025;deltog\n"
    t = read_table(text.encode(), "anmalningar_2025.csv", "registrations", mappings)
    resolver = OrganisationResolver({"2380": "Östersund", "2281": "Sundsvall"}, {})
    typed, issues = parse_frame("registrations", t.df, resolver, secret=b"k")
    assert "person_name" not in typed and "email" not in typed
    assert typed["person_key"].str.len().eq(32).all()
    assert list(typed["org_code"][:2]) == ["2380", "2281"]
    rules = {(i.row, i.field, i.rule) for i in issues}
    assert (5, "organisation", "unknown_organisation") in rules
    assert (5, "registration_date", "date_format") in rules
    assert all("Eva" not in i.reason_sv for i in issues)
