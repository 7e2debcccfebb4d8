"""runreport.validation.plausibility: a population figure that jumps from the year before is held
(critical, both figures shown) unless a steward accepts that change."""

from __future__ import annotations

import pandas as pd

from runreport.validation.plausibility import population_changes


def _pop(rows):
    return pd.DataFrame(rows, columns=["_row", "municipality_code", "year", "population"])


def test_a_typed_population_is_held_with_both_figures():
    typed = _pop([(2, "2380", 2023, 64_100), (2, "2380", 2024, 643_180_000), (3, "2281", 2023, 98_000),
                  (3, "2281", 2024, 99_000)])
    (issue,) = population_changes(typed, 0.2)
    assert issue.critical and issue.row == 2 and issue.rule == "population_change"
    assert "643\u00a0180\u00a0000" in issue.reason_sv.replace(" ", "\u00a0") and "64\u00a0100" in issue.reason_sv.replace(
        " ", "\u00a0")
    assert '"2380:2024"' in issue.reason_sv


def test_ordinary_changes_gaps_and_accepted_changes_pass():
    typed = _pop([(2, "2380", 2023, 64_100), (2, "2380", 2024, 70_000),          # +9 %: ordinary
                  (3, "2281", 2021, 50_000), (3, "2281", 2024, 99_000),          # not consecutive years
                  (4, "2262", 2023, 10_000), (4, "2262", 2024, 20_000)])         # +100 %, accepted below
    assert [i.row for i in population_changes(typed, 0.2)] == [4]
    assert population_changes(typed, 0.2, {"2262:2024"}) == []
    assert population_changes(typed.iloc[0:0], 0.2) == []


def test_overlapping_memberships_and_rates_are_errors():
    from datetime import date

    from runreport.validation.plausibility import member_overlaps, rate_overlaps

    members = pd.DataFrame({"_row": [2, 3, 4, 5], "municipality_code": ["2380", "2380", "2281", "2281"],
                            "valid_from": [date(2020, 1, 1), date(2024, 1, 1), date(2020, 1, 1), date(2024, 1, 1)],
                            "valid_to": [None, None, date(2023, 12, 31), None]})
    (issue,) = member_overlaps(members)   # 2380 has two open periods; 2281's follow each other
    assert issue.critical and issue.row == 3 and "rad 2" in issue.reason_sv and "2380" in issue.reason_sv
    rates = pd.DataFrame({"_row": [2, 3, 4], "year_from": [2020, 2023, 2025], "year_to": [2022, 2025, None]})
    (issue,) = rate_overlaps(rates)
    assert issue.critical and issue.row == 4 and "rad 3" in issue.reason_sv
    assert rate_overlaps(rates.iloc[:2]) == []


def test_a_corrected_file_with_far_fewer_rows_is_held():
    from runreport.validation.plausibility import corrected_drop

    (issue,) = corrected_drop(100, "anmalningar_2025_vt.csv", 1816, 0.5)
    assert issue.critical and issue.rule == "corrected_drop"
    assert "1 816" in issue.reason_sv.replace("\u00a0", " ") and "anmalningar_2025_vt.csv" in issue.reason_sv
    assert corrected_drop(1700, "a.csv", 1816, 0.5) == []          # a correction that removes some rows
    assert corrected_drop(100, "a.csv", 1816, 0.5, accepted=True) == []


def test_a_ledger_line_above_its_activitys_whole_budget_is_held():
    from decimal import Decimal

    from runreport.validation.plausibility import amounts_over_budget

    ledger = pd.DataFrame({"_row": [2, 3, 4], "voucher_no": ["V1", "V1", "V2"], "line_no": [1, 2, 1],
                           "activity_code": ["A-01", "A-01", "B-02"],
                           "amount_sek": [Decimal("9500.00"), Decimal("1000000.00"), Decimal("-20000.00")]})
    budgets = {"A-01": Decimal("10000"), "B-02": Decimal("50000")}
    (issue,) = amounts_over_budget(ledger, budgets, 1.0)
    assert issue.critical and issue.row == 3 and "1 000 000,00" in issue.reason_sv.replace("\u00a0", " ")
    assert "10 000 kr" in issue.reason_sv.replace("\u00a0", " ") and '"V1:2"' in issue.reason_sv
    assert amounts_over_budget(ledger, budgets, 1.0, {"V1:2"}) == []
    assert amounts_over_budget(ledger, {}, 1.0) == []


# ------------------------------------------------------------- the steward's decision, end to end
def _corpus_run(tmp_path, warehouse_url, accept: dict | None = None):
    import shutil

    import badcorpus

    from runreport import config, pipeline
    from runreport.quality import SourceRejected

    inbox = tmp_path / "inbox"
    cfg = config.load(overrides={"warehouse": {"url": warehouse_url},
                                 "paths": {"inbox": str(inbox), "output": str(tmp_path / "out")},
                                 "validation": accept or {}}, environ={})
    if not inbox.exists():
        for source, path in badcorpus.reference_files():
            (inbox / source).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, inbox / source / path.name)
    pipeline.collect_files(cfg, badcorpus.YEAR)
    try:
        pipeline.validate_files(cfg, badcorpus.YEAR, b"s", run_name="t")
        rejected = None
    except SourceRejected as exc:
        rejected = str(exc)
    pipeline.load_files(cfg, badcorpus.YEAR)
    outcomes = {o["file_name"]: o for o in pipeline.staged_summary(cfg, badcorpus.YEAR)[1]}
    return cfg, rejected, outcomes


def test_a_held_file_loads_once_the_steward_accepts_it(tmp_path, warehouse_url):
    """The message says 'accept the change with "2380:2024" in validation.accept_population_change';
    doing so must load the same file in the next run (not only a file sent again), and the run goes
    on. Until then every run holds it, with the reason, and the earlier population stays."""
    import shutil

    import badcorpus
    from sqlalchemy import func, select

    from runreport import pipeline
    from runreport.warehouse import models as m

    _corpus_run(tmp_path, warehouse_url)
    typo = tmp_path / "inbox" / "population" / "BE0101_folkmangd_v2.csv"   # a corrected SCB file, mistyped
    shutil.copy(badcorpus.BAD_DIR / "32_population_typo" / "BE0101_folkmangd_2025.csv", typo)
    for _ in range(2):   # held in every run until decided
        _, rejected, outcomes = _corpus_run(tmp_path, warehouse_url)
        held = outcomes[typo.name]
        assert held["status"] == "held" and "accept_population_change" in rejected, held
        assert held["rows_in"] == held["rows_loaded"] + held["rows_quarantined"] and held["rows_loaded"] == 0
    cfg, rejected, outcomes = _corpus_run(tmp_path, warehouse_url,
                                          {"accept_population_change": ["2380:2024"]})
    assert rejected is None and outcomes[typo.name]["status"] == "new", outcomes[typo.name]
    with pipeline.sessions(cfg)() as s:
        log = s.scalars(select(m.IngestedFile).where(m.IngestedFile.file_name == typo.name)).one()
        assert log.status == "loaded" and log.rows_loaded == log.rows_in
        assert s.scalar(select(func.max(m.Population.population)).where(
            m.Population.municipality_code == "2380", m.Population.year == 2024)) == 171_000_000
    _, rejected, outcomes = _corpus_run(tmp_path, warehouse_url, {"accept_population_change": ["2380:2024"]})
    assert rejected is None and outcomes[typo.name]["status"] == "unchanged"
