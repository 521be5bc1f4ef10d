"""Drawing primitives shared by the layouts, in millimetres from the lower-left corner.

A :class:`Sheet` wraps one reportlab canvas page: text that shrinks to fit its
box (and refuses, with a :class:`~carnet.domain.errors.ValidationError`, text that
cannot fit even at the smallest readable size), a grid of labelled fields, the
photo area and the machine-readable zone.

The MRZ is set in OCR-B at a pitch of 2.54 mm, ten characters per 25.4 mm as
Doc 9303 Part 3 asks, which makes its capitals about 2.5 mm high (OCR-B size 1).
The lines are centred across the page; the lowest line's centre line sits
6.35 mm above the bottom edge and the lines are 4.23 mm (1/6 inch) apart, so
that the zone stays inside the bottom band that Part 4 (TD3) and Part 5 (TD1)
reserve for it. These positions are our nominal choices; a production design
must check them against the tolerances drawn in those Parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from carnet.domain.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    from carnet.adapters.render.qr import QrSymbol
    from carnet.adapters.render.typefaces import FontSet

__all__ = [
    "INK",
    "MUTED",
    "PAPER",
    "Cell",
    "Color",
    "Grid",
    "Sheet",
    "TextStyle",
    "fit_size",
    "fits",
]

Color = tuple[float, float, float, float]
"""A CMYK colour, each component 0 to 1: printers get process colours, not RGB."""

INK: Final[Color] = (0.0, 0.0, 0.0, 1.0)
MUTED: Final[Color] = (0.0, 0.0, 0.0, 0.6)
PAPER: Final[Color] = (0.0, 0.0, 0.0, 0.0)
_FRAME: Final[Color] = (0.0, 0.0, 0.0, 0.35)

MRZ_PITCH_MM: Final = 2.54
MRZ_FIRST_CENTRE_MM: Final = 6.35
MRZ_LINE_PITCH_MM: Final = 4.23
_PT_MM: Final = 25.4 / 72
"""One typographic point in millimetres."""


@dataclass(frozen=True, slots=True)
class TextStyle:
    """A font, its size in points, the smallest size it may shrink to, and a colour."""

    font: str
    size: float
    min_size: float
    color: Color = INK


@dataclass(frozen=True, slots=True)
class Cell:
    """One labelled field of the visual inspection zone.

    ``field`` names the print-item attribute the value comes from, for errors;
    a ``wide`` cell takes a whole row of the grid.
    """

    label: str
    value: str
    field: str
    wide: bool = False


@dataclass(frozen=True, slots=True)
class Grid:
    """Where a grid of cells goes and how it is set."""

    x: float
    top: float
    width: float
    bottom: float
    row_height: float
    label: TextStyle
    value: TextStyle
    columns: int = 2
    gutter: float = 2.0


class Sheet:
    """One page being drawn on a reportlab canvas, measured in millimetres."""

    def __init__(self, canvas: Canvas, fonts: FontSet, width: float, height: float) -> None:
        self.canvas = canvas
        self.fonts = fonts
        self.width = width
        self.height = height

    def __repr__(self) -> str:
        return f"Sheet({self.width} x {self.height} mm)"

    def fill(self, x: float, y: float, width: float, height: float, color: Color) -> None:
        """Paint a rectangle in ``color``."""
        self.canvas.setFillColorCMYK(*color)
        self.canvas.rect(x * mm, y * mm, width * mm, height * mm, stroke=0, fill=1)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        style: TextStyle,
        *,
        max_width: float,
        field: str,
        centred: bool = False,
    ) -> None:
        """Draw ``text`` with its baseline at ``y``, shrunk until it fits ``max_width``.

        Raises:
            ValidationError: the text does not fit even at ``style.min_size``;
                ``field`` names the attribute.
        """
        size = fit_size(text, style, max_width, field)
        self.canvas.setFillColorCMYK(*style.color)
        self.canvas.setFont(style.font, size)
        if centred:
            self.canvas.drawCentredString(x * mm, y * mm, text)
        else:
            self.canvas.drawString(x * mm, y * mm, text)

    def cells(self, cells: Sequence[Cell], grid: Grid) -> None:
        """Lay ``cells`` out row by row, label above value, in ``grid``.

        A cell whose value does not fit a column at the smallest size takes a
        whole row.

        Raises:
            ValidationError: the cells need more rows than the grid has, or a value
                does not fit even a whole row.
        """
        column_width = (grid.width - grid.gutter * (grid.columns - 1)) / grid.columns
        top, column = grid.top, 0
        for cell in cells:
            wide = cell.wide or not fits(cell.value, grid.value, column_width)
            if wide and column:
                top, column = top - grid.row_height, 0
            if top - grid.row_height < grid.bottom - 1e-9:
                raise ValidationError("the fields do not fit the layout", field=cell.field)
            width = grid.width if wide else column_width
            x = grid.x + column * (column_width + grid.gutter)
            label_line = top - grid.label.size * _PT_MM * 0.85
            self.text(x, label_line, cell.label, grid.label, max_width=width, field=cell.field)
            value_line = label_line - grid.value.size * _PT_MM * 1.05
            self.text(x, value_line, cell.value, grid.value, max_width=width, field=cell.field)
            column = 0 if wide else (column + 1) % grid.columns
            if column == 0:
                top -= grid.row_height

    def photo(
        self, box: tuple[float, float, float, float], image: ImageReader | None, caption: str
    ) -> None:
        """Draw the holder's photo in ``box`` (x, y, width, height), or an empty frame.

        The image keeps its aspect ratio and is centred in the box; without one,
        the frame is dashed and carries ``caption``.
        """
        x, y, width, height = box
        canvas = self.canvas
        canvas.saveState()
        canvas.setStrokeColorCMYK(*_FRAME)
        canvas.setLineWidth(0.4)
        if image is None:
            canvas.setDash(2, 1.5)
            canvas.rect(x * mm, y * mm, width * mm, height * mm, stroke=1, fill=0)
            canvas.setFillColorCMYK(*MUTED)
            canvas.setFont(self.fonts.text, 5)
            canvas.drawCentredString((x + width / 2) * mm, (y + height / 2) * mm, caption)
        else:
            canvas.drawImage(
                image,
                x * mm,
                y * mm,
                width * mm,
                height * mm,
                preserveAspectRatio=True,
                anchor="c",
            )
            canvas.rect(x * mm, y * mm, width * mm, height * mm, stroke=1, fill=0)
        canvas.restoreState()

    def qr(self, symbol: QrSymbol, x: float, y: float, side: float) -> None:
        """Draw ``symbol`` with its quiet zone in the square ``side`` at ``(x, y)``."""
        symbol.draw(self.canvas, x * mm, y * mm, side * mm)

    def mrz(self, lines: Sequence[str]) -> None:
        """Draw the machine-readable zone in OCR-B at the bottom of the page.

        ``lines`` are already checked: equal lengths, characters ``A-Z 0-9 <``.
        """
        size = MRZ_PITCH_MM * mm / self.fonts.mrz_advance
        cap = size * self.fonts.mrz_cap_height
        left = (self.width - len(lines[0]) * MRZ_PITCH_MM) / 2 * mm
        self.canvas.setFillColorCMYK(*INK)
        self.canvas.setFont(self.fonts.mrz, size)
        # Top line first, so that text extraction reads the lines in their order.
        for above, line in enumerate(lines, start=1):
            centre = (MRZ_FIRST_CENTRE_MM + (len(lines) - above) * MRZ_LINE_PITCH_MM) * mm
            self.canvas.drawString(left, centre - cap / 2, line)


def fits(text: str, style: TextStyle, max_width: float) -> bool:
    """Return whether ``text`` fits ``max_width`` millimetres at ``style.min_size``."""
    return stringWidth(text, style.font, style.min_size) <= max_width * mm


def fit_size(text: str, style: TextStyle, max_width: float, field: str) -> float:
    """Return the largest size, from ``style.size`` down, at which ``text`` fits.

    Raises:
        ValidationError: it does not fit even at ``style.min_size``.
    """
    width = stringWidth(text, style.font, style.size)
    limit = max_width * mm
    if width <= limit:
        return style.size
    # Width is linear in size: jump straight to the size that fits.
    size = style.size * limit / width * 0.999
    if size < style.min_size:
        raise ValidationError("a text is too long for its place on the document", field=field)
    return size
