"""The PDF a print run produces: pages, sizes, order, fonts, photos and refusals.

Every PDF is opened again with pypdfium2 and checked as a printer would see it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from carnet.adapters.render import PdfRenderer
from carnet.domain.errors import ValidationError
from carnet.domain.printing import Layout
from tests.integration.render.builders import (
    ID1_POINTS,
    TD3_POINTS,
    RenderedPdf,
    mrz_lines,
    photo,
    print_item,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from carnet.domain.printing import PrintItem
    from carnet.services.ports import Renderer

pytestmark = pytest.mark.integration

CARD = Layout.ID1_CARD
PASSPORT = Layout.PASSPORT_DATA_PAGE


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    # Typed as the port: mypy checks that PdfRenderer satisfies it.
    return PdfRenderer()


@pytest.fixture
def opened() -> Iterator[list[RenderedPdf]]:
    documents: list[RenderedPdf] = []
    yield documents
    for document in documents:
        document.close()


def _render(renderer: Renderer, opened: list[RenderedPdf], items: list[PrintItem]) -> RenderedPdf:
    document = RenderedPdf(renderer.render(items))
    opened.append(document)
    return document


def _assert_size(actual: tuple[float, float], expected: tuple[float, float]) -> None:
    # PDFium reports the MediaBox as 32-bit floats; 0.01 pt is 0.0035 mm.
    assert actual == pytest.approx(expected, abs=0.01)


def test_a_card_is_two_id1_pages(renderer: Renderer, opened: list[RenderedPdf]) -> None:
    pdf = _render(renderer, opened, [print_item(CARD)])

    assert pdf.data.startswith(b"%PDF-")
    assert len(pdf) == 2
    _assert_size(pdf.size(0), ID1_POINTS)
    _assert_size(pdf.size(1), ID1_POINTS)
    assert "주민등록증" in pdf.text(0)
    assert "IDKORM12345678" in pdf.text(1)


def test_a_data_page_is_one_td3_page(renderer: Renderer, opened: list[RenderedPdf]) -> None:
    pdf = _render(renderer, opened, [print_item(PASSPORT)])

    assert len(pdf) == 1
    _assert_size(pdf.size(0), TD3_POINTS)
    assert pdf.size(0)[0] == pytest.approx(354.331, abs=0.01)


def test_a_batch_of_n_cards_is_2n_pages_in_order(
    renderer: Renderer, opened: list[RenderedPdf]
) -> None:
    numbers = [f"M{index:08d}" for index in range(1, 7)]
    pdf = _render(renderer, opened, [print_item(CARD, number=n) for n in numbers])

    assert len(pdf) == 2 * len(numbers)
    for index, number in enumerate(numbers):
        front, back = pdf.text(2 * index), pdf.text(2 * index + 1)
        assert number in front
        assert "성명 / Name" in front
        assert f"IDKOR{number}" in back
        assert "<<" not in front


def test_a_mixed_batch_keeps_the_order_and_each_page_size(
    renderer: Renderer, opened: list[RenderedPdf]
) -> None:
    items = [
        print_item(CARD, number="C00000001"),
        print_item(PASSPORT, number="P00000002"),
        print_item(CARD, number="C00000003"),
    ]
    pdf = _render(renderer, opened, items)

    expected = [ID1_POINTS, ID1_POINTS, TD3_POINTS, ID1_POINTS, ID1_POINTS]
    assert len(pdf) == len(expected)
    for index, size in enumerate(expected):
        _assert_size(pdf.size(index), size)
    assert "여권" in pdf.text(2)
    assert "P00000002" in pdf.text(2)
    assert "C00000001" in pdf.text(1)
    assert "C00000003" in pdf.text(4)


def test_an_empty_print_run_is_refused(renderer: Renderer) -> None:
    with pytest.raises(ValidationError) as caught:
        renderer.render([])

    assert caught.value.field == "items"


@pytest.mark.parametrize("layout", [CARD, PASSPORT])
def test_every_font_is_embedded(
    renderer: Renderer, opened: list[RenderedPdf], layout: Layout
) -> None:
    pdf = _render(renderer, opened, [print_item(layout, photo=photo())])

    runs = [run for index in range(len(pdf)) for run in pdf.text_runs(index)]
    assert runs
    assert all(embedded for _, _, embedded in runs), runs
    assert {font for _, font, _ in runs} == {"NanumSquareB", "NanumSquareR", "OCRB-Regular"}
    # Embedded TrueType programs, and none of the standard 14 fonts.
    assert pdf.data.count(b"/FontFile2") == 3
    assert b"/Helvetica" not in pdf.data


@pytest.mark.parametrize("layout", [CARD, PASSPORT])
def test_the_mrz_is_set_in_ocr_b_and_nothing_else_is(
    renderer: Renderer, opened: list[RenderedPdf], layout: Layout
) -> None:
    pdf = _render(renderer, opened, [print_item(layout)])

    runs = [run for index in range(len(pdf)) for run in pdf.text_runs(index)]
    in_ocr_b = [text for text, font, _ in runs if font == "OCRB-Regular"]
    assert tuple(in_ocr_b) == mrz_lines(layout)


@pytest.mark.parametrize("layout", [CARD, PASSPORT])
def test_hangul_names_and_titles_are_drawn_as_text(
    renderer: Renderer, opened: list[RenderedPdf], layout: Layout
) -> None:
    item = print_item(layout, family_name_native="박", given_name_native="서연")
    pdf = _render(renderer, opened, [item])

    front = pdf.text(0)
    assert "박서연" in front
    assert "KIM MINJUN" in front
    assert item.title_native in front
    assert "구역 / Zone" in front
    assert "ZONE-A" in front


def test_a_given_photo_is_embedded_once_and_printed(
    renderer: Renderer, opened: list[RenderedPdf]
) -> None:
    red = photo(color=(220, 20, 20))
    pdf = _render(renderer, opened, [print_item(CARD, photo=red), print_item(CARD, photo=red)])

    assert pdf.count_images(0) == 1
    assert pdf.count_images(1) == 0
    assert "사진 / Photo" not in pdf.text(0)
    # The JPEG goes in unchanged and, drawn twice, is stored once.
    assert pdf.data.count(b"/DCTDecode") == 1
    # The centre of the photo area (3.5 + 12.5 mm across, 10 + 16 mm up) is red.
    red_pixel = _pixel_at(pdf, 0, 16.0, 26.0)
    assert red_pixel[0] > 180
    assert red_pixel[1] < 80


def test_without_a_photo_the_area_is_an_empty_labelled_frame(
    renderer: Renderer, opened: list[RenderedPdf]
) -> None:
    pdf = _render(renderer, opened, [print_item(CARD)])

    assert pdf.count_images(0) == 0
    assert "사진 / Photo" in pdf.text(0)
    assert _pixel_at(pdf, 0, 10.0, 20.0) == (255, 255, 255)


def test_a_png_photo_is_accepted(renderer: Renderer, opened: list[RenderedPdf]) -> None:
    pdf = _render(renderer, opened, [print_item(PASSPORT, photo=photo("PNG", (20, 20, 200)))])

    assert pdf.count_images(0) == 1
    # Centre of the TD3 photo area: 5 + 16 mm across, 32 + 21 mm up.
    blue_pixel = _pixel_at(pdf, 0, 21.0, 53.0)
    assert blue_pixel[2] > 180
    assert blue_pixel[0] < 80


@pytest.mark.parametrize(
    "data",
    [b"not an image at all", b"\xff\xd8\xff\xe0" + b"\x00" * 64, photo()[:200]],
    ids=["not-an-image", "broken-jpeg", "truncated-jpeg"],
)
def test_an_unreadable_photo_is_refused(renderer: Renderer, data: bytes) -> None:
    with pytest.raises(ValidationError) as caught:
        renderer.render([print_item(CARD, photo=data)])

    assert caught.value.field == "photo"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("given_name_latin", "MINJUN \U0001f642"),
        ("family_name_native", "क"),
        ("authority", "Office\x07"),
    ],
)
def test_text_no_embedded_font_can_draw_is_refused(
    renderer: Renderer, field: str, value: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        renderer.render([print_item(CARD, **{field: value})])

    assert caught.value.field == field
    assert value not in str(caught.value)
    assert value not in repr(caught.value)


def test_an_extra_field_no_font_can_draw_is_refused(renderer: Renderer) -> None:
    with pytest.raises(ValidationError) as caught:
        renderer.render([print_item(CARD, fields=(("Zone", "\U0001f642"),))])

    assert caught.value.field == "fields"


@pytest.mark.parametrize(
    ("layout", "mrz"),
    [
        (CARD, mrz_lines(PASSPORT)),
        (PASSPORT, mrz_lines(CARD)),
        (CARD, (*mrz_lines(CARD)[:2], "kim<<minjun" + "<" * 19)),
        (PASSPORT, (mrz_lines(PASSPORT)[0],)),
    ],
    ids=["td3-on-a-card", "td1-on-a-passport", "lowercase", "one-line"],
)
def test_an_mrz_that_does_not_fit_the_layout_is_refused(
    renderer: Renderer, layout: Layout, mrz: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as caught:
        renderer.render([print_item(layout, mrz=mrz)])

    assert caught.value.field == "mrz"


@pytest.mark.parametrize(
    "qr_text", ["", "lowercase is not base45", "A" * 5000], ids=["empty", "lowercase", "too-long"]
)
def test_a_qr_payload_that_cannot_be_encoded_is_refused(renderer: Renderer, qr_text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        renderer.render([print_item(CARD, qr_text=qr_text)])

    assert caught.value.field == "qr_text"


def test_the_error_names_the_position_of_the_bad_item(renderer: Renderer) -> None:
    items = [print_item(CARD), print_item(CARD, photo=b"junk"), print_item(PASSPORT)]

    with pytest.raises(ValidationError, match=r"^print item 1: ") as caught:
        renderer.render(items)

    assert caught.value.field == "photo"


def test_more_fields_than_the_card_holds_are_refused(renderer: Renderer) -> None:
    fields = tuple((f"항목 {n} / Item {n}", f"VALUE-{n}") for n in range(12))

    with pytest.raises(ValidationError, match="do not fit") as caught:
        renderer.render([print_item(CARD, fields=fields)])

    assert caught.value.field == "fields"


def test_a_passport_prints_its_extra_fields(renderer: Renderer, opened: list[RenderedPdf]) -> None:
    fields = tuple((f"항목 {n} / Item {n}", f"VALUE-{n}") for n in range(4))
    pdf = _render(renderer, opened, [print_item(PASSPORT, fields=fields)])

    text = pdf.text(0)
    assert all(f"VALUE-{n}" in text for n in range(4))


def test_a_long_value_shrinks_to_fit_and_an_absurd_one_is_refused(
    renderer: Renderer, opened: list[RenderedPdf]
) -> None:
    long_authority = "Civil Registry Office of the Northern Mountain Province, Station 12"
    pdf = _render(renderer, opened, [print_item(CARD, authority=long_authority)])
    assert long_authority in pdf.text(1)  # a card names its authority on the back

    with pytest.raises(ValidationError) as caught:
        renderer.render([print_item(CARD, authority="X" * 400)])
    assert caught.value.field == "authority"
    assert "XXXX" not in str(caught.value)


def test_the_same_items_give_the_same_bytes(renderer: Renderer) -> None:
    items = [print_item(CARD, photo=photo()), print_item(PASSPORT)]

    assert renderer.render(items) == renderer.render(items)


def test_uncompressed_output_is_the_same_document(opened: list[RenderedPdf]) -> None:
    item = print_item(CARD)
    compressed = _render(PdfRenderer(), opened, [item])
    plain = _render(PdfRenderer(compress=False), opened, [item])

    assert len(plain.data) > len(compressed.data)
    assert plain.text(0) == compressed.text(0)
    assert plain.text(1) == compressed.text(1)
    assert repr(PdfRenderer(compress=False)) == "PdfRenderer(compress=False)"


def _pixel_at(pdf: RenderedPdf, index: int, x_mm: float, y_mm: float) -> tuple[int, int, int]:
    """The colour at (x, y) mm from the lower-left corner of a page rendered at 300 dpi."""
    image = pdf.image(index, dpi=300).convert("RGB")
    scale = 300 / 25.4
    pixel = image.getpixel((round(x_mm * scale), image.height - round(y_mm * scale)))
    assert isinstance(pixel, tuple)
    red, green, blue = pixel[:3]
    return int(red), int(green), int(blue)
