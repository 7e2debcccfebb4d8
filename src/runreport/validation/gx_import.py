"""Importing Great Expectations without the parts RUN never runs.

``import great_expectations`` (1.x) imports scipy's statistics (for the KL-divergence and KS-test
expectations) and altair (charts in Data Docs renderers) on its way in: about 1 s and 75 MB of a
2.6 s, 225 MB import (benchmarks/RESULTS.md), paid by every process that validates. RUN's suites use
neither. :func:`load` imports GX with those two modules made lazy by the standard library's
:class:`importlib.util.LazyLoader`: the module object exists at once and its code runs the first
time anything in it is used. A GX version that uses them while importing just loads them then:
slower, never wrong (``tests/test_validation.py`` checks both that they stay unloaded and that
they still work when touched).

The deferral applies only while GX itself is being imported (the finder is removed afterwards), so
no other import of the process changes.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import threading
from types import ModuleType

DEFERRED = ("scipy.stats", "altair")
_LOCK = threading.Lock()


class _DeferringFinder(importlib.abc.MetaPathFinder):
    """Finds the :data:`DEFERRED` modules as usual, then hands them a lazy loader."""

    def find_spec(self, fullname, path, target=None):
        if fullname not in DEFERRED:
            return None
        sys.meta_path.remove(self)   # the normal search, without this finder
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return None
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def load() -> ModuleType:
    """``great_expectations``, imported once per process with :data:`DEFERRED` made lazy."""
    module = sys.modules.get("great_expectations")
    if module is not None:
        return module
    with _LOCK:
        finder = _DeferringFinder()
        sys.meta_path.insert(0, finder)
        try:
            return importlib.import_module("great_expectations")
        finally:
            sys.meta_path.remove(finder)
