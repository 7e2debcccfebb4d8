"""Regenerates the committed files of tests/data/bad/ (not the 100 MB case): python tests/data/bad/_generate.py"""
import shutil
from pathlib import Path

import yaml

BAD = Path(__file__).resolve().parent
for old in BAD.iterdir():
    if old.is_dir():
        shutil.rmtree(old)

MUNI = [("2303", "Ragunda", "Jämtland", "västra"), ("2305", "Bräcke", "Jämtland", "västra"),
        ("2309", "Krokom", "Jämtland", "västra"), ("2313", "Strömsund", "Jämtland", "västra"),
        ("2321", "Åre", "Jämtland", "västra"), ("2326", "Berg", "Jämtland", "västra"),
        ("2361", "Härjedalen", "Jämtland", "västra"), ("2380", "Östersund", "Jämtland", "västra"),
        ("2260", "Ånge", "Västernorrland", "östra"), ("2262", "Timrå", "Västernorrland", "östra"),
        ("2280", "Härnösand", "Västernorrland", "östra"), ("2281", "Sundsvall", "Västernorrland", "östra"),
        ("2282", "Kramfors", "Västernorrland", "östra"), ("2283", "Sollefteå", "Västernorrland", "östra"),
        ("2284", "Örnsköldsvik", "Västernorrland", "östra"), ("2132", "Nordanstig", "Gävleborg", "östra"),
        ("2161", "Ljusdal", "Gävleborg", "östra"), ("2182", "Söderhamn", "Gävleborg", "östra"),
        ("2184", "Hudiksvall", "Gävleborg", "östra")]
MEMBERS_2025 = [m for m in MUNI if m[0] != "2305"]  # Bräcke left at 2024-12-31 in this corpus


def luhn_complete(nine: str) -> str:
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return nine + str((10 - total % 10) % 10)


def w(case: str, name: str, text: str | bytes, encoding: str = "utf-8") -> None:
    p = BAD / case / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))


