"""Charts for the annual report: a horizontal bar chart of participants per organisation.

Drawn with matplotlib's public figure API (``matplotlib.figure.Figure``, no pyplot and no global
state, so it is safe in any worker) in the report's typeface (Carlito, Calibri's metric twin, when
installed; else matplotlib's DejaVu Sans) and written as a PNG at 200 dpi: 213 dpi at the 150 mm the
report prints it, print quality. The PNG carries no ``Software`` metadata and no timestamp, so the
same data gives the same bytes (with the same matplotlib, FreeType and fonts).

Cost: about 0.06 s per chart; benchmarks/RESULTS.md has the figures.
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

    with freed_promptly(), rc_context({"font.family": "sans-serif", "font.sans-serif": ["Carlito", "DejaVu Sans"]}):
        return _bar_chart_png(series, title, value_label, dpi)   # the figure's 7 MB raster freed at once


def _bar_chart_png(series: Sequence[tuple[str, int]], title: str, value_label: str, dpi: int) -> bytes:
    from matplotlib.figure import Figure

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
    bottom_in = 0.1 + (0.3 if value_label else 0.0)   # no tick labels below the bars
    fig.subplots_adjust(left=min(0.6, (label_in + 0.1) / _WIDTH_IN), right=1 - 0.45 / _WIDTH_IN,
                        top=1 - top_in / height, bottom=bottom_in / height)
    ax = fig.add_subplot()
    rows = list(range(n))
    ax.barh(rows, values, height=0.8, color=_BAR_COLOUR)
    ax.set_ylim(n - 0.5 + 0.05 * n, -0.5 - 0.05 * n)   # first item on top, matplotlib's 5 % margins
    # The labels as plain texts left of the axis rather than tick labels: a y tick is four artists
    # (two marks, two labels) created and measured per bar, most of a chart's cost.
    ax.set_yticks([])
    left = ax.get_yaxis_transform()   # x in axes fractions, y in data
    for row, (label, value) in enumerate(zip(labels, values, strict=True)):
        ax.text(-0.012, row, label, transform=left, ha="right", va="center", fontsize=_FONT_SIZE)
        if value < 0:   # a negative amount (a carry-over below zero): the bar and its value to the left
            ax.text(value, row, f"{number(value)} ", va="center", ha="right", fontsize=_VALUE_FONT_SIZE)
        else:
            ax.text(value, row, f" {number(value)}", va="center", fontsize=_VALUE_FONT_SIZE)
    # every bar and its value inside the axes: a text far outside them overflows FreeType's rasteriser
    low = min(min(values, default=0), 0)
    high = max(max(values, default=0) * 1.12 + 0.5, 1.0)
    # a negative value's text goes left of its bar: room for it however short the bar is
    ax.set_xlim(min(low * 1.25, low - 0.18 * (high - low)) - (0.5 if low else 0), high)
    # No value axis: every bar carries its value, and a scale beside it said the same once more
    # (its ticks were a third of a chart's cost). Where bars go both ways a line marks zero instead
    # of the left edge.
    ax.set_xticks([])
    if low < 0:   # the zero line is the bars' base; the axes' left edge marks nothing then
        ax.axvline(0, color="#555555", linewidth=0.8)
        ax.spines["left"].set_visible(False)
    if value_label:
        ax.set_xlabel(value_label, fontsize=_FONT_SIZE)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    ax.spines[["top", "right", "bottom"]].set_visible(False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    return buf.getvalue()
