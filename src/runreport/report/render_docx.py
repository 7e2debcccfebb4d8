"""Render :class:`~runreport.report.content.ReportContent` as a Word document (.docx).

The template (``include/templates/report_template.docx``, made by
``scripts/make_report_template.py``) supplies the styles; its body is emptied and the report
written with real heading styles, a table-of-contents field, tables whose header row repeats on
every page, and charts as inline PNG images with alternative text and a caption.

Accessibility and language: the document language is sv-SE (template defaults, plus core property
``language``); images carry ``descr`` (alt text) on ``wp:docPr``.

Safety: every text from data or staff (narratives, activity names, reasons) is added as plain text
runs (python-docx escapes XML) after removing characters that are illegal in XML; nothing is
interpreted as a template or markup.

Determinism: the document's created/modified times are the content's ``report_date`` (midnight
UTC), not the clock, and the zip entries carry that date as well, so the same content gives the
same document text and, with the same library versions, the same bytes.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tbl, CT_Tc
from docx.oxml.text.run import CT_R
from docx.shared import Length, Mm, Pt
from docx.text.paragraph import Paragraph as DocxParagraph

from runreport.config import PROJECT_ROOT
from runreport.report import charts as chart_mod
from runreport.report.byte_stable import fixed_zip
from runreport.report.content import Chart, Paragraph, ReportContent, Table
from runreport.report.page_flow import keep_with_next
from runreport.sweformat import long_date, number

DEFAULT_TEMPLATE = PROJECT_ROOT / "include" / "templates" / "report_template.docx"   # RUN_HOME, or the checkout
LANGUAGE = "sv-SE"
TABLE_STYLE = "RUN Tabell"
CHART_WIDTH = Mm(150)
KEEP_WHOLE_ROWS = 25   # a table of at most this many rows is kept on one page

# XML 1.0 forbids C0 controls except tab/newline/CR, surrogates and U+FFFE/U+FFFF.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
          "center": WD_ALIGN_PARAGRAPH.CENTER}


def clean(text: str) -> str:
    """Remove characters that may not appear in XML (never raises on odd input)."""
    return _ILLEGAL_XML.sub("", str(text))


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, int):
        return number(value)
    if isinstance(value, float | Decimal):
        return number(value, 0 if value == int(value) else 1)
    return clean(str(value))


class _Renderer:
    def __init__(self, content: ReportContent, template: Path, toc_pages: list[str] | None = None) -> None:
        self.content = content
        self.toc_pages = toc_pages
        self.doc = Document(str(template))
        self.figure_no = 0
        self.table_no = 0
        self._style_names: dict[str, str] = {}
        self._style_ids: dict[tuple[str, WD_STYLE_TYPE], str | None] = {}
        self._cells: dict[tuple[WD_ALIGN_PARAGRAPH, bool], CT_Tc] = {}
        self.table_pt = self._table_font_size()
        body = self.doc.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)

    def _table_font_size(self) -> float:
        """The point size of the template's table style (then Normal's; 10 pt if neither says)."""
        for name in (TABLE_STYLE, "Normal"):
            try:
                size = self.doc.styles[name].font.size
            except KeyError:
                continue
            if size is not None:
                return size.pt
        return 10.0

    # -- helpers --------------------------------------------------------------------------------
    # Style names are resolved to ids once per document: python-docx resolves a name on every
    # assignment (a search of styles.xml by name, then another for the type's default style), which
    # was a fifth of the document's time.

    def _style(self, name: str, fallback: str = "Normal") -> str:
        if name not in self._style_names:
            try:
                self.doc.styles[name]
                self._style_names[name] = name
            except KeyError:
                self._style_names[name] = fallback
        return self._style_names[name]

    def _style_id(self, name: str, style_type: WD_STYLE_TYPE = WD_STYLE_TYPE.PARAGRAPH) -> str | None:
        """As python-docx's ``get_style_id``: ``None`` for the type's default style."""
        key = (name, style_type)
        if key not in self._style_ids:
            self._style_ids[key] = self.doc.styles.get_style_id(name, style_type)
        return self._style_ids[key]

    def add_paragraph(self, text: str = "", style: str | None = None) -> DocxParagraph:
        """``Document.add_paragraph`` with the style id from the cache."""
        para = self.doc.add_paragraph(text)
        if style is not None:
            para._p.style = self._style_id(style)
        return para

    def paragraph(self, p: Paragraph, keep_with_next: bool = False) -> None:
        """A paragraph; ``keep_with_next`` when it introduces what follows (a chart, a table), so
        "Figuren nedan visar …" never ends a page with its figure on the next."""
        style = {"bullet": self._style("List Bullet"), "subtitle": self._style("Subtitle")}.get(p.style, "Normal")
        para = self.add_paragraph(style=style)
        if keep_with_next:
            para.paragraph_format.keep_with_next = True
        if p.style == "bullet":   # a list item is not split over two pages
            para.paragraph_format.keep_together = True
        for run in p.runs:
            r = para.add_run(clean(run.text))
            if run.bold or p.placeholder:
                r.bold = True

    def caption(self, text: str) -> None:
        self.add_paragraph(clean(text), style=self._style("Caption"))

    def table(self, t: Table) -> None:
        """Each cell is a copy of a prototype cell (see :meth:`_cell`) with its column's width and
        its text: the same XML as python-docx's cell API gives, which cost ~0.3 ms a cell
        (``row.cells`` works out the grid of the whole row on every call, then a schema-ordered
        insert for each property)."""
        self.table_no += 1
        cap = self.add_paragraph(clean(f"Tabell {self.table_no}. {t.caption}"), style=self._style("Caption"))
        cap.paragraph_format.keep_with_next = True
        rows = [t.header, *t.rows, *((t.total,) if t.total else ())]
        table = self.doc.add_table(rows=len(rows), cols=len(t.header))
        tbl = table._tbl
        tbl.tblStyle_val = self._style_id(self._style(TABLE_STYLE, "Table Grid"), WD_STYLE_TYPE.TABLE)
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        tbl_look = tbl.tblPr.find(qn("w:tblLook"))
        if tbl_look is None:
            tbl_look = OxmlElement("w:tblLook")
            tbl.tblPr.append(tbl_look)
        tbl_look.set(qn("w:firstRow"), "1")
        tbl_look.set(qn("w:lastRow"), "1" if t.total else "0")
        tbl_look.set(qn("w:firstColumn"), "0")
        tbl_look.set(qn("w:noVBand"), "1")
        widths = self._column_widths(rows, [t.alignment(j) == "right" for j in range(len(t.header))], bool(t.total))
        table.autofit = False
        for grid_col, width in zip(tbl.tblGrid.gridCol_lst, widths, strict=True):
            grid_col.w = width  # w:gridCol, which LibreOffice follows
        columns = []  # per column: (plain, bold) prototype with the column's width
        for j, width in enumerate(widths):
            align = _ALIGN.get(t.alignment(j), WD_ALIGN_PARAGRAPH.LEFT)
            pair = tuple(copy.deepcopy(self._cell(tbl, align, bold)) for bold in (False, True))
            for tc in pair:
                tc.width = width
            columns.append(pair)
        for i, (tr, values) in enumerate(zip(tbl.tr_lst, rows, strict=True)):
            bold = i == 0 or (bool(t.total) and i == len(rows) - 1)  # header, total
            tr_pr = tr.get_or_add_trPr()
            if i == 0:
                el = OxmlElement("w:tblHeader")  # repeat as header row on each page
                tr_pr.append(el)
            cant = OxmlElement("w:cantSplit")
            tr_pr.insert(0, cant)
            # No row left alone at a page's foot or head: a short table stays whole, a long one keeps
            # its first three and last three rows together (keep-with-next on the rows' paragraphs).
            keep = i < len(rows) - 1 and (len(rows) <= KEEP_WHOLE_ROWS or i < 3 or i >= len(rows) - 3)
            for tc, value, pair in zip(tr.tc_lst, values, columns, strict=True):
                cell = copy.deepcopy(pair[bold])
                _set_run_text(cell[-1][-1], cell_text(value))  # w:tc/w:p/w:r
                if keep:
                    DocxParagraph(cell[-1], None).paragraph_format.keep_with_next = True
                tr.replace(tc, cell)
        self.doc.add_paragraph()  # air after the table

    def _cell(self, tbl: CT_Tbl, align: WD_ALIGN_PARAGRAPH, bold: bool) -> CT_Tc:
        """A prototype table cell (made once per document): a new cell as python-docx makes it,
        then through its API alignment ``align``, no space after, a run with a one-character
        ``<w:t>`` (bold or not)."""
        key = (align, bold)
        if key not in self._cells:
            tc = copy.deepcopy(tbl.tr_lst[0].tc_lst[0])
            para = DocxParagraph(tc.p_lst[0], None)
            para.alignment = align
            para.paragraph_format.space_after = 0
            run = para.add_run("x")
            run.font.size = Pt(self.table_pt)   # as the table style says: LibreOffice ignores its size
            if bold:
                run.bold = True
            self._cells[key] = tc
        return self._cells[key]

    def _column_widths(self, rows, whole: list[bool], total: bool) -> list[Length]:
        """Columns as wide as their widest unbreakable piece (an amount whole, a word), the rest of
        the text width to the columns that would wrap (:mod:`runreport.report.measure`), instead of
        Word's equal split that breaks amounts and words in narrow columns."""
        from docx.shared import Cm

        from runreport.report import measure

        section = self.doc.sections[-1]
        text_cm = (section.page_width - section.left_margin - section.right_margin) / 360000
        texts = [[cell_text(v) for v in r] for r in rows]
        return [Cm(w) for w in measure.column_widths(texts, text_cm, whole, size_pt=self.table_pt,
                                                     total_bold=total)]

    def chart(self, c: Chart) -> None:
        self.figure_no += 1
        png = chart_mod.bar_chart_png(c.series, title="", value_label=c.value_label)
        para = self.doc.add_paragraph()
        para.paragraph_format.keep_with_next = True
        run = para.add_run()
        run.add_picture(io.BytesIO(png), width=CHART_WIDTH)
        (doc_pr,) = run.element.xpath(".//wp:docPr")   # the picture's name and alt text (Word: Alt Text)
        doc_pr.set("name", f"Figur {self.figure_no}")
        doc_pr.set("descr", clean(c.alt_text))
        doc_pr.set("title", clean(c.title))
        self.caption(f"Figur {self.figure_no}. {c.caption or c.title}")

    def toc(self) -> None:
        """A TOC field (headings 1–2) whose cached result lists the headings, with the page numbers
        when they are known (``toc_pages``: from the PDF LibreOffice printed); Word refreshes them
        when the document is opened (``updateFields``)."""
        self.add_paragraph("Innehåll", style=self._style("TOC Heading"))
        # single-spaced entries: the contents of a year with some 45 headings fit on one page
        # instead of spilling their last entry onto a page of its own
        for level in (1, 2):
            fmt = self.doc.styles[self._style(f"TOC {level}")].paragraph_format
            fmt.line_spacing = 1.0
            fmt.space_after = Pt(2 if level == 1 else 0)
        para = self.doc.add_paragraph()
        run = para.add_run()
        begin = OxmlElement("w:fldChar")
        begin.set(qn("w:fldCharType"), "begin")
        begin.set(qn("w:dirty"), "true")
        instr = OxmlElement("w:instrText")
        instr.set(qn("xml:space"), "preserve")
        instr.text = ' TOC \\o "1-2" \\h \\z \\u '
        sep = OxmlElement("w:fldChar")
        sep.set(qn("w:fldCharType"), "separate")
        run._r.extend([begin, instr, sep])
        first = True
        labels = iter(self.toc_pages or ())
        section = self.doc.sections[-1]
        right = section.page_width - section.left_margin - section.right_margin
        for s in self.content.sections:
            if s.level > 2:
                continue
            p = para if first else self.doc.add_paragraph()
            p._p.style = self._style_id(self._style(f"TOC {s.level}"))
            if self.toc_pages is None:
                p.add_run(clean(s.heading))
            else:   # the page LibreOffice printed the heading on (report.pdf.heading_pages)
                p.paragraph_format.tab_stops.add_tab_stop(right, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
                p.add_run(clean(f"{s.heading}\t{next(labels, '')}"))
            first = False
        end_run = (self.doc.paragraphs[-1]).add_run()
        end = OxmlElement("w:fldChar")
        end.set(qn("w:fldCharType"), "end")
        end_run._r.append(end)
        settings = self.doc.settings.element
        if settings.find(qn("w:updateFields")) is None:
            upd = OxmlElement("w:updateFields")
            upd.set(qn("w:val"), "true")
            settings.append(upd)

    # -- the document ---------------------------------------------------------------------------

    def title_page(self) -> None:
        c = self.content
        self.add_paragraph(clean(c.title), style=self._style("Title"))
        for line in (c.subject, c.network_name, c.host_university, long_date(c.report_date)):
            if line:
                self.add_paragraph(clean(line), style=self._style("Subtitle"))
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def draft_marks(self) -> None:
        """UTKAST in every page's header and, first thing in the document, what is missing."""
        c = self.content
        mark = "UTKAST – inte den slutliga verksamhetsberättelsen: underlag saknas"
        for section in self.doc.sections:
            header = section.header
            header.is_linked_to_previous = False
            p = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
            p.text = ""
            run = p.add_run(mark)
            run.bold = True
        self.add_paragraph("UTKAST", style=self._style("Title"))
        self.add_paragraph(clean(f"Verksamhetsberättelsen för {c.year} kan inte bli slutlig förrän "
                                 f"följande underlag har kommit in och godkänts:"))
        for gap in c.draft_gaps:
            self.add_paragraph(clean(gap), style=self._style("List Bullet"))

    def render(self) -> bytes:
        c = self.content
        if c.draft_gaps:
            self.draft_marks()
        self.title_page()
        self.toc()
        for i, s in enumerate(c.sections):
            level = max(1, min(3, s.level))
            h = self.add_paragraph(clean(s.heading), f"Heading {level}")  # as Document.add_heading
            if s.page_break_before:
                h.paragraph_format.page_break_before = True
            following_section = c.sections[i + 1] if i + 1 < len(c.sections) else None
            keeps = keep_with_next(s.blocks, opens=following_section is not None and following_section.level > s.level)
            for k, block in enumerate(s.blocks):
                if isinstance(block, Paragraph):
                    self.paragraph(block, keep_with_next=keeps[k])
                elif isinstance(block, Table):
                    self.table(block)
                elif isinstance(block, Chart):
                    self.chart(block)
        self.properties()
        buf = io.BytesIO()
        self.doc.save(buf)
        return fixed_zip(buf.getvalue(), _timestamp(c))

    def properties(self) -> None:
        c = self.content
        props = self.doc.core_properties
        props.title = clean(c.title)
        props.author = clean(c.network_name)
        props.subject = clean(c.subject)
        props.language = c.language or LANGUAGE
        props.keywords = clean(f"verksamhetsberättelse; {c.year}")
        props.last_modified_by = clean(c.network_name)
        props.revision = 1
        props.created = props.modified = _timestamp(c)
        props.comments = ""


def _set_run_text(r: CT_R, text: str) -> None:
    """On a run whose last child is a ``<w:t>``: the result of ``Run.text = text`` (one
    ``<w:t>``, ``xml:space="preserve"`` for outer spaces, ``<w:tab/>``/``<w:br/>`` for tabs and
    line breaks, nothing for ""), without its character-by-character pass for the usual text."""
    t = r[-1]
    if text and not any(ch in text for ch in "\t\n\r"):
        t.text = text
        if len(text.strip()) < len(text):
            t.set(qn("xml:space"), "preserve")
        return
    r.remove(t)
    if text:
        r.text = text


def _timestamp(content: ReportContent) -> dt.datetime:
    d = content.report_date
    return dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC)


def toc_headings(content: ReportContent) -> list[str]:
    """The headings the table of contents lists, in order."""
    return [clean(s.heading) for s in content.sections if s.level <= 2]


def render_docx(content: ReportContent, out: Path | None = None, template: Path | None = None,
                toc_pages: list[str] | None = None) -> bytes:
    """Render ``content``; write to ``out`` when given. Returns the .docx bytes. ``toc_pages``: the
    page of each of :func:`toc_headings`, shown in the table of contents."""
    from runreport.memory import freed_promptly

    with freed_promptly():   # the document's parts and pictures, freed when it is written
        data = _Renderer(content, template or DEFAULT_TEMPLATE, toc_pages).render()
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(out)
    return data
