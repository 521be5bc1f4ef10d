"""Our compressed sizes against draft-ietf-oauth-status-list-18 Appendix B, Table 1.

Each cell builds a 1-bit list (the table's) with statuses drawn at the stated
revocation rate from a seeded generator, compresses it with
:meth:`StatusList.compress` and compares the length of ``lst`` with the draft's
figure.

The draft draws every status independently, so its small cells carry the noise
of its one draw: at 10 expected revocations the count itself varies by about
30 %. Where fewer than 100,000 revocations are expected we therefore revoke
exactly ``round(size * rate)`` entries at random positions; larger cells draw
independently like the draft, where the count's noise is below 0.3 %.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

from carnet.credentials.statuslist import StatusList

pytestmark = pytest.mark.unit

TABLE = yaml.safe_load(
    (Path(__file__).parents[2] / "vectors" / "statuslist" / "sizes.yaml").read_text("utf-8")
)
UNITS: Final = {"B": 1, "KB": 1024, "MB": 1024**2}
EXACT_UP_TO: Final = 100_000
RATE_BITS: Final = 24  # rates are drawn with 24 binary digits of precision
SEED: Final = b"carnet statuslist size comparison"

MAX_RATIO: Final = 1.1  # ours may be at most 10 % larger than the draft's figure
MIN_RATIO: Final = 0.8  # and not so small that the data cannot be comparable


def draft_bytes(label: str) -> float:
    """Parse one of the draft's sizes, e.g. ``"1.4 KB"``, into bytes (units of 1024)."""
    number, unit = label.split()
    return float(number) * UNITS[unit]


def _stream(label: str, nbytes: int) -> bytes:
    return hashlib.shake_256(SEED + label.encode()).digest(nbytes)


def _bernoulli_array(size: int, rate: float, label: str) -> bytes:
    """``size`` bits, each 1 with probability ``rate`` (to 24 binary digits), independent.

    Writing ``rate`` in binary as 0.b1 b2 ... bk, start from zero and, for each
    digit from bk up to b1, OR in (digit 1) or AND in (digit 0) a fresh uniform
    bit string: each bit ends up 1 with probability exactly 0.b1...bk.
    """
    numerator = round(rate * (1 << RATE_BITS))
    digits = RATE_BITS
    while numerator % 2 == 0:
        numerator //= 2
        digits -= 1
    nbytes = size // 8
    bits = 0
    for i in range(digits):
        word = int.from_bytes(_stream(f"{label}/{i}", nbytes), "little")
        bits = bits | word if numerator >> i & 1 else bits & word
    return bits.to_bytes(nbytes, "little")


def build(size: int, rate: float) -> StatusList:
    """The 1-bit list of one table cell, through the public API only."""
    label = f"{size}/{rate}"
    if rate == 1:
        return StatusList.from_bytes(b"\xff" * (size // 8), 1)
    expected = round(size * rate)
    if expected > EXACT_UP_TO:
        return StatusList.from_bytes(_bernoulli_array(size, rate, label), 1)
    status_list = StatusList(size, 1)
    stream = _stream(label, 16 * expected + 4096)
    revoked: set[int] = set()
    offset = 0
    while len(revoked) < expected:
        word = int.from_bytes(stream[offset : offset + 8], "little")
        offset += 8
        revoked.add(word % size)  # bias below 2**-36 for these sizes
    for idx in revoked:
        status_list.set(idx, 1)
    return status_list


def _cases() -> list[Any]:
    cases = []
    for row in TABLE["rows"]:
        for rate, label in zip(TABLE["rates"], row["sizes"], strict=True):
            marks = [pytest.mark.slow] if row["size"] >= 100_000_000 else []
            cases.append(
                pytest.param(row["size"], rate, label, marks=marks, id=f"{row['size']}@{rate}")
            )
    return cases


def test_the_table_is_one_bit_with_forty_cells() -> None:
    assert TABLE["bits"] == 1
    assert len(_cases()) == 40
    assert draft_bytes("81 B") == 81
    assert draft_bytes("1.4 KB") == pytest.approx(1433.6)
    assert draft_bytes("1.2 MB") == pytest.approx(1.2 * 1024 * 1024)


def test_generated_lists_have_the_stated_rate() -> None:
    exact = build(1_000_000, 0.02)
    assert int.from_bytes(exact.to_bytes(), "little").bit_count() == 20_000
    drawn = build(10_000_000, 0.25)
    ones = int.from_bytes(drawn.to_bytes(), "little").bit_count()
    assert abs(ones - 2_500_000) < 5 * (10_000_000 * 0.25 * 0.75) ** 0.5


@pytest.mark.parametrize(("size", "rate", "label"), _cases())
def test_compressed_size_matches_the_draft_table(size: int, rate: float, label: str) -> None:
    status_list = build(size, rate)
    assert status_list.size == size
    ratio = len(status_list.compress()) / draft_bytes(label)
    assert MIN_RATIO <= ratio <= MAX_RATIO, f"ours/draft = {ratio:.3f}"
