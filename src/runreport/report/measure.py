"""How wide a text prints, and table column widths from their content.

Text is measured with the font the PDF uses: Carlito (metric-compatible with the template's
Calibri; Debian's ``fonts-crosextra-carlito``, which LibreOffice substitutes for Calibri), found through
matplotlib's font manager and measured with Pillow's public ``ImageFont`` API. Without Carlito the
measure is DejaVu Sans, which matplotlib ships and which is wider: columns then come out a little wider
than needed, never narrower.

Column widths (:func:`column_widths`): every column is at least as wide as its widest unbreakable
piece (a number or amount whole, with its unit; in a text column its longest word), bold in the
heading row, plus the cell's margins; what is left of the text width goes to the columns whose text
would otherwise wrap, in proportion to how much they lack. A table whose pieces cannot all fit is
scaled (then it breaks, but evenly).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

CM_PER_PT = 2.54 / 72
CELL_MARGINS_CM = 2 * 0.19 + 0.12     # Word's and LibreOffice's 0.19 cm each side, and a little air
_WORDS = re.compile(r"[ \t\n]+")       # a no-break space (U+00A0) joins an amount's groups and its "kr"


@functools.lru_cache(maxsize=4)
def _font(bold: bool):
    from matplotlib import font_manager
    from PIL import ImageFont

    props = font_manager.FontProperties(family=["Carlito", "DejaVu Sans"], weight="bold" if bold else "normal")
    return ImageFont.truetype(font_manager.findfont(props), size=1000)


def font_name() -> str:
    """The family the widths are measured in (Carlito when it is installed)."""
    return _font(False).getname()[0]


def width_cm(text: str, size_pt: float = 10.0, bold: bool = False) -> float:
    """The printed width of ``text`` in centimetres."""
    if not text:
        return 0.0
    return _font(bold).getlength(text) / 1000 * size_pt * CM_PER_PT


def pieces(text: str, whole: bool) -> list[str]:
    """The unbreakable pieces of a cell: the whole text (a number column), or its words."""
    text = text.strip()
    if not text:
        return []
    return [text] if whole else [w for w in _WORDS.split(text) if w]


def column_widths(rows: Sequence[Sequence[str]], total_cm: float, whole: Sequence[bool],
                  size_pt: float = 10.0, header_bold: bool = True, total_bold: bool = False) -> list[float]:
    """Widths in cm of the table's columns (``rows[0]`` is the heading row), summing to ``total_cm``;
    ``whole[j]``: column j's cells never wrap (numbers, amounts)."""
    n = len(rows[0])
    need, want = [0.0] * n, [0.0] * n
    for i, row in enumerate(rows):
        bold = (i == 0 and header_bold) or (i == len(rows) - 1 and total_bold)
        for j, value in enumerate(row):
            text = str(value)
            words = pieces(text, whole[j] and i > 0)   # a heading may wrap between its words
            need[j] = max(need[j], *(width_cm(w, size_pt, bold) for w in words), 0.0)
            want[j] = max(want[j], width_cm(" ".join(_WORDS.split(text.strip())), size_pt, bold))
    need = [w + CELL_MARGINS_CM for w in need]
    want = [max(w + CELL_MARGINS_CM, m) for w, m in zip(want, need, strict=True)]
    if sum(want) <= total_cm:        # nothing wraps: the spare width goes to the text columns
        spare = total_cm - sum(want)
        text_cols = [j for j in range(n) if not whole[j]] or list(range(n))
        weight = sum(want[j] for j in text_cols)
        return [w + (spare * w / weight if j in text_cols else 0.0) for j, w in enumerate(want)]
    if sum(need) <= total_cm:        # every piece fits; the text columns wrap between words
        spare = total_cm - sum(need)
        lack = [w - m for w, m in zip(want, need, strict=True)]
        return [m + spare * k / sum(lack) for m, k in zip(need, lack, strict=True)]
    return [m * total_cm / sum(need) for m in need]
