"""Tests for servicehall.lib.identity.

The check-character oracles below are written independently of the module
(textbook ISO 7064 form, weights computed rather than listed), so a typo in
the module's weight tables cannot also hide in the tests.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicehall.lib.identity import (
    CREDIT_CODE_ALPHABET,
    CreditCodeChecksumError,
    IdentityError,
    citizen_id_birth_date,
    citizen_id_check_char,
    credit_code_check_char,
    validate_citizen_id,
    validate_credit_code,
    validate_mobile,
)

# Fixed so the tests do not age; validate_citizen_id takes it as ``today``.
TODAY = date(2025, 6, 1)
PUBLISHED_CITIZEN_ID = "11010519491231002X"  # the example printed in GB 11643
PROPERTY = settings(max_examples=200)

PROVINCE_CODES = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82"
).split()
CITIZEN_CHECK_CHARS = "0123456789X"
MOBILE_PATTERN = re.compile(r"1[3-9][0-9]{9}")
ASCII_DIGITS = "0123456789"


def reference_citizen_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2: weights 2^(17-i) mod 11, the full sum must be 1 mod 11."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (1 - total) % 11
    return "X" if value == 10 else str(value)


def reference_credit_check_char(first17: str) -> str:
    """GB 32100: weights 3^(i-1) mod 31; 31 - (sum mod 31), with 31 read as 0."""
    total = sum(CREDIT_CODE_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def citizen_id(first14: str, sequence: str = "123") -> str:
    """A complete ID with a correct check character, so only the part under test is wrong."""
    first17 = first14 + sequence
    return first17 + reference_citizen_check_char(first17)


def ymd(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


@st.composite
def citizen_id_parts(draw):
    """(first 17 digits, birth date): valid region prefix + real birth date + sequence."""
    region = draw(st.sampled_from(PROVINCE_CODES)) + draw(st.text(ASCII_DIGITS, min_size=4, max_size=4))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.text(ASCII_DIGITS, min_size=3, max_size=3))
    return region + ymd(born) + sequence, born


def error_message(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.message


class CitizenIdCheckCharTests:
    def test_it_computes_x_for_the_published_example(self):
        assert citizen_id_check_char(PUBLISHED_CITIZEN_ID[:17]) == "X"

    def test_it_computes_a_digit_check_char(self):
        assert citizen_id_check_char("11010519900101123") == "2"

    @PROPERTY
    @given(st.text(ASCII_DIGITS, min_size=17, max_size=17))
    def test_it_agrees_with_the_iso_7064_reference(self, first17):
        assert citizen_id_check_char(first17) == reference_citizen_check_char(first17)

    @pytest.mark.parametrize(
        "first17",
        ["1101051949123100", "110105194912310020", "1101051949123100A", "١" * 17, None],
    )
    def test_it_refuses_anything_but_17_ascii_digits(self, first17):
        with pytest.raises(IdentityError) as excinfo:
            citizen_id_check_char(first17)
        assert error_message(excinfo) == "身份证号码前17位应为数字"


class ValidateCitizenIdTests:
    def test_it_accepts_the_published_example(self):
        assert validate_citizen_id(PUBLISHED_CITIZEN_ID, today=TODAY) == PUBLISHED_CITIZEN_ID

    def test_it_accepts_an_id_with_a_computed_check_char(self):
        assert validate_citizen_id("110105199001011232", today=TODAY) == "110105199001011232"
        assert validate_citizen_id("44030419851015123X", today=TODAY) == "44030419851015123X"

    def test_it_upper_cases_a_lower_case_x(self):
        assert validate_citizen_id("11010519491231002x", today=TODAY) == PUBLISHED_CITIZEN_ID

    def test_it_strips_spaces_and_folds_full_width_characters(self):
        assert validate_citizen_id(" 110105 19491231 002X\u3000", today=TODAY) == PUBLISHED_CITIZEN_ID
        assert validate_citizen_id("１１０１０５１９４９１２３１００２ｘ", today=TODAY) == PUBLISHED_CITIZEN_ID

    def test_it_refuses_a_wrong_check_char(self):
        with pytest.raises(IdentityError) as excinfo:
            validate_citizen_id("110105194912310021", today=TODAY)
        assert error_message(excinfo) == "身份证号码校验位错误"
        assert excinfo.value.value == "110105194912310021"

    def test_it_refuses_february_30(self):
        value = citizen_id("32010219900230")
        with pytest.raises(IdentityError) as excinfo:
            validate_citizen_id(value, today=TODAY)
        assert error_message(excinfo) == "身份证号码中的出生日期不是有效日期"

    @pytest.mark.parametrize("birth", ["19901301", "19900001", "19900100", "00000101"])
    def test_it_refuses_other_impossible_dates(self, birth):
        with pytest.raises(IdentityError) as excinfo:
            validate_citizen_id(citizen_id("110105" + birth), today=TODAY)
        assert error_message(excinfo) == "身份证号码中的出生日期不是有效日期"

    def test_it_knows_1900_was_not_a_leap_year_but_2000_was(self):
        with pytest.raises(IdentityError):
            validate_citizen_id(citizen_id("11010519000229"), today=TODAY)
        leap = citizen_id("11010520000229")
        assert validate_citizen_id(leap, today=TODAY) == leap

    def test_it_refuses_a_birth_date_after_today_and_accepts_today(self):
        tomorrow = citizen_id("110105" + ymd(TODAY + timedelta(days=1)))
        with pytest.raises(IdentityError) as excinfo:
            validate_citizen_id(tomorrow, today=TODAY)
        assert error_message(excinfo) == "身份证号码中的出生日期不能晚于今天"
        born_today = citizen_id("110105" + ymd(TODAY))
        assert validate_citizen_id(born_today, today=TODAY) == born_today

    def test_it_accepts_a_datetime_as_today(self):
        born_today = citizen_id("110105" + ymd(TODAY))
        assert validate_citizen_id(born_today, today=datetime(2025, 6, 1, 23, 59)) == born_today

    def test_it_uses_the_real_date_when_today_is_omitted(self):
        real_today = date.today()
        with pytest.raises(IdentityError):
            validate_citizen_id(citizen_id("110105" + ymd(real_today + timedelta(days=1))))
        yesterday = citizen_id("110105" + ymd(real_today - timedelta(days=1)))
        assert validate_citizen_id(yesterday) == yesterday

    def test_it_refuses_a_birth_year_before_1900(self):
        with pytest.raises(IdentityError) as excinfo:
            validate_citizen_id(citizen_id("11010518991231"), today=TODAY)
        assert error_message(excinfo) == "身份证号码中的出生年份不能早于1900年"
        first_day = citizen_id("11010519000101")
        assert validate_citizen_id(first_day, today=TODAY) == first_day

    @pytest.mark.parametrize("value", ["110105491231002", PUBLISHED_CITIZEN_ID + "0", PUBLISHED_CITIZEN_ID[:17]])
    def test_it_refuses_a_length_other_than_18(self, value):
        with pytest.raises(IdentityError) as excinfo:
            validate_citizen_id(value, today=TODAY)
        assert error_message(excinfo) == "身份证号码应为18位"

    def test_it_refuses_letters_before_the_check_char(self):
        with pytest.raises(IdentityError) as excinfo:
            validate_citizen_id("1101051949123100XX", today=TODAY)
        assert error_message(excinfo) == "身份证号码前17位应为数字"

    def test_it_refuses_a_check_char_other_than_a_digit_or_x(self):
        with pytest.raises(IdentityError) as excinfo:
            validate_citizen_id("11010519491231002Y", today=TODAY)
        assert error_message(excinfo) == "身份证号码最后一位应为数字或X"

    @pytest.mark.parametrize("value", ["", "   ", None])
    def test_it_refuses_an_empty_value(self, value):
        with pytest.raises(IdentityError) as excinfo:
            validate_citizen_id(value, today=TODAY)
        assert error_message(excinfo) == "身份证号码不能为空"

    def test_it_raises_a_value_error_carrying_the_message(self):
        with pytest.raises(ValueError) as excinfo:
            validate_citizen_id("110105194912310021", today=TODAY)
        assert isinstance(excinfo.value, IdentityError)
        assert str(excinfo.value) == excinfo.value.message

    @PROPERTY
    @given(citizen_id_parts())
    def test_it_accepts_the_computed_check_char_and_refuses_every_other(self, parts):
        first17, _born = parts
        check = citizen_id_check_char(first17)
        assert check == reference_citizen_check_char(first17)
        assert validate_citizen_id(first17 + check, today=TODAY) == first17 + check
        for other in CITIZEN_CHECK_CHARS.replace(check, ""):
            with pytest.raises(IdentityError) as excinfo:
                validate_citizen_id(first17 + other, today=TODAY)
            assert error_message(excinfo) == "身份证号码校验位错误"


class CitizenIdBirthDateTests:
    def test_it_reads_the_published_example(self):
        assert citizen_id_birth_date(PUBLISHED_CITIZEN_ID) == date(1949, 12, 31)

    def test_it_refuses_february_30(self):
        with pytest.raises(IdentityError) as excinfo:
            citizen_id_birth_date(citizen_id("32010219900230"))
        assert error_message(excinfo) == "身份证号码中的出生日期不是有效日期"

    @PROPERTY
    @given(citizen_id_parts())
    def test_it_returns_the_encoded_date(self, parts):
        first17, born = parts
        assert citizen_id_birth_date(first17 + citizen_id_check_char(first17)) == born


class CreditCodeTests:
    def test_it_accepts_the_worked_example(self):
        assert validate_credit_code("11320000MB151840XJ") == "11320000MB151840XJ"

    def test_it_upper_cases_and_strips_spaces(self):
        assert validate_credit_code(" 11320000mb151840xj ") == "11320000MB151840XJ"

    def test_it_computes_the_worked_example_check_char(self):
        assert credit_code_check_char("11320000MB151840X") == "J"
        assert credit_code_check_char("91350100M000100Y4") == "3"

    def test_it_reads_31_as_0(self):
        # A zero sum gives 31 - 0 = 31, which must wrap to alphabet[0].
        assert credit_code_check_char("0" * 17) == "0"
        assert validate_credit_code("0" * 18) == "0" * 18

    def test_it_refuses_a_code_with_z_in_it(self):
        with pytest.raises(IdentityError) as excinfo:
            validate_credit_code("91350100M000100Y4Z")
        assert not isinstance(excinfo.value, CreditCodeChecksumError)
        assert "无效字符" in error_message(excinfo)

    def test_it_refuses_a_wrong_check_char_with_the_specific_error(self):
        with pytest.raises(CreditCodeChecksumError) as excinfo:
            validate_credit_code("91350100m000100y44")
        assert error_message(excinfo) == "统一社会信用代码校验位错误"
        assert excinfo.value.value == "91350100M000100Y44"

    @pytest.mark.parametrize("letter", list("IOZSV"))
    def test_it_refuses_the_excluded_letters_as_plain_identity_errors(self, letter):
        value = "11320000M" + letter + "151840XJ"
        with pytest.raises(IdentityError) as excinfo:
            validate_credit_code(value)
        assert type(excinfo.value) is IdentityError

    @pytest.mark.parametrize("value", ["11320000MB151840X", "11320000MB151840XJ0"])
    def test_it_refuses_a_length_other_than_18(self, value):
        with pytest.raises(IdentityError) as excinfo:
            validate_credit_code(value)
        assert error_message(excinfo) == "统一社会信用代码应为18位"
        assert type(excinfo.value) is IdentityError

    @pytest.mark.parametrize("value", ["11320000MB151840Xé", "11320000MB151840ß", "11320000MB151840X-"])
    def test_it_refuses_characters_outside_the_alphabet(self, value):
        with pytest.raises(IdentityError) as excinfo:
            validate_credit_code(value)
        assert error_message(excinfo) == "统一社会信用代码含有无效字符（只能是数字和除I、O、Z、S、V以外的大写字母）"
        assert type(excinfo.value) is IdentityError

    @pytest.mark.parametrize("value", ["", None])
    def test_it_refuses_an_empty_value(self, value):
        with pytest.raises(IdentityError) as excinfo:
            validate_credit_code(value)
        assert error_message(excinfo) == "统一社会信用代码不能为空"

    @PROPERTY
    @given(st.text(CREDIT_CODE_ALPHABET, min_size=17, max_size=17))
    def test_it_accepts_the_computed_check_char_and_refuses_every_other(self, first17):
        check = credit_code_check_char(first17)
        assert check == reference_credit_check_char(first17)
        assert validate_credit_code(first17 + check) == first17 + check
        for other in CREDIT_CODE_ALPHABET.replace(check, ""):
            with pytest.raises(CreditCodeChecksumError):
                validate_credit_code(first17 + other)


class ValidateMobileTests:
    @pytest.mark.parametrize(
        "value",
        [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+86-13812345678",
            "8613812345678",
            "１３８１２３４５６７８",
        ],
    )
    def test_it_normalises_to_11_digits(self, value):
        assert validate_mobile(value) == "13812345678"

    @pytest.mark.parametrize(
        "value",
        ["12812345678", "1381234567", "138123456789", "23812345678", "1381234567a", "١٣٨١٢٣٤٥٦٧٨", "+8612812345678"],
    )
    def test_it_refuses_malformed_numbers(self, value):
        with pytest.raises(IdentityError) as excinfo:
            validate_mobile(value)
        assert error_message(excinfo) == "手机号码格式不正确，应为11位且以1开头"

    @pytest.mark.parametrize("value", ["", " ", None])
    def test_it_refuses_an_empty_value(self, value):
        with pytest.raises(IdentityError) as excinfo:
            validate_mobile(value)
        assert error_message(excinfo) == "手机号码不能为空"

    @PROPERTY
    @given(
        st.one_of(
            st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
            st.from_regex(r"(86)?[0-9]{9,13}", fullmatch=True),
            st.text(ASCII_DIGITS, max_size=14),
        )
    )
    def test_it_accepts_exactly_the_11_digit_pattern(self, digits):
        expected = MOBILE_PATTERN.fullmatch(digits) or (
            len(digits) == 13 and digits.startswith("86") and MOBILE_PATTERN.fullmatch(digits[2:])
        )
        if expected:
            assert validate_mobile(digits) == digits[-11:]
        else:
            with pytest.raises(IdentityError):
                validate_mobile(digits)

    @PROPERTY
    @given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", "+86", "86", "+86 "]),
           st.sampled_from(["", " ", "-"]))
    def test_it_ignores_the_country_code_and_separators(self, number, prefix, separator):
        formatted = prefix + separator.join([number[:3], number[3:7], number[7:]])
        assert validate_mobile(formatted) == number

    @PROPERTY
    @given(st.text())
    def test_it_only_ever_returns_the_11_digit_pattern(self, value):
        try:
            result = validate_mobile(value)
        except IdentityError:
            return
        assert MOBILE_PATTERN.fullmatch(result)
