"""The :class:`~carnet.services.ports.Renderer` port over reportlab: print runs as PDF.

:class:`PdfRenderer` turns a sequence of :class:`~carnet.domain.printing.PrintItem`
into one PDF, items in order: an ID-1 card is two pages (front, then back), a
passport data page is one. Each page has the exact size of its document, so a
card printer or an imposition step takes the file as it is.

Every item is checked before anything is drawn, so a bad item fails the run
without a half-written file: the MRZ must have the shape of its layout (3 x 30
for TD1, 2 x 44 for TD3) in ``A-Z 0-9 <``, every text must be drawable in the
embedded fonts (nothing silently prints as empty boxes), the QR payload must fit
an alphanumeric QR code at level M, and a photo must be a readable JPEG or PNG.
Failures are :class:`~carnet.domain.errors.ValidationError` naming the item's
position and the field, never its content.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from carnet.adapters.render.drawing import Sheet
from carnet.adapters.render.layouts import (
    ID1_SIZE,
    TD3_SIZE,
    draw_card_back,
    draw_card_front,
    draw_data_page,
)
from carnet.adapters.render.photos import photo_reader
from carnet.adapters.render.qr import QrSymbol, make_symbol
from carnet.adapters.render.typefaces import FontSet, font_set
from carnet.domain.errors import ValidationError
from carnet.domain.printing import Layout, PrintItem

if TYPE_CHECKING:
    from collections.abc import Sequence

    from reportlab.lib.utils import ImageReader

__all__ = ["PdfRenderer"]

logger = logging.getLogger(__name__)

_MRZ_SHAPES: Final = {Layout.ID1_CARD: (3, 30), Layout.PASSPORT_DATA_PAGE: (2, 44)}
_MRZ_LINE_RE: Final = re.compile(r"[A-Z0-9<]+")
_TEXT_FIELDS: Final = (
    "document_number",
    "title_native",
    "title_latin",
    "authority",
    "family_name_native",
    "given_name_native",
    "family_name_latin",
    "given_name_latin",
    "date_of_birth",
    "sex",
    "nationality",
    "date_of_issue",
    "date_of_expiry",
)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """An item that passed every check, with its QR symbol and photo ready to draw."""

    item: PrintItem
    symbol: QrSymbol
    photo: ImageReader | None


class PdfRenderer:
    """Renders print items into one print-ready PDF (implements ``Renderer``).

    ``compress`` deflates the page content streams (smaller files, a little more
    CPU). Output is deterministic: the same items give the same bytes, as the
    PDF carries no creation time or random document id.

    Fonts are parsed once per process, on first use; a renderer holds no other
    state, so one instance can serve every print run.
    """

    def __init__(self, *, compress: bool = True) -> None:
        self._compress = compress

    def __repr__(self) -> str:
        return f"PdfRenderer(compress={self._compress})"

    def render(self, items: Sequence[PrintItem]) -> bytes:
        """Return one PDF holding every item in order (a card: front, then back).

        Raises:
            ValidationError: no items, or an item that cannot be laid out: an MRZ
                of the wrong shape, a character no embedded font can draw, a QR
                payload that does not fit, an unreadable photo, or a text too long
                for its place. The message names the item's position in the run.
        """
        if not items:
            raise ValidationError("a print run needs at least one item", field="items")
        fonts = font_set()
        prepared = [_checked(index, item, fonts) for index, item in enumerate(items)]
        buffer = io.BytesIO()
        canvas = Canvas(
            buffer,
            pagesize=_page_size(items[0].layout),
            invariant=1,
            pageCompression=int(self._compress),
            # Without it every page would name Helvetica, a font that is not embedded.
            # types-reportlab annotates it as a float by mistake (typeshed,
            # stubs/reportlab/reportlab/pdfgen/canvas.pyi); reportlab takes a font name.
            initialFontName=fonts.text,  # type: ignore[arg-type]
        )
        canvas.setTitle("Carnet print run")
        canvas.setCreator("Carnet")
        for index, entry in enumerate(prepared):
            try:
                _draw(canvas, fonts, entry)
            except ValidationError as exc:
                raise ValidationError(
                    f"print item {index}: {exc.message}", field=exc.field
                ) from exc
        canvas.save()
        pdf = buffer.getvalue()
        logger.debug("rendered %d print items into %d bytes", len(items), len(pdf))
        return pdf


def _page_size(layout: Layout) -> tuple[float, float]:
    """Return the page size of ``layout`` in points."""
    width, height = ID1_SIZE if layout is Layout.ID1_CARD else TD3_SIZE
    return width * mm, height * mm


def _draw(canvas: Canvas, fonts: FontSet, entry: _Prepared) -> None:
    """Draw the pages of one item, each on a page of its own size."""
    item = entry.item
    size = ID1_SIZE if item.layout is Layout.ID1_CARD else TD3_SIZE
    sheet = Sheet(canvas, fonts, *size)
    canvas.setPageSize(_page_size(item.layout))
    if item.layout is Layout.ID1_CARD:
        draw_card_front(sheet, item, entry.photo)
        canvas.showPage()  # the page size carries over to the back
        draw_card_back(sheet, item, entry.symbol)
    else:
        draw_data_page(sheet, item, entry.photo, entry.symbol)
    canvas.showPage()


def _checked(index: int, item: PrintItem, fonts: FontSet) -> _Prepared:
    """Check one item and prepare its QR symbol and photo.

    Raises:
        ValidationError: see :meth:`PdfRenderer.render`.
    """
    try:
        _check_mrz(item)
        _check_texts(item, fonts)
        return _Prepared(item, make_symbol(item.qr_text), photo_reader(item.photo))
    except ValidationError as exc:
        raise ValidationError(f"print item {index}: {exc.message}", field=exc.field) from exc


def _check_mrz(item: PrintItem) -> None:
    """Refuse an unknown layout, or an MRZ whose shape or characters do not fit it."""
    shape = _MRZ_SHAPES.get(item.layout)
    if shape is None:
        raise ValidationError("unknown layout", field="layout")
    count, length = shape
    if len(item.mrz) != count or any(len(line) != length for line in item.mrz):
        raise ValidationError(
            f"the MRZ of this layout has {count} lines of {length} characters", field="mrz"
        )
    if any(_MRZ_LINE_RE.fullmatch(line) is None for line in item.mrz):
        raise ValidationError("the MRZ contains a character outside A-Z, 0-9 and <", field="mrz")


def _check_texts(item: PrintItem, fonts: FontSet) -> None:
    """Refuse any text with a character the embedded text fonts cannot draw."""
    for name in _TEXT_FIELDS:
        if not fonts.can_draw(getattr(item, name)):
            raise ValidationError("a character cannot be drawn in the embedded fonts", field=name)
    for label, value in item.fields:
        if not (fonts.can_draw(label) and fonts.can_draw(value)):
            raise ValidationError(
                "a character cannot be drawn in the embedded fonts", field="fields"
            )
