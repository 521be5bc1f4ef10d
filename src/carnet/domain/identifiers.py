"""Unique identification numbers (UIN): generation and validation.

A UIN is 12 decimal digits: 11 random digits and a Verhoeff check digit
(Verhoeff, 1969), which catches every single-digit error and every adjacent
transposition. UINs are random, never sequential, so that a number reveals
nothing about its holder, region or enrolment order.

Generation follows the filters of MOSIP's kernel UIN generator, so that numbers
are easy to read aloud and hard to mistype, and none looks "special":

* no leading 0 or 1;
* no digit repeated within 2 positions (``11``, ``1x1``)  — *repeating limit 2*;
* no ascending or descending run of 3 digits (``123``, ``987``) — *sequence limit 3*;
* no block of 2 digits repeated at once (``4545``) — *repeating-block limit 2*;
* no 3 even digits in a row (``246``) — *consecutive-even limit 3*;
* the first 5 digits neither equal the last 5 nor their reverse.

The same rules are checked whenever a UIN is *input*, so a number that Carnet
could never have issued is rejected at the edge with :class:`UinInvalidError`.
Uniqueness and "never reused" are the registry's job: a UIN stays on its record
for ever, even when that record is merged into another.
"""

from __future__ import annotations

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
    (9, 4, 5, 3, 1, 2, 8, 6, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)
_EVEN = frozenset("02468")


def _verhoeff_checksum(digits: str, *, with_check: bool) -> int:
    c = 0
    offset = 0 if with_check else 1
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[(i + offset) % 8][ord(ch) - 48]]
    return c


def verhoeff_check_digit(digits: str) -> str:
    """Return the Verhoeff check digit to append to the decimal string ``digits``."""
    return str(_INV[_verhoeff_checksum(digits, with_check=False)])


def _rule_broken(uin: str) -> str | None:  # noqa: PLR0911 - one return per rule reads best
    """Return the name of the first MOSIP filter ``uin`` breaks, or ``None``."""
    if uin[0] in "01":
        return "leading digit"
    n = len(uin)
    for i in range(n - 1):
        a, b = ord(uin[i]), ord(uin[i + 1])
        if a == b or (i + 2 < n and uin[i + 2] == uin[i]):
            return "repeated digits"
        if i + 2 < n:
            c = ord(uin[i + 2])
            if b - a == c - b and abs(b - a) == 1:
                return "sequential digits"
            if uin[i] in _EVEN and uin[i + 1] in _EVEN and uin[i + 2] in _EVEN:
                return "consecutive even digits"
        if i + 3 < n and uin[i : i + 2] == uin[i + 2 : i + 4]:
            return "repeated block"
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


def generate_uin(random_bytes: Callable[[int], bytes]) -> str:
    """Draw a fresh random UIN that passes every filter.

    Args:
        random_bytes: a source of unpredictable bytes, such as ``secrets.token_bytes``.
            Digits are drawn without modulo bias and chosen to respect the local
            rules as they are drawn, so the expected cost is a few dozen bytes.
    """
    while True:
        d: list[int] = []
        for byte in random_bytes(64):
            if byte >= 250:  # noqa: PLR2004 - 250 = 25 * 10 keeps the digits unbiased
                continue
            if _next_ok(d, byte % 10):
                d.append(byte % 10)
                if len(d) == UIN_LENGTH - 1:
                    break
        else:
            continue  # ran out of bytes: extremely rare, draw again
        body = "".join(map(str, d))
        uin = body + verhoeff_check_digit(body)
        if _rule_broken(uin) is None:
            return uin


def _next_ok(d: list[int], x: int) -> bool:
    """Check the rules that involve a candidate next digit ``x`` after ``d``."""
    n = len(d)
    if n == 0:
        return x > 1
    prev = d[-1]
    if x == prev:
        return False
    if n >= 2:  # noqa: PLR2004 - three-digit windows
        prev2 = d[-2]
        step = prev - prev2
        if x == prev2 or (x - prev == step and step in (1, -1)):
            return False
        if not (x | prev | prev2) & 1:
            return False
    return not (n >= 3 and d[-3] == prev and d[-2] == x)  # noqa: PLR2004 - two-digit blocks
