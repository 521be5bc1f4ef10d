"""Text rules shared by every layer: cleaning input and building search keys.

Both functions run once per field of every imported row, so each has a fast
path for the common case (plain ASCII or Hangul) and falls back to full
Unicode processing only when a string needs it.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

from carnet.domain.errors import ValidationError

__all__ = ["MAX_FIELD_LENGTH", "clean_text", "search_key"]

MAX_FIELD_LENGTH = 200
_DROPPED = " -'.\u2019"  # space, hyphen, apostrophes, full stop
_DROP_TABLE = str.maketrans("", "", _DROPPED)
# Strings made only of these need no Unicode decomposition to build a search key.
_PLAIN = re.compile(r"[A-Za-z0-9\uac00-\ud7a3 \-'.\u2019]*")
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})


@cache
def _forbidden() -> re.Pattern[str]:
    """A character class of every control, format, surrogate and private-use code point.

    Built once from the Unicode database of this Python, so it is exact and a
    single regex search replaces a per-character category lookup.
    """
    ranges: list[str] = []
    start = None
    for cp in range(sys.maxunicode + 2):
        bad = cp <= sys.maxunicode and unicodedata.category(chr(cp)) in _FORBIDDEN_CATEGORIES
        if bad and start is None:
            start = cp
        elif not bad and start is not None:
            ranges.append(f"\\U{start:08x}-\\U{cp - 1:08x}")
            start = None
    return re.compile("[" + "".join(ranges) + "]")


def clean_text(value: str, field: str, *, required: bool = True, max_length: int = 200) -> str:
    """Return ``value`` NFC-normalised with outer and repeated white space removed.

    Raises:
        ValidationError: empty when required, too long, or holding control,
            format (e.g. zero-width or bidi), surrogate or private-use characters.
    """
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    text = " ".join(value.split())
    if required and not text:
        raise ValidationError("this field is required", field=field)
    if len(text) > max_length:
        raise ValidationError(f"at most {max_length} characters", field=field)
    # Every forbidden character is non-printable, so printable text skips the search.
    if not text.isprintable() and _forbidden().search(text):
        raise ValidationError("control characters are not allowed", field=field)
    return text


def search_key(value: str) -> str:
    """Return the accent- and case-insensitive form used to search names.

    Combining marks are dropped after canonical decomposition and the result is
    recomposed, so Latin accents vanish (``Sŏul`` → ``soul``) while Hangul
    syllables, which decompose into jamo rather than marks, come back intact.
    Hyphens, apostrophes and spaces are dropped too: ``Gil-dong`` = ``gildong``.
    """
    if _PLAIN.fullmatch(value):
        return value.translate(_DROP_TABLE).lower()
    # Fold case first: some combining marks case-map to letters (U+0345 becomes U+03B9).
    decomposed = unicodedata.normalize("NFD", value.casefold())
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", kept).translate(_DROP_TABLE).casefold()
