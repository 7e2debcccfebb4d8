"""Swedish organisation numbers (organisationsnummer): 10 digits, the last a Luhn check digit.

``normalise("212000-2726")`` -> ``"2120002726"``; an invalid value raises :class:`InvalidOrgNumber`
whose message names the value, so a bad row in the member list is easy to find.
"""

from __future__ import annotations

from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError
from stdnum.se import orgnr


class InvalidOrgNumber(ValueError):
    """The value is not a valid Swedish organisation number."""


def normalise(value: str | int | None) -> str:
    """Return the 10-digit form (separators ``-``, space and ``.`` removed) or raise ``InvalidOrgNumber``."""
    if value is None:
        raise InvalidOrgNumber("organisationsnummer saknas (organisation number missing)")
    text = str(value).strip()
    try:
        return orgnr.validate(text)
    except InvalidChecksum:
        reason = "kontrollsiffran stämmer inte (Luhn check digit is wrong)"
    except InvalidLength:
        reason = "ska ha 10 siffror (must have 10 digits)"
    except InvalidFormat:
        reason = "får bara innehålla siffror (digits only)"
    except ValidationError:  # pragma: no cover - any other stdnum complaint
        reason = "ogiltigt (invalid)"
    raise InvalidOrgNumber(f"ogiltigt organisationsnummer {text!r}: {reason}")


def is_valid(value: str | int | None) -> bool:
    try:
        normalise(value)
    except InvalidOrgNumber:
        return False
    return True


def format_orgnr(value: str) -> str:
    """``"2120002726"`` -> ``"212000-2726"`` (validated)."""
    return orgnr.format(normalise(value))