def exp(case: str, data: dict) -> None:
    (BAD / case).mkdir(parents=True, exist_ok=True)
    (BAD / case / "expected.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                               encoding="utf-8")


# ---- reference data every case is validated against (load first)
ref = ["Kommunkod;Kommun;Län;Delnätverk;Organisationsnummer;Fakturareferens;Giltig från;Giltig till"]
for i, (code, name, county, net) in enumerate(MUNI):
    orgnr = luhn_complete(f"2120{i:05d}")
    to = "2024-12-31" if code == "2305" else ""
    ref.append(f"{code};{name};{county};{net};{orgnr};RUN-{code};2020-01-01;{to}")
w("_reference", "medlemmar.csv", "\n".join(ref) + "\n")
w("_reference", "avtal.csv", "Från år;Till år;Kr per invånare\n2020;2022;2\n2023;2023;1\n2024;2027;2\n")
ACTS = [("A-2025-01", "Matematiklyftet", "Aktiviteter"), ("A-2025-02", "Specialpedagogik i praktiken", "Aktiviteter"),
        ("A-2025-03", "Rektorsnätverk", "Nätverk"), ("A-2025-04", "Digitalisering i skolan", "Projekt"),
        ("ORG-2025", "Kansli och organisation", "Organisation")]
budget = ["Aktivitetskod;Verksamhet;Avsnitt;Målgrupp;Form;Samverkansmål;Termin;Budget kommun (kr);Extern finansiär;Budget extern (kr)"]
for code, name, section in ACTS:
    budget.append(f"{code};{name};{section};Lärare;C;1,3;VT+HT;100 000;;")
w("_reference", "handlingsplan_2025.csv", "\n".join(budget) + "\n")
pop = ["region;2023;2024"] + [f"{c} {n};{10000 + i * 1000};{10100 + i * 1000}" for i, (c, n, _, _) in enumerate(MUNI)]
w("_reference", "BE0101_folkmangd.csv", "\n".join(pop) + "\n")

REG_HEAD = "Aktivitet;Namn;E-post;Kommun/organisation;Roll;Anmälningsdatum;Status"
EVAL_HEAD = ("Svars-ID;Aktivitet;Träff;Kommun/organisation;Roll;Helhet;Relevans;Tillämpning;"
             "Vad tar du med dig?;Inskickad")
SESS_HEAD = "Aktivitet;Träff nr;Datum;Form;Ort;Antal platser"
LEDGER_HEAD = "Ver.nr;Rad;Bokföringsdatum;Konto;Projekt;Motpart;Belopp;Text"
N = 30  # rows per case: 1 bad row in 30 is 3.3 %, below validation.max_rejected_share 5 %


def reg_rows(n=N, start=1):
    out = []
    for i in range(start, start + n):
        m = MEMBERS_2025[i % len(MEMBERS_2025)]
        org = [m[0], f"{m[1]}s kommun" if not m[1].endswith("s") else f"{m[1]} kommun", m[1], "SPSM"][i % 4]
        out.append(f"A-2025-0{1 + i % 4};Deltagare {i:03d};deltagare{i:03d}@example.se;{org};Lärare;"
                   f"2025-0{1 + i % 9}-1{i % 10};{['anmäld', 'deltog', 'avbokad'][i % 3]}")
    return out


def eval_rows(n=N):
    out = []
    for i in range(1, n + 1):
        m = MEMBERS_2025[i % len(MEMBERS_2025)]
        out.append(f"S{i:04d};A-2025-0{1 + i % 4};{1 + i % 3};{m[0]};Lärare;{1 + i % 5};{1 + (i + 1) % 5};"
                   f"{1 + (i + 2) % 5};Bra träff nummer {i};2025-0{1 + i % 9}-2{i % 8}")
    return out


def sess_rows(n=N):
    return [f"A-2025-0{1 + i % 4};{1 + i // 4};2025-{1 + i % 12:02d}-1{i % 10};{['C', 'CD', 'D'][i % 3]};"
            f"{['Sundsvall', 'Östersund', 'digitalt'][i % 3]};{20 + i}" for i in range(n)]


def ledger_rows(n=N):
    return [f"V{1000 + i // 2};{1 + i % 2};2025-{1 + i % 12:02d}-0{1 + i % 9};{4010 + i % 5 * 100};"
            f"{ACTS[i % len(ACTS)][0]};Leverantör {i % 7};{100 * (i + 1)},50;Kostnad {i}" for i in range(n)]


def q(text):
    """CSV-quote a free-text cell (it may hold ; and ")."""
    return '"' + text.replace('"', '""') + '"' if any(ch in text for ch in ';"\r\n') else text


def csv_text(head, rows, sep=";"):
    return "\r\n".join([head.replace(";", sep)] + [r.replace(";", sep) for r in rows]) + "\r\n"


def set_cells(rows, column, values):
    """``rows`` (``;``-separated) with the cell in ``column`` of each row numbered in ``values`` replaced by
    its value: changes ``rows`` and returns it."""
    for k, value in values.items():
        parts = rows[k].split(";")
        parts[column] = value
        rows[k] = ";".join(parts)
    return rows


def loaded(source, name, rows_in, bad=0, keyword=None, **extra):
    e = {"name": name, "status": "loaded", "rows_in": rows_in, "rows_loaded": rows_in - bad,
         "rows_quarantined": bad}
    if keyword:
        e["reason_keyword"] = keyword
    e.update(extra)
    return e


def rejected(name, keyword, rows_in=None):
    e = {"name": name, "status": "rejected", "rows_loaded": 0, "reason_keyword": keyword}
    if rows_in is not None:
        e["rows_in"] = rows_in
        e["rows_quarantined"] = rows_in
    return e


def held(name, keyword, rows_in=None):
    """Held for a steward's decision (plausibility): loads nothing, blocks like a rejection, checked again
    in every run."""
    return {**rejected(name, keyword, rows_in), "status": "held"}


def case(cid, source, description, files, decision=None):
    exp(cid, {"source": source, "description": description, **({"decision": decision} if decision else {}),
              "files": files})


F = "anmalningar_2025.csv"
E = "utvarderingar_2025.csv"
L = "huvudbok_2025.csv"
S = "traffar_2025.csv"
FILES = {"registrations": (F, REG_HEAD, reg_rows), "evaluations": (E, EVAL_HEAD, eval_rows),
         "ledger": (L, LEDGER_HEAD, ledger_rows), "sessions": (S, SESS_HEAD, sess_rows)}


def one_bad_cell(cid, source, row, column, value, description, keyword):
    """``source``'s file of N good rows with the cell in ``column`` of row ``row`` made bad: the file loads,
    that row is quarantined with ``keyword`` in its reason."""
    name, head, good_rows = FILES[source]
    w(cid, name, csv_text(head, set_cells(good_rows(), column, {row: value})))
    case(cid, source, description, [loaded(source, name, N, 1, keyword)])


# 01-02 encodings
w("01_encoding_cp1252", F, csv_text(REG_HEAD, reg_rows()), "cp1252")
case("01_encoding_cp1252", "registrations", "Excel 'CSV (semikolonavgränsad)' from Swedish Windows: cp1252, CRLF",
     [loaded("registrations", F, N)])
w("02_encoding_utf8_bom", F, csv_text(REG_HEAD, reg_rows()), "utf-8-sig")
case("02_encoding_utf8_bom", "registrations", "UTF-8 with BOM: the BOM must not end up in the first heading",
     [loaded("registrations", F, N)])
# 03 comma
w("03_comma_delimiter", F, csv_text(REG_HEAD, reg_rows(), ","))
case("03_comma_delimiter", "registrations", "Comma instead of semicolon as delimiter", [loaded("registrations", F, N)])
# 04 missing required column
head = REG_HEAD.replace(";Status", "")
w("04_missing_required_column", F, csv_text(head, [r.rsplit(";", 1)[0] for r in reg_rows()]))
case("04_missing_required_column", "registrations", "The required column Status is missing",
     [rejected(F, "status")])
# 05 renamed headings
w("05_renamed_headings", F, csv_text("Kurskod;Deltagarnamn;E-postadress;Arbetsgivare;Befattning;Anmäld datum;Närvaro",
                                     reg_rows()))
case("05_renamed_headings", "registrations", "Heading variants from config/mappings.yaml (Kurskod, E-postadress, …)",
     [loaded("registrations", F, N)])
# 06 empty file (blank lines only)
w("06_empty_file", F, "\r\n\r\n   \r\n")
case("06_empty_file", "registrations", "A file with only blank lines: no heading row", [rejected(F, "empty_file")])
# 07 headings only
w("07_headings_only", F, REG_HEAD + "\r\n")
case("07_headings_only", "registrations", "Headings and no data rows: loads nothing, rejects nothing",
     [loaded("registrations", F, 0)])
# 08 zero bytes
w("08_zero_bytes", F, b"")
case("08_zero_bytes", "registrations", "A 0-byte file", [rejected(F, "empty_file")])
# 09 binary named .csv
w("09_binary_named_csv", F, bytes(range(256)) * 8)
case("09_binary_named_csv", "registrations", "Binary content with a .csv name", [rejected(F, "binary")])
# 10 duplicated rows
rows = reg_rows()
rows.insert(10, rows[9])
w("10_duplicated_rows", F, csv_text(REG_HEAD, rows))
case("10_duplicated_rows", "registrations",
     "An exact duplicate row: the first occurrence loads, the repeat is quarantined",
     [loaded("registrations", F, N + 1, 1, "Dubblett")])
# 11-16 one bad cell: that row is quarantined, the rest load
one_bad_cell("11_unknown_municipality", "registrations", 4, 3, "Gotlands kommun",
             "A municipality RUN does not know", "Okänd")
one_bad_cell("12_not_member_that_year", "registrations", 7, 3, "Bräcke kommun",
             "Bräcke (2305) left the network at 2024-12-31", "inte medlem")
one_bad_cell("13_likert_7", "evaluations", 5, 5, "7", "A Likert answer of 7 on a 1–5 scale", "Likertvärdet 7")
one_bad_cell("14_date_wrong_year", "ledger", 3, 2, "2024-12-30", "A booking date in 2024 in the 2025 ledger",
             "2024-12-30")
one_bad_cell("15_negative_seats", "sessions", 2, 5, "-5", "A negative number of seats (participants) in a session",
             "negativ")
one_bad_cell("16_text_in_amount", "ledger", 6, 6, "ca 500", "Text in the amount field (no total row in the file)",
             "ca 500")
# 17 amounts with spaces and kr
rows = ledger_rows()
rows = [";".join(p[:6] + [f"{int(p[6].split(',')[0]) * 10:,}".replace(",", " ") + ",50 kr"] + p[7:])
        for p in (r.split(";") for r in rows)]
w("17_amounts_spaces_kr", L, csv_text(LEDGER_HEAD, rows))
case("17_amounts_spaces_kr", "ledger", "Amounts written '12 345,50 kr' (thousands space, decimal comma, kr): load",
     [loaded("ledger", L, N)])
# 18 formula cells
rows = set_cells(eval_rows(), 8, {2: q('=HYPERLINK("http://example.com";"klicka")'), 3: q("+46 70 123 45 67"),
                                  4: q("-bra träff")})
w("18_formula_cells", E, csv_text(EVAL_HEAD, rows))
case("18_formula_cells", "evaluations",
     "A free-text cell starting with = (a spreadsheet formula) is quarantined; cells starting with + or - "
     "(phone numbers, dashes) load as literal text",
     [loaded("evaluations", E, N, 1, "formel", literal_values=["[telefon]", "-bra träff"])],
     decision="quarantine cells starting with = or @ (ingest rule 'formula'); + and - load literally; every "
              "CSV output (e.g. karantan_<run>.csv) prefixes cells starting with = + - @ with '")
# 19 Jinja and XML in free text
rows = set_cells(eval_rows(), 8, {1: q("{{ 7*7 }} och {% raw %}"), 2: q("<script>alert(1)</script> & <b>fet</b>"),
                                  3: q("]]> &amp; <![CDATA[ \"citat\"")})
w("19_jinja_xml_free_text", E, csv_text(EVAL_HEAD, rows))
case("19_jinja_xml_free_text", "evaluations", "Jinja {{ }} and XML <&> in free text: load, stay literal in every output",
     [loaded("evaluations", E, N, 0, None, literal_values=["{{ 7*7 }} och {% raw %}",
                                                          "<script>alert(1)</script> & <b>fet</b>",
                                                          "]]> &amp; <![CDATA[ \"citat\""])])
# 20 100 MB: generated at runtime
exp("20_large_100mb", {"source": "ledger", "description": "A 100 MB ledger, generated into tmp at test time "
                       "(tests/badcorpus.py: generate_large); must be read streaming",
                       "generate": {"kind": "large_ledger", "bytes": 100_000_000, "name": "huvudbok_2025_stor.csv"},
                       "files": [{"name": "huvudbok_2025_stor.csv", "status": "loaded", "rows_in": "generated",
                                  "rows_loaded": "generated", "rows_quarantined": 0}]})
# 21 60 columns
extra = ";".join(f"Extra {i}" for i in range(1, 54))
rows = [r + ";" + ";".join(str(i) for i in range(1, 54)) for r in reg_rows()]
w("21_sixty_columns", F, csv_text(REG_HEAD + ";" + extra, rows))
case("21_sixty_columns", "registrations", "60 columns: 7 known, 53 unknown ones ignored (and reported)",
     [loaded("registrations", F, N)])
# 22 same file twice
w("22_same_file_twice", "drop1/" + F, csv_text(REG_HEAD, reg_rows()))
w("22_same_file_twice", "drop2/" + F, csv_text(REG_HEAD, reg_rows()))
case("22_same_file_twice", "registrations", "The same bytes dropped twice: the second is a no-op (checksum)",
     [dict(loaded("registrations", "drop1/" + F, N), drop=1),
      {"name": "drop2/" + F, "drop": 2, "status": "unchanged", "rows_loaded": 0, "rows_quarantined": 0}])
# 23 corrected file
rows = reg_rows()
bad = set_cells(rows[:], 6, dict.fromkeys(range(10), "kanske"))
w("23_corrected_file", "drop1/anmalningar_2025_vt.csv", csv_text(REG_HEAD, bad))
w("23_corrected_file", "drop2/anmalningar_2025_vt_v2.csv", csv_text(REG_HEAD, rows))
case("23_corrected_file", "registrations",
     "A file with 10 bad statuses is rejected; the corrected _v2 for the same slot replaces it and loads",
     [dict(rejected("drop1/anmalningar_2025_vt.csv", "gräns", N), drop=1),
      dict(loaded("registrations", "drop2/anmalningar_2025_vt_v2.csv", N), drop=2)])
# 24 trailing total row that reconciles
rows = ledger_rows()
total = sum(100 * (i + 1) + 0.5 for i in range(N))
w("24_total_row_ok", L, csv_text(LEDGER_HEAD, rows + [f"Summa;;;;;;{total:.2f}".replace(".", ",") + ";"]))
case("24_total_row_ok", "ledger", "A trailing total row that equals the sum of the lines: not a data row",
     [loaded("ledger", L, N)])
# 25 total row that does not reconcile
w("25_total_row_mismatch", L, csv_text(LEDGER_HEAD, rows + [f"Summa;;;;;;{total + 1000:.2f}".replace(".", ",") + ";"]))
case("25_total_row_mismatch", "ledger", "The total row does not equal the sum of the lines: critical",
     [rejected(L, "expect_column_sum_to_be_between", N)])
# 26 too many bad rows
rows = set_cells(eval_rows(), 6, dict.fromkeys(range(4), "9"))
w("26_rejected_share_exceeded", E, csv_text(EVAL_HEAD, rows))
case("26_rejected_share_exceeded", "evaluations", "4 of 30 rows (13 %) fail: above max_rejected_share 5 %",
     [rejected(E, "gräns", N)])
# 27 population missing a member
pop = ["region;2023;2024"] + [f"{c} {n};{10000 + i * 1000};{10100 + i * 1000}" for i, (c, n, _, _) in enumerate(MUNI)
                              if c != "2284"]
w("27_population_missing_member", "BE0101_folkmangd_2025.csv", "\n".join(pop) + "\n")
case("27_population_missing_member", "population",
     "Örnsköldsvik (2284), a member in 2025, has no population for 2024: critical",
     [rejected("BE0101_folkmangd_2025.csv", "2284")])
# 28 date formats and municipality names
rows = reg_rows()
rows = [r.replace("2025-03-", "3/").replace("-13;", "/2025;") if False else r for r in rows]
set_cells(rows, 5, {0: "4/3/2025"})
set_cells(rows, 3, {1: "Östersunds kommun"})
w("28_date_and_name_variants", F, csv_text(REG_HEAD, rows))
case("28_date_and_name_variants", "registrations", "Dates as 4/3/2025 and municipality as 'Östersunds kommun': load",
     [loaded("registrations", F, N)])
# 29 unknown activity
one_bad_cell("29_unknown_activity", "registrations", 11, 0, "A-2019-99",
             "An activity that is not in the 2025 action plan", "A-2019-99")
# 30 xlsx
from openpyxl import Workbook  # noqa: E402

wb = Workbook()
wb.properties.created = wb.properties.modified = __import__("datetime").datetime(2025, 1, 1)
ws = wb.active
for line in [REG_HEAD] + reg_rows():
    ws.append(line.split(";"))
p = BAD / "30_xlsx" / "anmalningar_2025.xlsx"
p.parent.mkdir(parents=True, exist_ok=True)
wb.save(p)
case("30_xlsx", "registrations", "The same data as .xlsx", [loaded("registrations", "anmalningar_2025.xlsx", N)])
# 31 amount forms: only the forms whose value is certain load; the rest are quarantined, named
from decimal import Decimal  # noqa: E402

forms = {0: ("1,234.50", "1234.50"), 1: ("1.234,50", "1234.50"), 2: ("1234.50", "1234.50"),
         3: ("12.500", None), 4: ("12,345", None), 5: ("1e6", None), 6: ("Infinity", None),
         7: ("12345678901234567890", None), 8: ("1234,567", None), 9: ("\u22121 200,00 kr", "-1200.00")}
rows = ledger_rows(200)   # 6 bad rows in 200: 3 %, below the rejected share
total = sum(Decimal(r.split(";")[6].replace(",", ".")) for i, r in enumerate(rows) if i not in forms)
total += sum(Decimal(value) for _, value in forms.values() if value is not None)
set_cells(rows, 6, {i: written for i, (written, _) in forms.items()})
w("31_amount_forms", L, csv_text(LEDGER_HEAD, rows))
case("31_amount_forms", "ledger",
     "Amounts as partners write them: 1,234.50 / 1.234,50 / 1234.50 / \u22121 200,00 kr load exactly; the ambiguous "
     "12.500 and 12,345, 1e6, Infinity, a 20-digit amount and a third decimal are quarantined with the form named",
     [loaded("ledger", L, 200, 6, "tvetydigt", amount_sum=str(total))])
# 32 a population typed with four zeros too many: held (rejected) for a steward, with both figures
pop = ["region;2023;2024"] + [f"{c} {n};{10000 + i * 1000};{(10100 + i * 1000) * (10000 if c == '2380' else 1)}"
                              for i, (c, n, _, _) in enumerate(MUNI)]
w("32_population_typo", "BE0101_folkmangd_2025.csv", "\n".join(pop) + "\n")
case("32_population_typo", "population",
     "Östersund's 2024 population typed ten thousand times too large (would be invoiced): the file is rejected "
     "naming both figures, until corrected or the change is accepted (validation.accept_population_change)",
     [held("BE0101_folkmangd_2025.csv", "accept_population_change")])
# 33 a corrected file with a fraction of the rows it replaces: held, the loaded file stays
rows = reg_rows()
w("33_corrected_file_truncated", "drop1/anmalningar_2025_vt.csv", csv_text(REG_HEAD, rows))
w("33_corrected_file_truncated", "drop2/anmalningar_2025_vt_v2.csv", csv_text(REG_HEAD, rows[:5]))
case("33_corrected_file_truncated", "registrations",
     "A _v2 with 5 of the 30 rows it would replace: rejected (the 30 loaded rows stay) until the whole file is "
     "sent or the drop is accepted (validation.accept_corrected_drop)",
     [{**loaded("registrations", "drop1/anmalningar_2025_vt.csv", N), "drop": 1},
      {**held("drop2/anmalningar_2025_vt_v2.csv", "accept_corrected_drop", 5), "drop": 2}])


# ---------------------------------------------------------------- 34-: files as partners really make them
def xlsx(case_id: str, name: str, lines: list[str], change=None, sheet_title: str | None = None) -> None:
    """A workbook of ``lines`` (``;``-separated) with fixed document times (the same bytes every time)."""
    import datetime as dt

    book = Workbook()
    book.properties.created = book.properties.modified = dt.datetime(2025, 1, 1)
    sheet = book.active
    if sheet_title:
        sheet.title = sheet_title
    for line in lines:
        sheet.append(line.split(";"))
    if change:
        change(book, sheet)
    target = BAD / case_id / name
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)


