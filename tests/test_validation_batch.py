"""One Great Expectations validation per source and run (issue 15): the files of a source checked
together give each file what it gets checked alone, and GX runs once for them."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from test_validation import CTX, evaluations_frame, ints, ledger_frame

from runreport.validation.run import FileFrame, validate_frame, validate_frames


def population_frame(codes=("2380", "2281", "2284")):
    rows = [(c, y, 50_000 + i) for i, c in enumerate(codes) for y in (2023, 2024)]
    return pd.DataFrame({
        "_row": [2 + i // 2 for i in range(len(rows))],
        "municipality_code": [c for c, _, _ in rows],
        "year": ints(*(y for _, y, _ in rows)),
        "population": ints(*(p for _, _, p in rows)),
    })


def registrations_frame(keys=("k1", "k1", "k2"), statuses=("anmäld", "deltog", "närvarade?")):
    return pd.DataFrame({
        "_row": [2, 3, 4],
        "activity_code": ["A-2025-01", "A-2025-01", "B-1"],
        "org_code": ["2380", "2380", "2262"],
        "role": [None, None, None],
        "registration_date": [date(2024, 11, 2), date(2025, 1, 5), date(2025, 1, 5)],
        "status": list(statuses),
        "person_key": list(keys),
    })


def other_evaluations():
    df = evaluations_frame()
    df["_row"] = [10, 11, 12, 13, 14, 15]
    df["q_apply"] = ints(9, 5, 4, 3, 2, 0)
    df["response_id"] = ["r1", "r9", "r9", "r4", "r10", "r11"]   # r1 is the first file's key too
    return df


CASES = {
    # row checks of two files, the key repeated within the second file and across the two
    "evaluations": [FileFrame(evaluations_frame(), "utv_a.csv"), FileFrame(other_evaluations(), "utv_b.csv"),
                    FileFrame(evaluations_frame().drop(columns=["q_apply"]), "utv_c.csv")],
    # a file-level check per file: the first file's total row holds, the second's does not
    "ledger": [FileFrame(ledger_frame(), "hb_a.csv", Decimal("1050")),
               FileFrame(ledger_frame(("10", "20", "30")), "hb_b.csv", Decimal("61")),
               FileFrame(ledger_frame(("1", "2", "3")), "hb_c.csv")],
    "population": [FileFrame(population_frame(), "be_a.csv"),
                   FileFrame(population_frame(("2380", "2281")), "be_b.csv")],
    "registrations": [FileFrame(registrations_frame(), "anm_vt.csv"),
                      FileFrame(registrations_frame(("k2", "k3", "k3"), ("deltog",) * 3), "anm_ht.csv")],
}


@pytest.mark.parametrize("source", sorted(CASES))
def test_files_validated_together_get_what_each_gets_alone(source):
    files = CASES[source]
    together = validate_frames(source, files, CTX)
    alone = [validate_frame(source, f.df, CTX, declared_total=f.declared_total, file_name=f.file_name)
             for f in files]
    assert [o.file_name for o in together] == [f.file_name for f in files]
    for t, a in zip(together, alone, strict=True):
        assert t.issues == a.issues, t.file_name
        assert t.checks == a.checks, t.file_name
        assert (t.success, t.rows_in, t.suite_name) == (a.success, a.rows_in, a.suite_name)
    assert any(o.issues for o in together)   # the cases hold findings to compare


def test_a_file_level_check_is_decided_per_file():
    ok, wrong, none = validate_frames("ledger", CASES["ledger"], CTX)
    assert not ok.critical and not none.critical
    (crit,) = wrong.critical
    assert crit.rule == "expect_column_sum_to_be_between" and "61,00" in crit.reason_sv
    full, short = validate_frames("population", CASES["population"], CTX)
    assert not full.critical
    (crit,) = short.critical
    assert "2284" in crit.reason_sv


def test_a_key_repeated_in_another_file_is_no_duplicate_within_either():
    """r1 is in both evaluation files: within each file only its own repeats are duplicates (the
    validate step finds the repeat across files, naming the other file)."""
    first, second, _ = validate_frames("evaluations", CASES["evaluations"], CTX)
    dup = lambda o: sorted(i.row for i in o.issues if i.rule.endswith("unique"))  # noqa: E731
    assert dup(first) == [7] and dup(second) == [12]


def test_gx_runs_once_for_the_files_of_a_source(tmp_path):
    """One Checkpoint run, one stored result, for three files (two of them alike in their columns:
    the third lacks a required column, so its suite differs and it is validated apart)."""
    docs = tmp_path / "validation" / "data_docs"
    validate_frames("evaluations", CASES["evaluations"][:2], CTX, docs_dir=docs, run_name="r1")
    from runreport.validation import gx

    (stored,) = list(gx.stores_root(docs).glob("uncommitted/validations/**/*.json"))
    result = json.loads(stored.read_text())
    assert result["meta"]["run_id"]["run_name"] == "r1.evaluations.2_files"
    assert "utv_a" not in stored.read_text() and "r9" not in stored.read_text()  # no partner values
    validate_frames("evaluations", CASES["evaluations"], CTX, docs_dir=docs, run_name="r2")
    assert len(list(gx.stores_root(docs).glob("uncommitted/validations/**/*.json"))) == 3


def test_the_validate_step_checks_a_sources_files_in_one_validation(tmp_path):
    """The demo's two registration files of 2025 (the VT and HT slots) go through one GX validation
    in the validate step, with the same findings as before (data/demo/MANIFEST.md: 7 rows in quarantine)."""
    import shutil

    import demo_expectations as expect

    from runreport import config, pipeline
    from runreport.validation import gx

    inbox = tmp_path / "inbox"
    shutil.copytree(expect.INBOX, inbox)
    cfg = config.load(overrides={"warehouse": {"url": f"sqlite:///{tmp_path / 'w.db'}"},
                                 "paths": {"inbox": str(inbox), "output": str(tmp_path / "out")},
                                 "validation": {"workers": 1}}, environ={})
    pipeline.collect_files(cfg, 2025)
    pipeline.validate_files(cfg, 2025, b"secret", "batch")
    outcomes = pipeline.staged_summary(cfg, 2025)[1]
    registrations = [o for o in outcomes if o["source"] == "registrations" and o["year"] == 2025]
    assert len(registrations) == 2
    stores = gx.stores_root(cfg.output_dir(2025) / "validation" / "data_docs")
    runs = sorted(json.loads(p.read_text())["meta"]["run_id"]["run_name"]
                  for p in stores.glob("uncommitted/validations/**/*.json"))
    assert "batch.registrations.2_files" in runs
    assert len(runs) == len({(o["source"], o["year"]) for o in outcomes})   # one per source and year
    assert sum(o["rows_quarantined"] for o in outcomes) == 7


def _sessions_with_empty_keys():
    return pd.DataFrame({"_row": [2, 3, 4], "activity_code": [None, None, "A-2025-01"],
                         "session_no": ints(None, None, 1), "session_date": [date(2025, 2, 1)] * 3,
                         "form": ["C"] * 3, "place": [None] * 3, "seats": ints(1, 2, 3)})


def _evaluations_with_empty_keys():
    df = evaluations_frame()
    df["response_id"] = ["r1", None, None, "r4", "r5", "r6"]
    return df


@pytest.mark.parametrize(("source", "make"), [("evaluations", _evaluations_with_empty_keys),
                                              ("sessions", _sessions_with_empty_keys)])
def test_an_empty_key_is_no_duplicate_when_files_are_checked_together(source, make):
    """GX skips a row whose key is empty (the reader names the empty field); the file joining the key
    in a batch must not make two such rows duplicates (found by a review session: the stewards' page
    said 2 duplicated keys where there were none)."""
    files = [FileFrame(make(), "a.csv"), FileFrame(make(), "b.csv")]
    together = validate_frames(source, files, CTX)
    for t, f in zip(together, files, strict=True):
        alone = validate_frame(source, f.df, CTX, file_name=f.file_name)
        assert (t.checks, t.issues, t.success) == (alone.checks, alone.issues, alone.success)
        unique = [c for c in t.checks if c.description.startswith("Ingen rad förekommer två gånger")]
        assert unique and all(c.success and c.failed_rows == 0 for c in unique)


def test_a_check_gx_cannot_run_is_every_files_finding_in_the_batch():
    """A check that raises inside GX on the batch is a critical finding of each file of it (and of a
    file alone): it is never lost, and its message is masked."""
    from runreport.validation import batch, gx
    from runreport.validation.suites import Check, build_suite

    frames = [pd.DataFrame({"_row": [2, 3], "code": ints(1, 2)}), pd.DataFrame({"_row": [2], "code": ints(3)})]
    checks = [Check("code.between", "ExpectColumnValuesToBeBetween", {"column": "code", "min_value": date(2025, 1, 1)},
                    "code", "in_year")]   # integers compared with a date: pandas raises
    plan = batch.plan("members", [checks, checks], frames)
    context = gx.context(None)
    checkpoint = gx.checkpoint(context, "members", "t", repr(plan.checks),
                               lambda: build_suite("members", plan.checks, "t"))
    found = batch.split(plan, gx.validate(checkpoint, asset_name="t", frame=plan.frame, run_name="r"))
    assert [[f.success for f in per_file] for per_file in found] == [[False], [False]]
    assert all("not supported" in per_file[0].exception for per_file in found)
    # as the stewards read it: the check could not run (before, GX's per-metric exception went unseen
    # and the finding said the column had the wrong type, "(None)")
    outcomes = []
    for k, frame in enumerate(frames):
        from runreport.validation.run import ValidationOutcome, _apply, _Prepared

        p = _Prepared(FileFrame(frame, f"m{k}.csv"), ValidationOutcome("members", f"m{k}.csv", len(frame)),
                      frame, set(), checks, {})
        _apply("members", p, found[k], CTX)
        outcomes.append(p.outcome)
    for o in outcomes:
        (issue,) = o.issues
        assert issue.critical and "kunde inte köras" in issue.reason_sv and "fel typ" not in issue.reason_sv


def test_a_check_that_cannot_run_on_the_files_together_is_only_the_failing_files_finding():
    """One file's dates are numbers (a check comparing them with dates raises in GX); checked
    together with a good file, only that file is told the check could not run (found by a review
    session: every file of the batch was rejected)."""
    bad = evaluations_frame()
    bad["submitted_date"] = pd.array([20250304] * 6, dtype=object)
    good, broken = validate_frames("evaluations", [FileFrame(evaluations_frame(), "good.csv"),
                                                   FileFrame(bad, "bad.csv")], CTX)
    alone = validate_frame("evaluations", evaluations_frame(), CTX, file_name="good.csv")
    assert (good.checks, good.issues) == (alone.checks, alone.issues)
    assert not [i for i in good.issues if "kunde inte köras" in i.reason_sv]
    assert [i.field for i in broken.issues if "kunde inte köras" in i.reason_sv] == ["submitted_date"]
