"""How the report's blocks flow over printed pages: which paragraphs keep with what follows them.
Pure: a section's blocks in, one flag per block out (``render_docx`` sets Word's keep-with-next)."""

from __future__ import annotations

from collections.abc import Sequence

from runreport.report.content import Chart, Paragraph, Table

SHORT_PARAGRAPH = 600   # characters: about six printed lines


def keep_with_next(blocks: Sequence[Paragraph | Table | Chart], opens: bool = False) -> list[bool]:
    """Which of a section's paragraphs are kept on the page of the block after them, so that no
    page ends with a line that introduces what the next page shows:

    - a paragraph directly before a table or a chart ("Figuren nedan visar …");
    - a short paragraph before such a kept paragraph (an intro and its legend before a table);
    - the first paragraph after the heading, when it is short and more follows (the heading keeps
      with it by its style): a heading and a one-line description never end a page alone;
    - with ``opens`` (the next section is a subsection of this one: "Ekonomi", then "Kommunbidrag"),
      a short last paragraph, which introduces that subsection.
    """
    keeps = [False] * len(blocks)
    if blocks and opens and isinstance(blocks[-1], Paragraph) and len(blocks[-1].text) <= SHORT_PARAGRAPH:
        keeps[-1] = True
    for k in range(len(blocks) - 2, -1, -1):
        block, following = blocks[k], blocks[k + 1]
        if not isinstance(block, Paragraph):
            continue
        short = len(block.text) <= SHORT_PARAGRAPH
        keeps[k] = (isinstance(following, (Chart, Table))
                    or (short and isinstance(following, Paragraph) and keeps[k + 1])
                    or (short and k == 0))
    return keeps
