"""What may be shown of a partner's value: the one rule every reason, page, log line, notice and
report uses (``docs/security.md``).

- Values of personal fields (name, e-mail) and free text are never shown: :func:`shown` gives
  ``[dolt]``.
- Any other value is cut to 60 characters and masked where it looks like personal data: e-mail
  addresses, Swedish personnummer and samordningsnummer (``ÅÅÅÅMMDD-NNNN``, ``ÅÅMMDD-NNNN``, with
  ``-``, ``+`` or no separator), phone numbers (``070-123 45 67``, ``+46 70 123 45 67``,
  ``08-123 456 78``) and the names of the registrants of the run (:func:`remember_names`).
- File names are shown masked the same way (:func:`file_name`).
- Free text is stored with e-mail addresses, personnummer and phone numbers redacted
  (:func:`redact_free_text`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 12 or 10 digits of a date (samordningsnummer: day + 60) and four more; separator -, + or none
PNR = re.compile(r"(?<!\d)(?:19|20)?\d{2}(?:0[1-9]|1[0-2])(?:[0-2]\d|3[01]|[6-8]\d|9[01])[-+ ]?\d{4}(?!\d)")
PHONE = re.compile(r"(?<![\w])(?:\+46[\s-]?|0046[\s-]?|0)(?:\d[\s-]?){6,11}\d(?![\w])")
HIDDEN = "[dolt]"
MAX_SHOWN = 60

_names: set[str] = set()
_names_lock = threading.Lock()
_names_re: re.Pattern | None = None


def remember_names(names: Iterable[str]) -> None:
    """Names seen in this process's registrations: masked wherever they appear later."""
    global _names_re
    new = {" ".join(n.split()) for n in names if isinstance(n, str) and len(n.split()) >= 2}
    with _names_lock:
        if not new - _names:
            return
        _names.update(new)
        # whole names only: a surname alone may be a place (Berg) or a word
        parts = {re.escape(n) for n in _names}
        _names_re = re.compile(r"(?<!\w)(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")(?!\w)",
                               re.IGNORECASE)


def forget_names() -> None:
    global _names_re
    with _names_lock:
        _names.clear()
        _names_re = None


def mask(text: str) -> str:
    """``text`` with e-mail addresses, personnummer, phone numbers and known names masked."""
    if not text:
        return text or ""
    out = EMAIL.sub("[e-post]", str(text))
    out = PNR.sub("[personnummer]", out)
    out = PHONE.sub("[telefon]", out)
    if _names_re is not None:
        out = _names_re.sub("[namn]", out)
    return out


def redact_free_text(text: str) -> str:
    """Free text as it is stored: e-mail, personnummer and phone numbers redacted (names are not
    known in an evaluation; free text is in any case never shown outside the warehouse)."""
    if not isinstance(text, str) or not text:
        return text
    return PHONE.sub("[telefon]", PNR.sub("[personnummer]", EMAIL.sub("[e-post]", text)))


def shown(value, *, personal: bool = False) -> str:
    """What a page or message may show of one partner value."""
    if personal:
        return HIDDEN
    text = "" if value is None else str(value)
    return mask(text[:MAX_SHOWN])


def file_name(name: str) -> str:
    """A partner's file name as it may be shown."""
    return mask(str(name))
