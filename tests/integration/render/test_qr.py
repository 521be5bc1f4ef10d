"""The printed QR symbol is exactly the one segno makes, fast mask choice included.

:mod:`carnet.adapters.render.masking` picks the data mask itself instead of
letting segno try all eight; these tests hold it to segno's own choice and
symbol, module for module, over payloads of every length a credential may have
(QR versions 1 to about 17, with and without version information).
"""

from __future__ import annotations

import random

import pytest
import segno

from carnet.adapters.render.qr import QUIET_ZONE, make_symbol
from tests.integration.render.builders import BASE45_ALPHABET

pytestmark = pytest.mark.integration


def _segno_runs(text: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    code = segno.make_qr(text, error="m", mode="alphanumeric", boost_error=False)
    runs = []
    for row, modules in enumerate(code.matrix):
        line = "".join("1" if module else "0" for module in modules)
        column = line.find("1")
        while column != -1:
            end = line.find("0", column)
            end = len(line) if end == -1 else end
            runs.append((row, column, end - column))
            column = line.find("1", end)
    return len(code.matrix), tuple(runs)


@pytest.mark.parametrize(
    ("shortest", "longest"), [(1, 60), (61, 160), (161, 330), (331, 480), (481, 650)]
)
def test_the_symbol_is_module_for_module_segnos(shortest: int, longest: int) -> None:
    rng = random.Random(shortest)
    for _ in range(30):
        length = rng.randint(shortest, longest)
        text = "".join(rng.choice(BASE45_ALPHABET) for _ in range(length))

        symbol = make_symbol(text)

        assert (symbol.size, symbol.runs) == _segno_runs(text), length


def test_the_quiet_zone_is_four_modules_on_each_side() -> None:
    symbol = make_symbol("HC1:" + "A" * 300)

    assert QUIET_ZONE == 4
    assert symbol.modules_with_quiet_zone == symbol.size + 8
    assert all(column >= 0 and column + length <= symbol.size for _, column, length in symbol.runs)
