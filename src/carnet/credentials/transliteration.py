"""Names in the machine-readable zone: transliteration, separators and truncation.

This module owns the rules of ICAO Doc 9303 Part 3 §4.6 (writing the name in the
MRZ) and §6.A (transliteration of Latin-based national characters), and the name
truncation rules of Part 4 §4.2.3 (TD3, 39 positions) and Part 5 §4.2.3 (TD1, 30).

Name components
    The MRZ uses upper-case ``A``-``Z`` and the filler ``<`` only. Apostrophes and all
    other punctuation are omitted with no filler ("D'ARTAGNAN" → ``DARTAGNAN``);
    hyphens, commas and spaces become one filler ("MARIE-ELISE" → ``MARIE<ELISE``).
    Numerals are not allowed in a name (Part 3 §4.6) and raise ``ValidationError``.

National characters
    The characters of Part 3 §6.A map as the table recommends: diacritics are
    dropped (é → E, Ł → L, Ş → S) and Æ → AE, Ø → OE, Œ → OE, Þ → TH, Ĳ → IJ,
    ß/ẞ → SS. Where the table offers two forms, the first is the default (Ä → AE,
    Å → AA, Ö → OE, Ü → UE, Ñ → N); ``single_letter=True`` selects the short form
    (Ä → A, Å → A, Ö → O, Ü → U). Latin letters outside the table (for example the
    Romanian comma-below Ș) fall back to their Unicode decomposition with the
    combining marks removed. Anything else — another script, a symbol — raises
    ``ValidationError``: the caller must supply a Latin transliteration.

Romanised Korean names
    Korean names are written family name first ("HONG Gil-dong", "Yi Sun-sin",
    "Park Ji-hoon"). Carnet passes the family name as the primary identifier and
    the given name as the secondary identifier, already romanised (Revised
    Romanization) as recorded in the registry. A hyphen between the syllables of a
    given name is a hyphen like any other for Part 3 §4.6, so "Gil-dong" becomes
    ``GIL<DONG`` and the full field ``HONG<<GIL<DONG``. An authority that writes
    given names joined ("Gildong") records them joined and gets ``HONG<<GILDONG``;
    this module never guesses syllable boundaries.

Truncation
    A name that fits is never truncated (Part 3 §4.6). Otherwise (Part 4 §4.2.2.1
    and §4.2.3, Part 5 §4.2.2.3 and §4.2.3): the secondary identifier is cut first,
    at the end of the field. If the primary identifier alone leaves no room for
    ``<<`` and one character of the secondary identifier, the primary identifier is
    cut until three positions are free. Where a cut would leave a filler in the last
    position, the component before it loses one character and the next component
    contributes its initial, so that a truncated field ends with a letter — the
    marker Part 4 uses for a possibly truncated name. When every secondary
    component kept is an initial, the primary identifier gives up one more letter
    instead (Part 4 §4.2.2.1 allows this "further truncation"). Only when no
    component can spare a letter does the field end with a filler: the identifier is
    then cut after its last whole component.

    Part 4 §4.2.3 and Part 5 §4.2.3 show other methods (initials, fixed-length
    components) "at the discretion of the issuing State"; the method above gives
    ICAO's own results for Part 4 §4.2.3.2 a and b and Part 5 §4.2.3.4.
"""

from __future__ import annotations

import unicodedata

from carnet.domain.errors import ValidationError

__all__ = ["MRZ_FILLER", "format_name", "transliterate_name"]

MRZ_FILLER = "<"
"""The MRZ filler character, which stands for spaces and separators (Doc 9303 Part 3)."""

