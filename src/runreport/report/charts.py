"""Charts for the annual report: a horizontal bar chart of participants per organisation.

Drawn with matplotlib's public figure API (``matplotlib.figure.Figure`` with its own artists:
``Figure.text``, a ``PatchCollection`` of rectangles, a ``Line2D``; no pyplot and no global state, so
it is safe in any worker) in the report's typeface (Carlito, Calibri's metric twin, when installed;
else matplotlib's DejaVu Sans) and written as a PNG at 200 dpi: 213 dpi at the 150 mm the report
prints it, print quality. The PNG carries no metadata but its resolution and no timestamp, so the
same data gives the same bytes (with the same matplotlib, FreeType and fonts).

Cost: about 0.05 s per chart of the national benchmark's reports (benchmarks/profile_network.py),
most of it the texts (FreeType) and the PNG's compression; benchmarks/RESULTS.md has the figures.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

from runreport.sweformat import number

_SV_ORDER = {"å": "{", "ä": "|", "ö": "}", "Å": "{", "Ä": "|", "Ö": "}"}


def swedish_key(text: str) -> str:
    """Sort key that puts Å, Ä, Ö after Z (Swedish alphabetical order)."""
    return "".join(_SV_ORDER.get(ch, ch) for ch in text.casefold())


def ordered_series(counts: Sequence[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """Largest first; ties in Swedish alphabetical order."""
    return tuple(sorted(((str(n), int(v)) for n, v in counts), key=lambda nv: (-nv[1], swedish_key(nv[0]))))


def alt_text(activity_name: str, series: Sequence[tuple[str, int]]) -> str:
    """``Stapeldiagram: antal deltagare per kommun eller organisation i <aktivitet>: Östersund 12, …``"""
    items = ", ".join(f"{label} {number(value)}" for label, value in series)
    return f"Stapeldiagram: antal deltagare per kommun eller organisation i {activity_name}: {items}."


_WIDTH_IN = 6.3
_BAR_COLOUR = "#1f5f8b"
_FONT_SIZE = 9
_LABEL_CHARS = 34   # a label line at 9 pt: at most 0.6 of the chart's width (subplots_adjust below)
_VALUE_FONT_SIZE = 8


def bar_chart_png(series: Sequence[tuple[str, int]], title: str = "",
                  value_label: str = "Antal deltagare", dpi: int = 200) -> bytes:
    """Horizontal bars, first item on top, value (Swedish digits) at the end of each bar; PNG bytes.

    The margins are set from the text they must hold (the longest label, the title, the axis label)
    rather than by a layout engine, which would draw the figure once more only to measure it."""
    from matplotlib import rc_context

    from runreport.memory import freed_promptly

    # No glyph hinting: it fits outlines to a screen's pixel grid, which a 200 dpi print does not need
    # (the texts look the same). With the drawing below: ~71 -> ~49 ms a chart (benchmarks/RESULTS.md).
    with freed_promptly(), rc_context({"font.family": "sans-serif", "font.sans-serif": ["Carlito", "DejaVu Sans"],
                                       "text.hinting": "no_hinting"}):
        return _bar_chart_png(series, title, value_label, dpi)   # the figure's 7 MB raster freed at once


def _bar_chart_png(series: Sequence[tuple[str, int]], title: str, value_label: str, dpi: int) -> bytes:
    """The chart drawn straight on the figure: the bars one collection of rectangles, the names and
    values texts, placed in inches by the arithmetic below. No ``Axes``: a chart without a value scale
    needs none of its spines, axis objects and tick machinery, which it created and drew for nothing."""
    from matplotlib.collections import PatchCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    n = len(series)
    height = max(1.6, 0.32 * n + 0.9)
    fig = Figure(figsize=(_WIDTH_IN, height), dpi=dpi)
    # one line each, a long name on two (the label column holds at most _LABEL_CHARS a line)
    labels = [textwrap.fill(" ".join(str(label).split()), _LABEL_CHARS, max_lines=2, placeholder=" …")
              for label, _ in series]
    values = [int(value) for _, value in series]
    # 9 pt text: about 0.55 em per character on average (DejaVu Sans), plus the tick and padding
    label_in = max((len(line) for label in labels for line in label.split("\n")), default=0) \
        * _FONT_SIZE * 0.55 / 72 + 0.25
    top_in = 0.15 + (0.3 if title else 0.0)
    bottom_in = 0.1 + (0.3 if value_label else 0.0)   # nothing but the value label below the bars
    # the plot area, in fractions of the figure
    left, right = min(0.6, (label_in + 0.1) / _WIDTH_IN), 1 - 0.45 / _WIDTH_IN
    top, bottom = 1 - top_in / height, bottom_in / height
    # rows: the first on top, 5 % of the rows' span as margin above and below (matplotlib's default)
    y_top, y_bottom = -0.5 - 0.05 * n, n - 0.5 + 0.05 * n
    # values: every bar and its value inside the area; a negative value's text goes left of its bar,
    # with room for it however short the bar is
    low = min(min(values, default=0), 0)
    high = max(max(values, default=0) * 1.12 + 0.5, 1.0)
    x_low = min(low * 1.25, low - 0.18 * (high - low)) - 0.5 if low else 0.0

    def fx(value: float) -> float:
        return left + (value - x_low) / (high - x_low) * (right - left)

    rows_span = max(y_bottom - y_top, 1.0)   # no rows at all: an empty chart, not a division by zero

    def fy(row: float) -> float:
        return top - (row - y_top) / rows_span * (top - bottom)

    bar_h = 0.8 * (top - bottom) / rows_span
    fig.add_artist(PatchCollection(
        [Rectangle((min(fx(0), fx(v)), fy(row) - bar_h / 2), abs(fx(v) - fx(0)), bar_h)
         for row, v in enumerate(values)],
        facecolor=_BAR_COLOUR, edgecolor="none", linewidth=0, transform=fig.transFigure))
    label_x = left - 0.012 * (right - left)
    for row, (label, value) in enumerate(zip(labels, values, strict=True)):
        fig.text(label_x, fy(row), label, ha="right", va="center", fontsize=_FONT_SIZE)
        if value < 0:   # a negative amount (a carry-over below zero): the bar and its value to the left
            fig.text(fx(value), fy(row), f"{number(value)} ", ha="right", va="center", fontsize=_VALUE_FONT_SIZE)
        else:
            fig.text(fx(value), fy(row), f" {number(value)}", va="center", fontsize=_VALUE_FONT_SIZE)
    # the bars' base: the area's left edge, or a line at zero where bars go both ways
    base = fx(0)
    fig.add_artist(Line2D([base, base], [bottom, top], color="#555555" if low < 0 else "black",
                          linewidth=0.8, transform=fig.transFigure))
    if value_label:   # below the area, centred on it (where an axis label goes)
        fig.text((left + right) / 2, bottom - 0.06 / height, value_label, ha="center", va="top",
                 fontsize=_FONT_SIZE)
    if title:
        fig.text(left, top + 0.08 / height, title, ha="left", va="baseline", fontsize=10)
    return _png(fig, dpi)


def _png(fig, dpi: int) -> bytes:  # noqa: ANN001 (matplotlib.figure.Figure)
    """The figure drawn by Agg and written as an RGB PNG: the figure is opaque, and the alpha channel
    ``savefig`` writes was a quarter of the bytes to compress (a third of the encoding time). zlib's
    fastest level: the chart is flat colour and compresses well anyway. No metadata but the
    resolution (so Word and LibreOffice know its size): the same drawing gives the same bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    size = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", size, canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=1, dpi=(dpi, dpi))
    return buf.getvalue()