def aside(name, keyword, place=None, entry=None):
    e = {"name": name, "status": "set_aside", "reason_keyword": keyword}
    if place:
        e["place"] = place
    if entry:
        e["entry"] = entry
    return e


# numbers in other columns than the ledger's amount
rows = set_cells(sess_rows(), 5, {1: "inf", 2: "12,5", 3: "1e3"})
w("34_seats_not_whole_numbers", S, csv_text(SESS_HEAD, rows))
case("34_seats_not_whole_numbers", "sessions",
     "Seats written inf, 12,5 and 1e3: each quarantined with the form named, the file checked to its end "
     "(3 of 30 rows is above the 5 % share: the file is rejected, every row accounted for)",
     [rejected(S, "inf", 30)])
rows = set_cells(ledger_rows(), 6, {1: "12\u00a0345,50", 2: "12\u202f345,50", 3: "12 345,50 SEK", 4: "-1 200,00"})
total = sum(Decimal(r.split(";")[6].replace("\u00a0", "").replace("\u202f", "").replace(" SEK", "")
                    .replace(" ", "").replace(",", ".")) for r in rows)
w("35_amount_space_characters", L, csv_text(LEDGER_HEAD, rows))
case("35_amount_space_characters", "ledger",
     "Thousands separated by a no-break or narrow no-break space (Excel and LibreOffice in Swedish), SEK after "
     "the amount, a minus sign: all load to the öre",
     [loaded("ledger", L, N, amount_sum=str(total))])
