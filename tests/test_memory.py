"""runreport.memory.freed_promptly: cycles made in the block are freed when it ends, nothing else changes."""

from __future__ import annotations

import gc
import weakref

from runreport.memory import freed_promptly


class Node:
    def __init__(self) -> None:
        self.me = self          # a reference cycle, as a figure <-> canvas or a docx package <-> part


def test_a_cycle_made_in_the_block_is_freed_when_it_ends_even_nested():
    gc.disable()                # no automatic collection may do the work for the block
    try:
        before = Node()
        ref_before = weakref.ref(before)
        del before
        with freed_promptly():
            outer = Node()
            ref_outer = weakref.ref(outer)
            with freed_promptly():                # a chart inside a report
                inner = Node()
                ref_inner = weakref.ref(inner)
                del inner
            assert ref_inner() is None            # the chart's cycle: freed when the chart is done
            assert ref_outer() is not None        # still in use
            del outer
        assert ref_outer() is None
        assert ref_before() is not None           # older cycles wait for the collector, as before
        assert gc.get_freeze_count() == 0         # nothing left frozen
    finally:
        gc.enable()
        gc.collect()


def test_a_chart_leaves_no_figure_behind():
    from matplotlib.figure import Figure

    from runreport.report.charts import bar_chart_png

    gc.collect()
    gc.disable()
    try:
        png = bar_chart_png([("Östersund", 12), ("Åre", 3)])
        assert png.startswith(b"\x89PNG")
        # type(), not isinstance(): isinstance asks a lazy proxy (Airflow's) for __class__, which imports
        assert not [o for o in gc.get_objects() if issubclass(type(o), Figure)]
    finally:
        gc.enable()
