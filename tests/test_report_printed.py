"""The annual report as the meeting reads it: the demo year's PDF, printed by LibreOffice and read
back with poppler (pdftotext -layout, pdfinfo, pdffonts), not what python-docx holds.

- no one-token table cell (an amount, a count, a year, a single word) is broken across lines;
- the table of contents gives each heading's page, and the heading is printed on that page;
- the PDF is tagged (headings, reading order, alt texts for screen readers), its fonts are embedded
  and are Carlito (Calibri's metric twin), and its properties name the network and the year.

LibreOffice, poppler and Carlito are installed by ``.ci/run``; elsewhere the test skips saying why.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from datetime import date

import demo_expectations as expect
import docx
import pytest
from conftest import skip_or_fail

from runreport import config, pipeline
from runreport.report import write_report
from runreport.report.pdf import find_soffice
from runreport.report.render_docx import toc_headings

YEAR = 2025
ONE_TOKEN = re.compile(r"^(?:[−-]?\d[\d\u00a0 ]*(?:,\d+)?(?:\u00a0(?:kr|%))?|\S+)$")


def _plain(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    missing = [name for name, found in (("LibreOffice (soffice)", find_soffice()),
                                        ("poppler (pdftotext)", shutil.which("pdftotext")),
                                        ("poppler (pdffonts)", shutil.which("pdffonts"))) if not found]
    if missing:
        skip_or_fail(f"{', '.join(missing)} saknas: den utskrivna rapporten kan inte kontrolleras")
    tmp = tmp_path_factory.mktemp("printed")
    inbox = tmp / "inbox"
    shutil.copytree(expect.INBOX, inbox)
    cfg = config.load(overrides={"warehouse": {"url": f"sqlite:///{tmp / 'w.db'}"},
                                 "paths": {"inbox": str(inbox), "output": str(tmp / "out")}}, environ={})
    from runreport.warehouse.engine import migrate

    migrate(cfg.warehouse.url)
    pipeline.collect_files(cfg, YEAR)
    pipeline.validate_files(cfg, YEAR, b"secret")
    pipeline.load_files(cfg, YEAR)
    pipeline.compute(cfg, YEAR)
    with pipeline.sessions(cfg)() as s:
        result = write_report(s, cfg, YEAR, report_date=date(YEAR + 1, 2, 2), pdf=True)
    assert result["pdf"] is not None, result["warnings"]
    pages = subprocess.run(["pdftotext", "-layout", str(result["pdf"]), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    return cfg, result, pages


def test_no_one_token_table_cell_is_broken_across_lines(printed):
    """Every amount, count, year and single word of a table is printed whole on one line: each
    such value occurs in the printed text at least as often as the document holds it."""
    _, result, pages = printed
    d = docx.Document(str(result["docx"]))
    held: Counter[str] = Counter()
    for table in d.tables:
        for row in table.rows:
            for cell in row.cells:
                text = cell.text.strip()
                if text and ONE_TOKEN.match(text):
                    held[_plain(text)] += 1
    body = " ".join(p.text for p in d.paragraphs)
    # running text may wrap after a hyphen ("RUN-" / "webbinarium"): such lines are joined first
    text = re.sub(r"(?<=\w-)\n\s*(?=\w)", "", "\n".join(pages))
    printed_lines = [_plain(line) for line in text.splitlines()]

    def occurrences(value: str, texts) -> int:
        pattern = re.compile(rf"(?<![\w,]){re.escape(value)}(?![\w,])")
        return sum(len(pattern.findall(t)) for t in texts)

    assert len(held) > 50   # the demo year's tables: amounts, counts, years, words
    broken = {v: n for v, n in held.items()
              if occurrences(v, printed_lines) < n + occurrences(v, [_plain(body)])}
    assert not broken, f"broken across lines in the PDF: {broken}"


def test_contents_give_the_page_each_heading_is_printed_on(printed):
    _, result, pages = printed
    headings = toc_headings(_content_of(result))
    assert _plain(pages[1].splitlines()[0]) == "Innehåll"
    toc = [_plain(line) for page in pages[1:5] for line in page.splitlines()
           if re.search(r"\.{3,} ?\d+$", _plain(line))]   # the contents may run over several pages
    for heading in headings:
        entry = next((line for line in toc if line.startswith(_plain(heading))), None)
        assert entry is not None, heading
        match = re.search(r"\.{3,} ?(\d+)$", entry)
        assert match, f"no page number: {entry!r}"
        page = int(match.group(1))
        assert _plain(heading) in [_plain(line) for line in pages[page - 1].splitlines()], (heading, page)
    # the demo year's contents fit their page: no entry alone on a page of its own before "Året i siffror"
    assert _plain(pages[2].strip().splitlines()[0]) == "Året i siffror"


def _content_of(result):
    """The headings as the document holds them (Heading 1 and 2 paragraphs), in order."""
    from types import SimpleNamespace

    d = docx.Document(str(result["docx"]))
    sections = [SimpleNamespace(heading=p.text, level=int(p.style.name[-1]))
                for p in d.paragraphs if p.style.name in ("Heading 1", "Heading 2")]
    return SimpleNamespace(sections=sections)


def test_the_pdf_is_tagged_embeds_carlito_and_names_the_network(printed):
    cfg, result, _ = printed
    info = subprocess.run(["pdfinfo", str(result["pdf"])], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert fields["Tagged"].strip() == "yes"
    assert fields["Title"].strip() == f"Verksamhetsberättelse {YEAR}"
    assert cfg.network_name in fields["Author"]
    fonts = subprocess.run(["pdffonts", str(result["pdf"])], capture_output=True, text=True, check=True).stdout
    header, _, *lines = fonts.splitlines()
    emb = header.index("emb")
    rows = [(line.split()[0], line[emb:emb + 3]) for line in lines if line.strip()]
    assert rows and all(embedded == "yes" for _, embedded in rows), fonts   # every font embedded
    if subprocess.run(["fc-list", "Carlito"], capture_output=True, text=True).stdout.strip():
        body = [name for name, _ in rows if "Carlito" in name]
        assert body, f"the body text is not in Carlito: {fonts}"
    else:
        skip_or_fail("Carlito (fonts-crosextra-carlito) saknas: typsnittet kan inte kontrolleras")