# plausibility against the other sources
rows = set_cells(ledger_rows(), 6, {5: "1 500 000,00"})
w("36_ledger_line_over_budget", L, csv_text(LEDGER_HEAD, rows))
case("36_ledger_line_over_budget", "ledger",
     "One line of 1 500 000 kr on an activity whose whole budget is 100 000 kr (a typo of 1 500,00?): the file "
     "is held with the line and the budget shown, until corrected or accepted (validation.accept_over_budget)",
     [held(L, "accept_over_budget")])
overlap = ref[:]
overlap.append(f"2380;Östersund;Jämtland;västra;{luhn_complete('212099999')};RUN-2380B;2024-01-01;")
w("37_members_overlap", "medlemmar.csv", "\n".join(overlap) + "\n")
case("37_members_overlap", "members",
     "A second open membership for Östersund with another organisation number (would move its invoice): an "
     "error naming both periods, the members loaded before stay",
     [rejected("medlemmar.csv", "2380")])
w("38_agreements_overlap", "avtal.csv", "Från år;Till år;Kr per invånare\n2020;2022;2\n2023;2023;1\n2024;2027;2\n"
  "2025;2025;5\n")
case("38_agreements_overlap", "agreements",
     "Two rates for 2025 (2 kr and 5 kr): an error naming both rows, never resolved by row order",
     [rejected("avtal.csv", "överlappar")])
