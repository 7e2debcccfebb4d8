"""Build ``include/templates/report_template.docx``: the Word template of the annual report.

The renderer (``runreport.report.render_docx``) opens this file, empties its body and writes the
report with its styles: Title, Subtitle, Heading 1–3, Normal, List Bullet, Caption, TOC 1–3 and
the table style ``RUN Tabell``. The organisation may restyle the template in Word (fonts, colours,
spacing, logo in the header) without touching code, as long as the style names stay.

Run: ``.venv/bin/python scripts/make_report_template.py`` (the .docx is committed).
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from runreport.report.render_docx import fixed_zip

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "include" / "templates" / "report_template.docx"
LANG = "sv-SE"
FONT = "Calibri"
HEADING_COLOUR = RGBColor(0x1F, 0x3A, 0x5F)
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def _set_lang(rpr) -> None:
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), LANG)
    lang.set(qn("w:eastAsia"), LANG)
    lang.set(qn("w:bidi"), "ar-SA")
    rpr.append(lang)


def _doc_defaults(doc) -> None:
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault"))
    rpr = rpr_default.find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(attr), None)
    _set_lang(rpr)


def _font(style, size: float, bold: bool | None = None, colour: RGBColor | None = None) -> None:
    style.font.name = FONT
    style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    if colour is not None:
        style.font.color.rgb = colour
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(attr), None)
    _set_lang(rpr)


def _table_style(doc) -> None:
    style = doc.styles.add_style("RUN Tabell", WD_STYLE_TYPE.TABLE)
    style.base_style = doc.styles["Table Grid"]
    style.font.name = FONT
    style.font.size = Pt(10)
    el = style.element
    # Header row: bold on light shading; the renderer also marks it to repeat on each page.
    first = OxmlElement("w:tblStylePr")
    first.set(qn("w:type"), "firstRow")
    rpr = OxmlElement("w:rPr")
    rpr.append(OxmlElement("w:b"))
    first.append(rpr)
    tcpr = OxmlElement("w:tcPr")
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), "DCE6F0")
    tcpr.append(shd)
    first.append(tcpr)
    last = OxmlElement("w:tblStylePr")
    last.set(qn("w:type"), "lastRow")
    rpr2 = OxmlElement("w:rPr")
    rpr2.append(OxmlElement("w:b"))
    last.append(rpr2)
    el.append(first)
    el.append(last)


def _footer_page_number(section) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            fc = OxmlElement("w:fldChar")
            fc.set(qn("w:fldCharType"), kind)
            run._r.append(fc)
        elif text == " PAGE ":
            it = OxmlElement("w:instrText")
            it.set(qn("xml:space"), "preserve")
            it.text = text
            run._r.append(it)
        else:
            t = OxmlElement("w:t")
            t.text = text
            run._r.append(t)
    section.different_first_page_header_footer = True  # no number on the title page


def build() -> bytes:
    doc = Document()
    _doc_defaults(doc)
    st = doc.styles
    _font(st["Normal"], 11)
    st["Normal"].paragraph_format.space_after = Pt(6)
    st["Normal"].paragraph_format.line_spacing = 1.15
    _font(st["Title"], 28, bold=True, colour=HEADING_COLOUR)
    _font(st["Subtitle"], 14, colour=HEADING_COLOUR)
    for level, size in ((1, 16), (2, 13), (3, 11.5)):
        h = st[f"Heading {level}"]
        _font(h, size, bold=True, colour=HEADING_COLOUR)
        h.paragraph_format.space_before = Pt(18 if level == 1 else 12)
        h.paragraph_format.space_after = Pt(6)
        h.paragraph_format.keep_with_next = True
    _font(st["Caption"], 9, bold=False, colour=RGBColor(0x40, 0x40, 0x40))
    st["Caption"].font.italic = True
    _font(st["List Bullet"], 11)
    _font(st["TOC Heading"], 16, bold=True, colour=HEADING_COLOUR)
    for level in (1, 2, 3):
        name = f"TOC {level}"
        toc = st.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        toc.base_style = st["Normal"]
        toc.paragraph_format.left_indent = Mm(5 * (level - 1))
        toc.paragraph_format.space_after = Pt(2)
    _table_style(doc)

    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(25)
    section.left_margin = section.right_margin = Mm(25)
    section.header_distance = section.footer_distance = Mm(12.5)
    _footer_page_number(section)

    props = doc.core_properties
    props.title = "Verksamhetsberättelse"
    props.author = "Regionalt utvecklingsnätverk (RUN)"
    props.language = LANG
    props.last_modified_by = ""
    props.revision = 1
    props.created = props.modified = dt.datetime(*FIXED_TIME)

    buf = io.BytesIO()
    doc.save(buf)
    return fixed_zip(buf.getvalue(), dt.datetime(*FIXED_TIME))  # same bytes on every run


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(build())
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
