"""Unit tests for carnet.credentials.transliteration (Doc 9303 Part 3 §4.6, §6.A)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carnet.credentials.transliteration import MRZ_FILLER, format_name, transliterate_name
from carnet.domain.errors import ValidationError

pytestmark = pytest.mark.unit

MRZ_NAME = re.compile(r"([A-Z]+(<[A-Z]+)*)?")

# Doc 9303 Part 3 §6.A, "Transliteration of multinational Latin-based characters":
# (character, recommended transliteration), the first form where the table gives two.
ICAO_LATIN_TABLE = [
    ("\u00c0", "A"),  # A grave
    ("\u00c1", "A"),  # A acute
    ("\u00c2", "A"),  # A circumflex
    ("\u00c3", "A"),  # A tilde
    ("\u00c4", "AE"),  # A diaeresis: AE or A
    ("\u00c5", "AA"),  # A ring above: AA or A
    ("\u00c6", "AE"),  # ligature AE
    ("\u00c7", "C"),  # C cedilla
    ("\u00c8", "E"),  # E grave
    ("\u00c9", "E"),  # E acute
    ("\u00ca", "E"),  # E circumflex
    ("\u00cb", "E"),  # E diaeresis
    ("\u00cc", "I"),  # I grave
    ("\u00cd", "I"),  # I acute
    ("\u00ce", "I"),  # I circumflex
    ("\u00cf", "I"),  # I diaeresis
    ("\u00d0", "D"),  # Eth
    ("\u00d1", "N"),  # N tilde: N or NXX
    ("\u00d2", "O"),  # O grave
    ("\u00d3", "O"),  # O acute
    ("\u00d4", "O"),  # O circumflex
    ("\u00d5", "O"),  # O tilde
    ("\u00d6", "OE"),  # O diaeresis: OE or O
    ("\u00d8", "OE"),  # O stroke
    ("\u00d9", "U"),  # U grave
    ("\u00da", "U"),  # U acute
    ("\u00db", "U"),  # U circumflex
    ("\u00dc", "UE"),  # U diaeresis: UE or UXX or U
    ("\u00dd", "Y"),  # Y acute
    ("\u00de", "TH"),  # Thorn
    ("\u0100", "A"),  # A macron
    ("\u0102", "A"),  # A breve
    ("\u0104", "A"),  # A ogonek
    ("\u0106", "C"),  # C acute
    ("\u0108", "C"),  # C circumflex
    ("\u010a", "C"),  # C dot above
    ("\u010c", "C"),  # C caron
    ("\u010e", "D"),  # D caron
    ("\u0110", "D"),  # D stroke
    ("\u0112", "E"),  # E macron
    ("\u0114", "E"),  # E breve
    ("\u0116", "E"),  # E dot above
    ("\u0118", "E"),  # E ogonek
    ("\u011a", "E"),  # E caron
    ("\u011c", "G"),  # G circumflex
    ("\u011e", "G"),  # G breve
    ("\u0120", "G"),  # G dot above
    ("\u0122", "G"),  # G cedilla
    ("\u0124", "H"),  # H circumflex
    ("\u0126", "H"),  # H stroke
    ("\u0128", "I"),  # I tilde
    ("\u012a", "I"),  # I macron
    ("\u012c", "I"),  # I breve
    ("\u012e", "I"),  # I ogonek
    ("\u0130", "I"),  # I dot above
    ("\u0131", "I"),  # dotless i (Turkey)
    ("\u0132", "IJ"),  # ligature IJ
    ("\u0134", "J"),  # J circumflex
    ("\u0136", "K"),  # K cedilla
    ("\u0139", "L"),  # L acute
    ("\u013b", "L"),  # L cedilla
    ("\u013d", "L"),  # L caron
    ("\u013f", "L"),  # L middle dot
    ("\u0141", "L"),  # L stroke
    ("\u0143", "N"),  # N acute
    ("\u0145", "N"),  # N cedilla
    ("\u0147", "N"),  # N caron
    ("\u014a", "N"),  # Eng
    ("\u014c", "O"),  # O macron
    ("\u014e", "O"),  # O breve
    ("\u0150", "O"),  # O double acute
    ("\u0152", "OE"),  # ligature OE
    ("\u0154", "R"),  # R acute
    ("\u0156", "R"),  # R cedilla
    ("\u0158", "R"),  # R caron
    ("\u015a", "S"),  # S acute
    ("\u015c", "S"),  # S circumflex
    ("\u015e", "S"),  # S cedilla
    ("\u0160", "S"),  # S caron
    ("\u0162", "T"),  # T cedilla
    ("\u0164", "T"),  # T caron
    ("\u0166", "T"),  # T stroke
    ("\u0168", "U"),  # U tilde
    ("\u016a", "U"),  # U macron
    ("\u016c", "U"),  # U breve
    ("\u016e", "U"),  # U ring above
    ("\u0170", "U"),  # U double acute
    ("\u0172", "U"),  # U ogonek
    ("\u0174", "W"),  # W circumflex
    ("\u0176", "Y"),  # Y circumflex
    ("\u0178", "Y"),  # Y diaeresis
    ("\u0179", "Z"),  # Z acute
    ("\u017b", "Z"),  # Z dot above
    ("\u017d", "Z"),  # Z caron
    ("\u1e9e", "SS"),  # capital sharp s (Germany)
]


@pytest.mark.parametrize(("char", "expected"), ICAO_LATIN_TABLE)
def test_icao_latin_table(char: str, expected: str) -> None:
    assert transliterate_name(char) == expected


@pytest.mark.parametrize(("char", "expected"), ICAO_LATIN_TABLE)
def test_icao_latin_table_lower_case(char: str, expected: str) -> None:
    # The table is upper case; lower-case letters are upper-cased first.
    lower = char.lower()
    if len(lower) == 1:
        assert transliterate_name(lower) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("\u00c4", "A"), ("\u00e5", "A"), ("\u00d6", "O"), ("\u00fc", "U"), ("\u00c6", "AE")],
)
def test_single_letter_alternatives(text: str, expected: str) -> None:
    # Part 3 §6.A gives "AE or A", "AA or A", "OE or O", "UE or UXX or U".
    assert transliterate_name(text, single_letter=True) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gößmann", "GOESSMANN"),  # lower-case sharp s
        ("Lindström", "LINDSTROEM"),
        ("\u0218tefan \u021aepe\u0219", "STEFAN<TEPES"),  # Romanian comma below
        ("\u01c5ino", "DZINO"),  # the Dž digraph letter
        ("Nguy\u1ec5n \u01a0n", "NGUYEN<ON"),  # stacked diacritics, O horn
        ("e\u0301", "E"),  # decomposed acute composes first
        ("a \u0301b", "A<B"),  # a stray combining mark is dropped
    ],
)
def test_letters_outside_the_table_decompose(text: str, expected: str) -> None:
    assert transliterate_name(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Part 3 §4.6: apostrophes are omitted and the parts joined.
        ("D'Artagnan", "DARTAGNAN"),
        ("O\u2019Connor", "OCONNOR"),
        ("Ka\u02bbahumanu", "KAAHUMANU"),
        # Hyphens and commas between components become one filler.
        ("Marie-Elise", "MARIE<ELISE"),
        ("Anna, Maria", "ANNA<MARIA"),
        ("Smith\u2013Jones", "SMITH<JONES"),
        # All other punctuation is omitted.
        ("St. John", "ST<JOHN"),
        ("Dr.(h.c.)", "DRHC"),
        # Runs of separators collapse; none lead or trail.
        ("  Anna  -  Maria  ", "ANNA<MARIA"),
        ("Anna\tMaria\nLuisa", "ANNA<MARIA<LUISA"),
        ("ANNA<MARIA", "ANNA<MARIA"),
        ("", ""),
        ("'-.", ""),
    ],
)
def test_punctuation_and_separators(text: str, expected: str) -> None:
    assert transliterate_name(text) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Henry 8", "numeral"),
        ("Louis XIV\u2167", "numeral"),
        ("\ud64d\uae38\ub3d9", "character"),  # Hangul: romanise first
        ("\u0418\u0432\u0430\u043d", "character"),  # Cyrillic
        ("\u0645\u062d\u0645\u062f", "character"),  # Arabic
        ("Anna\u00a9", "character"),
        ("Anna+Maria", "character"),
        ("Anna\x00", "character"),
        ("\u0259li", "character"),  # schwa: not in the ICAO table
    ],
)
def test_untransliterable_text_is_refused_without_echoing_it(text: str, kind: str) -> None:
    with pytest.raises(ValidationError) as caught:
        transliterate_name(text)

    assert kind in caught.value.message
    assert text not in str(caught.value)


@given(st.text())
def test_transliteration_yields_mrz_components_or_refuses(text: str) -> None:
    try:
        result = transliterate_name(text)
    except ValidationError:
        return
    assert MRZ_NAME.fullmatch(result)


@given(st.text(alphabet=st.characters(codec="ascii")))
def test_transliteration_is_idempotent(text: str) -> None:
    try:
        once = transliterate_name(text)
    except ValidationError:
        return
    assert transliterate_name(once) == once


# --------------------------------------------------------------------------- format_name


@pytest.mark.parametrize(
    ("primary", "secondary", "width", "expected"),
    [
        # Korean names, family name first: hyphenated given names keep a filler.
        ("HONG", "Gil-dong", 30, "HONG<<GIL<DONG" + "<" * 16),
        ("Yi", "Sun-sin", 39, "YI<<SUN<SIN" + "<" * 28),
        ("Park", "Ji-hoon", 39, "PARK<<JI<HOON" + "<" * 26),
        ("Nam-gung", "Min-ji", 30, "NAM<GUNG<<MIN<JI" + "<" * 14),
        # Exactly full: not truncated (Part 4 §4.2.3), ends with a letter anyway.
        ("Abcd", "Ef", 8, "ABCD<<EF"),
        # Primary identifier alone, longer than the field.
        ("Wolfeschlegelsteinhausenbergerdorff", "", 30, "WOLFESCHLEGELSTEINHAUSENBERGER"),
        # Primary identifier that leaves exactly two positions: cut to free three.
        ("Abcdefgh", "Ij", 10, "ABCDEFG<<I"),
    ],
)
def test_format_name(primary: str, secondary: str, width: int, expected: str) -> None:
    assert format_name(primary, secondary, width) == expected


def test_format_name_names_the_failing_identifier() -> None:
    with pytest.raises(ValidationError) as caught:
        format_name("Hong", "Gil-dong 2", 30)
    assert caught.value.field == "secondary_identifier"

    with pytest.raises(ValidationError) as caught:
        format_name("\ud64d", "Gil-dong", 30)
    assert caught.value.field == "primary_identifier"


def test_format_name_needs_a_primary_identifier() -> None:
    with pytest.raises(ValidationError) as caught:
        format_name(" - ", "Anna", 30)

    assert caught.value.field == "primary_identifier"


@pytest.mark.parametrize("width", [-1, 0, 3])
def test_format_name_needs_four_positions(width: int) -> None:
    with pytest.raises(ValidationError) as caught:
        format_name("A", "B", width)

    assert caught.value.field == "width"


components = st.lists(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12))


@given(
    primary=components.filter(bool),
    secondary=components,
    width=st.integers(min_value=4, max_value=44),
)
def test_format_name_fills_the_field_and_keeps_its_structure(
    primary: list[str], secondary: list[str], width: int
) -> None:
    full = MRZ_FILLER.join(primary) + ("<<" + MRZ_FILLER.join(secondary) if secondary else "")

    field = format_name(" ".join(primary), " ".join(secondary), width)

    assert len(field) == width
    name = field.rstrip(MRZ_FILLER)
    head, separator, tail = name.partition("<<")
    assert MRZ_NAME.fullmatch(head)
    assert head
    assert MRZ_NAME.fullmatch(tail)
    if len(full) <= width:
        assert name == full
        return
    # Truncated (Part 4/5 §4.2.3): a secondary identifier keeps "<<" and an initial,
    # and the field ends with a letter unless only one-letter components were kept.
    assert bool(separator) == bool(secondary)
    if secondary:
        assert tail
        assert tail[0] == secondary[0][0]
    if field[-1] == MRZ_FILLER:
        # Only an identifier cut down to initials can leave a filler at the end.
        assert all(len(part) == 1 for part in (tail or head).split(MRZ_FILLER))
    whole = MRZ_FILLER.join(primary)
    if len(whole) + 3 <= width and head != whole:
        # The primary identifier gave up one letter so that the field ends with one.
        assert len(head) == len(whole) - 1
        assert field[-1] != MRZ_FILLER