# collection: every entry of the inbox accounted for
w("39_file_in_subfolder", F, csv_text(REG_HEAD, reg_rows()))
case("39_file_in_subfolder", "registrations",
     "A file in a subfolder of its source (registrations/2025/): the folder is listed as set aside with the "
     "reason, its files are not read",
     [aside(F, "undermapp", place=f"registrations/2025/{F}", entry="2025")])
w("40_folder_other_case", F, csv_text(REG_HEAD, reg_rows()))
case("40_folder_other_case", "registrations",
     "The source's folder named Registrations/: found whatever its case, the file loads",
     [{**loaded("registrations", F, N), "place": f"Registrations/{F}"}])
w("41_system_and_lock_files", F, csv_text(REG_HEAD, reg_rows()))
w("41_system_and_lock_files", "Thumbs.db", b"\x00\x01binary thumbnail cache")
w("41_system_and_lock_files", "~$anmalningar_2025.xlsx", b"\x00lock")
w("41_system_and_lock_files", "README.md", "# Anmälningar\nLägg filerna här.\n")
w("41_system_and_lock_files", ".DS_Store", b"\x00\x00\x00\x01Bud1")
case("41_system_and_lock_files", "registrations",
     "Thumbs.db, a lock file, README.md and .DS_Store beside the data: each set aside with its reason, the data "
     "loads and the run is not blocked",
     [loaded("registrations", F, N), aside("Thumbs.db", "systemfil"), aside("~$anmalningar_2025.xlsx", "låsfil"),
      aside("README.md", "filtypen .md"), aside(".DS_Store", "dold fil")])
