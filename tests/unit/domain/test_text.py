"""Cleaning free text and building accent- and case-free search keys."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carnet.domain.errors import ValidationError
from carnet.domain.text import MAX_FIELD_LENGTH, clean_text, search_key

pytestmark = pytest.mark.unit

# --------------------------------------------------------------------------- clean_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Kim", "Kim"),
        ("  Kim  ", "Kim"),
        ("Hong   Gil  dong", "Hong Gil dong"),
        ("Hong\tGil\ndong\r\n", "Hong Gil dong"),
        ("Hong\u00a0Gil\u3000dong", "Hong Gil dong"),  # no-break and ideographic spaces
        ("홍길동", "홍길동"),
    ],
)
def test_white_space_is_trimmed_and_folded(raw: str, clean: str) -> None:
    assert clean_text(raw, "name") == clean


def test_text_is_nfc_normalised() -> None:
    decomposed = "Jose\u0301 Sŏul"  # e + combining acute
    assert clean_text(decomposed, "name") == "José Sŏul"
    assert unicodedata.is_normalized("NFC", clean_text(decomposed, "name"))
    hangul_jamo = unicodedata.normalize("NFD", "홍길동")
    assert len(hangul_jamo) == 9  # three jamo per syllable
    assert clean_text(hangul_jamo, "name") == "홍길동"


@settings(deadline=None)  # the first call builds the forbidden-character table
@given(st.text())
def test_clean_text_output_is_nfc_and_has_no_outer_or_double_space(raw: str) -> None:
    try:
        text = clean_text(raw, "name", required=False, max_length=10_000)
    except ValidationError:
        return
    assert unicodedata.is_normalized("NFC", text)
    assert text == text.strip()
    assert "  " not in text
    assert clean_text(text, "name", required=False, max_length=10_000) == text


@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_empty_text_is_refused_when_required(raw: str) -> None:
    with pytest.raises(ValidationError) as info:
        clean_text(raw, "family_name_native")
    assert info.value.field == "family_name_native"


@pytest.mark.parametrize("raw", ["", "   "])
def test_empty_text_is_allowed_when_optional(raw: str) -> None:
    assert clean_text(raw, "phone", required=False) == ""


def test_length_is_limited_after_cleaning() -> None:
    assert MAX_FIELD_LENGTH == 200
    assert clean_text("a" * 200, "address") == "a" * 200
    assert clean_text("  " + "a" * 200 + "  ", "address") == "a" * 200
    with pytest.raises(ValidationError) as info:
        clean_text("a" * 201, "address")
    assert info.value.field == "address"


def test_the_limit_counts_characters_not_bytes() -> None:
    assert clean_text("가" * 200, "address") == "가" * 200
    with pytest.raises(ValidationError):
        clean_text("가" * 201, "address")


def test_a_custom_limit_applies() -> None:
    assert clean_text("x" * 500, "reason", max_length=500) == "x" * 500
    with pytest.raises(ValidationError):
        clean_text("x" * 11, "code", max_length=10)


@pytest.mark.parametrize(
    "char",
    [
        pytest.param("\x00", id="NUL"),
        pytest.param("\x07", id="BEL"),
        pytest.param("\x1b", id="ESC"),
        pytest.param("\x7f", id="DEL"),
        pytest.param("\x9b", id="C1-CSI"),
        pytest.param("\u200b", id="zero-width-space"),
        pytest.param("\u200c", id="zero-width-non-joiner"),
        pytest.param("\u200d", id="zero-width-joiner"),
        pytest.param("\u2060", id="word-joiner"),
        pytest.param("\ufeff", id="byte-order-mark"),
        pytest.param("\u00ad", id="soft-hyphen"),
        pytest.param("\u200e", id="left-to-right-mark"),
        pytest.param("\u202e", id="right-to-left-override"),
        pytest.param("\u2066", id="left-to-right-isolate"),
        pytest.param("\U000e0041", id="tag-latin-a"),
        pytest.param("\ud800", id="lone-surrogate"),
        pytest.param("\ue000", id="private-use"),
        pytest.param("\U000f0000", id="supplementary-private-use"),
    ],
)
def test_control_format_surrogate_and_private_characters_are_refused(char: str) -> None:
    for raw in (f"Kim{char}", f"{char}Kim", f"Ki{char}m"):
        with pytest.raises(ValidationError) as info:
            clean_text(raw, "family_name_latin")
        assert info.value.field == "family_name_latin"


def test_the_error_message_does_not_echo_the_input() -> None:
    with pytest.raises(ValidationError) as info:
        clean_text("secret\u202eterces", "address")
    assert "secret" not in str(info.value)
    assert "secret" not in repr(info.value)


@pytest.mark.parametrize(
    "raw", ["O'Brien", "Ngô Bảo Châu", "Ελένη", "Иван", "محمد", "山田 太郎", "Dvořák €5 #3"]
)
def test_printable_text_of_any_script_is_kept(raw: str) -> None:
    assert clean_text(raw, "name") == unicodedata.normalize("NFC", raw)


# --------------------------------------------------------------------------- search_key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Kim", "kim"),
        ("KIM", "kim"),
        ("Gil-dong", "gildong"),
        ("Gil dong", "gildong"),
        ("gildong", "gildong"),
        ("O'Brien", "obrien"),
        ("O\u2019Brien", "obrien"),
        ("St. John", "stjohn"),
        ("Sŏul", "soul"),
        ("SŎUL", "soul"),
        ("José", "jose"),
        ("Jose\u0301", "jose"),
        ("Müller", "muller"),
        ("Ångström", "angstrom"),
        ("Straße", "strasse"),
        ("홍길동", "홍길동"),
        ("홍 길-동", "홍길동"),
    ],
)
def test_search_key_ignores_accents_case_and_separators(name: str, key: str) -> None:
    assert search_key(name) == key


def test_gil_dong_spellings_meet() -> None:
    assert search_key("Gil-dong") == search_key("gildong") == search_key("GIL DONG")
    assert search_key("Hong Gil-dong") == search_key("honggildong")


def test_hangul_comes_back_composed_whatever_its_input_form() -> None:
    composed = "길동"
    assert search_key(unicodedata.normalize("NFD", composed)) == composed
    assert search_key(composed) == composed


def test_letters_are_kept_apart() -> None:
    assert search_key("Kim") != search_key("Kin")
    assert search_key("Lee") != search_key("Le")
    assert search_key("길동") != search_key("길둥")


@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_search_key_drops_separators_and_combining_marks(name: str) -> None:
    key = search_key(name)
    assert not set(key) & {" ", "-", "'", ".", "\u2019"}
    assert unicodedata.is_normalized("NFC", key)
    assert search_key(name.upper().lower()) == search_key(name.lower())


@given(
    st.text(
        alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ -'.가각힣")
    )
)
def test_ascii_and_hangul_keys_need_only_lower_casing(name: str) -> None:
    expected = "".join(ch for ch in name if ch not in " -'.").lower()
    assert search_key(name) == expected
