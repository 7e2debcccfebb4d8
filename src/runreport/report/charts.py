"""Charts for the annual report: a horizontal bar chart of participants per organisation.

Rendered with matplotlib's Agg backend as PNG at 300 dpi. The PNG carries no ``Software``
metadata and no timestamp, so the same data gives the same bytes (with the same matplotlib and
fonts).
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


def bar_chart_png(series: Sequence[tuple[str, int]], title: str = "",
                  value_label: str = "Antal deltagare", dpi: int = 300) -> bytes:
    """Horizontal bars, first item on top; PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    labels = [label for label, _ in series]
    values = [value for _, value in series]
    height = max(1.6, 0.32 * len(series) + 0.9)
    with matplotlib.rc_context({"svg.hashsalt": "runreport", "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False}):
        fig, ax = plt.subplots(figsize=(6.3, height))
        try:
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
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
        finally:
            plt.close(fig)
    return buf.getvalue()
