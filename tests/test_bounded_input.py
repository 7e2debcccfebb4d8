"""Bounded input (issue 12): a workbook that unpacks too far is rejected before it is parsed, a CSV
field over the limit is named instead of crashing, an inbox symlink is never followed, and any
other crash while reading a file becomes that file's rejection."""

from __future__ import annotations

import io
import zipfile

import pytest

from runreport.ingest import collect as collect_mod
from runreport.ingest.mapping import load_mappings
from runreport.ingest.read import FileRejected, check_xlsx_size, read_table


def test_zip_bomb_is_rejected_before_parsing():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/sharedStrings.xml", b"<sst>" + b"A" * (210 * 1024 * 1024) + b"</sst>")
    data = buf.getvalue()
    assert len(data) < 2 * 1024 * 1024           # a small file ...
    with pytest.raises(FileRejected) as exc:     # ... that would unpack to 210 MB
        read_table(data, "huvudbok_2025.xlsx", "ledger", load_mappings())
    assert exc.value.rule == "xlsx_too_large" and "MB" in exc.value.reason_sv


def test_small_limits_apply_to_shared_strings():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/sharedStrings.xml", "x" * 2000)
    check_xlsx_size(buf.getvalue(), max_unpacked=10_000, max_strings=5_000)
    with pytest.raises(FileRejected):
        check_xlsx_size(buf.getvalue(), max_unpacked=10_000, max_strings=1_000)


def test_csv_field_over_the_limit_is_named():
    text = "Ver.nr;Rad;Bokföringsdatum;Konto;Projekt;Motpart;Belopp;Text\n"
    text += "1;1;2025-01-02;6550;RUN25-02;X;100,00;ok\n"
    text += "2;1;2025-01-02;6550;RUN25-02;X;100,00;" + "y" * 200_000 + "\n"
    with pytest.raises(FileRejected) as exc:
        read_table(text.encode("utf-8"), "huvudbok_2025.csv", "ledger", load_mappings())
    assert exc.value.rule == "field_too_large" and "Rad 3" in exc.value.reason_sv


def test_symlink_in_the_inbox_is_not_followed(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "ledger").mkdir(parents=True)
    secret = tmp_path / "secret.csv"
    secret.write_text("top secret", encoding="utf-8")
    (inbox / "ledger" / "huvudbok_2025.csv").symlink_to(secret)
    (inbox / "ledger" / "huvudbok_2024.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    names = [f.name for f in collect_mod.collect(inbox)]
    assert names == ["huvudbok_2024.csv"]


def test_a_crash_while_checking_becomes_the_files_rejection(monkeypatch, tmp_path):
    from runreport import filecheck
    from runreport.quality import ValidationContext

    def boom(*args, **kwargs):
        raise OverflowError("cannot convert float infinity to integer")

    monkeypatch.setattr("runreport.ingest.parse.parse_frame", boom)
    job = filecheck.FileJob("ledger", "huvudbok_2025.csv",
                            "Ver.nr;Rad;Bokföringsdatum;Konto;Projekt;Motpart;Belopp;Text\n1;1;2025-01-02;6550;A;X;1;t\n"
                            .encode(), ValidationContext(tenant="RUN", year=2025), load_mappings(), {}, {},
                            b"s", tmp_path, "t")
    check = filecheck.check_file(job)
    assert check.rejected is not None and check.rejected[0] == "unreadable"
    assert "OverflowError" in check.rejected[1]


def test_a_crash_while_checking_logs_no_partner_value(monkeypatch, tmp_path, caplog):
    """The exception's own text can carry a partner's value (an e-mail address here): the task log
    gets the masked detail and the code's frames, never the raw text."""
    import logging

    from runreport import filecheck
    from runreport.quality import ValidationContext

    address = "@".join(["anna.svensson", "skolan.se"])   # a partner's value, as the reader met it

    def boom(*args, **kwargs):
        raise ValueError(f"could not parse {address!r} as a date")

    monkeypatch.setattr("runreport.ingest.parse.parse_frame", boom)
    job = filecheck.FileJob("ledger", "huvudbok_2025.csv",
                            "Ver.nr;Rad;Bokföringsdatum;Konto;Projekt;Motpart;Belopp;Text\n1;1;2025-01-02;6550;A;X;1;t\n"
                            .encode(), ValidationContext(tenant="RUN", year=2025), load_mappings(), {}, {},
                            b"s", tmp_path, "t")
    with caplog.at_level(logging.ERROR, logger="runreport"):
        check = filecheck.check_file(job)
    assert check.rejected is not None and check.rejected[0] == "unreadable"
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "reading or checking the file failed" in logged and "ValueError" in logged
    assert "anna.svensson" not in logged and "skolan.se" not in logged
    assert "anna.svensson" not in check.rejected[1]
