"""Charts for the annual report: a horizontal bar chart of participants per organisation.

Rendered with matplotlib's Agg canvas (no pyplot) as PNG at 200 dpi: 213 dpi at the 150 mm the
report prints it, print quality. 300 dpi costs 2.25x the pixels, and rasterising the text and
compressing the pixels are most of a chart's time (measured: 0.20 -> 0.13 s CPU per chart). The
PNG carries no ``Software`` metadata and no timestamp, so the same data gives the same bytes (with
the same matplotlib and fonts).
"""

from __future__ import annotations

import io
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


# Layout in points (1/72 inch). The margins are computed from the labels' measured extents
# instead of ``Figure.tight_layout``: profiled on a network-year report, tight_layout (13 % of the
# chart time) measured every artist and savefig then drew each figure twice (28 draws for 14
# charts, another ~17 %); now each chart is drawn once.
_FONT_SIZE = 9.0
_PAD = 1.08 * _FONT_SIZE          # tight_layout's default pad around the axes' decorations
_TICK = 3.5 + 3.5                 # major tick length + tick label pad
_XLABEL_PAD = 4.0                 # rcParams["axes.labelpad"]
_TITLE_PAD = 6.0                  # rcParams["axes.titlepad"]
# PNG compression: zlib level 1 instead of PIL's default 6 (encoding was 23 % of the chart time);
# the PNG grows ~25 % (~100 kB per chart at 200 dpi).
_PNG_OPTIONS = {"compress_level": 1}


def _text_extent(renderer, text: str, size: float) -> tuple[float, float]:
    """(width, height + descent) of ``text`` in points."""
    from matplotlib.font_manager import FontProperties

    if not text:
        return 0.0, 0.0
    w, h, d = renderer.get_text_width_height_descent(text, FontProperties(size=size), ismath=False)
    scale = 72.0 / renderer.dpi
    return w * scale, (h + d) * scale


def bar_chart_png(series: Sequence[tuple[str, int]], title: str = "",
                  value_label: str = "Antal deltagare", dpi: int = 200) -> bytes:
    """Horizontal bars, first item on top; PNG bytes.

    Drawn on a bare ``matplotlib.figure.Figure`` with the Agg canvas (no pyplot: no global figure
    registry, nothing to close), margins from the measured label extents, one draw per chart.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    labels = [label for label, _ in series]
    values = [value for _, value in series]
    width, height = 6.3, max(1.6, 0.32 * len(series) + 0.9)
    with matplotlib.rc_context({"svg.hashsalt": "runreport", "font.size": _FONT_SIZE,
                                "axes.spines.top": False, "axes.spines.right": False}):
        fig = Figure(figsize=(width, height))
        canvas = FigureCanvasAgg(fig)
        renderer = canvas.get_renderer()
        label_w = max((_text_extent(renderer, label, _FONT_SIZE)[0] for label in labels), default=0.0)
        digit_h = _text_extent(renderer, "0123456789", _FONT_SIZE)[1]
        xlabel_h = _text_extent(renderer, value_label, _FONT_SIZE)[1]
        title_h = _text_extent(renderer, title, 10)[1] + _TITLE_PAD if title else 0.0
        left = _PAD + label_w + _TICK
        bottom = _PAD + xlabel_h + _XLABEL_PAD + digit_h + _TICK
        top = _PAD + title_h + digit_h / 2
        right = _PAD + digit_h  # the last x tick label reaches past the axes by half its width
        w_pt, h_pt = width * 72, height * 72
        ax = fig.add_axes((left / w_pt, bottom / h_pt, max(0.05, 1 - (left + right) / w_pt),
                           max(0.05, 1 - (bottom + top) / h_pt)))
        y = list(range(len(series)))
        ax.barh(y, values, color="#1f5f8b")
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(value_label)
        if values:
            ax.set_xlim(0, max(values) * 1.12 + 0.5)
        for yi, v in zip(y, values, strict=True):
            ax.text(v, yi, f" {number(v)}", va="center", fontsize=8)
        if title:
            ax.set_title(title, fontsize=10, loc="left")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, pil_kwargs=_PNG_OPTIONS)
    return buf.getvalue()