w("42_copy_named_kopia", F, csv_text(REG_HEAD, reg_rows()))
w("42_copy_named_kopia", "anmalningar_2025 - Kopia.csv", csv_text(REG_HEAD, reg_rows()))
case("42_copy_named_kopia", "registrations",
     "The same file saved twice (… - Kopia.csv): the copy is named as such, the original's rows load once",
     [loaded("registrations", F, N),
      {"name": "anmalningar_2025 - Kopia.csv", "status": "copy", "reason_keyword": F}])
w("43_export_date_in_name", "anmalningar_vt2025_export_2026-01-15.csv", csv_text(REG_HEAD, reg_rows()))
case("43_export_date_in_name", "registrations",
     "An export date in the name (…_export_2026-01-15): the file belongs to 2025, the year that is not a date",
     [loaded("registrations", "anmalningar_vt2025_export_2026-01-15.csv", N)])
w("44_later_year", "anmalningar_2026.csv", csv_text(REG_HEAD, reg_rows()))
case("44_later_year", "registrations", "A 2026 file in the inbox during the 2025 run: listed as 2026's, not read",
     [aside("anmalningar_2026.csv", "2026")])
w("45_unsupported_type", "anmalningar_2025.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
w("45_unsupported_type", "anmalningar_2025.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel")
case("45_unsupported_type", "registrations", "A PDF and an old .xls: set aside naming the type (save as CSV or .xlsx)",
     [aside("anmalningar_2025.pdf", ".pdf"), aside("anmalningar_2025.xls", ".xls")])
w("46_name_two_years", "anmalningar_2024_2025.csv", csv_text(REG_HEAD, reg_rows()))
case("46_name_two_years", "registrations", "A name with two years (2024 and 2025): set aside, never guessed",
     [aside("anmalningar_2024_2025.csv", "flera år")])
w("47_file_named_like_source", "registrations", "not a folder\n")
case("47_file_named_like_source", "registrations",
     "A file named registrations at the inbox's top (not the folder): set aside with the reason",
     [aside("registrations", "inte en mapp", place="registrations", entry="registrations")])
# readers
w("48_utf16_tab", F, csv_text(REG_HEAD, reg_rows(), sep="\t"), "utf-16")
case("48_utf16_tab", "registrations", "Excel's 'Unicode text': UTF-16 with BOM, tab-separated: loads",
     [loaded("registrations", F, N)])
import unicodedata  # noqa: E402

w("49_nfd_headings", F, csv_text(unicodedata.normalize("NFD", REG_HEAD), reg_rows()))
case("49_nfd_headings", "registrations", "A Mac export: Å/Ä/Ö in the headings decomposed (NFD): loads",
     [loaded("registrations", F, N)])
w("50_invisible_in_headings", F, csv_text(REG_HEAD.replace("Status", "Status\u200b").replace("E-post", "E-post\u00a0"),
                                          reg_rows()))
case("50_invisible_in_headings", "registrations",
     "A zero-width space and a no-break space in the headings: removed before mapping, the file loads",
     [loaded("registrations", F, N)])
w("51_heading_twice", F, csv_text(REG_HEAD + ";E-postadress", [r + ";annan@example.se" for r in reg_rows()]))
case("51_heading_twice", "registrations",
     "Two columns for one field (E-post and E-postadress): rejected naming both, never guessed",
     [rejected(F, "heading_twice")])
w("52_line_separator_in_title", F, "Anmälningar\u2028utdrag 2025\r\n" + csv_text(REG_HEAD, reg_rows()))
case("52_line_separator_in_title", "registrations",
     "A U+2028 line separator in the title line: one line as the CSV reader sees it, no row lost or shifted",
     [loaded("registrations", F, N)])
w("53_cr_line_ends", F, csv_text(REG_HEAD, reg_rows()).replace("\r\n", "\r"))
case("53_cr_line_ends", "registrations", "Classic Mac line ends (CR only): loads", [loaded("registrations", F, N)])
X = "anmalningar_2025.xlsx"
REG_LINES = [REG_HEAD] + reg_rows()


def _second_sheet(book, sheet):
    sheet.title = "Instruktioner"
    sheet.delete_rows(1, len(REG_LINES))
    sheet.append(["Fyll i bladet Anmälningar"])
    data = book.create_sheet("Anmälningar")
    for line in REG_LINES:
        data.append(line.split(";"))


xlsx("54_data_on_second_sheet", X, REG_LINES, _second_sheet)
case("54_data_on_second_sheet", "registrations",
     "An instructions sheet first, the data on the second: rejected naming the sheet that has the heading",
     [rejected(X, "Anmälningar")])
xlsx("55_merged_cells", X, REG_LINES, lambda b, s: s.merge_cells("A5:A9"))
case("55_merged_cells", "registrations",
     "Cells merged across five data rows (the value only in the first): rejected naming the range",
     [rejected(X, "A5:A9")])


def _formulas(book, sheet):
    sheet["G4"] = '=IF(1,"deltog","")'


xlsx("56_formula_without_value", X, REG_LINES, _formulas)
case("56_formula_without_value", "registrations",
     "A formula saved without a computed value (a file written by a program): rejected naming the cell",
     [rejected(X, "G4")])


def _hidden(book, sheet):
    sheet.row_dimensions[7].hidden = True
    sheet.row_dimensions[8].hidden = True


xlsx("57_hidden_rows", X, REG_LINES, _hidden)
case("57_hidden_rows", "registrations",
     "Two data rows hidden in Excel: rejected naming the rows (neither loaded nor skipped without a decision)",
     [rejected(X, "7, 8")])
rows = set_cells(eval_rows(), 8, {4: q("x" * 200_000)})
w("58_field_over_128kb", E, csv_text(EVAL_HEAD, rows))
case("58_field_over_128kb", "evaluations", "A free-text field of 200 000 characters: rejected naming its line",
     [rejected(E, "Rad 6")])
rows = ledger_rows()
total = sum(Decimal(r.split(";")[6].replace(",", ".")) for r in rows)
w("59_total_row_variants", L, csv_text(LEDGER_HEAD, rows + [f"S:a;;;;;;{str(total).replace('.', ',')};"]))
case("59_total_row_variants", "ledger", "A total row that starts 'S:a': not a data row, checked against the lines",
     [loaded("ledger", L, N, amount_sum=str(total))])
rows = reg_rows()
w("60_title_and_blank_lines", F, "Anmälningar till RUN 2025\r\nUtdrag ur anmälningssystemet\r\n\r\n"
  + csv_text(REG_HEAD, rows[:10]) + "\r\n\r\n" + "\r\n".join(rows[10:]) + "\r\n")
case("60_title_and_blank_lines", "registrations",
     "Two title lines and blank lines above and among the rows: 30 rows, none lost, row numbers as in Excel",
     [loaded("registrations", F, N)])
rows = set_cells(eval_rows(), 8, {2: q("Bra;\r\nmen för kort"), 3: q('Hon sa "tack"')})
w("61_quoted_free_text", E, csv_text(EVAL_HEAD, rows))
case("61_quoted_free_text", "evaluations",
     "Free text with a semicolon, a line break and quotes inside quotes: one row each, the text as written",
     [loaded("evaluations", E, N, literal_values=['Hon sa "tack"'])])
print(sorted(x.name for x in BAD.iterdir()))
