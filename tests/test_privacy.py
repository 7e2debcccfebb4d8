"""Personal data never leaves ingest (issue 12): one rule (runreport.privacy) decides what may be
shown, and a year run on partner files seeded with e-mail addresses, personnummer in every common
form, samordningsnummer, phone numbers and registrants' names in every kind of field and in a file
name leaves none of them in any output, notice or staging folder."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from runreport import config, pipeline, privacy

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo" / "inbox"
YEAR = 2025

PNRS = ["19751231-9876", "751231-9876", "197512319876", "7512319876", "850161-1234"]  # last: samordningsnummer
PHONES = ["070-123 45 67", "+46 70 123 45 67"]
EMAIL = "eva.lind@skola.example"
NAMES = ["Eva Lind", "Anders Eriksson"]  # both registrants in the seeded file


@pytest.mark.parametrize("text", [*PNRS, *PHONES, EMAIL, "0701234567", "19751231+9876"])
def test_mask_hides_personal_forms(text):
    assert privacy.mask(f"Värdet '{text}' är fel") == f"Värdet '{privacy.mask(text)}' är fel"
    assert text not in privacy.mask(text)


@pytest.mark.parametrize("text", ["2120002726", "12 500 kr", "1 234,50", "2025-03-04", "RUN25-02", "6550",
                                  "R25-00001", "2380 Östersund", "huvudbok_2025_v2.csv"])
def test_mask_keeps_what_is_not_personal(text):
    assert privacy.mask(text) == text


@pytest.mark.parametrize("text", ["751231–9876", "19751231\u00a09876", "751231 - 9876", "７５１２３１-９８７６",
                                  "+46(0)70 123 45 67", "(070) 123 45 67", "070.123.45.67", "anna(at)example.se",
                                  "anna＠example.se"])
def test_mask_hides_the_forms_word_excel_and_people_produce(text):
    assert privacy.mask(text).startswith("[") and not any(c.isdigit() for c in privacy.mask(text))


@pytest.mark.parametrize("text", ["01-02-2025", "2025-01-01-2025-12-31", "Bankgiro 0123-4567", "OCR 0123456789",
                                  "Verifikation 0000123456", "SE45 5000 0000 0583 9825 7466", "Belopp: 012 345 678 kr",
                                  "2120001439", "556677-8899", "RUN25-13"])
def test_mask_leaves_what_a_steward_needs(text):
    assert privacy.mask(text) == text


def test_names_in_every_order_and_form_and_a_cut_never_halves_a_secret():
    import unicodedata

    privacy.remember_names(["Anna Svensson", "Karl-Erik Öberg", "Åsa Öström"])
    try:
        for text in ("Svensson, Anna", "Svensson_Anna.csv", "anmalan-anna-svensson.csv", "Karl Erik Öberg",
                     "ÖBERG Karl-Erik", unicodedata.normalize("NFD", "Åsa Öström.xlsx")):
            assert "[namn]" in privacy.mask(text), text
        assert privacy.shown("x" * 40 + " kontakt: a.svensson75@gmail.com").endswith("[e-post]")
        assert "987" not in privacy.shown("x" * 47 + " 19751231-9876")
    finally:
        privacy.forget_names()


def test_names_of_the_run_are_masked_and_free_text_never_shown():
    privacy.remember_names(["Eva Lind"])
    try:
        assert privacy.mask("Aktiviteten 'Eva Lind' finns inte") == "Aktiviteten '[namn]' finns inte"
        assert privacy.mask("eva lind i Berg") == "[namn] i Berg"  # whole names; a place stays
        assert privacy.shown("Jag heter Eva", personal=True) == "[dolt]"
        assert privacy.redact_free_text(f"Mejla {EMAIL} eller ring 070-123 45 67, pnr 751231-9876") == (
            "Mejla [e-post] eller ring [telefon], pnr [personnummer]")
    finally:
        privacy.forget_names()


def _seed(inbox: Path) -> str:
    """The demo inbox with personal data planted in registrations, evaluations and the ledger."""
    regs = inbox / "registrations"
    src = regs / "anmalningar_2025_vt.csv"
    lines = src.read_bytes().decode("cp1252").splitlines()
    # Eva Lind registers; her name, personnummer, phone and e-mail also land in checked fields
    lines[1] = f"RUN25-13;Eva Lind;{EMAIL};Östersund;Förskollärare;2/1/2025;deltog"
    lines.append(f"Eva Lind;Anders Eriksson;anders.eriksson@ostersund.example;Östersund;Lärare;{PNRS[1]};deltog")
    lines.append(f"RUN25-13;Eva Lind;{EMAIL};{PHONES[0]};Lärare;2/1/2025;deltog")
    lines.append(f"RUN25-13;Eva Lind;{EMAIL};Östersund;{EMAIL};{PNRS[2]};{PNRS[4]}")
    src.unlink()
    bad_name = "anmalningar_2025_vt Eva Lind 850101-1234.csv"
    (regs / bad_name).write_bytes("\r\n".join(lines).encode("cp1252"))
    ev = inbox / "evaluations" / "utvarderingar_2025.csv"
    text = ev.read_text(encoding="utf-8-sig").splitlines()
    text[1] = text[1].replace("Skulle vilja ha mer om fritidshemmets undervisning.",
                              f"Mejla mig på {EMAIL}, ring {PHONES[1]}, pnr {PNRS[0]}")
    text.append(f"R25-99999;{PNRS[3]};1;Eva Lind;Gymnasielärare;4;4;4;hej;2025-01-31")
    ev.write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    ledger = inbox / "ledger" / "huvudbok_2025.csv"
    lt = ledger.read_bytes().decode("cp1252").splitlines()
    lt.append(f"2599999;1;2025-03-03;6550;RUN25-02;Eva Lind;{PNRS[1]};Arvode {PHONES[0]}")
    ledger.write_bytes(("\r\n".join(lt) + "\r\n").encode("cp1252"))
    return bad_name


def _texts(folder: Path):
    """Every file below ``folder`` as text; Word and Excel unzipped, PDFs through pdftotext."""
    import subprocess

    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        if p.suffix in (".docx", ".xlsx"):
            with zipfile.ZipFile(p) as z:
                yield p, "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
        elif p.suffix == ".pdf" and shutil.which("pdftotext"):
            yield p, subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True).stdout
        elif p.suffix not in (".png", ".jpg", ".pdf"):
            yield p, p.read_bytes().decode("utf-8", "replace")
        yield p, p.name


def test_no_personal_data_in_any_output(tmp_path, warehouse_url, caplog):
    inbox = tmp_path / "inbox"
    shutil.copytree(DEMO, inbox)
    bad_name = _seed(inbox)
    out = tmp_path / "output"
    cfg = config.load(overrides={"warehouse": {"url": warehouse_url}, "paths": {"inbox": str(inbox),
                                 "output": str(out), "notifications": str(tmp_path / "notes")}}, environ={})
    privacy.forget_names()
    pipeline.collect_files(cfg, YEAR)
    try:
        pipeline.validate_files(cfg, YEAR, b"secret", run_name="privacy")
    except Exception as exc:  # noqa: BLE001 - a rejection is fine here; what it says is checked below
        message = str(exc)
        for secret in [*PNRS, *PHONES, EMAIL, *NAMES, bad_name]:
            assert secret not in message
    pipeline.load_files(cfg, YEAR)
    pipeline.compute(cfg, YEAR)
    pipeline.report(cfg, YEAR)
    from runreport import run_summary

    run_summary.publish(cfg, YEAR, run={}, figures={})
    assert pipeline.clear_staging(cfg, YEAR)
    assert pipeline.staged_summary(cfg, YEAR) == ([], [])   # nothing of the run stays in staging

    planted = [*PNRS, *PHONES, EMAIL, *NAMES, "850101-1234"]
    found = []
    for path, text in _texts(out):
        found += [(str(path.relative_to(out)), s) for s in planted if s in text]
    assert not found, found[:20]
    logs = caplog.text
    assert not [s for s in planted if s in logs]
    # the quarantine still names row and field, and the free text is stored redacted
    summary = (out / "RUN" / str(YEAR) / "validation" / "sammanfattning.md").read_text(encoding="utf-8")
    assert "personnummer" in summary and "Eva Lind" not in summary
    from sqlalchemy import create_engine, text

    with create_engine(warehouse_url).connect() as c:
        free = [r[0] for r in c.execute(text("SELECT free_text FROM evaluation WHERE free_text LIKE 'Mejla%'"))]
    assert free == ["Mejla mig på [e-post], ring [telefon], pnr [personnummer]"]
    privacy.forget_names()


def test_notices_mask_file_names(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from runreport import notify
    from runreport.quality import SourceRejected

    monkeypatch.setenv("RUN_PATHS__NOTIFICATIONS", str(tmp_path / "notes"))
    monkeypatch.setenv("RUN_WAREHOUSE__URL", f"sqlite:///{tmp_path / 'wh.db'}")
    exc = SourceRejected("x", files=[{"file_name": "Anna Svensson 850101-1234.csv", "source": "registrations",
                                      "year": 2025, "checksum": "c1", "reason": "Värdet '751231-9876' är fel"}])
    ti = SimpleNamespace(dag_id="run_ingest", run_id="r", task_id="validate", try_number=1)
    notify.task_failed({"ti": ti, "dag_run": None, "exception": exc, "params": {"year": 2025}})
    rec = json.loads((tmp_path / "notes" / "file_rejected.jsonl").read_text(encoding="utf-8"))
    dumped = json.dumps(rec, ensure_ascii=False)
    assert "850101-1234" not in dumped and "751231-9876" not in dumped
    assert "[personnummer].csv" in rec["subject"]


def test_names_are_masked_in_another_process_that_never_saw_the_registrations(tmp_path):
    """A later task on another worker (or the notifier in the triggerer) knows the registrants'
    names only through the digests the validate step stored in the warehouse."""
    import os
    import subprocess
    import sys

    from runreport.warehouse import names
    from runreport.warehouse.engine import migrate, session_factory

    url = f"sqlite:///{tmp_path / 'wh.db'}"
    migrate(url)
    privacy.use_key(b"deployment-key")
    digests = privacy.remember_names(["Eva Lind", "Anna-Karin  Öberg"])
    with session_factory(url)() as s:
        assert names.store(s, "RUN", digests) == len(digests) == 5 and names.store(s, "RUN", digests) == 0
        s.commit()
    privacy.forget_names()
    code = ("from runreport import runcontext, privacy; runcontext.load_config(); "
            "print(privacy.mask('Filen anmalningar Eva_Lind.csv; ANNA-KARIN öberg; Lind; Eva Lindqvist'))")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RUN_"))}
    env.update(RUN_WAREHOUSE__URL=url, AIRFLOW_VAR_RUN_PSEUDONYM_SECRET="deployment-key")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "Filen anmalningar [namn].csv; [namn]; Lind; Eva Lindqvist", out.stderr[-2000:]
    env["AIRFLOW_VAR_RUN_PSEUDONYM_SECRET"] = "another-key"   # digests are useless without the key
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert "Eva_Lind" in out.stdout
