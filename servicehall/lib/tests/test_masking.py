"""Tests for servicehall.lib.masking."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicehall.lib.identity import CREDIT_CODE_ALPHABET, citizen_id_check_char, credit_code_check_char
from servicehall.lib.masking import mask_citizen_id, mask_credit_code, mask_identity, mask_name, mask_phone

PROPERTY = settings(max_examples=200)
ASCII_DIGITS = "0123456789"

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
citizen_ids = st.text(ASCII_DIGITS, min_size=17, max_size=17).map(lambda s: s + citizen_id_check_char(s))
credit_codes = st.text(CREDIT_CODE_ALPHABET, min_size=17, max_size=17).map(lambda s: s + credit_code_check_char(s))


class Unprintable:
    def __str__(self):
        raise RuntimeError("broken __str__")


odd_values = st.one_of(
    st.none(),
    st.text(),
    st.integers(),
    st.floats(),
    st.binary(),
    st.lists(st.integers(), max_size=3),
    st.just(Unprintable()),
)


class MaskPhoneTests:
    def test_it_keeps_the_first_3_and_last_4(self):
        assert mask_phone("13812345678") == "138****5678"

    def test_it_drops_the_country_code_and_separators_first(self):
        assert mask_phone("+86 138-1234-5678") == "138****5678"
        assert mask_phone(13812345678) == "138****5678"

    @pytest.mark.parametrize(("value", "masked"), [(None, ""), ("", ""), ("1", "*"), ("123", "***"), ("1234", "1**4")])
    def test_it_hides_at_least_half_of_a_short_value(self, value, masked):
        assert mask_phone(value) == masked

    @PROPERTY
    @given(mobiles)
    def test_it_never_reveals_the_middle_digits(self, number):
        masked = mask_phone(number)
        assert len(masked) == len(number)
        assert masked == number[:3] + "****" + number[7:]


class MaskCitizenIdTests:
    def test_it_keeps_the_first_6_and_last_4(self):
        assert mask_citizen_id("110105199001011234") == "110105********1234"

    def test_it_ignores_surrounding_spaces(self):
        assert mask_citizen_id(" 11010519491231002X ") == "110105********002X"

    @pytest.mark.parametrize(("value", "masked"), [(None, ""), ("12", "**"), ("12345678", "12****78")])
    def test_it_hides_at_least_half_of_a_short_value(self, value, masked):
        assert mask_citizen_id(value) == masked

    @PROPERTY
    @given(citizen_ids)
    def test_it_never_reveals_the_birth_date_or_sequence(self, value):
        masked = mask_citizen_id(value)
        assert len(masked) == 18
        assert masked == value[:6] + "*" * 8 + value[14:]


class MaskCreditCodeTests:
    def test_it_keeps_the_first_4_and_last_4(self):
        assert mask_credit_code("11320000MB151840XJ") == "1132**********40XJ"

    @PROPERTY
    @given(credit_codes)
    def test_it_never_reveals_the_middle(self, value):
        masked = mask_credit_code(value)
        assert len(masked) == 18
        assert masked == value[:4] + "*" * 10 + value[14:]


class MaskNameTests:
    @pytest.mark.parametrize(
        ("name", "masked"),
        [
            ("张三丰", "张*丰"),
            ("张三", "张*"),
            ("张", "张"),
            ("欧阳娜娜", "欧**娜"),
            ("阿卜杜拉·买买提", "阿******提"),
            (" 张三 ", "张*"),
            ("", ""),
            (None, ""),
        ],
    )
    def test_it_keeps_the_first_and_last_character(self, name, masked):
        assert mask_name(name) == masked

    @PROPERTY
    @given(st.text(min_size=3).map(str.strip).filter(lambda s: len(s) >= 3))
    def test_it_stars_everything_between_the_ends(self, name):
        masked = mask_name(name)
        assert len(masked) == len(name)
        assert masked == name[0] + "*" * (len(name) - 2) + name[-1]


class MaskIdentityTests:
    def test_it_masks_a_citizen_id_as_one(self):
        assert mask_identity("11010519491231002x") == "110105********002X"

    def test_it_masks_a_credit_code_as_one(self):
        assert mask_identity("11320000MB151840XJ") == "1132**********40XJ"

    def test_it_masks_an_all_digit_credit_code_by_its_check_char(self):
        # 18 digits, so it has the shape of an ID, but only the credit-code check passes.
        assert citizen_id_check_char("91110000123456704") != "1"
        assert mask_identity("911100001234567041") == "9111**********7041"

    def test_it_prefers_a_citizen_id_when_both_check_chars_pass(self):
        # Personal data is what PIPL protects, so the ambiguous case is read as an ID.
        assert citizen_id_check_char("11010519900101029") == credit_code_check_char("11010519900101029") == "9"
        assert mask_identity("110105199001010299") == "110105********0299"

    def test_it_masks_an_id_shaped_value_with_a_bad_check_char_as_an_id(self):
        assert mask_identity("110105194912310021") == "110105********0021"

    def test_it_masks_a_phone_as_one(self):
        assert mask_identity("+86 138 1234 5678") == "138****5678"

    @pytest.mark.parametrize(
        ("value", "masked"),
        [("ABC12345", "****2345"), ("010-87654321", "********4321"), ("1234", "***4"), (None, "")],
    )
    def test_it_keeps_only_the_last_4_of_anything_else(self, value, masked):
        assert mask_identity(value) == masked

    @PROPERTY
    @given(st.one_of(mobiles, citizen_ids, credit_codes))
    def test_it_never_reveals_more_than_the_specific_mask(self, value):
        masked = mask_identity(value)
        assert len(masked) == len(value)
        assert masked in {mask_phone(value), mask_citizen_id(value), mask_credit_code(value)}
        assert masked.count("*") >= 4


class NeverRaisesTests:
    @PROPERTY
    @given(odd_values)
    def test_it_returns_a_string_for_any_input(self, value):
        for mask in (mask_phone, mask_citizen_id, mask_credit_code, mask_name, mask_identity):
            assert isinstance(mask(value), str)
