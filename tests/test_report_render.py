"""The Word report rendered from literal content (no database), checked with python-docx."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from runreport.carry_over import BalanceRow
from runreport.report import charts
from runreport.report import content as rc
from runreport.report.build import ReportMeta, compose, parse_markdown
from runreport.report.pdf import find_soffice, to_pdf
from runreport.report.render_docx import DEFAULT_TEMPLATE, render_docx
from runreport.sweformat import NBSP

TRICKY = "Deltagarna skrev <&> och {{ namn }} \x07 i texten"


def sample_content(narratives: dict | None = None, report_date: date = date(2021, 2, 15)):
    meta = ReportMeta(2020, "Regionalt utvecklingsnätverk (RUN)", "RUN", "Mittuniversitetet", report_date)
    act = rc.ActivityReport(
        activity_code="2020-A01", activity_name="Att organisera för fjärrundervisning – uppföljningsträff",
        section="Aktiviteter", target_group="Förvaltningschefer", form="D", term="VT",
        goals=("1", "4"), description=tuple(p for p in parse_markdown(f"Träffen genomfördes **digitalt**.\n\n{TRICKY}")
                                            if isinstance(p, rc.Paragraph)),
        description_missing=False,
        sessions=(rc.SessionInfo(1, date(2020, 4, 2), "D", "Zoom"),),
        registered=30, cancelled=2, participants=23,
        per_organisation=(rc.OrgCount("2380", "Östersund", 12), rc.OrgCount("2281", "Sundsvall", 9),
                          rc.OrgCount("SPSM", "SPSM", 2)),
        evaluation=rc.EvaluationSummary(18, 23, (
            rc.QuestionSummary("Helhetsintryck", (0, 0, 2, 6, 10)),
            rc.QuestionSummary("Relevans för min yrkesroll", (0, 1, 2, 5, 10)),
            rc.QuestionSummary("Kommer att använda i mitt arbete", (0, 0, 4, 4, 10)))),
    )
    economy = rc.Economy(
        contributions=(rc.ContributionLine("2380", "Östersund", 64000, Decimal(2), 12, Decimal(128000)),
                       rc.ContributionLine("2281", "Sundsvall", 398500, Decimal(2), 12, Decimal(797000))),
        in_kind_text="Mittuniversitetet bidrar med löner motsvarande 2,40 operativ tjänst och 0,25 ordförandeskap.",
        budget=(rc.BudgetLine("Organisation", "2020-O01", "RUN-riksdag", Decimal(175000), "Delt.avg.", None,
                              Decimal(136000)),
                rc.BudgetLine("Aktiviteter", "2020-A01", act.activity_name, Decimal(750000), "Skolverket",
                              Decimal(50000), Decimal(334000))),
        balance=BalanceRow(2020, Decimal(0), Decimal(925000), Decimal(0), Decimal(470000)),
    )
    return compose(
        meta,
        narratives if narratives is not None else {
            "introduction": "I det Regionala utvecklingsnätverket samverkar 19 kommuner.",
            "organisation": "## RUN-riksdag\n\nHögsta beslutande organ.\n\n- punkt ett\n- punkt **två**",
            "networks": "Nätverk för språk-, läs- och skrivutveckling.",
            "summary": "Året 2020 blev ett speciellt år.",
        },
        [act],
        comparison=[rc.ComparisonRow(act.activity_name, 23, 50)],
        goal_matrix=rc.GoalMatrix("2020–2022", (("1", "Likvärdighet"), ("2", "Kvalitet"), ("3", "Kompetens"),
                                                ("4", "Digitalisering")), ((act.activity_name, ("1", "4")),)),
        economy=economy,
        data_quality=rc.DataQuality((rc.SourceQuality("registrations", 1, 100, 97, 3),),
                                    (rc.QuarantineReason("registrations", "Okänd kommun", 3),)),
    )


@pytest.fixture(scope="module")
def rendered():
    content = sample_content()
    data = render_docx(content)
    return content, data, Document(io.BytesIO(data))


def _all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def test_template_exists():
    assert DEFAULT_TEMPLATE.exists(), "run scripts/make_report_template.py"


def test_headings_use_heading_styles(rendered):
    _, _, doc = rendered
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    for heading in ("Inledning", "Organisation", "Nätverk", "Kompetensutvecklingsaktiviteter",
                    "Deltagande jämfört med föregående år", "Samverkansmål", "Ekonomi", "Sammanfattning"):
        assert heading in h1
    assert "Bilaga: Datakvalitet" not in h1  # data-quality reasons are on the stewards' pages
    h2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert "RUN-riksdag" in h2  # a '##' heading in the Markdown text
    assert "Att organisera för fjärrundervisning – uppföljningsträff" in h2
    assert any(p.style.name == "Title" and p.text == "Verksamhetsberättelse 2020" for p in doc.paragraphs)


def test_toc_field(rendered):
    _, data, _ = rendered
    xml = _part(data, "word/document.xml")
    assert "TOC \\o" in xml
    assert 'w:updateFields w:val="true"' in _part(data, "word/settings.xml")


def test_money_and_tables(rendered):
    _, _, doc = rendered
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert f"925{NBSP}000{NBSP}kr" in cells  # contribution total
    assert f"455{NBSP}000{NBSP}kr" in cells  # carried over
    assert "4,4" in cells  # mean with decimal comma: (2*3+6*4+10*5)/18 = 4.44
    text = _all_text(doc)
    assert "Överskjutande medel till 2021" in text
    assert "Distans" in text and "Totalt" in text


def test_header_rows_repeat(rendered):
    _, _, doc = rendered
    assert doc.tables
    for t in doc.tables:
        tr_pr = t.rows[0]._tr.trPr
        assert tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None
        assert t.rows[1]._tr.trPr.find(qn("w:tblHeader")) is None


def test_chart_image_with_alt_text(rendered):
    content, data, doc = rendered
    assert len(doc.inline_shapes) == 1
    descr = doc.inline_shapes[0]._inline.docPr.get("descr")
    assert descr.startswith("Stapeldiagram: antal deltagare per kommun eller organisation i Att organisera")
    assert "Östersund 12, Sundsvall 9, SPSM 2" in descr
    assert any(p.style.name == "Caption" and p.text.startswith("Figur 1.") for p in doc.paragraphs)
    assert any(name.startswith("word/media/") and name.endswith(".png") for name in _names(data))


def test_language_and_core_properties(rendered):
    content, data, doc = rendered
    styles = _part(data, "word/styles.xml")
    assert 'w:lang w:val="sv-SE"' in styles
    props = doc.core_properties
    assert props.title == "Verksamhetsberättelse 2020"
    assert props.author == "Regionalt utvecklingsnätverk (RUN)"
    assert props.language == "sv-SE"
    assert "2020" in props.subject
    assert props.created.date() == date(2021, 2, 15) == props.modified.date()


def test_free_text_is_literal(rendered):
    _, data, doc = rendered
    text = _all_text(doc)
    assert "Deltagarna skrev <&> och {{ namn }}  i texten" in text  # BEL removed, rest literal
    assert "&lt;&amp;&gt;" in _part(data, "word/document.xml")


def test_missing_narrative_gives_placeholder():
    content = sample_content(narratives={"introduction": "Inledande text."})
    assert any("organisation" in w for w in content.warnings)
    doc = Document(io.BytesIO(render_docx(content)))
    text = _all_text(doc)
    assert "[Text saknas: organisation (2020/organisation.md)]" in text
    assert "[Text saknas: sammanfattning (2020/summary.md)]" in text
    assert content.section("Organisation").has_placeholder


def test_same_content_same_document(rendered):
    content, data, doc = rendered
    again = render_docx(sample_content())
    assert _all_text(Document(io.BytesIO(again))) == _all_text(doc)
    assert again == data  # fixed timestamps and deterministic PNG: identical bytes


def test_to_dict_is_plain():
    d = sample_content().to_dict()
    assert d["year"] == 2020
    assert d["economy"]["balance"]["closing_sek"] == 455000
    assert d["sections"][0]["heading"] == "Inledning"


def test_chart_png_deterministic():
    series = charts.ordered_series([("Sundsvall", 9), ("Östersund", 12), ("Åre", 3)])
    assert series[0] == ("Östersund", 12)
    assert charts.bar_chart_png(series) == charts.bar_chart_png(series)
    assert charts.bar_chart_png(()).startswith(b"\x89PNG")   # nothing to show: an empty chart, no error


def test_pdf(tmp_path: Path):
    if find_soffice() is None:
        pytest.skip("LibreOffice (soffice) saknas: PDF-konverteringen kan inte testas")
    docx = tmp_path / "verksamhetsberattelse_2020.docx"
    render_docx(sample_content(), docx)
    pdf = to_pdf(docx)
    assert pdf is not None and pdf.read_bytes().startswith(b"%PDF")


def test_pdf_without_soffice(tmp_path: Path, monkeypatch, caplog):
    monkeypatch.setattr("runreport.report.pdf.shutil.which", lambda name: None)
    assert to_pdf(tmp_path / "x.docx") is None
    assert "LibreOffice (soffice) saknas" in caplog.text


def _names(data: bytes) -> list[str]:
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def _part(data: bytes, name: str) -> str:
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data)).read(name).decode("utf-8")


def test_chart_of_negative_amounts():
    """A carry-over below zero (a network that spent more than it had) is drawn to the left of the axis
    with its value, not placed outside the figure (which made FreeType's rasteriser overflow)."""
    series = (("2023", 163_852), ("2024", -420_000), ("2025", -1_250_000))
    png = charts.bar_chart_png(series, value_label="Kronor")
    assert png.startswith(b"\x89PNG") and png == charts.bar_chart_png(series, value_label="Kronor")
    assert charts.bar_chart_png((("2024", -5),), value_label="Kronor").startswith(b"\x89PNG")
    # the lived year's draft: no contributions yet, so the carry-over went below zero from nothing
    assert charts.bar_chart_png((("2023", 0), ("2024", -524_008)), value_label="Kronor").startswith(b"\x89PNG")


def _inked_columns(png: bytes) -> list[int]:
    """The x positions of the PNG's columns holding anything darker than near-white."""
    import numpy as np
    from PIL import Image

    grey = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    return [int(x) for x in np.nonzero((grey < 200).any(axis=0))[0]]


def test_a_long_name_wraps_inside_the_chart():
    """Found in review: a name of some 80 characters ran off the image's left edge; it now wraps onto
    a second line (and is shortened with an ellipsis beyond two)."""
    long_name = "Region Jämtland Härjedalen, Hälso- och sjukvårdsförvaltningen, Östersunds sjukhus"
    inked = _inked_columns(charts.bar_chart_png(((long_name, 400_000), ("Åre", 12)), value_label="Antal deltagare"))
    assert inked[0] > 10, f"ink at the left edge: column {inked[0]}"


def _bars_and_base(png: bytes) -> tuple[list[int], list[int]]:
    """The columns holding bar colour, and the columns of the bars' base line (dark in most rows)."""
    import numpy as np
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    bar = (np.abs(rgb - np.array([0x1F, 0x5F, 0x8B])).max(axis=2) < 25).any(axis=0)
    dark = (rgb.max(axis=2) < 110).mean(axis=0) > 0.5
    return [int(x) for x in np.nonzero(bar)[0]], [int(x) for x in np.nonzero(dark)[0]]


def test_bars_start_at_their_base_line():
    """The bars grow from the line they stand on: found while redrawing the charts, a chart without
    negative values left a gap of a sixth of its width between the line and every bar (room kept for
    negative values' texts that were not there)."""
    bars, base = _bars_and_base(charts.bar_chart_png((("Östersund", 400), ("Åre", 120)), value_label="Antal"))
    assert base, "no base line"
    assert 0 <= bars[0] - base[-1] <= 2, f"gap between the base line (x={base[-1]}) and the bars (x={bars[0]})"
    # bars both ways: the line is at zero, bars touch it from both sides
    bars, base = _bars_and_base(charts.bar_chart_png((("2023", 163_852), ("2024", -420_000)), value_label="Kronor"))
    left = [x for x in bars if x < base[0]]
    right = [x for x in bars if x > base[-1]]
    assert left and right and base[0] - left[-1] <= 2 and right[0] - base[-1] <= 2
