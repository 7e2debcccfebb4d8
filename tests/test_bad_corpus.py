"""The bad-input corpus through the real pipeline (collect -> validate -> load), on SQLite and
PostgreSQL: every case's files end as expected, and for every file rows in = loaded + quarantined,
in the steward summary's outcome and in the warehouse's file log."""

from __future__ import annotations

import shutil

import badcorpus
import pytest
from sqlalchemy import select

from runreport import config, pipeline
from runreport.quality import SourceRejected
from runreport.warehouse import models as m

SECRET = b"test-secret"


def _run(cfg, year):
    pipeline.collect_files(cfg, year)
    rejected = None
    try:
        pipeline.validate_files(cfg, year, SECRET, run_name="corpus")
    except SourceRejected as exc:
        rejected = str(exc)
    pipeline.load_files(cfg, year)
    return rejected


@pytest.mark.parametrize("case", badcorpus.cases(), ids=badcorpus.case_ids())
def test_case(case, tmp_path, warehouse_url):
    inbox = tmp_path / "inbox"
    cfg = config.load(overrides={"warehouse": {"url": warehouse_url},
                                 "paths": {"inbox": str(inbox), "output": str(tmp_path / "out")}}, environ={})
    for source, path in badcorpus.reference_files():
        (inbox / source).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, inbox / source / path.name)
    assert _run(cfg, badcorpus.YEAR) is None, "the reference data itself must load"
    case.materialise(tmp_path / "generated")

    Session = pipeline.sessions(cfg)
    for drop in case.drops:
        for f in drop:
            target = inbox / (f.place or f"{case.source}/{f.file_name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(case.file_path(f), target)
        rejection = _run(cfg, badcorpus.YEAR)
        outcomes = {o["file_name"]: o for o in pipeline.staged_summary(cfg, badcorpus.YEAR)[1]}
        for f in drop:
            o = outcomes[f.summary_name]
            assert o["rows_in"] == o["rows_loaded"] + o["rows_quarantined"], f.file_name
            if f.status in ("set_aside", "copy"):   # listed with its reason, never read (or read once)
                assert o["status"] == f.status and o["rows_loaded"] == 0, (f.file_name, o)
                assert f.reason_keyword.casefold() in (o["message"] or "").casefold(), (f.file_name, o["message"])
                continue
            if f.status == "unchanged":
                assert o["status"] in ("unchanged", "rejected")
                continue
            assert o["status"] == (f.status if f.status in ("rejected", "held") else "new"), (f.file_name, o["message"])
            for attr in ("rows_in", "rows_loaded", "rows_quarantined"):
                want = getattr(f, attr)
                if isinstance(want, int):
                    assert o[attr] == want, (attr, o)
            if f.reason_keyword:
                text = " ".join([o["message"] or "", rejection or ""]
                                + [f"{i['rule']} {i['reason_sv']} {i['reason_en']}" for i in o["issues"]])
                assert f.reason_keyword.casefold() in text.casefold()
            if f.status in ("rejected", "held"):   # both stop the run, naming the file
                assert rejection and f.file_name in rejection
        if all(f.status in ("loaded", "set_aside", "copy", "unchanged") for f in drop):
            assert rejection is None, rejection   # set-aside entries and copies never block the run
    with Session() as s:
        for log in s.scalars(select(m.IngestedFile)):
            assert log.rows_in == log.rows_loaded + log.rows_quarantined, log.file_name
            quarantined_rows = {q.row_number for q in s.scalars(
                select(m.QuarantinedRow).where(m.QuarantinedRow.file_id == log.id))}
            if log.status == "loaded":
                assert len(quarantined_rows - {0}) == log.rows_quarantined, log.file_name
        for f in case.files:
            if f.amount_sum is not None:   # the money as the file meant it, to the öre
                from decimal import Decimal

                amounts = s.scalars(select(m.LedgerLine.amount_sek).join(
                    m.IngestedFile, m.IngestedFile.id == m.LedgerLine.file_id)
                    .where(m.IngestedFile.file_name == f.file_name)).all()
                assert sum((Decimal(str(a)).quantize(Decimal("0.01")) for a in amounts), Decimal(0)) \
                    == Decimal(f.amount_sum), f.file_name
            for value in f.literal_values:
                texts = s.scalars(select(m.Evaluation.free_text)).all()
                assert value in texts, value
