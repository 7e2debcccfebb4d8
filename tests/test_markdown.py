"""runreport.markdown: a partner's value is literal one-line Markdown text, wherever it is shown."""

from __future__ import annotations

import pytest

from runreport.markdown import Raw, render, text


@pytest.mark.parametrize("value, shown", [
    # an address glued to a word, a digit or a letter is still linked by renderers: shown as code
    ("x_https://evil.se/a", r"x\_`https://evil.se/a`"),
    ("åhttps://evil.se", "å`https://evil.se`"),
    ("1https://evil.se", "1`https://evil.se`"),
    ("rapport_www.evil.se.csv", r"rapport\_`www.evil.se.csv`"),
    ("kontakt anna@x.se", "kontakt `anna@x.se`"),
    ("[klicka](javascript:x) <b>|</b>", r"\[klicka\](javascript:x) \<b\>\|\</b\>"),
    ("rad ett\nrad två\u2028tre", "rad ett rad två tre"),
    ("925\u00a0000\u00a0kr", "925\u00a0000\u00a0kr"),     # Swedish amounts keep their no-break spaces
    ("huvudbok_2025.csv", r"huvudbok\_2025.csv"),
])
def test_a_value_is_literal_text_on_one_line(value, shown):
    assert text(value) == shown


def test_only_what_the_code_marks_raw_is_left_as_markdown():
    assert text(Raw("[länk](a.html)")) == "[länk](a.html)"
    summary = render("sammanfattning.md.j2", run_name="x_https://evil.se", files=[], per_source=[], total_in=0,
                     total_loaded=0, total_quarantined=0, csv_link="karantan.csv", rejected=[], held=[])
    assert summary.startswith("# Valideringssammanfattning – körning x\\_`https://evil.se`\n")
