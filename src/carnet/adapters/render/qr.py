"""The signed QR code as vector artwork: one filled path of dark-module runs.

The payload is base45 text, which uses only the 45 characters of the QR
alphanumeric mode (RFC 9285 §1, ISO/IEC 18004 §7.4.4); it is encoded in that
mode at error correction level M, in the smallest version that holds it, by
segno, as :mod:`carnet.credentials.qr` does for screens (see :mod:`.masking`
for how the data mask is chosen quickly). The symbol is drawn as vectors
rather than a bitmap so that it stays sharp at any printer resolution: each
horizontal run of dark modules becomes one rectangle, and all of them go into a
single path, filled once, so that rasterisers leave no seams between modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from carnet.adapters.render.masking import best_mask_rows
from carnet.domain.errors import ValidationError

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

__all__ = ["QUIET_ZONE", "QrSymbol", "make_symbol"]

QUIET_ZONE: Final = 4
"""Light modules around the symbol on every side (ISO/IEC 18004 §6.3.8)."""

_DARK_RUN: Final = re.compile("1+")


@dataclass(frozen=True, slots=True)
class QrSymbol:
    """A QR symbol as runs of dark modules: ``(row, first column, length)``.

    Row 0 is the top row; ``size`` is the width in modules, quiet zone excluded.
    """

    size: int
    runs: tuple[tuple[int, int, int], ...]

    @property
    def modules_with_quiet_zone(self) -> int:
        """The width in modules including the quiet zone on both sides."""
        return self.size + 2 * QUIET_ZONE

    def draw(self, canvas: Canvas, x: float, y: float, side: float) -> None:
        """Draw the symbol with its quiet zone in the square ``side`` at ``(x, y)``.

        ``(x, y)`` is the lower-left corner of the square in points. The quiet
        zone is painted white so that no artwork beneath can intrude on it.

        The operators are written directly, inside their own ``q``/``Q`` pair: in
        a coordinate system of one unit per module with the origin at the top-left
        module, every run is an integer ``re``, which is several times faster to
        produce and smaller than reportlab's path objects with float coordinates.
        """
        module = side / self.modules_with_quiet_zone
        left = x + QUIET_ZONE * module
        top = y + side - QUIET_ZONE * module
        operators = [
            f"q 0 0 0 0 k {_num(x)} {_num(y)} {_num(side)} {_num(side)} re f",
            f"0 0 0 1 k {_num(module)} 0 0 {_num(-module)} {_num(left)} {_num(top)} cm",
        ]
        operators.extend(f"{column} {row} {length} 1 re" for row, column, length in self.runs)
        operators.append("f Q")
        canvas.addLiteral("\n".join(operators))


def _num(value: float) -> str:
    """Format a coordinate in points for a content stream (1/10000 pt is plenty)."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def make_symbol(text: str) -> QrSymbol:
    """Encode ``text`` in alphanumeric mode at level M and return its dark runs.

    The symbol is the one ``segno.make_qr`` makes; :mod:`.masking` only picks its
    data mask faster.

    Raises:
        ValidationError: ``text`` is empty, has characters outside the QR
            alphanumeric set, or is too long for any QR version at level M
            (``field="qr_text"``).
    """
    if not text:
        raise ValidationError("the QR payload is empty", field="qr_text")
    try:
        size, rows = best_mask_rows(text)
    except ValueError as exc:  # segno.DataOverflowError is a ValueError too
        raise ValidationError(
            "the QR payload does not fit an alphanumeric QR code at level M", field="qr_text"
        ) from exc
    runs = tuple(
        (row, run.start(), run.end() - run.start())
        for row, bits in enumerate(rows)
        for run in _DARK_RUN.finditer(format(bits, f"0{size}b"))
    )
    return QrSymbol(size=size, runs=runs)
