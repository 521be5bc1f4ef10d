"""QR data-mask selection, several times faster than segno's, with the same result.

A QR encoder tries the eight data masks and keeps the one whose symbol scores
the lowest penalty (ISO/IEC 18004:2015 §7.8.3.1: runs of one colour, 2 x 2
blocks, finder-like patterns, dark proportion). segno does this module by
module in pure Python, which makes it about 70 % of a card's rendering time.

Here segno encodes the payload once, with mask 0. The other seven symbols
differ from it only by a fixed pattern per version (the XOR of two masks over
the encoding region, and of their format information): :func:`_version_tables`
takes that pattern from segno's own symbols for a reference payload, so only
segno's public API is used. Each row is a Python integer, the penalties are
counted with bit operations and string scans, exactly as
``segno.encoder.mask_scores`` counts them (format and version areas light
during evaluation, as segno does), and ties go to the lower mask number. The
chosen symbol is therefore bit for bit the one ``segno.make_qr`` returns; the
rendering tests check it on many payloads.
"""

from __future__ import annotations

import functools
import itertools
import re
from typing import Final

import segno

__all__ = ["best_mask_rows"]

_ALPHANUMERIC: Final = "alphanumeric"
_REFERENCE: Final = "0"
_MASKS: Final = 8
_BITS: Final = bytes.maketrans(b"\x00\x01", b"01")
_RUN: Final = re.compile(r"0{5,}|1{5,}")
_FINDER_LIKE: Final = "1011101"
_FINDER_LEN: Final = 7
_LIGHT_AREA: Final = 4
_MIN_VERSION_INFO: Final = 7
_N1_OFFSET: Final = 2  # a run of 5 + i modules scores N1 (3) + i = length - 2
_N2: Final = 3
_N3: Final = 40
_N4: Final = 10


def best_mask_rows(text: str) -> tuple[int, tuple[int, ...]]:
    """Encode ``text`` (alphanumeric, level M) and return (width, rows as integers).

    Bit ``width - 1 - j`` of row ``i`` is the module in column ``j``, 1 for dark,
    quiet zone excluded.

    Raises:
        ValueError: segno cannot encode ``text`` in alphanumeric mode at level M
            (including segno's ``DataOverflowError``).
    """
    code = segno.make_qr(text, error="m", mode=_ALPHANUMERIC, boost_error=False, mask=0)
    size, differences, evaluated = _version_tables(code.version)
    base = _rows(code.matrix)
    best_rows: tuple[int, ...] = ()
    best_score = -1
    for difference in differences:
        rows = tuple(row ^ change for row, change in zip(base, difference, strict=True))
        score = _penalty([r & e for r, e in zip(rows, evaluated, strict=True)], size)
        if best_score < 0 or score < best_score:
            best_rows, best_score = rows, score
    return size, best_rows


@functools.lru_cache(maxsize=64)
def _version_tables(version: int) -> tuple[int, tuple[tuple[int, ...], ...], tuple[int, ...]]:
    """Return the width, the per-mask XOR patterns and the evaluated-module masks.

    The XOR pattern of mask ``k`` turns the mask-0 symbol of any payload of this
    version (at level M) into its mask-``k`` symbol, format information
    included. The evaluated-module masks clear the format and version
    information, which segno leaves light while it scores the masks.
    """
    references = [
        segno.make_qr(
            _REFERENCE,
            error="m",
            version=version,
            mode=_ALPHANUMERIC,
            boost_error=False,
            mask=mask,
        )
        for mask in range(_MASKS)
    ]
    base = _rows(references[0].matrix)
    differences = tuple(
        tuple(a ^ b for a, b in zip(_rows(code.matrix), base, strict=True)) for code in references
    )
    size = len(base)
    keep = [(1 << size) - 1] * size

    def clear(row: int, column: int) -> None:
        keep[row] &= ~(1 << (size - 1 - column))

    # Format information around the top-left finder (row 6 and column 6 are timing).
    for index in (0, 1, 2, 3, 4, 5, 7, 8):
        clear(8, index)
        clear(index, 8)
    # Its copies beside the top-right and bottom-left finders.
    for index in range(size - 8, size):
        clear(8, index)
        clear(index, 8)
    if version >= _MIN_VERSION_INFO:
        for index in range(6):
            for other in range(size - 11, size - 8):
                clear(index, other)
                clear(other, index)
    return size, differences, tuple(keep)


def _rows(matrix: tuple[bytearray, ...]) -> tuple[int, ...]:
    """Turn segno's matrix (one byte per module) into one integer per row."""
    return tuple(int(bytes(row).translate(_BITS), 2) for row in matrix)


def _penalty(rows: list[int], size: int) -> int:
    """Return the penalty score N1 + N2 + N3 + N4 of a masked symbol, as segno counts it."""
    lines = [format(row, f"0{size}b") for row in rows]
    columns = ["".join(column) for column in zip(*lines, strict=True)]
    n1 = sum(len(run) - _N1_OFFSET for line in lines + columns for run in _RUN.findall(line))
    within = (1 << (size - 1)) - 1
    blocks = 0
    for above, below in itertools.pairwise(rows):
        same = ~(above ^ below)
        blocks += (same & (same >> 1) & ~(below ^ (below >> 1)) & within).bit_count()
    n3 = sum(_finder_like(line, size) for line in lines + columns)
    dark = sum(row.bit_count() for row in rows)
    n4 = _N4 * int(abs(dark / size**2 * 100 - 50) / 5)
    return n1 + _N2 * blocks + n3 + n4


def _finder_like(line: str, size: int) -> int:
    """Score 1:1:3:1:1 patterns with four light modules on one side, as segno scans them.

    A pattern at either edge counts (the quiet zone is light); after a counted
    pattern the scan resumes past it, otherwise at its fifth module.
    """
    score = 0
    index = line.find(_FINDER_LIKE)
    while index != -1:
        after = index + _FINDER_LEN
        if (
            index in {0, size - _FINDER_LEN}
            or "1" not in line[max(index - _LIGHT_AREA, 0) : index]
            or "1" not in line[after : after + _LIGHT_AREA]
        ):
            score += _N3
        else:
            after = index + _LIGHT_AREA
        index = line.find(_FINDER_LIKE, after)
    return score
