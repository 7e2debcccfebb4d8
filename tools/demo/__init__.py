"""The demo data generator: deterministic partner files, narrative texts and a manifest.

Not part of the installed package (``runreport``): it is a tool of this repository, run from its
root as ``python -m tools.demo.generator`` (the RUN demo) or ``python -m tools.demo.networks``
(the other demo networks).
"""
