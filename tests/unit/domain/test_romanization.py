"""Revised Romanization, checked against the examples of the official rules.

Expected values come from the examples printed in the rules themselves (Ministry
of Culture and Tourism proclamation 2000-8, "Romanization of Korean", as published
by the National Institute of Korean Language): Chapter 2 (the letter tables and
their notes) and Chapter 3 (special provisions: sound changes, hyphens, capitals,
personal names, administrative units, natural features). Other expectations are
derived by hand from the letter tables of RR and McCune-Reischauer, or from the
Unicode Hangul syllable formula (Unicode §3.12).
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carnet.domain.romanization import (
    compose,
    customary_family_names,
    decompose,
    is_hangul_syllable,
    latin_key,
    romanization_variants,
    romanize,
    romanize_name,
    romanize_place,
)

pytestmark = pytest.mark.unit

hangul_syllables = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
hangul_words = st.text(hangul_syllables, min_size=1, max_size=6)

# Chapter 2, notes to the consonant table: ㄱ ㄷ ㅂ before a vowel are g d b, and
# k t p before a consonant or at the end; ㄹ is r before a vowel, l otherwise, ㄹㄹ ll.
CHAPTER_2 = {
    "구미": "Gumi", "영동": "Yeongdong", "백암": "Baegam", "옥천": "Okcheon",
    "합덕": "Hapdeok", "호법": "Hobeop", "월곶": "Wolgot", "벚꽃": "beotkkot",
    "한밭": "Hanbat", "구리": "Guri", "설악": "Seorak", "칠곡": "Chilgok",
    "임실": "Imsil", "울릉": "Ulleung", "대관령": "Daegwallyeong",
}  # fmt: skip

# Chapter 3 §1: sound changes between syllables are romanised as pronounced.
SOUND_CHANGES = {
    # assimilation of adjacent consonants (nasalisation, lateralisation)
    "백마": "Baengma", "신문로": "Sinmunno", "종로": "Jongno",
    "왕십리": "Wangsimni", "별내": "Byeollae", "신라": "Silla",
    # palatalisation
    "해돋이": "haedoji", "같이": "gachi",
    # ㅎ merged with a following ㄱ ㄷ ㅈ
    "좋고": "joko", "놓다": "nota", "낳지": "nachi",
    # ... but not ㅎ after ㄱ ㄷ ㅂ in nouns
    "묵호": "Mukho", "집현전": "Jiphyeonjeon",
    # glottalisation is not written
    "압구정": "Apgujeong", "낙동강": "Nakdonggang", "죽변": "Jukbyeon",
    "낙성대": "Nakseongdae", "합정": "Hapjeong", "팔당": "Paldang",
    "샛별": "saetbyeol", "울산": "Ulsan",
}  # fmt: skip

# Chapter 3 §6: natural features, cultural properties and structures, no hyphen.
FEATURES = {
    "남산": "Namsan", "속리산": "Songnisan", "금강": "Geumgang", "독도": "Dokdo",
    "경복궁": "Gyeongbokgung", "무량수전": "Muryangsujeon", "연화교": "Yeonhwagyo",
    "극락전": "Geungnakjeon", "안압지": "Anapji", "남한산성": "Namhansanseong",
    "화랑대": "Hwarangdae", "불국사": "Bulguksa", "현충사": "Hyeonchungsa",
    "독립문": "Dongnimmun", "오죽헌": "Ojukheon", "촉석루": "Chokseongnu",
    "종묘": "Jongmyo", "다보탑": "Dabotap",
}  # fmt: skip

# Chapter 3 §5: administrative units after a hyphen, no sound change across it.
# The rules write the number's reading in brackets, "Bongcheon 1(il)-dong"; that
# reading is optional and we leave it out.
PLACES = {
    "충청북도": "Chungcheongbuk-do", "제주도": "Jeju-do", "의정부시": "Uijeongbu-si",
    "양주군": "Yangju-gun", "도봉구": "Dobong-gu", "신창읍": "Sinchang-eup",
    "삼죽면": "Samjuk-myeon", "인왕리": "Inwang-ri", "당산동": "Dangsan-dong",
    "봉천1동": "Bongcheon 1-dong", "종로 2가": "Jongno 2-ga", "퇴계로 3가": "Toegyero 3-ga",
}  # fmt: skip


@pytest.mark.parametrize(("hangul", "expected"), sorted({**CHAPTER_2, **SOUND_CHANGES}.items()))
def test_official_examples(hangul: str, expected: str) -> None:
    assert romanize(hangul, capitalize=expected[0].isupper()) == expected


@pytest.mark.parametrize(("hangul", "expected"), sorted(FEATURES.items()))
def test_natural_features_take_no_hyphen(hangul: str, expected: str) -> None:
    assert romanize(hangul, capitalize=True) == expected


@pytest.mark.parametrize(("hangul", "expected"), sorted(PLACES.items()))
def test_administrative_units(hangul: str, expected: str) -> None:
    assert romanize_place(hangul) == expected


@pytest.mark.parametrize(
    ("hangul", "expected"),
    [("중앙", "Jung-ang"), ("반구대", "Ban-gudae"), ("세운", "Se-un"), ("해운대", "Hae-undae")],
)
def test_optional_hyphen_where_syllables_could_be_misread(hangul: str, expected: str) -> None:
    # Chapter 3 §2.
    assert romanize(hangul, capitalize=True, hyphenate=True) == expected
    assert romanize(hangul, capitalize=True) == expected.replace("-", "")


@pytest.mark.parametrize(
    ("hangul", "expected"),
    [
        ("놓는", "nonneun"),
        ("뚫는", "ttulleun"),
        ("좋소", "joso"),
        ("많고", "manko"),
        ("좋아", "joa"),
    ],
)
def test_final_h_before_n_s_and_vowels(hangul: str, expected: str) -> None:
    # Standard pronunciation, article 12. A final ㅎ before ㄴ is read as ㄴ (놓는 is
    # read 논는); ㅀ before ㄴ as ㄹ ㄹ (뚫는 is read 뚤른); before ㅅ it makes ㅆ, which
    # RR does not write (좋소 is read 조쏘); ㄶ before ㄱ gives ㄴ ㅋ; before a vowel
    # it is silent (좋아 is read 조아).
    assert romanize(hangul) == expected


def test_proper_nouns_are_capitalised_word_by_word() -> None:
    # Chapter 3 §3: 부산 Busan, 세종 Sejong.
    assert romanize("부산 세종", capitalize=True) == "Busan Sejong"
    assert romanize("부산") == "busan"


def test_other_characters_pass_through_and_split_words() -> None:
    assert romanize("종로 2가, 서울!") == "jongno 2ga, seoul!"
    assert romanize("") == ""
    assert romanize("ABC") == "ABC"


def test_vowel_table() -> None:
    # Chapter 2 §1, one syllable per vowel with the silent ㅇ.
    vowels = "아애야얘어에여예오와왜외요우워웨위유으의이"
    expected = [
        "a",
        "ae",
        "ya",
        "yae",
        "eo",
        "e",
        "yeo",
        "ye",
        "o",
        "wa",
        "wae",
        "oe",
        "yo",
        "u",
        "wo",
        "we",
        "wi",
        "yu",
        "eu",
        "ui",
        "i",
    ]
    assert [romanize(ch) for ch in vowels] == expected


def test_consonant_table_initials() -> None:
    # Chapter 2 §2, each initial before ㅏ.
    syllables = "가까나다따라마바빠사싸아자짜차카타파하"
    expected = [
        "ga",
        "kka",
        "na",
        "da",
        "tta",
        "ra",
        "ma",
        "ba",
        "ppa",
        "sa",
        "ssa",
        "a",
        "ja",
        "jja",
        "cha",
        "ka",
        "ta",
        "pa",
        "ha",
    ]
    assert [romanize(ch) for ch in syllables] == expected


@pytest.mark.parametrize(
    ("family", "given", "hyphenated", "joined"),
    [
        # Chapter 3 §4: family name, space, given name; hyphen allowed.
        ("민", "용하", "Yong-ha", "Yongha"),
        ("송", "나리", "Na-ri", "Nari"),
        # §4.1: no sound change inside a given name (not Bongnam, not Binna).
        ("한", "복남", "Bok-nam", "Boknam"),
        ("홍", "빛나", "Bit-na", "Bitna"),
        ("정", "석민", "Seok-min", "Seokmin"),
        ("강", "홍립", "Hong-rip", "Hongrip"),
    ],
)
def test_given_names_without_sound_changes(
    family: str, given: str, hyphenated: str, joined: str
) -> None:
    assert romanize_name(family, given)[1] == hyphenated
    assert romanize_name(family, given, hyphen=False)[1] == joined


def test_family_names_customary_by_default_strict_rr_on_request() -> None:
    customary = {"김": "Kim", "이": "Lee", "박": "Park", "최": "Choi", "정": "Jung",
                 "강": "Kang", "조": "Cho", "윤": "Yoon", "임": "Lim", "오": "Oh",
                 "신": "Shin", "권": "Kwon", "안": "Ahn", "류": "Ryu"}  # fmt: skip
    for hangul, latin in customary.items():
        assert romanize_name(hangul, "민수")[0] == latin
    strict = {"김": "Gim", "이": "I", "박": "Bak", "최": "Choe", "정": "Jeong", "민": "Min",
              "송": "Song", "한": "Han", "홍": "Hong", "남궁": "Namgung",
              "선우": "Seonu"}  # fmt: skip
    for hangul, latin in strict.items():
        assert romanize_name(hangul, "", family_style="rr")[0] == latin


def test_customary_spellings_list_the_common_ones() -> None:
    assert customary_family_names("이")[:3] == ("Lee", "Yi", "Rhee")
    assert set(customary_family_names("정")) >= {"Jung", "Jeong", "Chung"}
    assert set(customary_family_names("류")) >= {"Ryu", "Yoo", "Yu"}
    # A family name outside the table falls back to RR (a final ㄺ reads k, as in 닭 dak).
    assert customary_family_names("뭉") == ("Mung",)
    assert customary_family_names("닭") == ("Dak",)


def test_non_hangul_names_pass_through() -> None:
    assert romanize_name("McDonald", "John") == ("McDonald", "John")
    assert romanize_name("김", "길 동") == ("Kim", "Gil Dong")
    assert romanize_name("김", "") == ("Kim", "")
    assert romanization_variants("Smith", "John")[0] == ("Smith", "John")


def test_variants_start_with_the_official_form_and_are_stable() -> None:
    variants = romanization_variants("이", "서연")
    assert variants[0] == romanize_name("이", "서연") == ("Lee", "Seo-yeon")
    assert variants == romanization_variants("이", "서연")
    assert len(variants) == len(set(variants))
    assert {("Lee", "Seoyeon"), ("Yi", "Seo-yeon"), ("Rhee", "Seo Yeon"), ("I", "Seo-yeon")} <= set(
        variants
    )


def test_variants_include_mccune_reischauer_and_passport_spellings() -> None:
    variants = set(romanization_variants("최", "은정"))
    # McCune-Reischauer: ㅡ ŭ, ㅓ ŏ, an apostrophe for aspiration, ㅈ voiced after n.
    assert ("Ch'oe", "Ŭn-jŏng") in variants
    assert ("Choe", "Un-jong") in variants  # the same without diacritics
    # What passports often show: eo → u before a final, ㅡ kept as eu.
    assert ("Choi", "Eun-jung") in variants
    assert ("Choi", "Eunjung") in variants


def test_mccune_reischauer_writes_sh_before_i() -> None:
    # MR writes ㅅ as sh before ㅣ and ㅟ: 신 Shin, 시우 Shi-u.
    assert ("Shin", "Shi-u") in romanization_variants("신", "시우")
    assert ("Shin", "Shwi-ho") in romanization_variants("신", "쉬호")
    # ... and ㄹㄹ as ll, as RR does.
    assert ("Kim", "Mal-lye") in romanization_variants("김", "말례")


@pytest.mark.parametrize(
    ("given", "passport"),
    [("민준", "Min-joon"), ("현우", "Hyun-woo"), ("성민", "Sung-min"), ("경수", "Kyung-soo"),
     ("영희", "Young-hee"), ("지훈", "Ji-hoon"), ("철수", "Chul-soo"), ("서연", "Seo-yeon")],
)  # fmt: skip
def test_passport_style_given_names(given: str, passport: str) -> None:
    assert ("Kim", passport) in romanization_variants("김", given)


def test_latin_key_ignores_case_marks_hyphens_apostrophes_and_spaces() -> None:
    assert latin_key("Ch'oe Chŏng-hŭi") == "choechonghui"
    assert latin_key("Gil-dong") == latin_key("gildong") == latin_key("GIL DONG")
    assert latin_key("Ch\u02bcoe") == latin_key("Ch\u2019oe") == "choe"
    assert latin_key("Hong\u2013Gil") == "honggil"
    assert latin_key("") == ""


def test_decompose_and_compose() -> None:
    assert decompose("한") == ("ㅎ", "ㅏ", "ㄴ")
    assert decompose("가") == ("ㄱ", "ㅏ", "")
    assert decompose("힣") == ("ㅎ", "ㅣ", "ㅎ")
    assert decompose("닭") == ("ㄷ", "ㅏ", "ㄺ")
    assert compose("ㄱ", "ㅏ") == "가"
    assert compose("ㅎ", "ㅏ", "ㄴ") == "한"
    assert is_hangul_syllable("가")
    assert not is_hangul_syllable("ㄱ")
    assert not is_hangul_syllable("가나")
    assert not is_hangul_syllable("A")


@pytest.mark.parametrize("bad", ["A", "ㄱ", "", "가나"])
def test_decompose_rejects_anything_but_one_syllable(bad: str) -> None:
    with pytest.raises(ValueError, match="Hangul"):
        decompose(bad)


@pytest.mark.parametrize(
    ("initial", "vowel", "final"),
    [("ㅏ", "ㅏ", ""), ("ㄱ", "ㄱ", ""), ("ㄱ", "ㅏ", "ㄸ"), ("", "ㅏ", ""), ("ㄱ", "ㅏㅏ", "")],
)
def test_compose_rejects_misplaced_letters(initial: str, vowel: str, final: str) -> None:
    with pytest.raises(ValueError, match="not a"):
        compose(initial, vowel, final)


@given(hangul_syllables)
def test_compose_inverts_decompose(syllable: str) -> None:
    assert compose(*decompose(syllable)) == syllable
    # The Unicode canonical decomposition agrees on the number of jamo.
    jamo = unicodedata.normalize("NFD", syllable)
    assert len(jamo) == 2 + (decompose(syllable)[2] != "")


@given(hangul_words)
def test_romanisation_is_plain_lowercase_ascii(word: str) -> None:
    latin = romanize(word)
    assert latin
    assert latin.isascii()
    assert latin.isalpha()
    assert latin == latin.lower()


@given(hangul_words, hangul_words)
def test_every_variant_is_latin_and_keys_are_stable(family: str, given_name: str) -> None:
    variants = romanization_variants(family[:2], given_name[:3])
    assert variants[0] == romanize_name(family[:2], given_name[:3])
    for fam, giv in variants:
        assert fam
        assert giv
        assert all(ch.isascii() or unicodedata.category(ch).startswith("L") for ch in fam + giv)
        key = latin_key(fam + giv)
        assert key.isascii()
        assert latin_key(key) == key


@given(hangul_words)
def test_hyphenated_and_joined_given_names_share_a_key(given_name: str) -> None:
    family = "김"
    hyphenated = romanize_name(family, given_name)[1]
    joined = romanize_name(family, given_name, hyphen=False)[1]
    assert latin_key(hyphenated) == latin_key(joined)
    assert hyphenated.count("-") == len(given_name) - 1
