"""Masking of personal information for display, logs and exports (PIPL).

Every function takes anything (None, numbers, malformed strings) and returns a
string without raising: masking runs while rendering, where an exception would
be worse than an imperfect mask.
"""

from __future__ import annotations

import re
import unicodedata

from servicehall.lib.identity import (
    CREDIT_CODE_ALPHABET,
    IdentityError,
    citizen_id_check_char,
    credit_code_check_char,
    validate_mobile,
)

__all__ = [
    "mask_citizen_id",
    "mask_credit_code",
    "mask_identity",
    "mask_name",
    "mask_phone",
]

_MASK = "*"
_CITIZEN_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_CREDIT_SHAPE = re.compile(f"[{CREDIT_CODE_ALPHABET}]{{18}}")


def _as_text(value: object) -> str:
    """str(value) that cannot raise; None and unprintable objects become ''."""
    if value is None:
        return ""
    try:
        return str(value)
    except Exception:  # a broken __str__ must not break a page
        return ""


def _compact(value: object) -> str:
    """Fold full-width characters and drop whitespace, as the validators do."""
    return "".join(unicodedata.normalize("NFKC", _as_text(value)).split())


def _mask(text: str, head: int, tail: int) -> str:
    """Keep ``head`` and ``tail`` characters and star the rest.

    Strings too short to hide anything that way keep at most a quarter at
    each end, so at least half is always hidden.
    """
    length = len(text)
    if length <= head + tail:
        head = min(head, length // 4)
        tail = min(tail, length // 4)
    return text[:head] + _MASK * (length - head - tail) + text[length - tail :]


def _phone_digits(text: str) -> str:
    """The bare number for phone-like input, so +86 and separators do not shift the kept digits."""
    try:
        return validate_mobile(text)
    except IdentityError:
        return text.replace("-", "")


def mask_phone(value: object) -> str:
    """``13812345678`` -> ``138****5678``."""
    return _mask(_phone_digits(_compact(value)), 3, 4)


def mask_citizen_id(value: object) -> str:
    """``110105199001011234`` -> ``110105********1234``: region kept, birth date hidden."""
    return _mask(_compact(value), 6, 4)


def mask_credit_code(value: object) -> str:
    """Keep the first 4 and last 4 characters of a credit code."""
    return _mask(_compact(value), 4, 4)


def mask_name(value: object) -> str:
    """``张三丰`` -> ``张*丰``, ``张三`` -> ``张*``; a single character stays as is."""
    text = _as_text(value).strip()
    if len(text) <= 1:
        return text
    if len(text) == 2:
        return text[0] + _MASK
    return text[0] + _MASK * (len(text) - 2) + text[-1]


def _is_valid_citizen_id(text: str) -> bool:
    return bool(_CITIZEN_SHAPE.fullmatch(text)) and text[17] == citizen_id_check_char(text[:17])


def _is_valid_credit_code(text: str) -> bool:
    return bool(_CREDIT_SHAPE.fullmatch(text)) and text[17] == credit_code_check_char(text[:17])


def mask_identity(value: object) -> str:
    """Mask a value of unknown kind by its shape: citizen ID, credit code or phone.

    An all-digit 18-character value can be either an ID or a credit code, so
    a passing check character decides before the bare shape does. Anything
    else keeps only its last 4 characters.
    """
    text = _compact(value)
    if len(text) == 18 and text.isascii():
        upper = text.upper()
        if _is_valid_citizen_id(upper):
            return mask_citizen_id(upper)
        if _is_valid_credit_code(upper):
            return mask_credit_code(upper)
        if _CITIZEN_SHAPE.fullmatch(upper):
            return mask_citizen_id(upper)
        if _CREDIT_SHAPE.fullmatch(upper):
            return mask_credit_code(upper)
    try:
        return mask_phone(validate_mobile(text))
    except IdentityError:
        pass
    return _mask(text, 0, 4)
