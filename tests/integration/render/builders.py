"""Builders for print items and helpers that read a rendered PDF back.

Identities are synthetic (KIM MINJUN, 김민준). A PDF is read back the way a
checkpoint or a proof-reader would: rasterised with pypdfium2 (PDFium, the
engine of Chromium) and its text extracted from the page.
"""

from __future__ import annotations

import ctypes
import dataclasses
import io
import random
from datetime import date
from typing import TYPE_CHECKING

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from carnet.credentials.mrz import MrzData, MrzDate, Sex, build_td1, build_td3
from carnet.domain.printing import Layout, PrintItem

if TYPE_CHECKING:
    from collections.abc import Iterator

BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
POINTS_PER_MM = 72 / 25.4
ID1_POINTS = (85.60 * POINTS_PER_MM, 53.98 * POINTS_PER_MM)
TD3_POINTS = (125.0 * POINTS_PER_MM, 88.0 * POINTS_PER_MM)


def base45_text(length: int, seed: int = 0) -> str:
    """A QR payload of exactly ``length`` base45 characters."""
    rng = random.Random(seed)
    return "".join(rng.choice(BASE45_ALPHABET) for _ in range(length))


def mrz_data(layout: Layout, number: str = "M12345678") -> MrzData:
    """The MRZ elements of the synthetic holder, as a TD1 card or a TD3 passport."""
    return MrzData(
        document_code="ID" if layout is Layout.ID1_CARD else "PP",
        issuing_state="KOR",
        document_number=number,
        primary_identifier="KIM",
        secondary_identifier="MINJUN",
        nationality="KOR",
        date_of_birth=MrzDate.from_date(date(1984, 1, 15)),
        sex=Sex.MALE,
        date_of_expiry=MrzDate.from_date(date(2036, 1, 14)),
    )


def mrz_lines(layout: Layout, number: str = "M12345678") -> tuple[str, ...]:
    """Real MRZ lines of the synthetic holder, with correct check digits."""
    data = mrz_data(layout, number)
    return build_td1(data) if layout is Layout.ID1_CARD else build_td3(data)


def print_item(
    layout: Layout = Layout.ID1_CARD, *, number: str = "M12345678", **changes: object
) -> PrintItem:
    """A complete print item for the synthetic holder; ``changes`` override fields."""
    card = layout is Layout.ID1_CARD
    item = PrintItem(
        layout=layout,
        document_number=number,
        title_native="주민등록증" if card else "여권",
        title_latin="National identity card" if card else "Passport",
        authority="Civil Registry Office",
        family_name_native="김",
        given_name_native="민준",
        family_name_latin="KIM",
        given_name_latin="MINJUN",
        date_of_birth="1984-01-15",
        sex="M",
        nationality="KOR",
        date_of_issue="2026-01-15",
        date_of_expiry="2036-01-14",
        mrz=mrz_lines(layout, number),
        qr_text=base45_text(350),
        fields=(("구역 / Zone", "ZONE-A"),),
    )
    return dataclasses.replace(item, **changes)  # type: ignore[arg-type]


def photo(kind: str = "JPEG", color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A 35 x 45 mm passport-style photo at 300 dpi in one solid colour."""
    buffer = io.BytesIO()
    Image.new("RGB", (413, 531), color).save(buffer, format=kind)
    return buffer.getvalue()


class RenderedPdf:
    """A rendered PDF opened with pypdfium2: page sizes, text, fonts and pixels."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._document = pdfium.PdfDocument(data)

    def close(self) -> None:
        self._document.close()

    def __len__(self) -> int:
        return len(self._document)

    def size(self, index: int) -> tuple[float, float]:
        width, height = self._document[index].get_size()
        return float(width), float(height)

    def text(self, index: int) -> str:
        page = self._document[index]
        text: str = page.get_textpage().get_text_range()
        return text

    def image(self, index: int, dpi: int = 300) -> Image.Image:
        bitmap = self._document[index].render(scale=dpi / 72)
        image: Image.Image = bitmap.to_pil()
        return image

    def count_images(self, index: int) -> int:
        page = self._document[index]
        return sum(1 for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))

    def text_runs(self, index: int) -> Iterator[tuple[str, str, bool]]:
        """Each text object of a page as (its text, its font's base name, embedded)."""
        page = self._document[index]
        textpage = page.get_textpage()
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
            font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
            yield (
                _text_of(obj.raw, textpage.raw),
                _font_name(font),
                bool(pdfium_c.FPDFFont_GetIsEmbedded(font)),
            )


def _font_name(font: object) -> str:
    size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
    buffer = ctypes.create_string_buffer(size)
    pdfium_c.FPDFFont_GetBaseFontName(font, buffer, size)
    return buffer.value.decode("utf-8")


def _text_of(obj: object, textpage: object) -> str:
    size = pdfium_c.FPDFTextObj_GetText(obj, textpage, None, 0)
    buffer = ctypes.create_string_buffer(size)
    pointer = ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort))
    pdfium_c.FPDFTextObj_GetText(obj, textpage, pointer, size)
    return buffer.raw.decode("utf-16-le").rstrip("\x00")