# Doc 9303 Part 3 §6.A: every row whose recommended transliteration is not just the
# base letter with its diacritic removed. Rows that only drop a diacritic are
# covered by the Unicode decomposition below; they are listed here when Unicode
# does not decompose them (Ð, Đ, Ħ, Ł, Ŀ, Ŋ, Ŧ and the dotless i).
_SPECIAL: dict[str, str] = {
    "\u00c4": "AE",  # Ä A diaeresis: "AE or A"
    "\u00c5": "AA",  # Å A ring above: "AA or A"
    "\u00c6": "AE",  # Æ ligature AE
    "\u00d0": "D",  # Ð Eth
    "\u00d1": "N",  # Ñ N tilde: "N or NXX"
    "\u00d6": "OE",  # Ö O diaeresis: "OE or O"
    "\u00d8": "OE",  # Ø O stroke
    "\u00dc": "UE",  # Ü U diaeresis: "UE or UXX or U"
    "\u00de": "TH",  # Þ Thorn
    "\u00df": "SS",  # ß sharp s (lower case of ẞ)
    "\u0110": "D",  # Đ D stroke
    "\u0126": "H",  # Ħ H stroke
    "\u0131": "I",  # dotless i (Turkey)
    "\u0132": "IJ",  # Ĳ ligature IJ
    "\u013f": "L",  # Ŀ L middle dot
    "\u0141": "L",  # Ł L stroke
    "\u014a": "N",  # Ŋ Eng
    "\u0152": "OE",  # Œ ligature OE
    "\u0166": "T",  # Ŧ T stroke
    "\u1e9e": "SS",  # ẞ capital sharp s (Germany)
}

# The second form the table offers for these rows ("AE or A" and so on).
_SINGLE_LETTER: dict[str, str] = {
    "\u00c4": "A",
    "\u00c5": "A",
    "\u00d6": "O",
    "\u00dc": "U",
}

# Omitted with no filler (Part 3 §4.6: apostrophe and "all other punctuation").
# Modifier letters used as apostrophes are not punctuation in Unicode, so they are
# named here.
_APOSTROPHES = frozenset("'\u2018\u2019\u02bc\u02bb\u02b9\u0060\u00b4")

# Become a single filler (Part 3 §4.6: hyphen, comma between components, space).
_SEPARATORS = frozenset(",-\u2010\u2011\u2012\u2013\u2014\u2212" + MRZ_FILLER)

_A_TO_Z = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")

# Three positions: the two fillers of ``<<`` and the first secondary character
# (Part 4 §4.2.3).
_SEPARATOR_AND_INITIAL = 3
_PRIMARY_SEPARATOR = MRZ_FILLER * 2


def transliterate_name(text: str, *, single_letter: bool = False) -> str:
    """Write one identifier (primary or secondary) in the MRZ character set.

    Applies Doc 9303 Part 3 §4.6 and the §6.A table (see the module docstring).
    The result is upper-case ``A``-``Z`` components joined by single fillers, with
    no leading or trailing filler; it is empty when ``text`` has no letters.

    Args:
        text: the identifier as registered, e.g. ``"Gil-dong"`` or ``"Lindström"``.
        single_letter: use the single-letter alternative of the §6.A table for
            Ä, Å, Ö and Ü instead of AE, AA, OE and UE.

    Raises:
        ValidationError: ``text`` contains a numeral, a symbol or a character of a
            script other than Latin. The message names the character class, never
            the name.
    """
    components: list[str] = []
    current: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if char in _SEPARATORS or char.isspace():
            components.append("".join(current))
            current = []
        else:
            current.append(_letters(char, single_letter=single_letter))
    components.append("".join(current))
    return MRZ_FILLER.join(component for component in components if component)


