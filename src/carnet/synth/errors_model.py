"""The errors that make a duplicate record of a person look like someone else.

A planted duplicate is the same person registered again, by another clerk or
from another source, with one to three of these errors (or, rarely, none):

``native_typo``
    one jamo of a Hangul name replaced by a look-alike or sound-alike
    (ㅓ↔ㅗ, ㅐ↔ㅔ, ㄱ↔ㅋ, a final ㄴ↔ㅇ ...), so 김민준 may become 김민줜.
``latin_typo``
    one character of a Latin name substituted by a keyboard neighbour, deleted,
    doubled or transposed with the next.
``name_swap``
    family and given names swapped (native and Latin together).
``romanization_variant``
    another real-world spelling of the same name
    (:func:`carnet.domain.romanization.romanization_variants`): Lee/Yi, Min-jun/Minjoon.
``dob_day_month_swap``, ``dob_year_off``, ``dob_truncated``
    day and month swapped (when both are 12 or less), the year one off, or the
    date cut to year-month (year-month to year).
``moved``
    the person moved: another settlement, a new address and household.

All randomness comes from the ``rng`` passed in.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from carnet.domain.romanization import (
    compose,
    decompose,
    is_hangul_syllable,
    romanization_variants,
    romanize_name,
)

if TYPE_CHECKING:
    import random  # noqa: TID251 - synthetic data, not security-relevant
    from collections.abc import Callable

    from carnet.synth.addresses import Geography
    from carnet.synth.rows import ResidentRow

__all__ = ["DUPLICATE_ERRORS", "jamo_typo", "latin_typo", "make_duplicate", "shift_dob"]

DUPLICATE_ERRORS: tuple[str, ...] = (
    "romanization_variant",
    "native_typo",
    "latin_typo",
    "name_swap",
    "dob_day_month_swap",
    "dob_year_off",
    "dob_truncated",
    "moved",
)
_NAME_ERRORS = frozenset(DUPLICATE_ERRORS[:4])
_WEIGHTS = (0.25, 0.2, 0.2, 0.07, 0.08, 0.08, 0.07, 0.2)
_ERROR_COUNTS = ((0, 0.05), (1, 0.5), (2, 0.33))  # and three errors otherwise (12%)
_KEEP_PHONE = 0.6
_KEEP_EMAIL = 0.5
_KEEP_HOUSEHOLD = 0.7
_RECOMPUTE_LATIN = 0.5
_YEAR_MONTH = 7  # len("YYYY-MM")
_YEAR = 4

# Look-alike or sound-alike jamo that clerks confuse.
_CONFUSED = {
    "ㅓ": "ㅗㅕ", "ㅗ": "ㅓㅜ", "ㅐ": "ㅔ", "ㅔ": "ㅐ", "ㅕ": "ㅛㅓ", "ㅛ": "ㅕ", "ㅜ": "ㅡㅗ",
    "ㅡ": "ㅜ", "ㅒ": "ㅖ", "ㅖ": "ㅒ", "ㅚ": "ㅙㅞ", "ㅙ": "ㅚ", "ㅞ": "ㅚ", "ㅢ": "ㅣ",
    "ㅣ": "ㅢ", "ㅏ": "ㅑ", "ㅑ": "ㅏ", "ㅠ": "ㅜ", "ㅝ": "ㅓ", "ㅘ": "ㅏ", "ㅟ": "ㅣ",
    "ㄱ": "ㅋㄲ", "ㅋ": "ㄱ", "ㄲ": "ㄱ", "ㄷ": "ㅌㄸ", "ㅌ": "ㄷ", "ㄸ": "ㄷ", "ㅂ": "ㅍㅃ",
    "ㅍ": "ㅂ", "ㅃ": "ㅂ", "ㅈ": "ㅊㅉ", "ㅊ": "ㅈ", "ㅉ": "ㅈ", "ㅅ": "ㅆ", "ㅆ": "ㅅ",
    "ㄴ": "ㄹ", "ㄹ": "ㄴ", "ㅇ": "ㅎ", "ㅎ": "ㅇ", "ㅁ": "ㄴ",
}  # fmt: skip
_CONFUSED_FINAL = {"": "ㄴㅇ", "ㄴ": "ㅇㅁ", "ㅇ": "ㄴ", "ㅁ": "ㄴㅂ", "ㄱ": "ㄲ", "ㄹ": "ㄴ",
                   "ㅂ": "ㅁ", "ㅅ": "ㅆ"}  # fmt: skip
_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard_neighbours() -> dict[str, str]:
    neighbours: dict[str, str] = {}
    for row_index, row in enumerate(_KEYBOARD):
        for col, char in enumerate(row):
            near = [row[c] for c in (col - 1, col + 1) if 0 <= c < len(row)]
            for other in (row_index - 1, row_index + 1):
                if 0 <= other < len(_KEYBOARD):
                    near += [
                        _KEYBOARD[other][c] for c in (col, col + 1) if c < len(_KEYBOARD[other])
                    ]
            neighbours[char] = "".join(near)
    return neighbours


_NEIGHBOURS = _keyboard_neighbours()


def jamo_typo(name: str, rng: random.Random) -> str:
    """Replace one jamo of one syllable of ``name`` with a confusable one.

    Text without Hangul syllables is returned unchanged.
    """
    positions = [pos for pos, ch in enumerate(name) if is_hangul_syllable(ch)]
    if not positions:
        return name
    pos = rng.choice(positions)
    initial, vowel, final = decompose(name[pos])
    slot = rng.randrange(3)
    if slot == 0 and initial in _CONFUSED:
        initial = rng.choice(_CONFUSED[initial])
    elif slot == 1 or final not in _CONFUSED_FINAL:
        vowel = rng.choice(_CONFUSED[vowel])
    else:
        final = rng.choice(_CONFUSED_FINAL[final])
    return name[:pos] + compose(initial, vowel, final) + name[pos + 1 :]


def latin_typo(name: str, rng: random.Random) -> str:
    """One keyboard slip in a Latin name: substitute, delete, double or transpose.

    The first letter is kept, as people rarely get it wrong, and so are hyphens
    and spaces; a name of one letter gets that letter doubled.
    """
    letters = [pos for pos in range(1, len(name)) if name[pos].isalpha()]
    if not letters:
        return name + name[-1:].lower()
    pos = rng.choice(letters)
    char = name[pos]
    operation = rng.randrange(4)
    if operation == 0 and char.lower() in _NEIGHBOURS:
        return name[:pos] + rng.choice(_NEIGHBOURS[char.lower()]) + name[pos + 1 :]
    if operation == 1 and len(name) > 2:  # noqa: PLR2004
        return name[:pos] + name[pos + 1 :]
    if operation == 2 and pos + 1 < len(name) and name[pos + 1] != char:  # noqa: PLR2004
        return name[:pos] + name[pos + 1] + char + name[pos + 2 :]
    return name[:pos] + char + name[pos:]


def _safe_date(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def shift_dob(dob: str, error: str, rng: random.Random, reference_date: date) -> str:
    """Apply one date-of-birth error to ``dob`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``).

    The result is a real calendar date (or partial date) not after ``reference_date``.
    """
    year = int(dob[:4])
    month = int(dob[5:7]) if len(dob) >= _YEAR_MONTH else None
    day = int(dob[8:10]) if len(dob) > _YEAR_MONTH else None
    if error == "dob_day_month_swap" and day is not None and month is not None:
        if day <= 12 and day != month:  # noqa: PLR2004
            swapped = date(year, day, month)
            if swapped <= reference_date:
                return swapped.isoformat()
        error = "dob_year_off"
    if error == "dob_truncated" and month is not None:
        return dob[:_YEAR_MONTH] if day is not None else dob[:_YEAR]
    step = rng.choice((-1, 1))
    if year + step > reference_date.year or (
        month is not None and _safe_date(year + step, month, day or 1) > reference_date
    ):
        step = -1
    new_year = year + step
    if month is None:
        return f"{new_year:04d}"
    if day is None:
        return f"{new_year:04d}-{month:02d}"
    return _safe_date(new_year, month, day).isoformat()


def _draw_errors(rng: random.Random) -> list[str]:
    roll = rng.random()
    count = 3
    for candidate, share in _ERROR_COUNTS:
        if roll < share:
            count = candidate
            break
        roll -= share
    chosen: list[str] = []
    while len(chosen) < count:
        error = rng.choices(DUPLICATE_ERRORS, weights=_WEIGHTS)[0]
        if error not in chosen:
            chosen.append(error)
    # Apply in a fixed order: spellings before typos, typos before a swap.
    return sorted(chosen, key=DUPLICATE_ERRORS.index)


@dataclass(slots=True)
class _Draft:
    """The fields a duplicate's errors may change."""

    fam_n: str
    giv_n: str
    fam_l: str
    giv_l: str
    dob: str
    region: str
    address: str
    household: str


def _apply_name_error(draft: _Draft, error: str, rng: random.Random) -> None:
    if error == "romanization_variant":
        current = (draft.fam_l, draft.giv_l)
        options = [v for v in romanization_variants(draft.fam_n, draft.giv_n) if v != current]
        if options:
            draft.fam_l, draft.giv_l = rng.choice(options)
    elif error == "native_typo":
        if rng.random() < 0.8:  # noqa: PLR2004 - given names are longer, so hit more
            draft.giv_n = jamo_typo(draft.giv_n, rng)
        else:
            draft.fam_n = jamo_typo(draft.fam_n, rng)
        if rng.random() < _RECOMPUTE_LATIN:
            draft.fam_l, draft.giv_l = romanize_name(draft.fam_n, draft.giv_n)
    elif error == "latin_typo":
        if rng.random() < 0.75:  # noqa: PLR2004
            draft.giv_l = latin_typo(draft.giv_l, rng)
        else:
            draft.fam_l = latin_typo(draft.fam_l, rng)
    else:  # name_swap
        draft.fam_n, draft.giv_n = draft.giv_n, draft.fam_n
        draft.fam_l, draft.giv_l = draft.giv_l, draft.fam_l


def make_duplicate(
    row: ResidentRow,
    rng: random.Random,
    *,
    geography: Geography,
    reference_date: date,
    new_household: Callable[[], str],
) -> tuple[ResidentRow, tuple[str, ...]]:
    """A second record of the person in ``row``, with realistic errors.

    The returned row keeps ``row.external_ref``; the caller gives it a new one
    when it is written. Returns the row and the names of the errors applied.
    """
    errors = _draw_errors(rng)
    draft = _Draft(
        row.family_name_native, row.given_name_native, row.family_name_latin,
        row.given_name_latin, row.date_of_birth, row.region_code, row.address, row.household_ref,
    )  # fmt: skip
    for error in errors:
        if error in _NAME_ERRORS:
            _apply_name_error(draft, error, rng)
        elif error == "moved":
            index = geography.pick_other(rng, geography.index_of[draft.region])
            draft.region, draft.address = geography.codes[index], geography.address(rng, index)
            draft.household = new_household()
        else:
            draft.dob = shift_dob(draft.dob, error, rng, reference_date)
    if "moved" not in errors and rng.random() >= _KEEP_HOUSEHOLD:
        draft.household = ""
    duplicate = row._replace(
        family_name_native=draft.fam_n,
        given_name_native=draft.giv_n,
        family_name_latin=draft.fam_l,
        given_name_latin=draft.giv_l,
        date_of_birth=draft.dob,
        region_code=draft.region,
        address=draft.address,
        household_ref=draft.household,
        phone=row.phone if rng.random() < _KEEP_PHONE else "",
        email=row.email if rng.random() < _KEEP_EMAIL else "",
    )
    return duplicate, tuple(errors)
