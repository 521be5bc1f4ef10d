"""Unique identification numbers (UIN): generation and validation.

A UIN is 12 decimal digits: 11 random digits and a Verhoeff check digit
(Verhoeff, 1969), which catches every single-digit error and every adjacent
transposition. UINs are random, never sequential, so that a number reveals
nothing about its holder, region or enrolment order.

Generation follows the filters of MOSIP's kernel UIN generator, so that numbers
are easy to read aloud and hard to mistype, and none looks "special":

* no leading 0 or 1;
* no digit repeated within 2 positions (``11``, ``1x1``)  — *repeating limit 2*;
* no ascending or descending run of 3 digits, wrapping round from 9 to 0 (``123``, ``987``,
  ``901``) — *sequence limit 3*;
* no block of 2 digits that occurs twice anywhere (``48..48``) — *repeating-block limit 2*;
* no 3 even digits in a row (``246``) — *consecutive-even limit 3*;
* the first 5 digits neither equal the last 5 nor their reverse;
* not the cyclic number ``142857`` anywhere.

Zero counts as even here, so the even-digit rule is a little stricter than MOSIP's.

The same rules are checked whenever a UIN is *input*, so a number that Carnet
could never have issued is rejected at the edge with :class:`UinInvalidError`.
Uniqueness and "never reused" are the registry's job: a UIN stays on its record
for ever, even when that record is merged into another.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from carnet.domain.errors import UinInvalidError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["UIN_LENGTH", "generate_uin", "is_valid_uin", "validate_uin", "verhoeff_check_digit"]

UIN_LENGTH = 12

# Verhoeff tables: the dihedral group D5 multiplication, the permutation and the inverse.
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def _verhoeff_checksum(digits: str, *, with_check: bool) -> int:
    c = 0
    offset = 0 if with_check else 1
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[(i + offset) % 8][ord(ch) - 48]]
    return c


def verhoeff_check_digit(digits: str) -> str:
    """Return the Verhoeff check digit to append to the decimal string ``digits``."""
    return str(_INV[_verhoeff_checksum(digits, with_check=False)])


# The filters as one expression: a leading 0/1, a digit repeated within two
# positions, a two-digit block occurring twice, three even digits, a run of three
# ascending or descending digits (wrapping round), or the cyclic number.
_LOCAL_RULES = re.compile(
    r"^[01]|(\d)\d?\1|(\d\d).*\2|[02468]{3}|142857"
    r"|012|123|234|345|456|567|678|789|890|901"
    r"|210|321|432|543|654|765|876|987|098|109"
)


def _rule_broken(uin: str) -> str | None:
    """Return why ``uin`` breaks a MOSIP filter, or ``None`` if it breaks none."""
    if _LOCAL_RULES.search(uin):
        return "repeated, sequential or even digits, or a leading 0 or 1"
    head, tail = uin[:5], uin[-5:]
    if head in (tail, tail[::-1]):
        return "mirrored groups"
    return None


def validate_uin(value: str) -> str:
    """Return ``value`` stripped of spaces and hyphens if it is a well-formed UIN.

    Raises:
        UinInvalidError: wrong length, non-digits, a broken filter rule, or a
            wrong Verhoeff check digit. The message never repeats the number.
    """
    uin = value.replace(" ", "").replace("-", "")
    if len(uin) != UIN_LENGTH or not uin.isascii() or not uin.isdigit():
        raise UinInvalidError(f"a UIN has exactly {UIN_LENGTH} digits", field="uin")
    if _verhoeff_checksum(uin, with_check=True) != 0:
        raise UinInvalidError("the UIN check digit is wrong", field="uin")
    broken = _rule_broken(uin)
    if broken is not None:
        raise UinInvalidError(f"not an issuable UIN ({broken})", field="uin")
    return uin


def is_valid_uin(value: str) -> bool:
    """Return whether ``value`` is a well-formed UIN (see :func:`validate_uin`)."""
    try:
        validate_uin(value)
    except UinInvalidError:
        return False
    return True


def _allowed_after(a: int, b: int) -> tuple[int, ...]:
    """The digits that may follow ``a, b`` without breaking a local filter."""
    step = (b - a) % 10  # 1: ascending, 9: descending, both wrapping round 9 to 0
    return tuple(
        x
        for x in range(10)
        if x not in (a, b) and not ((x - b) % 10 == step and step in (1, 9)) and (x | a | b) & 1
    )


# _NEXT[10 * a + b]: the digits allowed after the pair (a, b); _SECOND[a]: after a alone.
_NEXT = tuple(_allowed_after(a, b) for a in range(10) for b in range(10))
_SECOND = tuple(tuple(x for x in range(10) if x != a) for a in range(10))
_FIRST = (2, 3, 4, 5, 6, 7, 8, 9)


def _draw(options: tuple[int, ...], pool: bytes, at: int) -> tuple[int, int]:
    """Draw one of ``options`` uniformly from ``pool`` starting at ``at``.

    Returns the choice and the next unread position, or (-1, position) when the
    pool ran out. Bytes at or above the largest multiple of ``len(options)`` are
    skipped, so there is no modulo bias.
    """
    n = len(options)
    limit = 256 - 256 % n
    while at < len(pool):
        byte = pool[at]
        at += 1
        if byte < limit:
            return options[byte % n], at
    return -1, at


def _draw_body(pool: bytes) -> tuple[list[int], set[int], int] | None:
    """Draw the first ten digits from ``pool``; return them and the next unread byte.

    Each digit is drawn among those the local filters allow after the two before,
    skipping any that would repeat a two-digit block already drawn. Returns the
    digits, their two-digit blocks and the next unread byte; ``None`` when the
    pool runs out (rare).
    """
    first, at = _draw(_FIRST, pool, 0)
    second, at = _draw(_SECOND[first], pool, at)
    digits = [first, second]
    a, b = first, second
    pairs = {10 * a + b}
    size = len(pool)
    # The hot loop of bulk imports: _draw inlined.
    while len(digits) < UIN_LENGTH - 2:
        if at >= size:
            return None
        options = _NEXT[10 * a + b]
        n = len(options)
        byte = pool[at]
        at += 1
        if byte < 256 - 256 % n and 10 * b + options[byte % n] not in pairs:
            a, b = b, options[byte % n]
            pairs.add(10 * a + b)
            digits.append(b)
    return digits, pairs, at


def generate_uin(random_bytes: Callable[[int], bytes]) -> str:
    """Draw a fresh random UIN that passes every filter.

    The first ten digits come from :func:`_draw_body`; the last body digit is then
    redrawn until the whole number, Verhoeff check digit included, passes every
    filter. Verhoeff's checksum is a product in the dihedral group D5, which is
    associative, so the product over the first ten digits is computed once and each
    candidate last digit costs one table lookup.

    Args:
        random_bytes: a source of unpredictable bytes, such as ``secrets.token_bytes``.
    """
    while True:
        pool = random_bytes(64)
        drawn = _draw_body(pool)
        if drawn is None:
            continue
        digits, pairs, at = drawn
        prefix = "".join(map(str, digits))
        if "142857" in prefix:
            continue
        # Product of the permuted digits at positions 2..11 from the right (the
        # last body digit sits at position 1, the check digit at position 0).
        rest = 0
        for i, digit in enumerate(reversed(digits), start=2):
            rest = _D[rest][_P[i % 8][digit]]
        penultimate = digits[-1]
        options = _NEXT[10 * digits[-2] + penultimate]
        for _ in range(32):
            last, at = _draw(options, pool, at)
            if last < 0:
                break
            check = _INV[_D[_P[1][last]][rest]]
            # The prefix already passes every filter: check only what the last two
            # digits add (their windows, their blocks, the cyclic number, the mirror).
            blocks = (10 * penultimate + last, 10 * last + check)
            if (
                check not in _NEXT[10 * penultimate + last]
                or blocks[0] in pairs
                or blocks[1] in pairs
                or blocks[0] == blocks[1]
            ):
                continue
            uin = f"{prefix}{last}{check}"
            if "142857" not in uin[-7:] and uin[:5] not in (uin[-5:], uin[-5:][::-1]):
                return uin
