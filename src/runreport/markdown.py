"""Markdown documents (the run page's and the validation summary's ``.md``, the approval's body in
Airflow) from Jinja2 templates (``include/templates/pages/*.md.j2``), escaped by construction as the
HTML pages are: every ``{{ value }}`` is literal text on one line (:func:`text`), unless the code
marks it as Markdown it wrote itself (:class:`Raw`, e.g. a link's address it built)."""

from __future__ import annotations

import re
from functools import lru_cache

_MARKUP = re.compile(r"([\\`*_{}\[\]<>#+!|~])")
# what a GFM renderer (Airflow's remark-gfm, markdown-it's linkify) turns into a link by itself,
# escaped or not: a URL, a www. address, an e-mail address. Wherever it starts: glued to a word
# ("x_https://…", "1https://…", "åhttps://…", "rapport_www.…") renderers still link it.
_LINKISH = re.compile(r"(?i)(?:(?:https?|ftp|mailto|xmpp):[^\s`|]*|www\.[^\s`|]*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)")


_LINE_BREAKS = re.compile(r"[ \t\n\r\f\v\x85\u2028\u2029]+")


class Raw(str):
    """Markdown the code wrote itself (a link's address, a fixed phrase with markup): not escaped."""


def text(value: object) -> str:
    """A value as literal Markdown text on one line: markup characters escaped, and an address
    (``https://…``, ``www.…``, ``namn@…``) shown as code, which no renderer makes a link of (a page
    or a payment approval must not offer a partner's link to click)."""
    if isinstance(value, Raw):
        return value
    s = _LINE_BREAKS.sub(" ", str(value)).strip()   # one line; a no-break space in "925 000 kr" stays
    out, pos = [], 0
    for m in _LINKISH.finditer(s):
        out += [_MARKUP.sub(r"\\\1", s[pos:m.start()]), f"`{m.group()}`"]
        pos = m.end()
    out.append(_MARKUP.sub(r"\\\1", s[pos:]))
    return "".join(out)


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from runreport.pages import TEMPLATES

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=False, undefined=StrictUndefined,
                      finalize=lambda v: "" if v is None else text(v), trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["raw"] = Raw
    return env


def render(name: str, **context) -> str:
    """Render ``include/templates/pages/<name>`` (Markdown, every value escaped)."""
    return environment().get_template(name).render(**context)
