"""Read a partner file, whatever its dialect, into a frame of strings with canonical column names.

Handles: CSV with sniffed delimiter (``;``, ``,``, tab), encodings UTF-8, UTF-8 with BOM and
cp1252, UTF-16, ``.xlsx`` (first sheet or a configured one; merged cells, hidden rows and formulas
without a value below the heading reject the file, :mod:`runreport.ingest.xlsx_layout`), title lines above the heading row (as in SCB
exports), blank lines, trailing total rows ("Summa …"), and the SCB wide population layout.

Row numbers (``_row``) are the line in the partner's file as a spreadsheet shows it (the heading row
of a plain CSV is row 1, so its first data row is row 2), so a steward finds "rad 110" by scrolling
to row 110 in Excel.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd

from runreport.ingest.mapping import map_headings, mapped_twice, normalise_heading
from runreport.schema import SOURCES

TOTAL_ROW = re.compile(r"^\s*(summa|totalt?|total summa|s:a)\b", re.IGNORECASE)
YEAR_HEADING = re.compile(r"^(19|20)\d\d$")


class FileRejected(Exception):
    """The whole file cannot be read; ``rule`` names what is wrong."""

    def __init__(self, rule: str, reason_sv: str, reason_en: str):
        super().__init__(f"{reason_sv} / {reason_en}")
        self.rule = rule
        self.reason_sv = reason_sv
        self.reason_en = reason_en


@dataclass
class RawTable:
    df: pd.DataFrame                     # canonical columns as strings, plus ``_row``
    encoding: str
    delimiter: str | None
    ignored_columns: list[str] = field(default_factory=list)
    blank_rows: int = 0
    total_rows: list[int] = field(default_factory=list)
    declared_total: str | None = None    # the value in the total row's amount column, if any


_LINE_END = re.compile(r"\r\n|\r|\n")


def lines(text: str) -> list[str]:
    """The text's lines as the CSV reader sees them: only CR, LF and CRLF end a line (a U+2028 or a
    form feed inside a title or a cell does not, unlike ``str.splitlines``)."""
    out = _LINE_END.split(text)
    return out[:-1] if out and out[-1] == "" else out


def decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):   # UTF-16 with its byte order mark (Excel "Unicode text")
        return data.decode("utf-16"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(lines: list[str]) -> str:
    best, best_score = ";", -1
    sample = [ln for ln in lines if ln.strip()][:30]
    for cand in (";", "\t", ","):
        counts = [len(next(csv.reader([ln], delimiter=cand))) - 1 for ln in sample]
        counts = [c for c in counts if c > 0]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode) * mode
        if score > best_score:
            best, best_score = cand, score
    return best


_READS: dict[tuple, RawTable | tuple[str, str, str]] | None = None   # inside once_per_step()


@contextlib.contextmanager
def once_per_step() -> Iterator[None]:
    """Inside the block, a file read with ``read_table(..., again=True)`` is read once, not twice.

    The validate step reads the registrations twice (first the registrants' names, so that every
    file of the run masks them, then the file's check): the workbook's parse (openpyxl, 0.2 s per
    thousand rows), its layout scan and the heading search each ran twice. The first read keeps its
    result (or its rejection's reason) for the second, which takes it: the block holds only the files
    read once and still to be read again, never the whole inbox, and never past the step."""
    global _READS
    outer = _READS
    _READS = {} if outer is None else outer
    try:
        yield
    finally:
        _READS = outer


def _read_key(data: bytes, file_name: str, source: str, mappings: dict, sheet: str | None) -> tuple:
    import json

    return (hashlib.sha256(data).hexdigest(), file_name, source, sheet,
            json.dumps(mappings, sort_keys=True, default=str))


def _parse_xlsx(data: bytes, sheet: str | None) -> list[list[str]]:
    """The sheet's rows as text, read by openpyxl's public API (read-only, cached values).

    One reader decides what a cell holds: a date cell is its ISO date, a whole float its integer,
    an error cell (``#N/A``) its text, which the field's parser then names."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    rows = []
    for row in ws.iter_rows(values_only=True):
        out = []
        for v in row:
            if v is None:
                out.append("")
            elif isinstance(v, dt.datetime):
                out.append(v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" "))
            elif isinstance(v, dt.date):
                out.append(v.isoformat())
            elif isinstance(v, float) and v.is_integer():
                out.append(str(int(v)))
            else:
                out.append(str(v))
        rows.append(out)
    wb.close()
    return rows


def _sheets_with_heading(data: bytes, source: str, mappings) -> list[str]:
    """The other sheets of a workbook whose first rows hold the source's heading row."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        found = []
        for ws in wb.worksheets[1:]:
            head = [["" if v is None else str(v) for v in row]
                    for row in ws.iter_rows(max_row=60, values_only=True)]
            if _find_header(head, source, mappings)[0] >= 0:
                found.append(ws.title)
        return found
    finally:
        wb.close()


def _find_header(rows: list[list[str]], source: str, mappings) -> tuple[int, dict[int, str]]:
    required = SOURCES[source].required
    best = (-1, {})
    for i, row in enumerate(rows[:40]):
        found = map_headings(source, row, mappings)
        if source == "population" and found and any(YEAR_HEADING.match(str(c).strip().strip('"')) for c in row):
            return i, found
        if len(found) >= min(2, len(required)) and len(found) > len(best[1]):
            best = (i, found)
            if all(r in found.values() for r in required):
                break
    return best


MAX_XLSX_UNPACKED = 200 * 1024 * 1024      # bytes of XML a workbook may unpack to
MAX_SHARED_STRINGS = 50 * 1024 * 1024      # bytes of its shared-strings part
CSV_FIELD_LIMIT = 128 * 1024               # characters in one CSV field


def check_xlsx_size(data: bytes, max_unpacked: int = MAX_XLSX_UNPACKED,
                    max_strings: int = MAX_SHARED_STRINGS) -> None:
    """Reject a workbook whose unpacked size or shared strings pass the limits, from the zip's own
    directory, before anything is decompressed (a 1 MB zip bomb would take gigabytes)."""
    import io
    import zipfile

    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile:
        return  # not a zip at all: the reader rejects it as an unreadable workbook, as before
    total = sum(i.file_size for i in infos)
    strings = sum(i.file_size for i in infos if i.filename.lower().endswith("sharedstrings.xml"))
    if total > max_unpacked or strings > max_strings:
        mb = total / 1024 / 1024
        raise FileRejected("xlsx_too_large",
                           f"Excel-filen packas upp till {mb:.0f} MB, gränsen är {max_unpacked // 1024 // 1024} MB: "
                           "spara den som CSV eller dela upp den",
                           f"The Excel file unpacks to {mb:.0f} MB, the limit is {max_unpacked // 1024 // 1024} MB")


def check_csv_fields(text: str, limit: int = CSV_FIELD_LIMIT) -> None:
    """Name the line of a field longer than ``limit`` characters instead of crashing the reader."""
    if len(text) <= limit:
        return
    for number, line in enumerate(lines(text), start=1):
        if len(line) > limit and max((len(f) for f in line.split(";")), default=0) > limit:
            raise FileRejected("field_too_large",
                               f"Rad {number} har ett fält längre än {limit // 1024} kB: kontrollera exporten",
                               f"Line {number} has a field longer than {limit // 1024} kB: check the export")


def read_table(data: bytes, file_name: str, source: str, mappings: dict, sheet: str | None = None, *,
               again: bool = False) -> RawTable:
    """The file's rows as strings under canonical column names (:class:`RawTable`), or
    :class:`FileRejected` naming why the whole file cannot be read. ``again``: inside
    :func:`once_per_step`, the caller will read the same file once more in the step, and that read
    takes this one's result instead of reading the file again (each gets its own frame)."""
    if _READS:
        kept = _READS.pop(_read_key(data, file_name, source, mappings, sheet), None)
        if isinstance(kept, tuple):
            raise FileRejected(*kept)
        if kept is not None:
            return kept
    if not again or _READS is None:
        return _read_table(data, file_name, source, mappings, sheet)
    key = _read_key(data, file_name, source, mappings, sheet)
    try:
        table = _read_table(data, file_name, source, mappings, sheet)
    except FileRejected as exc:
        _READS[key] = (exc.rule, exc.reason_sv, exc.reason_en)   # the reason, not the bytes its traceback holds
        raise
    _READS[key] = table
    import dataclasses

    return dataclasses.replace(table, df=table.df.copy(), ignored_columns=list(table.ignored_columns),
                               total_rows=list(table.total_rows))


def _read_table(data: bytes, file_name: str, source: str, mappings: dict, sheet: str | None) -> RawTable:
    if len(data) == 0:
        raise FileRejected("empty_file", "Filen är tom (0 byte)", "The file is empty (0 bytes)")
    if data[:2] == b"PK":
        check_xlsx_size(data)
        try:
            rows = _parse_xlsx(data, sheet)
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook is a rejected file
            raise FileRejected("unreadable_xlsx", f"Excelfilen kan inte läsas ({exc})",
                               f"The Excel file cannot be read ({exc})") from exc
        encoding, delimiter, text = "xlsx", None, None
    else:
        if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise FileRejected("binary_file", "Filen är inte en textfil (binärt innehåll) trots namnet",
                               "The file is not a text file (binary content) despite its name")
        text, encoding = decode(data)
        check_csv_fields(text)
        head = lines(text[:200_000])[:60]
        delimiter = sniff_delimiter(head)
        rows = list(csv.reader(head, delimiter=delimiter))
    if not any(any(c.strip() for c in r) for r in rows):
        raise FileRejected("empty_file", "Filen innehåller inga rader", "The file contains no rows")

    header_idx, colmap = _find_header(rows, source, mappings)
    if header_idx < 0 and text is None and sheet is None:
        elsewhere = _sheets_with_heading(data, source, mappings)
        if elsewhere:
            names = ", ".join(f"'{n}'" for n in elsewhere)
            raise FileRejected(
                "heading_on_other_sheet",
                f"Första bladet har ingen rubrikrad med kända kolumnnamn, men bladet {names} har det: lägg det "
                "bladet först (eller ange bladet i konfigurationen)",
                f"The first sheet has no heading row with known column names, but the sheet {names} has: "
                "move that sheet first")
    if header_idx < 0:
        raise FileRejected(
            "no_heading_row",
            "Hittar ingen rubrikrad med kända kolumnnamn (se docs/data-contract.md)",
            "No heading row with known column names found (see docs/data-contract.md)",
        )
    headings = [str(h).strip() for h in rows[header_idx]]
    twice = mapped_twice(source, headings, mappings)
    if twice:
        field_name, names = next(iter(twice.items()))
        shown = " och ".join(f"'{n}'" for n in names)
        raise FileRejected("heading_twice",
                           f"Kolumnerna {shown} betyder båda fältet {field_name}: vilken som gäller går inte att "
                           "avgöra, ta bort eller byt namn på den ena",
                           f"The columns {shown.replace(' och ', ' and ')} both stand for the field {field_name}: "
                           "remove or rename one of them")

    if text is not None:
        try:
            body = pd.read_csv(
                io.StringIO(text), sep=delimiter, header=None, skiprows=header_idx + 1, dtype=str,
                keep_default_na=False, skip_blank_lines=False, names=list(range(len(headings))),
                engine="c", index_col=False,
            )
        except pd.errors.ParserError as exc:
            raise FileRejected("malformed_csv", f"Raderna har fel antal fält: {exc}",
                               f"Rows have the wrong number of fields: {exc}") from exc
        except pd.errors.EmptyDataError:
            body = pd.DataFrame(columns=list(range(len(headings))), dtype=str)
    else:
        n = len(headings)
        data_rows = [r if len(r) == n else (r + [""] * (n - len(r)))[:n] for r in rows[header_idx + 1:]]
        body = pd.DataFrame(data_rows, columns=list(range(len(headings))), dtype=str)
    body = body.fillna("")
    body["_row"] = range(header_idx + 2, header_idx + 2 + len(body))

    cells = body.drop(columns="_row").apply(lambda s: s.astype(str).str.strip())
    blank = (cells == "").all(axis=1)
    # trailing total rows: the last non-blank rows whose leading cell says Summa/Totalt
    total_rows: list[int] = []
    declared_total = None
    nonblank_idx = list(body.index[~blank])
    while nonblank_idx:
        i = nonblank_idx[-1]
        lead = [c for c in cells.loc[i].tolist()[:4] if c]
        if lead and TOTAL_ROW.match(lead[0]):
            total_rows.append(int(body.at[i, "_row"]))
            amount_col = next((k for k, v in colmap.items() if v == "amount_sek"), None)
            if amount_col is not None and declared_total is None:
                declared_total = cells.at[i, amount_col] or next(
                    (c for c in reversed(cells.loc[i].tolist()) if c), None)
            nonblank_idx.pop()
        else:
            break
    keep = ~blank & ~body["_row"].isin(total_rows)
    blank_rows = int(blank.sum())
    body = body[keep]
    if text is None:   # a workbook: what the value reader cannot see in the data rows
        from runreport.ingest import xlsx_layout

        found = xlsx_layout.findings(xlsx_layout.scan(data, sheet), set(body["_row"].astype(int)))
        if found:
            raise FileRejected(found[0][0], ". ".join(f[1] for f in found), ". ".join(f[2] for f in found))

    if source == "population":
        return _population_long(body, headings, colmap, encoding, delimiter, blank_rows, total_rows)

    out = pd.DataFrame({canon: body[idx].astype(str) for idx, canon in colmap.items()})
    out["_row"] = body["_row"].astype(int).to_numpy()
    missing = [f for f in SOURCES[source].required if f not in out.columns]
    if missing:
        from runreport.ingest.mapping import partner_headings

        named = [partner_headings(source, f) for f in missing]
        wanted_sv = "; ".join(f"{n[0]} (godtas också: {', '.join(n[1:])})" if len(n) > 1 else n[0] for n in named)
        raise FileRejected(
            "missing_column",
            f"{'Kolumnen' if len(missing) == 1 else 'Kolumnerna'} {wanted_sv} saknas "
            f"(rubriker i filen: {', '.join(headings)})",
            f"Required column missing: {', '.join(missing)} (headings in the file: {', '.join(headings)})",
        )
    for f in SOURCES[source].fields:
        if f.name not in out.columns:
            out[f.name] = ""
    ignored = [h for i, h in enumerate(headings) if i not in colmap and h]
    return RawTable(out.reset_index(drop=True), encoding, delimiter, ignored, blank_rows, total_rows,
                    declared_total)


def _population_long(body, headings, colmap, encoding, delimiter, blank_rows, total_rows) -> RawTable:
    region_col = next((k for k, v in colmap.items() if v == "municipality_code"), 0)
    year_cols = [(i, h.strip().strip('"')) for i, h in enumerate(headings) if YEAR_HEADING.match(h.strip().strip('"'))]
    if not year_cols:
        raise FileRejected("missing_column", "Inga årskolumner i befolkningsfilen (SCB-format: region;2019;2020;…)",
                           "No year columns in the population file (SCB layout: region;2019;2020;…)")
    # footnotes (e.g. "Källa: SCB") have a region text and no figures: not data
    figures = body[[i for i, _ in year_cols]].apply(lambda s: s.astype(str).str.strip())
    is_note = (figures == "").all(axis=1) & ~body[region_col].astype(str).str.match(r"^\s*\d{4}\b")
    body = body[~is_note]
    parts = []
    for i, year in year_cols:
        parts.append(pd.DataFrame({
            "municipality_code": body[region_col].astype(str).to_numpy(),
            "year": year,
            "population": body[i].astype(str).to_numpy(),
            "_row": body["_row"].astype(int).to_numpy(),
        }))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["municipality_code", "year", "population", "_row"])
    out = out.sort_values(["_row", "year"], kind="stable").reset_index(drop=True)
    return RawTable(out, encoding, delimiter, [], blank_rows + int(is_note.sum()), total_rows, None)


__all__ = ["FileRejected", "RawTable", "read_table", "normalise_heading"]