def _letters(char: str, *, single_letter: bool) -> str:
    """Return the MRZ letters for one character; punctuation gives ``""``."""
    upper = char.upper()
    if upper in _A_TO_Z:
        return upper
    if char in _APOSTROPHES:
        return ""
    key = char if char in _SPECIAL else upper
    if single_letter and key in _SINGLE_LETTER:
        return _SINGLE_LETTER[key]
    if key in _SPECIAL:
        return _SPECIAL[key]
    category = unicodedata.category(char)
    if category.startswith("P") or category == "Mn":
        # Other punctuation is omitted (Part 3 §4.6); a stray combining mark is a
        # diacritic that did not compose with its letter.
        return ""
    if category.startswith("L"):
        stripped = "".join(
            part
            for part in unicodedata.normalize("NFKD", upper)
            if unicodedata.category(part) != "Mn"
        )
        if stripped and all(part in _A_TO_Z for part in stripped):
            return stripped
    kind = "numeral" if category.startswith("N") else "character"
    raise ValidationError(f"a name contains a {kind} that has no MRZ transliteration")


def format_name(primary: str, secondary: str, width: int) -> str:
    """Return the MRZ name field: ``PRIMARY<<SECONDARY``, filled to ``width``.

    Both identifiers are transliterated with :func:`transliterate_name`, joined by
    ``<<`` (Part 3 §4.6), padded with fillers, and truncated by the rules in the
    module docstring when they do not fit (Part 4 §4.2.3, Part 5). An empty
    secondary identifier gives ``PRIMARY<<<...``.

    Args:
        primary: the primary identifier (for example the family name).
        secondary: the secondary identifier (given names); may be empty.
        width: the field width, 39 for TD3 and 30 for TD1.

    Raises:
        ValidationError: an identifier cannot be transliterated (``field`` names
            it), the primary identifier is empty, or ``width`` is below 4.
    """
    if width < _SEPARATOR_AND_INITIAL + 1:
        raise ValidationError("a name field needs at least 4 positions", field="width")
    primary_mrz = _transliterated(primary, "primary_identifier")
    secondary_mrz = _transliterated(secondary, "secondary_identifier")
    if not primary_mrz:
        raise ValidationError("the primary identifier has no letters", field="primary_identifier")
    if not secondary_mrz:
        return _fit(primary_mrz, width).ljust(width, MRZ_FILLER)
    if len(primary_mrz) + _SEPARATOR_AND_INITIAL > width:
        primary_mrz = _fit(primary_mrz, width - _SEPARATOR_AND_INITIAL)
    room = width - len(primary_mrz) - len(_PRIMARY_SEPARATOR)
    secondary_fit = _fit(secondary_mrz, room)
    if len(secondary_fit) < min(room, len(secondary_mrz)) and len(primary_mrz) > 1:
        # Every secondary component kept is an initial, so the cut cannot end with a
        # letter; Part 4 §4.2.2.1 allows a further cut of the primary identifier "to
        # allow characters of the secondary identifier to be included".
        shorter = _fit(primary_mrz, len(primary_mrz) - 1)
        if len(shorter) == len(primary_mrz) - 1:
            primary_mrz, secondary_fit = shorter, _fit(secondary_mrz, room + 1)
    field = primary_mrz + _PRIMARY_SEPARATOR + secondary_fit
    return field.ljust(width, MRZ_FILLER)


def _transliterated(text: str, field: str) -> str:
    """Transliterate ``text``, naming ``field`` in any error."""
    try:
        return transliterate_name(text)
    except ValidationError as exc:
        raise ValidationError(exc.message, field=field) from exc


def _fit(name: str, size: int) -> str:
    """Cut MRZ components ``name`` to at most ``size`` (≥ 1) positions.

    The result never ends with a filler. It is exactly ``size`` long unless every
    component kept is a single letter; it is then shorter (see the module docstring).
    """
    if len(name) <= size:
        return name
    cut = name[:size]
    if not cut.endswith(MRZ_FILLER):
        return cut
    # The cut ends right after a whole component and ``name[size]`` starts the
    # next one: free one position in the latest component that can spare a
    # letter, and use it for the next component's initial.
    kept = cut[:-1].split(MRZ_FILLER)
    for index in reversed(range(len(kept))):
        if len(kept[index]) > 1:
            kept[index] = kept[index][:-1]
            return MRZ_FILLER.join([*kept, name[size]])
    return cut[:-1]
