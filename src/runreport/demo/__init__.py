"""Deterministic demo data for the RUN pipeline: partner files, narrative texts and a manifest.

See :func:`runreport.demo.generator.generate` and ``python -m runreport.demo.generator --help``.
"""

from __future__ import annotations


def generate(*args, **kwargs):
    """Lazy alias of :func:`runreport.demo.generator.generate` (keeps ``python -m`` free of warnings)."""
    from runreport.demo.generator import generate as _generate

    return _generate(*args, **kwargs)


__all__ = ["generate"]
