"""Reading partner files: dialects, encodings, layouts. Real bytes, real readers."""

import io
import re
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

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


# --- .xlsx: one reader (openpyxl's public API), on workbooks as partners and Excel make them ----


def _xlsx_bytes(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rewrite(data: bytes, edit) -> bytes:
    """The workbook with ``edit(name, bytes) -> bytes`` applied to each of its parts."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, edit(info.filename, zin.read(info.filename)))
    return out.getvalue()


def _with_shared_strings(data: bytes) -> bytes:
    """openpyxl writes inline strings; Excel writes a shared string table: turn the one into the other."""
    import re
    import zipfile

    strings: list[bytes] = []  # taken over as they are in the XML (already escaped)

    def to_shared(m):
        strings.append(m.group(2))
        return m.group(1) + b't="s"><v>%d</v></c>' % (len(strings) - 1)

    def edit(name, blob):
        if name.startswith("xl/worksheets/sheet"):
            return re.sub(rb'(<c [^>]*?)t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>', to_shared, blob, flags=re.S)
        if name == "[Content_Types].xml":
            return blob.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        if name == "xl/_rels/workbook.xml.rels":
            return blob.replace(b"</Relationships>", b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats'
                                b'.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                b"</Relationships>")
        return blob

    out = io.BytesIO(_rewrite(data, edit))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   + b"".join(b'<si><t xml:space="preserve">%s</t></si>' % t for t in strings) + b"</sst>")
    assert b"<is>" not in zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml")
    return out.getvalue()


def _partner_workbook():
    """A registrations export as partners make them: a blank first row, title rows above the heading,
    a blank first column, real dates and datetimes, numbers, empty cells, and a named second sheet."""
    import datetime as dt

    wb = Workbook()
    ws = wb.active
    ws.title = "Anmälningar"
    ws["B2"] = "Anmälningar till RUN-aktiviteter"
    ws["B3"] = "Utdrag 2025-03-01"
    ws.append([])
    ws.append([None, "Aktivitet", "Namn", "E-post", "Kommun/organisation", "Roll", "Anmälningsdatum", "Status",
               "Antal", "Belopp"])
    rows = [
        ["RUN25-01", "Anna Berg", "anna@example.se", "Östersunds kommun", "Lärare", dt.date(2025, 3, 4),
         "deltog", 3, 1250.5],
        ["RUN25-01", "Per Ek", "per@example.se", 2281, None, dt.datetime(2025, 3, 5), "anmäld", 2.0, -400],
        ["RUN25-02", "  Eva Ö  ", "", "SPSM", "Rektor", dt.datetime(2025, 3, 6, 14, 30), "deltog", None, 0.1 + 0.2],
        [None, None, None, None, None, None, None, None, None],
        ["RUN25-02", "Ola", "ola@example.se", "Sundsvall", "", "2025-03-07", "avbokad", 1e20, 12345678901234],
        ["RUN25-03", "Kim", "kim@example.se", "Gotham kommun", True, dt.date(1900, 1, 1), "deltog", -0.0, 1 / 3],
    ]
    for r in rows:
        ws.append([None, *r])
    ws["F14"] = dt.time(8, 15)
    ws["B16"] = "Summa"
    ws["J16"] = "=SUM(J6:J11)"  # a formula without a cached value
    for cell in ("G6", "G7", "G8", "G11"):
        ws[cell].number_format = "yyyy-mm-dd"
    ws["G8"].number_format = "yyyy-mm-dd hh:mm"
    second = wb.create_sheet("Höst")
    second.append(["Aktivitet", "Namn", "E-post", "Kommun/organisation", "Anmälningsdatum", "Status"])
    second.append(["RUN25-09", "Lo", "lo@example.se", "2380", dt.date(2025, 9, 1), "anmäld"])
    return wb



def _fallback_cases():
    import datetime as dt

    def book(value, number_format=None):
        wb = Workbook()
        ws = wb.active
        ws.append(["Aktivitet", "Namn", "E-post", "Kommun/organisation", "Anmälningsdatum", "Status"])
        ws.append(["RUN25-01", "Anna", "anna@example.se", "2380", value, "deltog"])
        if number_format:
            ws["E2"].number_format = number_format
        return _xlsx_bytes(wb)

    return {
        "error cell": book("#N/A"),
        "escaped carriage return": book("2025-03-04_x000D_"),
        "date serial out of range": book(3_000_000, "yyyy-mm-dd"),
        "negative date serial": book(-5, "yyyy-mm-dd"),
        "sub-second time": book(dt.datetime(2025, 3, 4, 10, 0, 0, 123000)),
        "quoted text in a date format": book(45000, '"Datum "yyyy-mm-dd'),
        # openpyxl writes big integers as floats; other writers keep all digits, which openpyxl reads exactly
        "16-digit integer": _rewrite(book(1), lambda n, b: b.replace(b"<v>1</v>", b"<v>12345678901234567</v>")),
    }



@pytest.mark.parametrize("shared_strings", [False, True])
@pytest.mark.parametrize("sheet", [None, "Höst"])
def test_xlsx_partner_workbook(mappings, shared_strings, sheet):
    """Excel's shared-string table and openpyxl's inline strings read the same; the spreadsheet's own
    row numbers, title rows, blank rows, the total row and every kind of cell value."""
    data = _xlsx_bytes(_partner_workbook())
    if shared_strings:
        data = _with_shared_strings(data)
    table = read_table(data, "anmalningar_2025.xlsx", "registrations", mappings, sheet=sheet)
    if sheet is None:
        assert list(table.df["_row"]) == [6, 7, 8, 10, 11, 14]
        assert table.total_rows == [16] and table.blank_rows == 4
        assert list(table.df["registration_date"]) == ["2025-03-04", "2025-03-05", "2025-03-06 14:30:00",
                                                        "2025-03-07", "1900-01-01", ""]
        assert list(table.df["organisation"])[1] == "2281" and list(table.df["role"])[4:] == ["True", "08:15:00"]
    else:
        assert list(table.df["_row"]) == [2] and list(table.df["registration_date"]) == ["2025-09-01"]


@pytest.mark.filterwarnings("ignore:Cell E2 is marked as a date:UserWarning")  # openpyxl on 3 000 000
@pytest.mark.parametrize("case,shown", [
    ("error cell", "#N/A"),                                       # the parser then names it
    ("escaped carriage return", "2025-03-04_x000D_"),
    ("date serial out of range", "#VALUE!"),                       # openpyxl: no such date
    ("sub-second time", "2025-03-04 10:00:00.123000"),
    ("quoted text in a date format", "2023-03-15"),
    ("16-digit integer", "12345678901234567"),                    # every digit, no float on the way
])
def test_xlsx_odd_cells_are_read_as_they_are(mappings, case, shown):
    data = _fallback_cases()[case]
    table = read_table(data, "anmalningar_2025.xlsx", "registrations", mappings)
    assert len(table.df) == 1
    assert table.df["registration_date"].iloc[0] == shown


@pytest.mark.parametrize("data,sheet", [(b"PK\x03\x04 not a zip at all", None), (None, "Saknas")])
def test_unreadable_xlsx_is_rejected_as_before(mappings, data, sheet):
    data = data or _xlsx_bytes(_partner_workbook())
    with pytest.raises(FileRejected) as exc:
        read_table(data, "anmalningar_2025.xlsx", "registrations", {}, sheet=sheet)
    assert exc.value.rule == "unreadable_xlsx"
    assert exc.value.reason_en.startswith("The Excel file cannot be read (")


# --- exports as partners' programs write them (issue 14) ---------------------------------------------

def test_utf16_export_reads_like_any_other(mappings):
    """Excel's "Unicode text" is UTF-16 with a byte order mark and tabs: not "binary content"."""
    for encoding in ("utf-16", "utf-16-be"):
        data = REG.replace(";", "\t").encode(encoding)
        if encoding == "utf-16-be":
            data = b"\xfe\xff" + data
        t = read_table(data, "anmalningar_2025.txt", "registrations", mappings)
        assert list(t.df["organisation"]) == ["Östersunds kommun", "2281"] and t.encoding == "utf-16"


@pytest.mark.parametrize("heading", [
    "Kommun/organisation".replace("ö", "o\u0308"),       # a Mac export: decomposed ö
    "Kommun/\u200borganisation",                          # a zero-width space inside
    "Kommun/organisation\u00a0",                          # a trailing no-break space
    "\ufeffKommun/organisation",                          # a stray byte order mark
])
def test_headings_that_look_the_same_are_the_same(mappings, heading):
    import unicodedata

    text = REG.replace("Kommun/organisation", heading)
    if heading[0] != "\ufeff":
        text = text.replace("Östersunds", unicodedata.normalize("NFD", "Östersunds"))
    t = read_table(text.encode("utf-8"), "anmalningar_2025.csv", "registrations", mappings)
    assert "organisation" in t.df.columns and list(t.df["_row"]) == [2, 4]


def test_two_columns_for_one_field_are_not_guessed(mappings):
    text = REG.replace("Roll;", "Roll;Kommun/organisation;").replace("Lärare;", "Lärare;2380;").replace(
        "Rektor;", "Rektor;2281;")
    with pytest.raises(FileRejected) as exc:
        read_table(text.encode("utf-8"), "anmalningar_2025.csv", "registrations", mappings)
    assert exc.value.rule == "heading_twice"
    assert "'Kommun/organisation' och 'Kommun/organisation'" in exc.value.reason_sv


def test_a_line_separator_in_a_title_line_does_not_shift_the_rows(mappings):
    """U+2028 and form feeds are not line ends for the CSV reader: the row numbers stay the file's."""
    text = "Anmälningar\u2028utdrag mars\n\n" + REG
    t = read_table(text.encode("utf-8"), "anmalningar_2025.csv", "registrations", mappings)
    assert list(t.df["_row"]) == [4, 6] and list(t.df["organisation"]) == ["Östersunds kommun", "2281"]


def test_data_on_another_sheet_is_named(mappings):
    wb = Workbook()
    wb.active.title = "Instruktioner"
    wb.active.append(["Fyll i bladet Anmälningar"])
    ws = wb.create_sheet("Anmälningar")
    for line in REG.strip().splitlines():
        ws.append(line.split(";") if line else [])
    with pytest.raises(FileRejected) as exc:
        read_table(_xlsx_bytes(wb), "anmalningar_2025.xlsx", "registrations", mappings)
    assert exc.value.rule == "heading_on_other_sheet" and "'Anmälningar'" in exc.value.reason_sv


def _workbook(change) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["Anmälningar 2025"])
    ws.merge_cells("A1:G1")                      # a title across the columns: above the heading, harmless
    for line in REG.splitlines():
        if line:
            ws.append(line.split(";"))
    ws.append(["RUN25-02", "Eva Lund", "eva@example.se", "2380", "Lärare", "2025-04-01", "deltog"])
    change(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_workbook_with_a_merged_title_reads(mappings):
    raw = read_table(_workbook(lambda ws: None), "a.xlsx", "registrations", mappings)
    assert raw.df["_row"].tolist() == [3, 4, 5]


def _hide(ws):
    ws.row_dimensions[4].hidden = True


def _merge(ws):
    ws.merge_cells("D3:D5")


def _formulas(ws):
    ws["G4"] = '=IF(1,"deltog","")'
    ws["G5"] = "=G4"


@pytest.mark.parametrize(("change", "rule", "said"), [
    (_hide, "hidden_rows", "Rad 4 är dold i Excel"),
    (_merge, "merged_cells", "sammanfogade celler bland raderna (D3:D5)"),
    (_formulas, "formula_without_value", "Cellerna G4, G5 innehåller formler utan beräknat värde"),
])
def test_what_the_value_reader_cannot_see_is_named(mappings, change, rule, said):
    """Merged cells, hidden rows with data and formulas saved without a value would each change
    what a row means without a word: the file is rejected naming the cells or rows."""
    with pytest.raises(FileRejected) as exc:
        read_table(_workbook(change), "a.xlsx", "registrations", mappings)
    assert exc.value.rule == rule and said in exc.value.reason_sv


def test_a_step_reads_a_file_once_when_it_says_it_will_read_it_again(mappings, monkeypatch):
    """Inside read.once_per_step() a file read with again=True is read once: the workbook parsed and
    its layout scanned once (the validate step reads the registrations twice). The second read takes
    the first's result and the step forgets it; a file read only once is never kept; each read gets
    its own frame; a rejection is given again with its reason; the memory ends with the block."""
    from runreport.ingest import read, xlsx_layout

    calls = {"parse": 0, "scan": 0}
    parse, scan = read._parse_xlsx, xlsx_layout.scan

    def counted_parse(*a, **k):
        calls["parse"] += 1
        return parse(*a, **k)

    def counted_scan(*a, **k):
        calls["scan"] += 1
        return scan(*a, **k)

    monkeypatch.setattr(read, "_parse_xlsx", counted_parse)
    monkeypatch.setattr(xlsx_layout, "scan", counted_scan)
    data = _xlsx_bytes(_partner_workbook())
    name = "anmalningar_2025.xlsx"
    plain = read_table(data, name, "registrations", mappings)
    assert calls == {"parse": 1, "scan": 1}
    with read.once_per_step():
        read_table(data, name, "registrations", mappings)            # read once only: not kept
        assert read._READS == {} and calls == {"parse": 2, "scan": 2}
        first = read_table(data, name, "registrations", mappings, again=True)
        first.df.iloc[0, 0] = "ändrad"        # a caller changing its frame changes nobody else's
        first.total_rows.append(99)
        assert len(read._READS) == 1
        second = read_table(data, name, "registrations", mappings)
        assert calls == {"parse": 3, "scan": 3} and read._READS == {}   # taken, then forgotten
        read_table(data, name, "registrations", mappings)
        assert calls == {"parse": 4, "scan": 4}
        with pytest.raises(FileRejected):
            read_table(b"", "tom.csv", "registrations", mappings, again=True)
        with pytest.raises(FileRejected) as exc:
            read_table(b"", "tom.csv", "registrations", mappings)
        assert exc.value.rule == "empty_file" and read._READS == {}
    assert read._READS is None
    assert second.df.equals(plain.df) and not first.df.equals(plain.df)
    assert second.total_rows == plain.total_rows


def _prefixed(data: bytes) -> bytes:
    """The workbook with its sheet's elements written with a namespace prefix (``<x:row …>``), as
    some exporters write them."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = body.decode("utf-8")
                text = re.sub(r"<(/?)(?!\?)([A-Za-z]+)([\s>/])", r"<\1x:\2\3", text)
                text = text.replace('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                                    'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"', 1)
                body = text.encode("utf-8")
            dst.writestr(item, body)
    return out.getvalue()


@pytest.mark.parametrize("change", [_hide, _merge, _formulas, lambda ws: ws.delete_rows(1)])
@pytest.mark.parametrize("prefix", [False, True])
def test_the_layout_scan_skips_only_sheets_without_such_markup(change, prefix, monkeypatch):
    """A sheet whose XML has no formula, hidden or merge markup is not parsed element by element;
    the layout found is the same as the full parse's, with the sheet's elements prefixed too."""
    from runreport.ingest import xlsx_layout

    data = _workbook(change)
    if change is not _merge:   # the title merged across the columns: take it away to see the skip
        wb = load_workbook(io.BytesIO(data))
        for ref in [str(r) for r in wb.active.merged_cells.ranges]:
            wb.active.unmerge_cells(ref)
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()
    if prefix:
        data = _prefixed(data)
    fast = xlsx_layout.scan(data)
    monkeypatch.setattr(xlsx_layout, "_MAY_HOLD", re.compile(rb""))   # every sheet parsed in full
    assert fast == xlsx_layout.scan(data)
    found = fast.hidden_rows or fast.merged or fast.formulas_without_value
    assert bool(found) == (change in (_hide, _merge, _formulas))


def _utf16(body: bytes) -> bytes:
    """The sheet's XML in UTF-16, which ECMA-376 allows for a part."""
    return body.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")


def _prefix_non_ascii(body: bytes) -> bytes:
    """The sheet's elements with a namespace prefix that is a non-ASCII name (``<ö:row …>``)."""
    text = re.sub(r"<(/?)(?!\?)([A-Za-z]+)([\s>/])", r"<\1ö:\2\3", body.decode("utf-8"))
    return text.replace('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                        'xmlns:ö="http://schemas.openxmlformats.org/spreadsheetml/2006/main"', 1).encode("utf-8")


@pytest.mark.parametrize("change", [_hide, _formulas])
@pytest.mark.parametrize("rewrite", [_utf16, _prefix_non_ascii])
def test_the_layout_scan_is_never_skipped_for_a_sheet_it_cannot_search(change, rewrite, mappings):
    """A sheet in UTF-16, or with a non-ASCII prefix, still has its hidden rows and formulas found
    and the file rejected (found by a review session: the fast path read such a sheet as plain)."""
    wb = load_workbook(io.BytesIO(_workbook(change)))
    for ref in [str(r) for r in wb.active.merged_cells.ranges]:
        wb.active.unmerge_cells(ref)
    buf = io.BytesIO()
    wb.save(buf)
    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            dst.writestr(item, rewrite(body) if item.filename == "xl/worksheets/sheet1.xml" else body)
    with pytest.raises(FileRejected) as exc:
        read_table(out.getvalue(), "a.xlsx", "registrations", mappings)
    assert exc.value.rule == ("hidden_rows" if change is _hide else "formula_without_value")


@pytest.mark.parametrize(("xml", "searchable"), [
    (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet/>', True),
    (b'\xef\xbb\xbf<?xml version="1.0" encoding="utf_8"?><worksheet/>', True),
    (b"<worksheet/>", True),
    (b"<?xml version='1.0' encoding='UTF-16'?><worksheet/>", False),
    ('<?xml version="1.0" encoding="UTF-16"?><worksheet/>'.encode("utf-16"), False),
    ('<worksheet/>'.encode("utf-16-be"), False),
])
def test_which_sheets_the_markup_search_can_read(xml, searchable):
    """Only a UTF-8 part is searched for markup as bytes; any other is parsed in full."""
    from runreport.ingest import xlsx_layout

    assert xlsx_layout._utf8(xml) is searchable


def test_a_row_hidden_in_a_dtd_entity_is_still_found(mappings):
    """A sheet with a document type declaration is parsed in full: an internal entity can carry a
    hidden row's markup as character references, which a search of the bytes does not see (found by
    a review session)."""
    wb = load_workbook(io.BytesIO(_workbook(_hide)))
    for ref in [str(r) for r in wb.active.merged_cells.ranges]:
        wb.active.unmerge_cells(ref)
    buf = io.BytesIO()
    wb.save(buf)

    def in_entity(body: bytes) -> bytes:
        text = body.decode("utf-8")
        row = re.search(r'<row r="4"[^>]*hidden="1"[^>]*>.*?</row>', text).group(0)
        coded = row.replace("<", "&#60;").replace(">", "&#62;").replace("hidden", "&#104;idden").replace("'", "&#39;")
        text = text.replace(row, "&r4;")
        declaration = text[:text.index("?>") + 2] if text.startswith("<?xml") else ""
        return (declaration + f"<!DOCTYPE worksheet [<!ENTITY r4 '{coded}'>]>"
                + text[len(declaration):]).encode("utf-8")

    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            dst.writestr(item, in_entity(body) if item.filename == "xl/worksheets/sheet1.xml" else body)
    sheet = zipfile.ZipFile(io.BytesIO(out.getvalue())).read("xl/worksheets/sheet1.xml")
    assert b"hidden" not in sheet and b"<!DOCTYPE" in sheet
    from runreport.ingest import xlsx_layout

    assert xlsx_layout.scan(out.getvalue()).hidden_rows == [4]
    with pytest.raises(FileRejected):   # never loaded as if the row were plain
        read_table(out.getvalue(), "a.xlsx", "registrations", mappings)
