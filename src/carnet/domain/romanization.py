"""Romanisation of Korean: Hangul syllables, Revised Romanization and name spellings.

This module owns three things:

* Hangul syllable arithmetic (Unicode §3.12, U+AC00..U+D7A3): a precomposed
  syllable is ``0xAC00 + (initial * 21 + vowel) * 28 + final``.
* The Revised Romanization of Korean (Ministry of Culture and Tourism
  proclamation 2000-8, "RR"), with the sound changes at syllable boundaries that
  its Chapter 3 §1 requires: liaison of a final consonant before a silent ``ㅇ``,
  nasalisation (백마 Baengma, 왕십리 Wangsimni, 종로 Jongno), lateralisation
  (신라 Silla, 별내 Byeollae), palatalisation (해돋이 haedoji, 같이 gachi) and
  aspiration after ``ㅎ`` (좋고 joko), but not before ``ㅎ`` in nouns (묵호 Mukho).
  Glottalisation is not written (압구정 Apgujeong), as the rules say.
* Personal names: given names are romanised syllable by syllable without sound
  changes and with an optional hyphen (RR Chapter 3 §4: 한복남 Han Boknam or
  Han Bok-nam). Family names follow customary spellings (RR §4 note: "the
  romanisation of family names will be determined separately"), so 김 is Kim and
  이 is Lee. :func:`romanization_variants` lists the spellings met in real
  records (McCune-Reischauer, customary, hyphenated or joined) for record linkage.

Known limits, which matter little for names and place names: sound changes that
depend on word structure are not modelled — ``ㄴ`` insertion (학여울 Hangnyeoul),
aspiration in verb forms (잡혀 japyeo, 맞히다 machida) — and ``ㄴ`` + ``ㄹ`` is read
as ``ll`` except before a word-final 로 ("road"), which is read ``nn`` (신문로
Sinmunno). Everything here is deterministic and uses the standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import groupby
from typing import Literal

__all__ = [
    "FINALS",
    "INITIALS",
    "VOWELS",
    "compose",
    "customary_family_names",
    "decompose",
    "is_hangul_syllable",
    "latin_key",
    "romanization_variants",
    "romanize",
    "romanize_name",
    "romanize_place",
]

_BASE = 0xAC00
_LAST = 0xD7A3
_N_VOWELS = 21
_N_FINALS = 28

#: The 19 initial consonants, in Unicode order, as compatibility jamo.
INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
#: The 21 vowels, in Unicode order, as compatibility jamo.
VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
#: The 28 finals, in Unicode order; index 0 is "no final".
FINALS: tuple[str, ...] = ("", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")

# Initial indices used by the sound-change rules.
_G, _GG, _N, _D, _DD, _R, _M, _B, _BB, _S, _SS, _SILENT, _J, _JJ, _CH, _K, _T, _P, _H = range(19)
_VOWEL_I = 20
_VOWEL_WI = 16
_VOWEL_O = 8
_FINAL_D, _FINAL_T, _FINAL_H, _FINAL_NH, _FINAL_LH = 7, 25, 27, 6, 15

# Pronounced codas: a final consonant before another consonant or at a word's end
# is one of seven sounds (RR Chapter 2 §2 note 1).
_K_, _N_, _T_, _L_, _M_, _P_, _NG_ = "k", "n", "t", "l", "m", "p", "ng"
_NEUTRAL: tuple[str, ...] = (
    "", _K_, _K_, _K_, _N_, _N_, _N_, _T_, _L_, _K_, _M_, _L_, _L_, _L_,
    _P_, _L_, _M_, _P_, _P_, _T_, _T_, _NG_, _T_, _T_, _K_, _T_, _P_, _T_,
)  # fmt: skip
# Before a vowel a final moves to the next syllable (liaison): what stays, what moves.
_LIAISON: tuple[tuple[str, int], ...] = (
    ("", _SILENT), ("", _G), ("", _GG), (_K_, _S), ("", _N), (_N_, _J), ("", _N),
    ("", _D), ("", _R), (_L_, _G), (_L_, _M), (_L_, _B), (_L_, _S), (_L_, _T),
    (_L_, _P), ("", _R), ("", _M), ("", _B), (_P_, _S), ("", _S), ("", _SS),
    (_NG_, _SILENT), ("", _J), ("", _CH), ("", _K), ("", _T), ("", _P), ("", _SILENT),
)  # fmt: skip
_ASPIRATED = {_G: _K, _D: _T, _J: _CH}
_H_FINAL_REST = {_FINAL_H: "", _FINAL_NH: _N_, _FINAL_LH: _L_}
_NASAL = {_K_: _NG_, _T_: _N_, _P_: _M_}

_RR_INITIAL = ("g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch",
               "k", "t", "p", "h")  # fmt: skip
_RR_VOWEL = ("a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u",
             "wo", "we", "wi", "yu", "eu", "ui", "i")  # fmt: skip
# McCune-Reischauer (1939): unvoiced and voiced forms of the plain stops, breves, apostrophes.
_MR_INITIAL = ("k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "ch", "tch",
               "ch'", "k'", "t'", "p'", "h")  # fmt: skip
_MR_VOICED = {_G: "g", _D: "d", _B: "b", _J: "j"}
_MR_VOWEL = ("a", "ae", "ya", "yae", "ŏ", "e", "yŏ", "ye", "o", "wa", "wae", "oe", "yo", "u",
             "wŏ", "we", "wi", "yu", "ŭ", "ŭi", "i")  # fmt: skip

# A final ㄴ before a word-final 로 ("road") reads nn, not ll: 신문로 [신문노].
_RO = _BASE + (_R * _N_VOWELS + _VOWEL_O) * _N_FINALS

_ADMIN_UNITS = {
    "도": "do", "시": "si", "군": "gun", "구": "gu", "읍": "eup",
    "면": "myeon", "리": "ri", "동": "dong", "가": "ga",
}  # fmt: skip
_PLACE_TOKEN = re.compile(r"^(?P<stem>[가-힣]*?)(?P<num>[0-9]*)(?P<unit>[도시군구읍면리동가])$")

# Customary spellings of family names, most frequent first. The first entry is
# the spelling :func:`romanize_name` uses; the others appear in real records.
_FAMILY_SPELLINGS: dict[str, tuple[str, ...]] = {
    "김": ("Kim", "Gim"), "이": ("Lee", "Yi", "Rhee", "I"), "박": ("Park", "Pak", "Bak"),
    "최": ("Choi", "Choe"), "정": ("Jung", "Jeong", "Chung", "Chong"),
    "강": ("Kang", "Gang"), "조": ("Cho", "Jo", "Joe"), "윤": ("Yoon", "Yun"),
    "장": ("Jang", "Chang"), "임": ("Lim", "Im", "Yim"), "한": ("Han",), "오": ("Oh", "O"),
    "서": ("Seo", "Suh", "So"), "신": ("Shin", "Sin"), "권": ("Kwon", "Gwon"),
    "황": ("Hwang",), "안": ("Ahn", "An"), "송": ("Song",), "류": ("Ryu", "Yoo", "Yu", "Ryoo"),
    "전": ("Jeon", "Jun", "Chun", "Chon"), "홍": ("Hong",), "고": ("Ko", "Go", "Koh"),
    "문": ("Moon", "Mun"), "양": ("Yang",), "손": ("Son", "Sohn"), "배": ("Bae", "Pae"),
    "백": ("Baek", "Paik", "Baik"), "허": ("Heo", "Huh", "Hur"), "유": ("Yoo", "Yu"),
    "남": ("Nam",), "심": ("Shim", "Sim"), "노": ("Noh", "No", "Roh"), "하": ("Ha",),
    "곽": ("Kwak", "Gwak"), "성": ("Sung", "Seong"), "차": ("Cha",), "주": ("Joo", "Ju", "Chu"),
    "우": ("Woo", "U"), "구": ("Koo", "Gu", "Ku"), "민": ("Min",), "진": ("Jin", "Chin"),
    "나": ("Na", "Ra"), "지": ("Ji", "Jee", "Chi"), "엄": ("Eom", "Um", "Uhm"),
    "채": ("Chae",), "원": ("Won",), "천": ("Cheon", "Chun"), "방": ("Bang", "Pang"),
    "공": ("Kong", "Gong"), "현": ("Hyun", "Hyeon"), "함": ("Ham",),
    "변": ("Byun", "Byeon", "Pyun"), "염": ("Yeom", "Yum", "Youm"), "여": ("Yeo", "Yuh"),
    "추": ("Choo", "Chu"), "도": ("Do", "Doh"), "소": ("So",), "석": ("Seok", "Suk"),
    "선": ("Sun", "Seon"), "설": ("Seol", "Sul"), "마": ("Ma",), "길": ("Gil", "Kil"),
    "연": ("Yeon", "Youn"), "위": ("Wi", "Wee"), "표": ("Pyo",), "명": ("Myung", "Myeong"),
    "기": ("Ki", "Gi"), "반": ("Ban", "Pan"), "왕": ("Wang",), "금": ("Keum", "Geum"),
    "옥": ("Ok",), "육": ("Yuk", "Yook"), "인": ("In",), "맹": ("Maeng",), "제": ("Je", "Jae"),
    "모": ("Mo",), "탁": ("Tak",), "국": ("Kook", "Guk"), "어": ("Eo", "Uh"), "은": ("Eun",),
    "편": ("Pyeon", "Pyun"), "용": ("Yong",), "예": ("Ye",), "경": ("Kyung", "Gyeong"),
    "봉": ("Bong",), "사": ("Sa",), "부": ("Boo", "Bu"), "남궁": ("Namgung", "Namkoong"),
    "황보": ("Hwangbo",), "제갈": ("Jegal", "Chegal"), "선우": ("Sunwoo", "Seonu"),
    "독고": ("Dokgo", "Dokko"),
}  # fmt: skip

_LATIN_DROPPED = frozenset("-\u2010\u2011\u2012\u2013\u2014'\u2018\u2019\u02bc`")

FamilyStyle = Literal["customary", "rr"]

# One pronounced syllable: (initial index, vowel index, coda sound).
_Syllable = tuple[int, int, str]


def is_hangul_syllable(char: str) -> bool:
    """Whether ``char`` is one precomposed Hangul syllable (U+AC00..U+D7A3)."""
    return len(char) == 1 and _BASE <= ord(char) <= _LAST


def decompose(syllable: str) -> tuple[str, str, str]:
    """Split a Hangul syllable into (initial, vowel, final) compatibility jamo.

    The final is ``""`` when the syllable has none: ``decompose("한") == ("ㅎ", "ㅏ", "ㄴ")``.

    Raises:
        ValueError: ``syllable`` is not one precomposed Hangul syllable.
    """
    if not is_hangul_syllable(syllable):
        raise ValueError("not a precomposed Hangul syllable")
    index = ord(syllable) - _BASE
    initial, rest = divmod(index, _N_VOWELS * _N_FINALS)
    vowel, final = divmod(rest, _N_FINALS)
    return INITIALS[initial], VOWELS[vowel], FINALS[final]


def compose(initial: str, vowel: str, final: str = "") -> str:
    """Build a Hangul syllable from compatibility jamo; the inverse of :func:`decompose`.

    Raises:
        ValueError: a letter that cannot stand in that position.
    """
    if len(initial) != 1 or initial not in INITIALS:
        raise ValueError("not an initial consonant")
    if len(vowel) != 1 or vowel not in VOWELS:
        raise ValueError("not a vowel")
    if final not in FINALS:
        raise ValueError("not a final consonant")
    code = (INITIALS.index(initial) * _N_VOWELS + VOWELS.index(vowel)) * _N_FINALS
    return chr(_BASE + code + FINALS.index(final))


def _indices(syllable: str) -> tuple[int, int, int]:
    index = ord(syllable) - _BASE
    initial, rest = divmod(index, _N_VOWELS * _N_FINALS)
    vowel, final = divmod(rest, _N_FINALS)
    return initial, vowel, final


def _after_h(final: int, initial: int) -> tuple[str, int] | None:
    """A final ㅎ (alone or in ㄶ, ㅀ) before a consonant, or None if it changes nothing."""
    rest = _H_FINAL_REST[final]
    if initial in _ASPIRATED:  # 좋고 [조코], 많다 [만타]
        return rest, _ASPIRATED[initial]
    if initial == _N:  # 놓는 [논는], 뚫는 [뚤른]
        return (_N_, _N) if final != _FINAL_LH else (_L_, _R)
    if initial == _S:  # 좋소: glottalisation is not written
        return rest, _S
    return None


def _before_r(coda: str, *, ro_suffix: bool) -> tuple[str, int]:
    """A coda before an initial ㄹ: lateralisation or nasalisation."""
    if coda == _N_:
        return (_N_, _N) if ro_suffix else (_L_, _R)  # 신문로 [신문노], 신라 [실라]
    if coda in ("", _L_):
        return coda, _R
    return _NASAL.get(coda, coda), _N  # 종로 [종노], 속리 [송니], 십리 [심니]


def _boundary(final: int, nxt: str, *, is_last: bool) -> tuple[str, int]:
    """The coda sound of a final and the initial of the next syllable, as pronounced."""
    initial, vowel, _ = _indices(nxt)
    if initial == _SILENT:
        if vowel == _VOWEL_I and final in (_FINAL_D, _FINAL_T):
            return "", _J if final == _FINAL_D else _CH  # palatalisation: 해돋이, 같이
        return _LIAISON[final]
    if final in _H_FINAL_REST:
        changed = _after_h(final, initial)
        if changed is not None:
            return changed
    coda = _NEUTRAL[final]
    if initial == _R:
        return _before_r(coda, ro_suffix=is_last and ord(nxt) == _RO)
    if initial == _N and coda == _L_:
        return _L_, _R  # 별내 [별래]
    if initial in (_N, _M):
        coda = _NASAL.get(coda, coda)  # 백마 [뱅마]
    # Otherwise nothing changes; nouns even keep an h after a stop (묵호 Mukho).
    return coda, initial


def _pronounce(word: str) -> list[_Syllable]:
    """Apply the boundary sound changes to a run of Hangul syllables."""
    result: list[_Syllable] = []
    onset = _indices(word[0])[0]
    last = len(word) - 1
    for pos, char in enumerate(word):
        _, vowel, final = _indices(char)
        if pos == last:
            result.append((onset, vowel, _NEUTRAL[final]))
        else:
            coda, next_onset = _boundary(final, word[pos + 1], is_last=pos + 1 == last)
            result.append((onset, vowel, coda))
            onset = next_onset
    return result


def _isolated(syllable: str) -> _Syllable:
    """A syllable pronounced on its own, as RR wants for given names."""
    initial, vowel, final = _indices(syllable)
    return initial, vowel, _NEUTRAL[final]


def _render_rr(syllables: list[_Syllable], *, hyphenate: bool = False) -> list[str]:
    parts: list[str] = []
    prev_coda = None
    for initial, vowel, coda in syllables:
        onset = "l" if initial == _R and prev_coda == _L_ else _RR_INITIAL[initial]
        if hyphenate and prev_coda is not None and _is_ambiguous(prev_coda, initial):
            parts.append("-")
        parts.append(onset + _RR_VOWEL[vowel] + coda)
        prev_coda = coda
    return parts


def _is_ambiguous(prev_coda: str, initial: int) -> bool:
    """Whether joining two syllables could be read another way (RR Chapter 3 §2)."""
    if initial == _SILENT:
        return prev_coda in ("", _NG_)  # 세운 Se-un, 중앙 Jung-ang
    return prev_coda == _N_ and initial == _G  # 반구대 Ban-gudae


def _render_mr(syllables: list[_Syllable]) -> list[str]:
    parts: list[str] = []
    prev_coda: str | None = None
    for initial, vowel, coda in syllables:
        voiced = prev_coda is not None and prev_coda in ("", _N_, _L_, _M_, _NG_)
        if initial == _R and prev_coda == _L_:
            onset = "l"
        elif voiced and initial in _MR_VOICED:
            onset = _MR_VOICED[initial]
        elif initial == _S and vowel in (_VOWEL_I, _VOWEL_WI):  # 시 shi, 쉬 shwi
            onset = "sh"
        else:
            onset = _MR_INITIAL[initial]
        parts.append(onset + _MR_VOWEL[vowel] + coda)
        prev_coda = coda
    return parts


def _runs(text: str) -> list[tuple[bool, str]]:
    """Split text into alternating runs of Hangul syllables and other characters."""
    return [(hangul, "".join(run)) for hangul, run in groupby(text, key=is_hangul_syllable)]


def _capitalize(word: str) -> str:
    return word[:1].upper() + word[1:]


def romanize(text: str, *, capitalize: bool = False, hyphenate: bool = False) -> str:
    """Romanise Korean text with the Revised Romanization and its sound changes.

    Each run of Hangul syllables is a word; other characters pass through as they
    are. ``capitalize`` upper-cases the first letter of each word, as RR wants for
    proper nouns (부산 Busan); ``hyphenate`` adds the optional hyphen where syllables
    could be misread (중앙 Jung-ang, 해운대 Hae-undae).
    """
    out: list[str] = []
    for hangul, run in _runs(text):
        if not hangul:
            out.append(run)
            continue
        word = "".join(_render_rr(_pronounce(run), hyphenate=hyphenate))
        out.append(_capitalize(word) if capitalize else word)
    return "".join(out)


def romanize_place(name: str) -> str:
    """Romanise an administrative place name: 청솔군 → Cheongsol-gun.

    A trailing administrative unit (도 시 군 구 읍 면 리 동 가) is written after a
    hyphen and sound changes across that hyphen are ignored (RR Chapter 3 §5:
    삼죽면 Samjuk-myeon, 인왕리 Inwang-ri); a number before the unit stays (봉천1동
    Bongcheon 1-dong). Names of natural features take no hyphen (독도 Dokdo), so
    use :func:`romanize` with ``capitalize=True`` for those.
    """
    tokens: list[str] = []
    for token in name.split(" "):
        match = _PLACE_TOKEN.match(token)
        if match is None or not (match["stem"] or match["num"]):
            tokens.append(romanize(token, capitalize=True))
            continue
        stem = romanize(match["stem"], capitalize=True)
        number = match["num"]
        unit = _ADMIN_UNITS[match["unit"]]
        if number:
            tokens.append(f"{stem} {number}-{unit}" if stem else f"{number}-{unit}")
        else:
            tokens.append(f"{stem}-{unit}")
    return " ".join(tokens)


def _is_hangul_word(text: str) -> bool:
    return bool(text) and all(is_hangul_syllable(ch) for ch in text)


def _syllable_names(text: str, renderer: Literal["rr", "mr"]) -> list[str]:
    """Romanised syllables of a Hangul name, each read on its own (RR Chapter 3 §4.1)."""
    if renderer == "rr":
        return [_render_rr([_isolated(ch)])[0] for ch in text]
    # MR still voices plain stops between voiced sounds (대중 Tae-jung).
    return _render_mr([_isolated(ch) for ch in text])


def _name_part(text: str, separator: str, renderer: Literal["rr", "mr"] = "rr") -> str:
    """A name part romanised syllable by syllable; anything else through :func:`romanize`."""
    if not _is_hangul_word(text):
        return romanize(text, capitalize=True)  # Latin stays as it is
    return _join(_syllable_names(text, renderer), separator)


def _join(parts: list[str], separator: str) -> str:
    return (
        _capitalize(separator.join(parts).lower())
        if separator != " "
        else " ".join(_capitalize(part.lower()) for part in parts)
    )


def customary_family_names(family: str) -> tuple[str, ...]:
    """Customary Latin spellings of a Korean family name, most common first.

    An unknown family name gets its RR spelling only: 탁 → ("Tak",).
    """
    known = _FAMILY_SPELLINGS.get(family)
    if known is not None:
        return known
    return (_name_part(family, ""),)


@lru_cache(maxsize=4096)
def romanize_name(
    family: str, given: str, *, hyphen: bool = True, family_style: FamilyStyle = "customary"
) -> tuple[str, str]:
    """Romanise a Korean name as (family, given), per the RR rule for personal names.

    The given name is romanised syllable by syllable with no sound changes between
    its syllables (한복남 → ("Han", "Bok-nam"), not "Bong-nam"); ``hyphen=False``
    joins them ("Boknam"). The family name takes its customary spelling (김 Kim,
    이 Lee, 박 Park); ``family_style="rr"`` gives the strict RR letters instead
    (Gim, I, Bak). Latin text is returned as it is; a part that mixes Hangul with
    other characters goes through :func:`romanize`.
    """
    if family_style == "rr":
        family_latin = _name_part(family, "")
    else:
        family_latin = customary_family_names(family)[0]
    given_latin = _name_part(given, "-" if hyphen else "")
    return family_latin, given_latin


def _popular_syllable(rr: str) -> str:
    """The spelling of a given-name syllable that Korean passports often show.

    Built from the RR syllable: g→k (Kyung), si→shi (Shin), u→oo (Joon, Soo),
    eo before a final → u (Sung, Chul), yeo after a consonant → yu (Hyun),
    영 → Young, 희 → hee.
    """
    special = {"yeong": "young", "hui": "hee", "u": "woo", "un": "woon", "uk": "wook",
               "ung": "woong", "yu": "yoo", "yun": "yoon"}  # fmt: skip
    if rr in special:
        return special[rr]
    syllable = "k" + rr[1:] if rr.startswith("g") else rr
    if syllable.startswith("si"):
        syllable = "sh" + syllable[1:]
    syllable = re.sub(r"^((?:[bcdhjkmnprst]|ch|jj|ss|kk|tt|pp|sh))u(n|ng|k)?$", r"\1oo\2", syllable)
    syllable = re.sub(r"(?<=[^aeiouwy])yeo(?=[knglmp])", "yu", syllable)
    syllable = re.sub(r"(?<![y])eo(?=[knglmp])", "u", syllable)
    return syllable.replace("hui", "hee")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch) and ch != "'")


def _given_forms(given: str) -> tuple[list[str], list[str], list[str]]:
    """Latin spellings of a given name: (RR forms, passport-style forms, MR forms)."""
    if not _is_hangul_word(given):
        same = [romanize(given, capitalize=True)]
        return same, same, same
    rr = _syllable_names(given, "rr")
    popular = [_popular_syllable(part) for part in rr]
    mr = _syllable_names(given, "mr")
    mr_plain = [_strip_marks(part) for part in mr]
    return (
        [_join(rr, "-"), _join(rr, ""), _join(rr, " ")],
        [_join(popular, "-"), _join(popular, ""), _join(popular, " ")],
        [_join(mr, "-"), _join(mr, ""), _join(mr_plain, "-"), _join(mr_plain, "")],
    )


def romanization_variants(family: str, given: str) -> list[tuple[str, str]]:
    """Latin spellings of a Korean name met in real records, official form first.

    The list holds, without duplicates and always in the same order: the RR
    given name (hyphenated, joined, space-separated) with each customary family
    spelling; a passport-style given name (민준 Min-joon, 성민 Sung-min); the strict
    RR family name; and McCune-Reischauer spellings with and without diacritics
    (최 Ch'oe, 정 Chŏng → Chong). The first entry equals :func:`romanize_name`.
    """
    rr_given, popular_given, mr_given = _given_forms(given)
    customary = customary_family_names(family)
    rr_family = romanize_name(family, "", family_style="rr")[0]
    mr_family = _name_part(family, "", "mr")
    candidates: list[tuple[str, str]] = [(fam, giv) for fam in customary for giv in rr_given]
    candidates += [(fam, giv) for fam in customary for giv in popular_given]
    candidates += [(rr_family, giv) for giv in rr_given]
    candidates += [(mr_family, giv) for giv in mr_given[:2]]
    candidates += [(_strip_marks(mr_family), giv) for giv in mr_given[2:]]
    return list(dict.fromkeys(candidates))


def latin_key(text: str) -> str:
    """Normalise a romanised name for comparison.

    Case-folds, strips diacritics (NFKD, then drops combining marks), and drops
    hyphens, apostrophes and white space: ``latin_key("Ch'oe Chŏng-hŭi")`` is
    ``"choechonghui"``.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(
        ch
        for ch in decomposed
        if not unicodedata.combining(ch) and ch not in _LATIN_DROPPED and not ch.isspace()
    )
