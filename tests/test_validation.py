"""Validation of typed frames: GX suites -> RowIssues, quarantine policy, Data Docs, steward summary."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from runreport.quality import RowIssue, SourceRejected, ValidationContext
from runreport.validation.policy import decide
from runreport.validation.run import validate_frame
from runreport.validation.summary import FileResult, write_run_summary, write_summary

CTX = ValidationContext(
    tenant="RUN", year=2025,
    member_codes={"2380", "2281", "2284"},
    known_municipalities={"2380", "2281", "2284", "2318", "2262"},  # 2318, 2262 known, not members 2025
    partner_codes={"SPSM", "RJH"},
    activity_codes={"A-2025-01", "A-2025-02"},
    budget_activity_codes={"A-2025-01", "A-2025-02", "ORG-2025"},
)


def ints(*values):
    return pd.array(list(values), dtype="Int64")


def by_row(issues):
    out: dict[int, list[RowIssue]] = {}
    for i in issues:
        out.setdefault(i.row, []).append(i)
    return out


def evaluations_frame():
    return pd.DataFrame({
        "_row": [2, 3, 4, 5, 6, 7],
        "response_id": ["r1", "r2", "r3", "r4", "r5", "r1"],
        "activity_code": ["A-2025-01", "A-2025-01", "A-2025-99", "A-2025-02", "A-2025-02", "A-2025-01"],
        "session_no": ints(1, 1, 2, None, 1, 1),
        "org_code": ["2380", "SPSM", "2281", "9999", "2318", "2380"],  # the ingest's name for organisation
        "role": ["Lärare", None, "Rektor", None, None, "Lärare"],
        "q_overall": ints(5, 7, 4, 3, 2, 5),
        "q_relevance": ints(5, 5, 4, 3, 2, 5),
        "q_apply": ints(4, 5, 4, 3, 2, 4),
        "free_text": ["{{ config }}", "<&> och \"citat\"", None, "=SUMMA(A1)", None, "{{ config }}"],
        "submitted_date": [date(2025, 3, 4)] * 4 + [date(2024, 12, 31), date(2025, 3, 4)],
    })


def test_evaluations_row_issues():
    out = validate_frame("evaluations", evaluations_frame(), CTX)
    rows = by_row(out.issues)
    assert 2 not in rows  # a clean row
    (likert,) = rows[3]
    assert likert.field == "q_overall" and likert.rule == "expect_column_values_to_be_between"
    assert "Likertvärdet 7" in likert.reason_sv and "1–5" in likert.reason_sv
    assert "Likert value 7 is outside 1–5" in likert.reason_en
    assert not likert.critical
    (activity,) = rows[4]
    assert activity.field == "activity_code" and "A-2025-99" in activity.reason_sv
    (unknown,) = rows[5]
    assert unknown.field == "organisation" and "Okänd" in unknown.reason_sv and "9999" in unknown.reason_sv
    nonmember = {i.field: i for i in rows[6]}
    assert "inte medlem" in nonmember["organisation"].reason_sv and "2318" in nonmember["organisation"].reason_sv
    assert "not a member" in nonmember["organisation"].reason_en
    assert "2024-12-31" in nonmember["submitted_date"].reason_sv and "2025" in nonmember["submitted_date"].reason_sv
    (dup,) = rows[7]
    assert dup.rule == "expect_column_values_to_be_unique" and "rad 2" in dup.reason_sv
    assert set(rows) == {3, 4, 5, 6, 7}  # free text with {{ }}, <&> and = loads as literal text


def test_sessions_negative_seats_wrong_year_and_duplicate_key():
    df = pd.DataFrame({
        "_row": [1, 2, 3, 4],
        "activity_code": ["A-2025-01", "A-2025-01", "A-2025-02", "A-2025-01"],
        "session_no": ints(1, 2, 1, 1),
        "session_date": [date(2025, 2, 3), date(2026, 1, 10), date(2025, 4, 1), date(2025, 2, 3)],
        "form": ["C", "CD", "X", "C"],
        "place": ["Sundsvall", "digitalt", None, "Sundsvall"],
        "seats": ints(30, -3, None, 30),
    })
    rows = by_row(validate_frame("sessions", df, CTX).issues)
    assert 1 not in rows
    reasons = {i.field: i for i in rows[2]}
    assert "-3" in reasons["seats"].reason_sv and "negativt" in reasons["seats"].reason_sv
    assert "2026-01-10" in reasons["session_date"].reason_en
    assert rows[3][0].field == "form" and "C, CD, D" in rows[3][0].reason_sv
    (dup,) = rows[4]
    assert dup.rule == "expect_compound_columns_to_be_unique" and "rad 1" in dup.reason_sv


def test_registrations_personal_key_never_shown():
    df = pd.DataFrame({
        "_row": [2, 3, 4],
        "activity_code": ["A-2025-01", "A-2025-01", "B-1"],
        "org_code": ["2380", "2380", "2262"],
        "role": [None, None, None],
        "registration_date": [date(2024, 11, 2), date(2025, 1, 5), date(2025, 1, 5)],
        "status": ["anmäld", "deltog", "närvarade?"],
        "person_key": ["k1", "k1", "k2"],
    })
    out = validate_frame("registrations", df, CTX)
    rows = by_row(out.issues)
    assert 2 not in rows  # registration in the autumn before is fine
    (dup,) = rows[3]
    assert "k1" not in dup.reason_sv and "email" in dup.reason_sv
    fields = {i.field for i in rows[4]}
    assert fields == {"activity_code", "organisation", "status"}


def ledger_frame(amounts=("1234.50", "-200", "15.50")):
    return pd.DataFrame({
        "_row": [2, 3, 4],
        "voucher_no": ["V1", "V1", "V2"],
        "line_no": ints(1, 2, 1),
        "booking_date": [date(2025, 1, 2), date(2024, 12, 30), date(2025, 6, 1)],
        "account": ["4010", "5410", "40A0"],
        "activity_code": ["A-2025-01", "ORG-2025", "NOPE"],
        "counterparty": [None, None, None],
        "amount_sek": [Decimal(a) for a in amounts],
        "text": [None, None, None],
    })


def test_ledger_total_reconciles_or_file_is_critical():
    df = ledger_frame()
    ok = validate_frame("ledger", df, CTX, declared_total="1 050,00 kr")
    assert not [i for i in ok.issues if i.critical]
    rows = by_row(ok.issues)
    assert {i.field for i in rows[3]} == {"booking_date"}
    assert {i.field for i in rows[4]} == {"account", "activity_code"}
    assert "budget" in rows[4][0].reason_en or "budget" in rows[4][1].reason_en
    bad = validate_frame("ledger", df, CTX, declared_total=Decimal("1100"))
    (crit,) = bad.critical
    assert crit.row == 0 and crit.rule == "expect_column_sum_to_be_between" and "totalrad" in crit.reason_sv
    with pytest.raises(SourceRejected, match="huvudbok_2025.csv, kolumn Belopp: Summan av beloppen.*totalrad"):
        decide("huvudbok_2025.csv", "ledger", 3, bad.issues, 0.9)


def test_population_missing_member_is_critical():
    df = pd.DataFrame({
        "_row": [2, 2, 3, 3, 4, 4],
        "municipality_code": ["2380", "2380", "2281", "2281", "2284", "2284"],
        "year": ints(2023, 2024, 2023, 2024, 2023, 2024),
        "population": ints(64000, 64500, 99000, 0, 55000, 55100),
    })
    out = validate_frame("population", df, CTX)
    assert not out.critical
    assert [(i.row, i.field) for i in out.issues] == [(3, "population")]
    missing = validate_frame("population", df[df["municipality_code"] != "2284"], CTX)
    (crit,) = missing.critical
    assert "2284" in crit.reason_sv and "2024" in crit.reason_sv
    with pytest.raises(SourceRejected, match="BE0101.csv"):
        decide("BE0101.csv", "population", 2, missing.issues)


def test_missing_required_column_is_critical():
    df = evaluations_frame().drop(columns=["q_apply"])
    out = validate_frame("evaluations", df, CTX)
    assert any(i.critical and i.field == "q_apply" and i.rule == "expect_column_to_exist" for i in out.critical)


def test_policy_accounting_and_threshold():
    issues = [RowIssue(1, "q_overall", "r", "a", "b"), RowIssue(1, "q_apply", "r", "a", "b"),
              RowIssue(3, "q_overall", "r", "a", "b"), RowIssue(0, None, "note", "fil", "file")]
    d = decide("utvarderingar_2025.csv", "evaluations", 100, issues, 0.05)
    assert (d.rows_in, d.rows_loaded, d.rows_quarantined) == (100, 98, 2)
    assert len(d.quarantined[1]) == 2
    mask = d.ok_mask(pd.Series([1, 2, 3, 4]))
    assert mask.tolist() == [False, True, False, True]
    many = [RowIssue(r, "q_overall", "expect_column_values_to_be_between", "x", "y") for r in range(1, 8)]
    with pytest.raises(SourceRejected) as exc:
        decide("utvarderingar_2025.csv", "evaluations", 100, many, 0.05)
    assert "utvarderingar_2025.csv: 7% av raderna avvisades, gränsen är 5%" in str(exc.value)
    d = exc.value.decision
    assert d.rejected and d.rows_loaded == 0 and d.rows_quarantined == 100
    assert d.issues[-1].rule == "rejected_share" and d.issues[-1].critical   # named in the quarantine too
    # a critical finding rejects the file whatever the share, and says which row and rule
    crit = RowIssue(0, "amount_sek", "expect_column_sum_to_be_between", "Summan stämmer inte", "Sum differs",
                    critical=True)
    d = decide("huvudbok_2025.csv", "ledger", 30, [crit], 0.05, raise_on_reject=False)
    assert d.rejected and d.rows_quarantined == 30 and "kolumn Belopp: Summan stämmer inte" in d.message
    # a not-null finding that repeats a parse issue on the same field is not counted twice
    d = decide("f.csv", "ledger", 100, [RowIssue(2, "amount_sek", "not_a_number", "a", "b"),
                                       RowIssue(2, "amount_sek", "expect_column_values_to_not_be_null", "c", "d")])
    assert len(d.quarantined[2]) == 1


def test_gx_keeps_the_results_without_the_partners_values(tmp_path):
    """GX runs the suite through a ValidationDefinition and a Checkpoint (public API) and stores
    the result itself, one suite per network, source and year; the stored result holds the failing
    rows' positions and counts, never a partner's value."""
    import json

    from runreport.validation import gx

    docs = tmp_path / "validation" / "data_docs"
    frame = evaluations_frame()
    frame.loc[2, "activity_code"] = "<script>hemligt@example.se</script>"
    out = validate_frame("evaluations", frame, CTX, docs_dir=docs, run_name="t1",
                         file_name="utvarderingar_2025.csv")
    assert not out.success and out.suite_name == "RUN.evaluations.2025"
    stores = gx.stores_root(docs)
    assert (stores / "expectations" / "RUN" / "evaluations" / "2025.json").exists()
    assert list(stores.glob("validation_definitions/*.json")) and list(stores.glob("checkpoints/*.json"))
    (stored,) = list(stores.glob("uncommitted/validations/**/*.json"))
    text = stored.read_text(encoding="utf-8")
    result = json.loads(text)
    import re

    text = re.sub(r'"[^"]*(_id|_time|id)": "[^"]*"', "", text)   # GX's own uuids and times, not values
    assert result["meta"]["run_id"]["run_name"] == "t1.utvarderingar_2025.csv" and result["success"] is False
    failed = [r for r in result["results"] if not r["success"]]
    assert failed and all("unexpected_list" not in r["result"] for r in failed)
    assert any(r["result"].get("unexpected_index_list") for r in failed)
    for value in ("hemligt", "{{ config }}", "SUMMA", "A-2025-99", "9999"):
        assert value not in text
    # the same file checked again in the same run: GX keeps both results, the suite once
    validate_frame("evaluations", frame, CTX, docs_dir=docs, run_name="t2", file_name="utvarderingar_2025.csv")
    assert len(list(stores.glob("uncommitted/validations/**/*.json"))) == 2


def test_one_context_stores_a_suite_once_and_again_when_its_checks_change(tmp_path):
    """A run's GX context builds and stores a source's Checkpoint (with its ValidationDefinition and
    suite) once, and again when the checks change (another year's action plan): the second file is
    checked against the new checks, and the stored suite is the new one."""
    import dataclasses
    import json

    from runreport.validation import gx

    docs = tmp_path / "validation" / "data_docs"
    context = gx.context(docs)
    first = validate_frame("evaluations", evaluations_frame(), CTX, run_name="r", file_name="a.csv", context=context)
    again = validate_frame("evaluations", evaluations_frame(), CTX, run_name="r", file_name="b.csv", context=context)
    assert [(i.row, i.rule) for i in again.issues] == [(i.row, i.rule) for i in first.issues]
    assert len(context.__dict__["_runreport_checkpoints"]) == 1
    narrower = dataclasses.replace(CTX, activity_codes={"A-2025-01"})
    changed = validate_frame("evaluations", evaluations_frame(), narrower, run_name="r", file_name="c.csv",
                             context=context)
    activity = {i.row for i in changed.issues if i.field == "activity_code"}
    assert activity == {4, 5, 6} and {i.row for i in first.issues if i.field == "activity_code"} == {4}
    stored = json.loads((gx.stores_root(docs) / "expectations" / "RUN" / "evaluations" / "2025.json").read_text())
    (in_set,) = [e for e in stored["expectations"] if e["meta"]["check_id"] == "activity_code.in_set"]
    assert in_set["kwargs"]["value_set"] == ["A-2025-01"]
    assert len(list(gx.stores_root(docs).glob("uncommitted/validations/**/*.json"))) == 3


def test_summary_counts_links_and_no_personal_data(tmp_path):
    vdir = tmp_path / "validation"
    issues = [
        RowIssue(3, "q_overall", "expect_column_values_to_be_between", "Likertvärdet 7 i q_overall ligger utanför 1–5",
                 "Likert value 7 in q_overall is outside 1–5"),
        RowIssue(4, "email", "bad_email", "Ogiltig e-post anna.berg@example.se", "Invalid e-mail anna.berg@example.se"),
        RowIssue(5, "organisation", "unknown_organisation", "Okänd organisation '<script>x</script>'",
                 "Unknown organisation '<script>x</script>'"),
        RowIssue(6, "free_text", "x", "=HYPERLINK(\"http://x\")", "=HYPERLINK(\"http://x\")"),
    ]
    results = [
        FileResult("evaluations", "utvarderingar_2025.csv", 120, 117, 3, issues[:1] + issues[2:], "loaded", None),
        FileResult("registrations", "anmalningar_2025 <Anna Berg>.csv", 10, 0, 10, issues[1:2], "rejected",
                   "anmalningar_2025.csv: för många fel (anna.berg@example.se)"),
    ]
    paths = write_summary(results, vdir, "2026-02-02")
    md = paths["markdown"].read_text(encoding="utf-8")
    page = paths["html"].read_text(encoding="utf-8")
    for text in (md, page):
        assert "anna.berg@example.se" not in text
        assert "117" in text and "120" in text and "130" in text  # loaded, rows in, total rows in
        assert "filer/001-utvarderingar_2025.csv.html" in text and "karantan_2026-02-02.csv" in text
        assert "Per källa" in text and "Per fil" in text
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<Anna Berg>" not in page
    file_pages = [p.read_text(encoding="utf-8") for p in paths["files"]]
    assert len(file_pages) == 2 and "&lt;script&gt;x" in file_pages[0] and "<script>" not in file_pages[0]
    assert "anna.berg@example.se" not in "".join(file_pages) and "<Anna Berg>" not in file_pages[1]
    with paths["csv"].open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0] == ["fil", "rad", "fält", "regel", "orsak", "orsak (engelska)"]
    assert len(rows) == 1 + 4
    assert all("anna.berg@example.se" not in cell for r in rows for cell in r)
    assert any(cell.startswith("'=HYPERLINK") for r in rows for cell in r)
    # the pipeline's per-file outcome objects work too
    again = write_run_summary(vdir, 2025, "manual", results)
    assert again["csv"].name == "karantan_manual.csv" and "2025" in again["markdown"].read_text(encoding="utf-8")


def test_import_does_not_load_gx():
    import subprocess
    import sys

    code = ("import sys, runreport.validation, runreport.validation.run; "
            "print('great_expectations' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_gx_is_imported_without_the_statistics_and_charts_it_never_runs_for_run():
    """gx_import.load() leaves scipy.stats and altair unexecuted while a whole suite runs, and they
    still work the moment something uses them (a GX upgrade that needs them just loads them)."""
    import subprocess
    import sys

    code = """
import sys, importlib.util
from runreport.validation import gx_import
gx = gx_import.load()
from tests.test_validation import test_evaluations_row_issues
test_evaluations_row_issues()       # a real suite through a Checkpoint
lazy = {m: type(sys.modules[m]).__name__ for m in gx_import.DEFERRED}
import scipy.stats
assert abs(scipy.stats.norm.cdf(0) - 0.5) < 1e-12
import altair
print(lazy, type(sys.modules["scipy.stats"]).__name__, hasattr(altair, "Chart"), gx.__name__)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip().splitlines()[-1] == (
        "{'scipy.stats': '_LazyModule', 'altair': '_LazyModule'} module True great_expectations")


def test_bad_corpus_is_complete():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    import badcorpus

    cases = badcorpus.cases()
    assert len(cases) >= 60
    listed = (Path(__file__).parents[1] / "docs" / "bad-input-corpus.md").read_text(encoding="utf-8")
    for case in cases:
        assert case.files, case.id
        assert f"`{case.id}`" in listed, f"{case.id} is not described in docs/bad-input-corpus.md"
        for f in case.files:
            assert f.status in {"loaded", "rejected", "held", "unchanged", "set_aside", "copy"}, case.id
            assert case.generate or case.file_path(f).exists(), (case.id, f.name)
            if f.status == "loaded" and isinstance(f.rows_in, int):
                assert f.rows_in == f.rows_loaded + f.rows_quarantined, case.id
    assert all(path.exists() for _, path in badcorpus.reference_files())
    ctx = badcorpus.validation_context()
    assert "2305" not in ctx.member_codes and "2305" in ctx.known_municipalities


@pytest.mark.parametrize("value", ["=1+1", " =1+1", "\u00a0=1", "\n=1", "\uff1d1", "@SUM(A1)", "+46", "-2"])
def test_csv_cell_never_leaves_a_formula(value):
    from runreport.validation.summary import csv_cell

    assert csv_cell(value).startswith("'")


def test_quarantine_csv_quotes_every_field_so_commas_cannot_split_a_cell(tmp_path):
    from runreport.validation.summary import write_quarantine_csv

    issue = RowIssue(2, "date", "x", "Datumet 'x,=cmd|' /C calc'!A0,' kan inte tolkas", "x")
    path = write_quarantine_csv([FileResult("ledger", "huvudbok,=1+1,.csv", 3, 2, 1, [issue])], tmp_path / "k.csv")
    for line in path.read_text(encoding="utf-8-sig").splitlines()[1:]:
        for cell in csv.reader([line], delimiter=","):   # an Excel whose list separator is a comma
            assert not any(c.lstrip().startswith("=") for c in cell), cell


def test_a_personal_field_says_what_is_wrong_without_its_value():
    """Issue 17: 'Fel i personuppgiftsfältet email' did not say whether the address is missing or malformed."""
    from runreport.quality import RowIssue
    from runreport.validation.summary import safe_reason

    empty = safe_reason("registrations", RowIssue(4, "email", "not_null", "E-post saknas: a@b.se", "missing"))
    bad = safe_reason("registrations", RowIssue(5, "email", "regex", "Ogiltig e-post anna@@x", "invalid"))
    twice = safe_reason("registrations", RowIssue(6, "email", "duplicate_row", "Dubblett anna@x.se", "dup"))
    assert empty[0] == "E-post är tom (värdet visas inte: personuppgift)"
    assert bad[0] == "E-post har fel form (värdet visas inte: personuppgift)"
    assert twice[0].startswith("E-post finns redan på en annan rad")
    assert not any("@" in text for pair in (empty, bad, twice) for text in pair)


def test_the_readers_checks_are_counted_from_its_findings_and_gx_keeps_one_expectation_for_them(tmp_path):
    """A required field left empty and a number that cannot be read are the reader's findings (one
    each, in the reader's words); GX is not asked per field again (no not-null or type expectation in
    the suite it runs) but keeps one expectation, rows.read, whose result counts the rows with a
    reader finding. The stewards' lines for the reader's checks carry the reader's counts."""
    import json

    from runreport.ingest.mapping import load_mappings
    from runreport.ingest.organisations import OrganisationResolver
    from runreport.ingest.parse import parse_frame
    from runreport.ingest.read import read_table
    from runreport.validation import gx

    data = (b"activity_code;session_no;session_date;form;place;seats\n"
            b"A-2025-01;1;2025-02-03;C;Sundsvall;30\n"
            b"A-2025-01;2;2025-03-03;;Sundsvall;30\n"          # form left empty
            b"A-2025-02;1;2025-04-01;CD;digitalt;tretti\n"     # seats cannot be read
            b"A-2025-02;2;2025-04-08;X;digitalt;12\n")  # a form GX finds
    raw = read_table(data, "traffar_2025.csv", "sessions", load_mappings())
    typed, read_issues = parse_frame("sessions", raw.df, OrganisationResolver({}, {}), b"k")
    assert {(i.row, i.field, i.rule) for i in read_issues} >= {(3, "form", "required")}
    assert {(i.row, i.field) for i in read_issues} == {(3, "form"), (4, "seats")}

    docs = tmp_path / "validation" / "data_docs"
    out = validate_frame("sessions", typed, CTX, docs_dir=docs, run_name="r", file_name="traffar_2025.csv",
                         read_issues=read_issues)
    assert [(i.row, i.field) for i in out.issues] == [(5, "form")], out.issues   # GX's own finding only
    lines = {c.description: c for c in out.checks}
    assert lines["Form är ifyllt"].failed_rows == 1 and not lines["Form är ifyllt"].success
    assert lines["Antal platser är ett heltal"].failed_rows == 1
    assert lines["Träff nr är ett heltal"].success and lines["Aktivitetskod är ifyllt"].success
    read_line = next(c for c in out.checks if c.description.startswith("Varje rad kunde läsas"))
    assert read_line.failed_rows == 2 and not read_line.success

    suite = json.loads((gx.stores_root(docs) / "expectations" / "RUN" / "sessions" / "2025.json").read_text())
    kinds = {e["type"] for e in suite["expectations"]}
    assert "expect_column_values_to_not_be_null" not in kinds and "expect_column_values_to_be_in_type_list" not in kinds
    (stored,) = list(gx.stores_root(docs).glob("uncommitted/validations/**/*.json"))
    (read_result,) = [r for r in json.loads(stored.read_text())["results"]
                      if r["expectation_config"]["meta"]["check_id"] == "rows.read"]
    assert read_result["success"] is False and read_result["result"]["unexpected_count"] == 2


def _checked(source: str, name: str, data: bytes) -> tuple[list, dict]:
    """One partner file through the product's path (read, parse, GX: filecheck.check_file): the
    reader's and GX's findings as (row, field, rule), and the stewards' lines as {description: (ok, n)}."""
    import badcorpus

    from runreport.filecheck import FileJob, check_file
    from runreport.ingest.mapping import load_mappings
    from runreport.ingest.organisations import load_partners

    names = {"2380": "Östersund", "2303": "Ragunda", "2309": "Krokom", "2281": "Sundsvall"}
    job = FileJob(source, name, data, badcorpus.validation_context(), load_mappings(), names, load_partners(),
                  b"secret-x", None, "t")
    fc = check_file(job)
    assert fc.rejected is None, fc.rejected
    return [(i.row, i.field, i.rule) for i in fc.issues], {c.description: (c.success, c.failed_rows) for c in fc.checks}


def test_an_unknown_organisation_and_a_region_without_code_fail_their_own_lines():
    """Found in review: with the reader's checks counted from its findings, an unknown organisation
    and a region without its code must fail a line of their field (before, GX's not-null did)."""
    reg = ("Aktivitet;Namn;E-post;Kommun/organisation;Roll;Anmälningsdatum;Status\n"
           "A-2025-02;Ett Namn;ett@example.se;Krokoms kommun;Lärare;2025-03-04;deltog\n"
           "A-2025-02;Två Namn;tva@example.se;Okänd förening;Lärare;2025-03-04;deltog\n").encode()
    issues, lines = _checked("registrations", "anmalningar_2025.csv", reg)
    assert (3, "organisation", "unknown_organisation") in issues
    assert lines["Kommun/organisation är en känd kommun eller organisation"] == (False, 1)
    assert lines["Kommun/organisation är ifyllt"] == (True, 0)
    pop = b"region;2023;2024\n2303 Ragunda;1;2\n\xc3\x96stersund;3;4\n2309 Krokom;1;2\n"
    issues, lines = _checked("population", "BE0101_folkmangd.csv", pop)
    assert (3, "municipality_code", "municipality_code") in issues
    assert lines["region är en kommun med kommunkod (t.ex. 2380 Östersund)"] == (False, 1), lines


def test_the_rows_read_line_counts_the_files_rows_not_the_year_rows():
    """Found in review: one unreadable cell of a population file marks one row of the file, though
    GX sees that row once per year."""
    pop = b"region;2020;2021;2022;2023;2024\n2303 Ragunda;1;2;3;..;5\n2309 Krokom;1;2;3;4;5\n"
    _, lines = _checked("population", "BE0101_folkmangd.csv", pop)
    read = next(v for d, v in lines.items() if d.startswith("Varje rad kunde läsas"))
    assert read == (False, 1) and lines["Folkmängd är ett heltal"] == (False, 1), lines


def test_one_gx_data_source_holds_an_asset_per_source():
    """GX saves the context's configuration on every data source, asset and batch definition added:
    the sources share one pandas data source, and a source's batch is made once per context."""
    from runreport.validation import gx

    ctx = gx.context(None)
    first = gx._batch_definition(ctx, "sessions")
    gx._batch_definition(ctx, "evaluations")
    again = gx._batch_definition(ctx, "sessions")
    (ds,) = ctx.data_sources.all().values()
    assert ds.name == gx.DATA_SOURCE and sorted(a.name for a in ds.assets) == ["evaluations", "sessions"]
    assert again.id == first.id and len(ds.get_asset("sessions").batch_definitions) == 1
