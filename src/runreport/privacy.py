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

import hmac
import os
import re
import threading
import unicodedata
from collections.abc import Iterable

# Text is compared in Unicode NFKC form: full-width digits and letters, "＠", NBSP and decomposed
# Å/Ä/Ö (macOS file names) become their plain forms first.
EMAIL = re.compile(r"[\w.+-]+\s*(?:@|\(at\)|\[at\])\s*[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_SEP = r"\s*[-+\u2010-\u2015.]?\s*"   # -, +, dashes Word and Excel insert, a dot, spaces, or none
# 12 or 10 digits of a date (samordningsnummer: day + 60) and four more
PNR = re.compile(r"(?<!\d)(?:19|20)?\d{2}(?:0[1-9]|1[0-2])(?:[0-2]\d|3[01]|[6-8]\d|9[01])" + _SEP + r"\d{4}(?!\d)")
PHONE = re.compile(r"(?<![\w+])(?:\+\s*46\s*(?:\(0\))?[\s\-./]?|0046[\s\-./]?|\(?0)"
                   r"(?:\d[\s\-./)]{0,3}){6,11}\d(?![\w])")
# what looks like a phone number but is not one: a date, or a number after a payment/ledger word
NOT_PHONE_DATE = re.compile(r"\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{4}[-./]\d{2}[-./]\d{2}(?:[-./]\d{4}[-./]\d{2}[-./]\d{2})?")
NOT_PHONE_BEFORE = re.compile(r"(?i)(?:bankgiro|plusgiro|\bbg|\bpg|ocr|iban|\bse\d\d|verifikation|ver\.?nr|konto|"
                              r"belopp|summa|kr)[\s:.#-]*(?:\d{4}\s*)*$")
ISO_DATE = re.compile(r"\d{4}[-./]\d{2}[-./]\d{2}|\d{2}[-./]\d{2}[-./]\d{4}")
NOT_PHONE_AFTER = re.compile(r"^\s*(?:kr|sek|:-)", re.IGNORECASE)
HIDDEN = "[dolt]"
MAX_SHOWN = 60

# a word of a name: letters, with inner apostrophes (O'Neill); hyphens, digits, "_" and "." split, so
# "Anna-Karin" and "Anna Karin" are the same two words
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
MIN_WORDS, MAX_WORDS = 2, 5
NAME_GAP = re.compile(r"\s*,?[\s_.\-\u2010-\u2015]*")     # whole names only: a surname alone may be a place (Berg) or a word

_lock = threading.Lock()
_key: bytes = os.urandom(32)    # this process's own until use_key() gives the deployment's key
_digests: set[str] = set()


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _normal(words: Iterable[str]) -> str:
    return " ".join(words).casefold()


def _digest(words: list[str], key: bytes) -> str:
    # hmac.digest: the one-shot C path (the same HMAC-SHA256 as hmac.new(...).hexdigest())
    return hmac.digest(key, b"name:" + _normal(words).encode("utf-8"), "sha256").hex()[:32]


def name_digests(name: str, key: bytes | None = None) -> set[str]:
    """The keyed digests of a whole name in the orders it is written in: as given, surname first
    ("Svensson, Anna"; "Öberg Karl Erik") and reversed. Empty for fewer than two or more than five words."""
    words = WORD.findall(_nfkc(name or ""))
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return set()
    k = key or _key
    return {_digest(order, k) for order in (words, [words[-1], *words[:-1]], words[::-1])}


def name_digest(name: str, key: bytes | None = None) -> str | None:
    """The keyed digest of a whole name as written (None for fewer than two or more than five words)."""
    words = WORD.findall(_nfkc(name or ""))
    return _digest(words, key or _key) if MIN_WORDS <= len(words) <= MAX_WORDS else None


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
    new = {d for n in names if isinstance(n, str) for d in name_digests(n)}
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
    # the words of one name stand next to each other: only spaces, one comma, "_", "." or dashes between
    joined = [bool(NAME_GAP.fullmatch(text[words[k][1]:words[k + 1][0]])) for k in range(len(words) - 1)]
    spans, i = [], 0
    while i < len(words):
        for n in range(min(MAX_WORDS, len(words) - i), MIN_WORDS - 1, -1):
            if not all(joined[i:i + n - 1]):
                continue
            digest = _digest([w for _, _, w in words[i:i + n]], _key)
            if digest in _digests:
                spans.append((words[i][0], words[i + n - 1][1]))
                i += n
                break
        else:
            i += 1
    for start, end in reversed(spans):
        text = text[:start] + "[namn]" + text[end:]
    return text


def _phones(text: str) -> str:
    def one(m: re.Match) -> str:
        found = m.group(0)
        around = text[max(0, m.start() - 5):m.end()]
        if (NOT_PHONE_DATE.fullmatch(found.strip()) or ISO_DATE.search(around)
                or NOT_PHONE_BEFORE.search(text[max(0, m.start() - 24):m.start()]) or NOT_PHONE_AFTER.match(text[m.end():])):
            return found
        return "[telefon]"

    return PHONE.sub(one, text)


def mask(text: str) -> str:
    """``text`` with e-mail addresses, personnummer, phone numbers and known names masked."""
    if not text:
        return text or ""
    out = EMAIL.sub("[e-post]", _nfkc(str(text)))
    out = PNR.sub("[personnummer]", out)
    out = _phones(out)
    if _digests:
        out = _mask_names(out)
    return out


def redact_free_text(text: str) -> str:
    """Free text as it is stored: e-mail, personnummer and phone numbers redacted (names are not
    known in an evaluation; free text is in any case never shown outside the warehouse)."""
    if not isinstance(text, str) or not text:
        return text
    return _phones(PNR.sub("[personnummer]", EMAIL.sub("[e-post]", _nfkc(text))))


def shown(value, *, personal: bool = False) -> str:
    """What a page or message may show of one partner value."""
    if personal:
        return HIDDEN
    text = mask("" if value is None else str(value))   # masked whole first: a cut never halves a secret
    if len(text) <= MAX_SHOWN:
        return text
    cut = text[:MAX_SHOWN]
    return (cut.rsplit(" ", 1)[0] if " " in cut[MAX_SHOWN // 2:] else cut) + "…"


def file_name(name: str) -> str:
    """A partner's file name as it may be shown."""
    return mask(str(name))
