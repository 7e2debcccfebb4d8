"""The stewards' HTML pages come from Jinja2 templates (``include/templates/pages/``) with
autoescaping on: a value from a partner file is escaped by construction, never assembled into
markup by hand."""

from __future__ import annotations

from functools import lru_cache

from runreport.config import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "include" / "templates" / "pages"


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["tal"] = lambda n: "–" if n is None else f"{int(n):,}".replace(",", "\u00a0")
    return env


def render(name: str, **context) -> str:
    """Render ``include/templates/pages/<name>`` (HTML, autoescaped)."""
    return environment().get_template(name).render(**context)
