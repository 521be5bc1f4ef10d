"""Where everything goes on an ID-1 card and on a TD3 passport data page.

Both layouts are modelled on the zones of Doc 9303: a header with the document's title in
the native script and in Latin, the holder's photo on the left, the personal and
document data beside it (native-script name first, then its Latin form), the
signed QR code, and the machine-readable zone at the bottom of the back of the
card (TD1, Doc 9303 Part 5) or of the data page (TD3, Part 4), kept clear of
any other printing.

Dimensions are in millimetres from the lower-left corner; the page sizes are
ISO/IEC 7810 ID-1 (85.60 x 53.98 mm) and TD3 (125 x 88 mm).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from carnet.adapters.render.drawing import MUTED, PAPER, Cell, Grid, TextStyle

if TYPE_CHECKING:
    from reportlab.lib.utils import ImageReader

    from carnet.adapters.render.drawing import Color, Sheet
    from carnet.adapters.render.qr import QrSymbol
    from carnet.domain.printing import PrintItem

__all__ = [
    "ID1_SIZE",
    "TD3_SIZE",
    "draw_card_back",
    "draw_card_front",
    "draw_data_page",
    "latin_name",
    "native_name",
    "visual_cells",
]

ID1_SIZE: Final = (85.60, 53.98)
TD3_SIZE: Final = (125.0, 88.0)

_BAND: Final[Color] = (1.0, 0.72, 0.0, 0.38)
_PHOTO_CAPTION: Final = "사진 / Photo"
_NAME_LABEL: Final = "성명 / Name"
_QR_CAPTION: Final = "서명된 QR 코드 / Signed QR code"
_HANGUL: Final = range(0xAC00, 0xD7A4)


_WIDE_VALUE = 16  # characters: a longer extra field takes a whole row


def visual_cells(item: PrintItem, *, authority: bool = True) -> list[Cell]:
    """Return the labelled fields of the visual inspection zone, in print order.

    A card names its authority on the back, so its front leaves it out
    (``authority=False``) to make room for the document's own fields.
    """
    cells = [
        Cell("생년월일 / Date of birth", item.date_of_birth, "date_of_birth"),
        Cell("성별 / Sex", item.sex, "sex"),
        Cell("국적 / Nationality", item.nationality, "nationality"),
        Cell("문서번호 / Document no.", item.document_number, "document_number"),
        Cell("발급일 / Date of issue", item.date_of_issue, "date_of_issue"),
        Cell("만료일 / Date of expiry", item.date_of_expiry, "date_of_expiry"),
    ]
    if authority:
        cells.append(Cell("발급기관 / Authority", item.authority, "authority", wide=True))
    cells.extend(
        Cell(label, value, "fields", wide=len(value) > _WIDE_VALUE) for label, value in item.fields
    )
    return cells


def native_name(item: PrintItem) -> str:
    """Return the name in the native script as it is written.

    Korean names run together with the family name first (김민준); other scripts
    keep a space between family and given names.
    """
    family, given = item.family_name_native, item.given_name_native
    if all(ord(char) in _HANGUL for char in family + given):
        return family + given
    return f"{family} {given}".strip()


def latin_name(item: PrintItem) -> str:
    """Return the Latin name, family name first."""
    return f"{item.family_name_latin} {item.given_name_latin}".strip()


# --------------------------------------------------------------------------- ID-1


def draw_card_front(sheet: Sheet, item: PrintItem, photo: ImageReader | None) -> None:
    """Draw the front of an ID-1 card: header, photo, names and data fields.

    Raises:
        ValidationError: a text or the fields do not fit the card.
    """
    width = ID1_SIZE[0]
    fonts = sheet.fonts
    _header(sheet, item, band=9.5, native=(8.0, 4.6), latin=(5.0, 7.9))
    sheet.photo((3.5, 10.0, 25.0, 32.0), photo, _PHOTO_CAPTION)
    left, right = 31.0, width - 3.0
    column = right - left
    label = TextStyle(fonts.text, 4.0, 3.0, MUTED)
    sheet.text(left, 40.8, _NAME_LABEL, label, max_width=column, field="name")
    name = TextStyle(fonts.bold, 8.0, 5.0)
    sheet.text(left, 37.6, native_name(item), name, max_width=column, field="name_native")
    latin = TextStyle(fonts.text, 6.5, 4.0)
    sheet.text(left, 34.6, latin_name(item), latin, max_width=column, field="name_latin")
    grid = Grid(
        x=left,
        top=33.0,
        width=column,
        bottom=3.0,
        row_height=5.0,
        label=label,
        value=TextStyle(fonts.text, 6.5, 4.0),
    )
    sheet.cells(visual_cells(item, authority=False), grid)


def draw_card_back(sheet: Sheet, item: PrintItem, symbol: QrSymbol) -> None:
    """Draw the back of an ID-1 card: the signed QR code, and the TD1 MRZ below it.

    Raises:
        ValidationError: a text does not fit the card.
    """
    width, height = ID1_SIZE
    fonts = sheet.fonts
    # The QR square ends 1.5 mm above the top of the MRZ's first line.
    side = height - 2.0 - 17.5
    sheet.qr(symbol, 2.0, 17.5, side)
    left = 2.0 + side + 2.0
    column = width - 3.0 - left
    title = TextStyle(fonts.bold, 7.0, 4.5)
    sheet.text(left, height - 6.0, item.title_native, title, max_width=column, field="title_native")
    subtitle = TextStyle(fonts.text, 5.0, 3.5)
    sheet.text(
        left, height - 9.0, item.title_latin, subtitle, max_width=column, field="title_latin"
    )
    label = TextStyle(fonts.text, 4.0, 3.0, MUTED)
    value = TextStyle(fonts.text, 6.5, 4.0)
    grid = Grid(
        x=left,
        top=height - 11.5,
        width=column,
        bottom=22.0,
        row_height=5.0,
        label=label,
        value=value,
        columns=1,
    )
    sheet.cells(
        [
            Cell("문서번호 / Document no.", item.document_number, "document_number"),
            Cell("발급기관 / Authority", item.authority, "authority"),
        ],
        grid,
    )
    sheet.text(left, 19.0, _QR_CAPTION, label, max_width=column, field="caption")
    sheet.mrz(item.mrz)


# --------------------------------------------------------------------------- TD3


def draw_data_page(
    sheet: Sheet, item: PrintItem, photo: ImageReader | None, symbol: QrSymbol
) -> None:
    """Draw a TD3 passport data page: header, photo, data, QR code and MRZ.

    Raises:
        ValidationError: a text or the fields do not fit the page.
    """
    width = TD3_SIZE[0]
    fonts = sheet.fonts
    _header(sheet, item, band=11.0, native=(10.0, 5.2), latin=(6.5, 9.0))
    sheet.photo((5.0, 32.0, 32.0, 42.0), photo, _PHOTO_CAPTION)
    left, right = 41.0, 92.0
    column = right - left
    label = TextStyle(fonts.text, 4.5, 3.0, MUTED)
    sheet.text(left, 72.6, _NAME_LABEL, label, max_width=column, field="name")
    name = TextStyle(fonts.bold, 10.0, 6.0)
    sheet.text(left, 68.6, native_name(item), name, max_width=column, field="name_native")
    latin = TextStyle(fonts.text, 8.0, 5.0)
    sheet.text(left, 64.8, latin_name(item), latin, max_width=column, field="name_latin")
    grid = Grid(
        x=left,
        top=62.8,
        width=column,
        bottom=25.0,
        row_height=6.2,
        label=label,
        value=TextStyle(fonts.text, 7.5, 4.5),
    )
    sheet.cells(visual_cells(item), grid)
    side = 29.5
    qr_left = width - 1.5 - side
    sheet.qr(symbol, qr_left, 74.0 - side, side)
    caption_line = 74.0 - side - 2.5
    sheet.text(
        qr_left + side / 2,
        caption_line,
        _QR_CAPTION,
        label,
        max_width=side,
        field="caption",
        centred=True,
    )
    sheet.mrz(item.mrz)


def _header(
    sheet: Sheet,
    item: PrintItem,
    *,
    band: float,
    native: tuple[float, float],
    latin: tuple[float, float],
) -> None:
    """Draw the title band: the native title, then the Latin one, on the band colour.

    ``native`` and ``latin`` are (font size, distance of the baseline below the
    top edge).
    """
    fonts = sheet.fonts
    sheet.fill(0.0, sheet.height - band, sheet.width, band, _BAND)
    column = sheet.width - 6.0
    native_style = TextStyle(fonts.bold, native[0], native[0] * 0.6, PAPER)
    top = sheet.height
    sheet.text(
        3.0,
        top - native[1],
        item.title_native,
        native_style,
        max_width=column,
        field="title_native",
    )
    latin_style = TextStyle(fonts.text, latin[0], latin[0] * 0.6, PAPER)
    sheet.text(
        3.0, top - latin[1], item.title_latin, latin_style, max_width=column, field="title_latin"
    )
