"""Charts for the annual report: a horizontal bar chart of participants per organisation.

A PNG at 200 dpi: 213 dpi at the 150 mm the report prints it, print quality.

Drawn directly rather than through a matplotlib ``Figure``: every element of this chart is an
axis-parallel rectangle (bars, the two spines, tick marks) or one line of text. So the chart is an
8-bit palette image (greys plus the bar colour) with the rectangles filled on whole pixels, as
matplotlib's Agg backend snaps them, and the text rasterised by FreeType through matplotlib's
``FT2Font`` (the rasteriser, font lookup and default font, DejaVu Sans, that matplotlib uses);
the x ticks come from matplotlib's ``MaxNLocator``. The layout is matplotlib's defaults for the
chart it replaces (tick lengths and pads, label pad, 5 % margins, a left margin from the measured
label widths).

Why: profiled on a network-year report (14 charts), the ``Figure`` route cost ~0.23 s CPU per
chart (the artist machinery creating and measuring ticks and texts, each text laid out two or three
times, matplotlib 3.11's per-glyph text drawing, Pillow's adaptive-filter PNG encoder) plus ~0.3 s
per process to import ``matplotlib.figure`` and the Agg backend. Here a chart takes ~0.02 s: each
text is laid out and rasterised once (and memoised: the same names and numbers recur in every
chart), and the PNG is written with zlib straight from the pixel buffer.

The PNG carries no ``Software`` metadata and no timestamp, so the same data gives the same bytes
(with the same FreeType, zlib and fonts).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from functools import lru_cache

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


# Layout in points (1/72 inch), matplotlib's defaults for this chart.
_WIDTH_IN = 6.3
_FONT_SIZE = 9.0                  # labels, tick labels, axis label
_VALUE_FONT_SIZE = 8.0            # the number at the end of each bar
_TITLE_FONT_SIZE = 10.0
_PAD = 1.08 * _FONT_SIZE          # tight_layout's default pad around the axes' decorations
_LINE_WIDTH = 0.8                 # spines and tick marks (axes.linewidth, *tick.major.width)
_TICK_LEN = 3.5                   # *tick.major.size
_TICK_PAD = 3.5                   # *tick.major.pad
_XLABEL_PAD = 4.0                 # axes.labelpad
_TITLE_PAD = 6.0                  # axes.titlepad
_BAR_HALF = 0.4                   # bar height 0.8 (in rows)
_MARGIN = 0.05                    # axes.ymargin
_BAR_COLOUR = (0x1F, 0x5F, 0x8B)
_BAR = 254                        # its palette index (grey 254 is drawn as 255)
_BLACK = 0
# zlib level 3: on these images faster than level 1 (longer matches on the runs of white) and
# smaller (~50 kB per chart); level 6 takes three times as long for ~20 % less.
_ZLIB_LEVEL = 3
_NO_CONTROLS = dict.fromkeys(range(32), " ")  # C0 controls (tab, line breaks) have no glyph


@lru_cache(maxsize=1)
def _font_path() -> str:
    from matplotlib.font_manager import FontProperties, findfont

    return findfont(FontProperties())  # rcParams' sans-serif: DejaVu Sans (shipped with matplotlib)


class _Text:
    """One line of text, laid out and rasterised once (see :func:`_text`): grey levels of black
    ink on white, 255 - coverage, with the bar colour's palette index kept out, plus metrics in
    pixels."""

    __slots__ = ("descent", "grey", "left", "width")

    def __init__(self, text: str, size: float, dpi: float) -> None:
        from matplotlib.font_manager import get_font
        from matplotlib.ft2font import LoadFlags

        font = get_font(_font_path())
        font.set_size(size, dpi)
        text = text.translate(_NO_CONTROLS)  # one line
        font.set_text(text, 0.0, flags=LoadFlags.DEFAULT)   # rcParams["text.hinting"] "default"
        font.draw_glyphs_to_bitmap(antialiased=True)
        grey = 255 - font.get_image()
        grey[grey == _BAR] = 255  # 1/255 coverage: white rather than a dot of bar colour
        grey.flags.writeable = False
        self.grey = grey
        self.width = font.get_width_height()[0] / 64
        self.descent = font.get_descent() / 64
        self.left = font.get_bitmap_offset()[0] / 64


@lru_cache(maxsize=1024)
def _text(text: str, size: float, dpi: float) -> _Text:
    """Memoised: the same names, numbers and axis texts recur in every chart of a report."""
    return _Text(text, size, dpi)


@lru_cache(maxsize=16)
def _line_metrics(size: float, dpi: float) -> tuple[float, float]:
    """(ascent, descent) in pixels of a line box: the font's typographic metrics plus half the
    line gap each, as matplotlib sizes a single line of text."""
    from matplotlib.font_manager import get_font

    font = get_font(_font_path())
    os2 = font.get_sfnt_table("OS/2")
    if os2 is not None:
        asc, desc, gap = os2["sTypoAscender"], -os2["sTypoDescender"], os2["sTypoLineGap"]
    else:
        asc, desc, gap = font.ascender, -font.descender, 0
    scale = size * dpi / 72 / font.units_per_EM
    return (asc + gap / 2) * scale, (desc + gap / 2) * scale


class _Canvas:
    """An 8-bit palette image, y downwards, kept inside the PNG scanline buffer (a filter byte
    first on each line). The palette is the 256 greys (index = grey level) except one index for
    the bar colour: white, black and antialiased black text need nothing else, and a third of the
    RGB bytes makes filling and compressing three times cheaper."""

    def __init__(self, width: int, height: int, dpi: float) -> None:
        import numpy as np

        self.width, self.height, self.dpi = width, height, dpi
        self.raw = np.full((height, 1 + width), 255, dtype=np.uint8)
        self.raw[:, 0] = 0  # PNG filter type 0 (None) on every scanline
        self.pixels = self.raw[:, 1:]

    def rect(self, x0: float, y0: float, x1: float, y1: float, index: int) -> None:
        """Fill the pixels of [x0, x1) x [y0, y1), edges rounded to whole pixels (as Agg snaps
        axis-parallel shapes)."""
        c0, c1 = sorted((round(x0), round(x1)))
        r0, r1 = sorted((round(y0), round(y1)))
        c0, r0 = max(c0, 0), max(r0, 0)
        c1, r1 = min(c1, self.width), min(r1, self.height)
        if c0 < c1 and r0 < r1:
            self.pixels[r0:r1, c0:c1] = index

    def hline(self, x0: float, x1: float, y: float, width: float) -> None:
        """A black line ``width`` pixels thick (rounded, at least 1) centred on ``y``."""
        w = max(1, round(width))
        r0 = round(y - w / 2)
        self.rect(x0, r0, x1, r0 + w, _BLACK)

    def vline(self, x: float, y0: float, y1: float, width: float) -> None:
        w = max(1, round(width))
        c0 = round(x - w / 2)
        self.rect(c0, y0, c0 + w, y1, _BLACK)

    def text(self, t: _Text, x: float, baseline: float, ha: str = "left") -> None:
        """Black ``t`` with its baseline at ``baseline``; ``x`` is its left, centre or right
        (``ha``), the bitmap placed as matplotlib's Agg backend places it. Darkens (min of the
        grey levels): exact on white, and a glyph box's blank margin leaves other pixels alone."""
        import numpy as np

        origin = x - {"left": 0.0, "center": t.width / 2, "right": t.width}[ha]
        h, w = t.grey.shape
        top, left = round(baseline + t.descent) + 1 - h, round(origin + t.left)
        r0, c0 = max(top, 0), max(left, 0)
        r1, c1 = min(top + h, self.height), min(left + w, self.width)
        if r0 < r1 and c0 < c1:
            region = self.pixels[r0:r1, c0:c1]
            np.minimum(region, t.grey[r0 - top:r1 - top, c0 - left:c1 - left], out=region)

    def png(self) -> bytes:
        ppm = round(self.dpi / 0.0254)  # pixels per metre, as matplotlib writes the dpi
        palette = bytearray(b"".join(bytes((g, g, g)) for g in range(256)))
        palette[3 * _BAR:3 * _BAR + 3] = bytes(_BAR_COLOUR)

        def chunk(tag: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

        return b"".join((b"\x89PNG\r\n\x1a\n",
                         chunk(b"IHDR", struct.pack(">IIBBBBB", self.width, self.height, 8, 3, 0, 0, 0)),
                         chunk(b"PLTE", bytes(palette)),
                         chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
                         chunk(b"IDAT", zlib.compress(self.raw, _ZLIB_LEVEL)),
                         chunk(b"IEND", b"")))


def _x_ticks(x_max: float, axis_px: float, dpi: float) -> tuple[list[float], list[_Text]]:
    """Whole-number ticks in [0, x_max] from ``MaxNLocator(integer=True)`` with its default 10
    bins, or fewer when the labels would not fit side by side (a long organisation name leaves
    a short axis)."""
    from matplotlib.ticker import MaxNLocator

    for nbins in range(10, 0, -1):
        ticks = [float(t) for t in MaxNLocator(nbins=nbins, integer=True).tick_values(0, x_max) if 0 <= t <= x_max]
        texts = [_text(number(t), _FONT_SIZE, dpi) for t in ticks]
        widest = max((t.width for t in texts), default=0.0)
        if len(ticks) < 2 or (ticks[1] - ticks[0]) / x_max * axis_px > 1.5 * widest:
            break
    return ticks, texts


def bar_chart_png(series: Sequence[tuple[str, int]], title: str = "",
                  value_label: str = "Antal deltagare", dpi: int = 200) -> bytes:
    """Horizontal bars, first item on top, value at the end of each bar; PNG bytes.

    The look of the matplotlib chart it replaces: labels left of the bars with tick marks, an x
    axis with whole-number ticks (``MaxNLocator(integer=True)``) and its label below, no top or
    right spine, margins from the measured label widths.
    """
    n = len(series)
    k = dpi / 72.0  # pixels per point
    width_px, height_px = round(_WIDTH_IN * dpi), round(max(1.6, 0.32 * n + 0.9) * dpi)
    asc, desc = _line_metrics(_FONT_SIZE, dpi)
    v_asc, v_desc = _line_metrics(_VALUE_FONT_SIZE, dpi)
    line_h = asc + desc

    labels = [_text(label, _FONT_SIZE, dpi) for label, _ in series]
    values = [value for _, value in series]
    x_max = max(max(values, default=0) * 1.12 + 0.5, 1.0)  # at least 0..1: whole-number ticks
    xlabel = _text(value_label, _FONT_SIZE, dpi) if value_label else None
    title_text = _text(title, _TITLE_FONT_SIZE, dpi) if title else None

    # The axes' box in pixels (y downwards).
    title_h = sum(_line_metrics(_TITLE_FONT_SIZE, dpi)) + _TITLE_PAD * k if title_text else 0.0
    label_w = max((t.width for t in labels), default=0.0)
    left = _PAD * k + label_w + (_TICK_LEN + _TICK_PAD) * k
    top = _PAD * k + title_h + line_h / 2
    bottom = _PAD * k + (_TICK_LEN + _TICK_PAD) * k + line_h + ((_XLABEL_PAD * k + line_h) if xlabel else 0.0)
    ticks, tick_texts = _x_ticks(x_max, width_px - left - _PAD * k, dpi)
    right = _PAD * k + (tick_texts[-1].width / 2 if tick_texts else 0.0)
    ax_l, ax_t = left, top
    ax_r = max(width_px - right, ax_l + 0.05 * width_px)
    ax_b = max(height_px - bottom, ax_t + 0.05 * height_px)

    def x_px(value: float) -> float:
        return ax_l + value / x_max * (ax_r - ax_l)

    span = n - 1 + 2 * _BAR_HALF
    y_lo = -_BAR_HALF - _MARGIN * span  # the top of the axes, in rows

    def y_px(row: float) -> float:
        return ax_t + (row - y_lo) / ((1 + 2 * _MARGIN) * span) * (ax_b - ax_t)

    lw, tick_len = _LINE_WIDTH * k, _TICK_LEN * k
    canvas = _Canvas(width_px, height_px, dpi)
    for row, (label, value) in enumerate(zip(labels, values, strict=True)):
        yc = y_px(row)
        canvas.rect(x_px(0), y_px(row - _BAR_HALF), x_px(value), y_px(row + _BAR_HALF), _BAR)
        canvas.hline(ax_l - tick_len, ax_l, yc, lw)
        canvas.text(label, ax_l - (_TICK_LEN + _TICK_PAD) * k, yc + asc / 2, "right")  # va center_baseline
        canvas.text(_text(f" {number(value)}", _VALUE_FONT_SIZE, dpi), x_px(value),
                    yc + (v_asc - v_desc) / 2)  # va center
    # Spines (left, bottom) with projecting caps, then the x ticks and labels below.
    canvas.vline(ax_l, ax_t - lw / 2, ax_b + lw / 2, lw)
    canvas.hline(ax_l - lw / 2, ax_r + lw / 2, ax_b, lw)
    tick_top = ax_b + (_TICK_LEN + _TICK_PAD) * k
    for tick, text in zip(ticks, tick_texts, strict=True):
        canvas.vline(x_px(tick), ax_b, ax_b + tick_len, lw)
        canvas.text(text, x_px(tick), tick_top + asc, "center")
    if xlabel:
        canvas.text(xlabel, (ax_l + ax_r) / 2, tick_top + line_h + _XLABEL_PAD * k + asc, "center")
    if title_text:
        canvas.text(title_text, ax_l, ax_t - _TITLE_PAD * k - _line_metrics(_TITLE_FONT_SIZE, dpi)[1])
    return canvas.png()
