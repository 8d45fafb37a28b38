"""Validators for Chinese identity numbers: citizen ID, credit code, mobile.

Pure Python (no Django) so forms, the API and import scripts share one
implementation. Each validator returns the normalised value or raises
``IdentityError``; its ``message`` is a short zh-Hans sentence and the caller
adds the field name.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "CreditCodeChecksumError",
    "IdentityError",
    "citizen_id_birth_date",
    "citizen_id_check_char",
    "credit_code_check_char",
    "validate_citizen_id",
    "validate_credit_code",
    "validate_mobile",
]


class IdentityError(ValueError):
    """An invalid identity number; ``message`` is safe to show to the public."""

    def __init__(self, message: str, value: str = "") -> None:
        super().__init__(message)
        self.message = message
        # The normalised input, so a caller that overrides the error can keep it.
        self.value = value

    def labelled(self, label: str) -> str:
        """The message under a form field's label, without saying the field twice
        ("身份证号码：身份证号码校验位错误" reads as a stutter)."""
        return self.message if self.message.startswith(label) else f"{label}：{self.message}"


class CreditCodeChecksumError(IdentityError):
    """Only the credit code's check character is wrong.

    A separate class because a bureau may override this failure alone;
    every other credit-code failure stays fatal.
    """


def _compact(value: object) -> str:
    """Fold full-width characters (typed with Chinese IMEs) and drop all whitespace."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(text.split())


# --- Citizen ID (GB 11643, ISO 7064 MOD 11-2) --------------------------------

_CITIZEN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CITIZEN_CHECK_CHARS = "10X98765432"
# [0-9], not \d: \d also matches non-ASCII digits such as Arabic-Indic ones.
_DIGITS_17 = re.compile(r"[0-9]{17}")
_EARLIEST_BIRTH_YEAR = 1900


def citizen_id_check_char(first17: str) -> str:
    """The check character (0-9 or X) for the first 17 digits of a citizen ID."""
    if not isinstance(first17, str) or not _DIGITS_17.fullmatch(first17):
        raise IdentityError("身份证号码前17位应为数字")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _CITIZEN_WEIGHTS, strict=True))
    return _CITIZEN_CHECK_CHARS[total % 11]


def _normalise_citizen_id(value: object) -> str:
    text = _compact(value)
    if not text:
        raise IdentityError("身份证号码不能为空")
    if len(text) != 18:
        raise IdentityError("身份证号码应为18位", text)
    if text[17] == "x":
        text = text[:17] + "X"
    if not _DIGITS_17.fullmatch(text[:17]):
        raise IdentityError("身份证号码前17位应为数字", text)
    if text[17] not in "0123456789X":
        raise IdentityError("身份证号码最后一位应为数字或X", text)
    return text


def _birth_date_of(text: str) -> date:
    try:
        return date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise IdentityError("身份证号码中的出生日期不是有效日期", text) from None


def citizen_id_birth_date(value: str) -> date:
    """The birth date encoded in characters 7-14; refuses impossible dates like Feb 30."""
    return _birth_date_of(_normalise_citizen_id(value))


def validate_citizen_id(value: str, today: date | None = None) -> str:
    """Return the 18-character ID with an upper-case X, or raise IdentityError.

    ``today`` exists so tests and back-dated imports do not depend on the clock.
    Region codes are not checked: they change over time and residence-permit
    numbers use codes outside the province list.
    """
    text = _normalise_citizen_id(value)
    born = _birth_date_of(text)
    if born.year < _EARLIEST_BIRTH_YEAR:
        raise IdentityError("身份证号码中的出生年份不能早于1900年", text)
    if today is None:
        today = date.today()
    elif isinstance(today, datetime):
        today = today.date()
    if born > today:
        raise IdentityError("身份证号码中的出生日期不能晚于今天", text)
    if text[17] != citizen_id_check_char(text[:17]):
        raise IdentityError("身份证号码校验位错误", text)
    return text


# --- Unified social credit code (GB 32100) -----------------------------------

# I, O, Z, S and V are left out so they cannot be misread as 1, 0, 2, 5 and U.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES = {char: index for index, char in enumerate(CREDIT_CODE_ALPHABET)}
# 3 ** (i - 1) mod 31 for positions 1..17.
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_BAD_CHARS = "统一社会信用代码含有无效字符（只能是数字和除I、O、Z、S、V以外的大写字母）"


def credit_code_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a credit code."""
    if not isinstance(first17, str) or len(first17) != 17:
        raise IdentityError("统一社会信用代码前17位应为17个字符")
    first17 = first17.upper()
    if any(char not in _CREDIT_VALUES for char in first17):
        raise IdentityError(_CREDIT_BAD_CHARS)
    total = sum(_CREDIT_VALUES[char] * weight for char, weight in zip(first17, _CREDIT_WEIGHTS, strict=False))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str:
    """Return the upper-cased 18-character code, or raise IdentityError.

    A wrong check character alone raises CreditCodeChecksumError.
    """
    text = _compact(value)
    if not text:
        raise IdentityError("统一社会信用代码不能为空")
    if not text.isascii():
        raise IdentityError(_CREDIT_BAD_CHARS, text)
    text = text.upper()
    if len(text) != 18:
        raise IdentityError("统一社会信用代码应为18位", text)
    if any(char not in _CREDIT_VALUES for char in text):
        raise IdentityError(_CREDIT_BAD_CHARS, text)
    if text[17] != credit_code_check_char(text[:17]):
        raise CreditCodeChecksumError("统一社会信用代码校验位错误", text)
    return text


# --- Mobile numbers ----------------------------------------------------------

_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def _strip_mobile_decoration(text: str) -> str:
    """Drop hyphens and a +86/86 country code; a bare 86 only when 13 digits remain."""
    text = text.replace("-", "")
    if text.startswith("+86"):
        return text[3:]
    if text.startswith("86") and len(text) == 13:
        return text[2:]
    return text


def validate_mobile(value: str) -> str:
    """Return the 11-digit mainland mobile number, or raise IdentityError."""
    text = _compact(value)
    if not text:
        raise IdentityError("手机号码不能为空")
    digits = _strip_mobile_decoration(text)
    if not _MOBILE.fullmatch(digits):
        raise IdentityError("手机号码格式不正确，应为11位且以1开头", text)
    return digits
