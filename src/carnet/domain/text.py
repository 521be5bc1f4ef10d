"""Text rules shared by every layer: cleaning input and building search keys."""

from __future__ import annotations

import unicodedata

from carnet.domain.errors import ValidationError

__all__ = ["MAX_FIELD_LENGTH", "clean_text", "search_key"]

MAX_FIELD_LENGTH = 200
_DROPPED = frozenset(" -'.\u2019")  # space, hyphen, apostrophes, full stop


def clean_text(value: str, field: str, *, required: bool = True, max_length: int = 200) -> str:
    """Return ``value`` NFC-normalised with outer and repeated white space removed.

    Raises:
        ValidationError: empty when required, too long, or holding control characters.
    """
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if required and not text:
        raise ValidationError("this field is required", field=field)
    if len(text) > max_length:
        raise ValidationError(f"at most {max_length} characters", field=field)
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} for ch in text):
        raise ValidationError("control characters are not allowed", field=field)
    return text


def search_key(value: str) -> str:
    """Return the accent- and case-insensitive form used to search names.

    Combining marks are dropped after canonical decomposition and the result is
    recomposed, so Latin accents vanish (``Sŏul`` → ``soul``) while Hangul
    syllables, which decompose into jamo rather than marks, come back intact.
    Hyphens, apostrophes and spaces are dropped too: ``Gil-dong`` = ``gildong``.
    """
    decomposed = unicodedata.normalize("NFD", value)
    kept = "".join(
        ch for ch in decomposed if unicodedata.category(ch) != "Mn" and ch not in _DROPPED
    )
    return unicodedata.normalize("NFC", kept).casefold()
