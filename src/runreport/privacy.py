"""What may be shown of a partner's value: the one rule every reason, page, log line, notice and
report uses (``docs/security.md``).

- Values of personal fields (name, e-mail) and free text are never shown: :func:`shown` gives
  ``[dolt]``.
- Any other value is cut to 60 characters and masked where it looks like personal data: e-mail
  addresses, Swedish personnummer and samordningsnummer (``ÅÅÅÅMMDD-NNNN``, ``ÅÅMMDD-NNNN``, with
  ``-``, ``+`` or no separator), phone numbers (``070-123 45 67``, ``+46 70 123 45 67``,
  ``08-123 456 78``) and the names of the registrants (:func:`remember_names`).
- File names are shown masked the same way (:func:`file_name`).
- Free text is stored with e-mail addresses, personnummer and phone numbers redacted
  (:func:`redact_free_text`).

Names are known to a process only as keyed digests (HMAC-SHA256 with the pseudonymisation key of
the whole name, lower case, :func:`name_digest`), never as text: the validate step stores the
digests of every registrant of the run's files in the warehouse (``registrant_name``), and every
other process (a later task on another worker, the notifier in the triggerer) loads them with
:func:`remember_digests` (``runcontext.load_config``). :func:`mask` then hides every run of two to
five words whose digest is known, wherever it appears: a reason, a file name, a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import threading
from collections.abc import Iterable

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 12 or 10 digits of a date (samordningsnummer: day + 60) and four more; separator -, + or none
PNR = re.compile(r"(?<!\d)(?:19|20)?\d{2}(?:0[1-9]|1[0-2])(?:[0-2]\d|3[01]|[6-8]\d|9[01])[-+ ]?\d{4}(?!\d)")
PHONE = re.compile(r"(?<![\w])(?:\+46[\s-]?|0046[\s-]?|0)(?:\d[\s-]?){6,11}\d(?![\w])")
HIDDEN = "[dolt]"
MAX_SHOWN = 60

# a word of a name: letters, with inner hyphens/apostrophes (Anna-Karin, O'Neill); digits and "_" split
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
MIN_WORDS, MAX_WORDS = 2, 5     # whole names only: a surname alone may be a place (Berg) or a word

_lock = threading.Lock()
_key: bytes = os.urandom(32)    # this process's own until use_key() gives the deployment's key
_digests: set[str] = set()


def _normal(words: Iterable[str]) -> str:
    return " ".join(words).lower()


def name_digest(name: str, key: bytes | None = None) -> str | None:
    """The keyed digest of a whole name (None for fewer than two or more than five words)."""
    words = WORD.findall(name or "")
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return None
    return hmac.new(key or _key, b"name:" + _normal(words).encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def use_key(key: bytes) -> None:
    """Use the deployment's pseudonymisation key for name digests (digests made under another key
    are forgotten)."""
    global _key
    with _lock:
        if key and key != _key:
            _key = key
            _digests.clear()


def remember_names(names: Iterable[str]) -> set[str]:
    """Registrants' names: masked wherever they appear later. Returns their digests (to be stored)."""
    new = {d for d in (name_digest(n) for n in names if isinstance(n, str)) if d}
    remember_digests(new)
    return new


def remember_digests(digests: Iterable[str]) -> None:
    with _lock:
        _digests.update(digests)


def known_digests() -> set[str]:
    with _lock:
        return set(_digests)


def forget_names() -> None:
    with _lock:
        _digests.clear()


def _mask_names(text: str) -> str:
    words = [(m.start(), m.end(), m.group()) for m in WORD.finditer(text)]
    if len(words) < MIN_WORDS:
        return text
    spans, i = [], 0
    while i < len(words):
        for n in range(min(MAX_WORDS, len(words) - i), MIN_WORDS - 1, -1):
            digest = hmac.new(_key, b"name:" + _normal(w for _, _, w in words[i:i + n]).encode("utf-8"),
                              hashlib.sha256).hexdigest()[:32]
            if digest in _digests:
                spans.append((words[i][0], words[i + n - 1][1]))
                i += n
                break
        else:
            i += 1
    for start, end in reversed(spans):
        text = text[:start] + "[namn]" + text[end:]
    return text


def mask(text: str) -> str:
    """``text`` with e-mail addresses, personnummer, phone numbers and known names masked."""
    if not text:
        return text or ""
    out = EMAIL.sub("[e-post]", str(text))
    out = PNR.sub("[personnummer]", out)
    out = PHONE.sub("[telefon]", out)
    if _digests:
        out = _mask_names(out)
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
