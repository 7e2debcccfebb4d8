"""Giving memory back as soon as a document or a chart is done with.

A matplotlib figure (figure <-> canvas) and a python-docx document (package <-> parts) are reference
cycles: when the code is done with one, Python frees it only at the cycle collector's next full
collection, which its allocation counting starts rarely in a process of a few hundred MB. Until then
the raster of every chart (7 MB each) and every invoice basis stayed resident: a report's 17 charts
held 90 MB, the 19 invoice bases 50 MB (benchmarks/RESULTS.md).

:func:`freed_promptly` collects, when its block ends, the cycles made inside it. It freezes the objects
that existed before the block first (:func:`gc.freeze`), so the collection looks at the block's own
objects only: about 1 ms, where a full collection of a process with pandas and Great Expectations
loaded takes 60 ms.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_depth = threading.local()


@contextlib.contextmanager
def freed_promptly() -> Iterator[None]:
    """Collect the reference cycles made inside the block when it ends. Nested blocks (a chart inside
    a report) collect too; only the outermost freezes and unfreezes."""
    outer = getattr(_depth, "n", 0) == 0
    if outer:
        gc.freeze()
    _depth.n = getattr(_depth, "n", 0) + 1
    try:
        yield
    finally:
        _depth.n -= 1
        gc.collect()
        if outer:
            gc.unfreeze()
