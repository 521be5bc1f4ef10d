r"""Malformed resident rows, for testing that an import rejects bad input clearly.

Each bad row is a copy of a valid row with one defect, and gets its own
``external_ref`` (``SYB-...``) except where the defect is the reference itself.
The kinds, in :data:`BAD_ROW_KINDS` order:

``wrong_column_count``
    one column missing (13 fields) or one extra (15 fields).
``invalid_uin``
    a ``uin`` that no UIN can be: 11 digits, a letter in it, or a leading 0.
``impossible_date``
    a date of birth that does not exist: 2023-02-30, 1990-04-31, 1985-13-05,
    2001-00-10 or 1970-02-29.
``future_date``
    a real date of birth 20 to 60 years after the reference date (so it stays
    in the future for an import run long after the file was made).
``unknown_region``
    a well-formed 8-digit region code whose province (00) does not exist.
``oversize_field``
    an address or a Latin given name longer than 200 characters.
``duplicate_external_ref``
    the ``external_ref`` of an earlier valid row, on a row that differs from it.
``invalid_utf8``
    bytes that are not UTF-8 in a name: a lone 0xFF, or a Hangul syllable cut
    after two of its three bytes.

Invalid bytes are carried as lone surrogates (``"\udcff"``) and reach the file
through the ``surrogateescape`` error handler, so the writer can stay a text writer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random  # noqa: TID251 - synthetic data, not security-relevant
    from collections.abc import Callable, Sequence
    from datetime import date

    from carnet.synth.rows import ResidentRow

__all__ = ["BAD_ROW_KINDS", "make_bad_row"]

BAD_ROW_KINDS: tuple[str, ...] = (
    "wrong_column_count",
    "invalid_uin",
    "impossible_date",
    "future_date",
    "unknown_region",
    "oversize_field",
    "duplicate_external_ref",
    "invalid_utf8",
)
_IMPOSSIBLE_DATES = ("2023-02-30", "1990-04-31", "1985-13-05", "2001-00-10", "1970-02-29")
_OVERSIZE = 201


def _surrogates(data: bytes) -> str:
    """Text that the ``surrogateescape`` handler writes back as exactly ``data``."""
    return data.decode("utf-8", errors="surrogateescape")


def _invalid_uin(rng: random.Random) -> str:
    digits = "".join(str(rng.randrange(10)) for _ in range(11))
    return rng.choice((digits, digits[:6] + "A" + digits[6:], "0" + digits))


def _broken_text(text: str, rng: random.Random) -> str:
    encoded = text.encode("utf-8")
    if rng.random() < 0.5 and len(encoded) >= 3:  # noqa: PLR2004
        return _surrogates(encoded[:2] + encoded[3:])  # cut the first syllable short
    return _surrogates(encoded + b"\xff")


def _oversize(row: ResidentRow, rng: random.Random) -> ResidentRow:
    if rng.random() < 0.5:  # noqa: PLR2004
        padding = " 행복로" * (_OVERSIZE // 4 + 1)
        return row._replace(address=(row.address + padding)[: _OVERSIZE + rng.randrange(60)])
    return row._replace(given_name_latin="A" + "a" * (_OVERSIZE + rng.randrange(60)))


def _future(row: ResidentRow, rng: random.Random, reference_date: date) -> ResidentRow:
    # Decades ahead, so the row is still in the future when the file is imported
    # long after its reference date.
    future = reference_date + timedelta(days=rng.randint(20 * 366, 60 * 365))
    return row._replace(date_of_birth=future.isoformat())


def make_bad_row(
    kind: str,
    template: ResidentRow,
    rng: random.Random,
    *,
    ref: str,
    earlier_refs: Sequence[str],
    reference_date: date,
) -> list[str]:
    """The fields of one bad row of ``kind``, built from a valid ``template`` row.

    ``ref`` is the bad row's own external reference; ``earlier_refs`` are refs
    already written, one of which ``duplicate_external_ref`` reuses.

    Raises:
        ValueError: an unknown ``kind``, or ``duplicate_external_ref`` with no
            earlier reference.
    """
    row = template._replace(external_ref=ref)
    if kind == "wrong_column_count":
        fields = list(row)
        return fields[:-1] if rng.random() < 0.5 else [*fields, "extra"]  # noqa: PLR2004
    if kind == "duplicate_external_ref":
        if not earlier_refs:
            raise ValueError("duplicate_external_ref needs an earlier reference")
        return list(row._replace(external_ref=rng.choice(earlier_refs)))
    makers: dict[str, Callable[[], ResidentRow]] = {
        "invalid_uin": lambda: row._replace(uin=_invalid_uin(rng)),
        "impossible_date": lambda: row._replace(date_of_birth=rng.choice(_IMPOSSIBLE_DATES)),
        "future_date": lambda: _future(row, rng, reference_date),
        "unknown_region": lambda: row._replace(region_code=f"00{rng.randrange(1_000_000):06d}"),
        "oversize_field": lambda: _oversize(row, rng),
        "invalid_utf8": lambda: row._replace(
            given_name_native=_broken_text(row.given_name_native, rng)
        ),
    }
    if kind not in makers:
        raise ValueError(f"unknown bad row kind {kind!r}")
    return list(makers[kind]())
