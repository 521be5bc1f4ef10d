"""Benchmark: a print run of ID-1 cards rendered to one PDF, against raw reportlab.

Measures, in one process pinned to one core, in alternating rounds so that every
workload sees the same machine load (the best round counts):

* :class:`carnet.adapters.render.PdfRenderer` over one batch of ``CARDS`` ID-1
  cards (front and back), each with its own credential signed by a real issuer
  workspace (ES256, ~350 base45 characters in the QR code), its own TD1 MRZ and
  its own JPEG photo (35 x 45 mm at 300 dpi);
* the same batch without photos;
* the raw baseline: a bare reportlab canvas drawing as many ID-1 pages (two per
  card) with one string each, saved to bytes;
* where a card's time goes: encoding its QR code (segno encodes once with a
  fixed mask, :mod:`carnet.adapters.render.masking` picks the best mask), next
  to segno choosing the mask itself, which gives the same symbol.

``ratio_vs_raw_reportlab`` is the raw baseline's time divided by ours for the
same number of pages (1.0 would mean a card costs no more than two empty pages).
The output is checked: page count, and the last card's QR code scanned back
from the rasterised page. The target is ``cards_per_s_per_core`` >= 50.

Usage: ``python -m bench.render``. The last line printed is one JSON object.
"""

from __future__ import annotations

import io
import os
import random  # noqa: TID251 - reproducible synthetic photos for the benchmark
import secrets
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pypdfium2 as pdfium
import segno
from PIL import Image, ImageDraw
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from bench._common import emit
from carnet.adapters.keys.files import FileKeyStore
from carnet.adapters.render import PdfRenderer
from carnet.adapters.render.qr import make_symbol
from carnet.credentials.mrz import MrzData, MrzDate, Sex, build_td1
from carnet.credentials.qr import read_qr
from carnet.domain.printing import Layout, PrintItem
from carnet.services.issuer_workspace import IssuerWorkspace

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

CARDS = 500
ROUNDS = 3
TARGET_CARDS_PER_S = 50
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
IDENTITY = {
    "uin": "840115203917",
    "full_name": "KIM MINJUN",
    "given_name": "MINJUN",
    "family_name": "KIM",
    "secondary_full_name": "김민준",
    "secondary_language": "kor",
    "date_of_birth": "1984-01-15",
    "gender": "male",
    "nationality": "KOR",
}
GIVEN_NAMES = ("민준", "서연", "도윤", "하은", "시우", "지유", "예준", "수아")
FAMILY_NAMES = (("김", "KIM"), ("이", "LEE"), ("박", "PARK"), ("최", "CHOI"), ("정", "JUNG"))
LATIN_GIVEN = ("MINJUN", "SEOYEON", "DOYUN", "HAEUN", "SIWOO", "JIYU", "YEJUN", "SUA")


def signed_payloads(directory: Path, count: int) -> list[str]:
    """``count`` credentials signed by a fresh issuer workspace with keys in files."""
    keys = FileKeyStore(directory / "keys", secrets.token_hex(16))
    workspace = IssuerWorkspace(directory / "issuer", keys, rng=secrets.SystemRandom())
    workspace.init(now=NOW)
    workspace.add_signer(authority="Civil Registry", document_type="national_id_card", now=NOW)
    workspace.create_status_list()
    return [
        workspace.issue_test_credential(
            IDENTITY, document_type="national_id_card", document_number=f"M{i:08d}", now=NOW
        ).qr_text
        for i in range(count)
    ]


def photos(count: int, rng: random.Random) -> list[bytes]:
    """``count`` distinct JPEG photos of 413 x 531 px (35 x 45 mm at 300 dpi)."""
    base = Image.new("RGB", (413, 531), (205, 190, 170))
    draw = ImageDraw.Draw(base)
    for _ in range(150):
        x, y = rng.randrange(413), rng.randrange(531)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x, y, x + rng.randrange(8, 80), y + rng.randrange(8, 80)), fill=colour)
    result = []
    for index in range(count):
        image = base.copy()
        ImageDraw.Draw(image).rectangle(
            (index % 380, index // 380 * 20, index % 380 + 30, index // 380 * 20 + 30),
            fill=(index % 256, 255 - index % 256, 128),
        )
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=85)
        result.append(buffer.getvalue())
    return result


def cards(payloads: Sequence[str], pictures: Sequence[bytes | None]) -> list[PrintItem]:
    """One print item per payload: synthetic holders, real MRZ, the given photos."""
    items = []
    for index, (payload, picture) in enumerate(zip(payloads, pictures, strict=True)):
        family_native, family_latin = FAMILY_NAMES[index % len(FAMILY_NAMES)]
        given = index % len(GIVEN_NAMES)
        number = f"M{index:08d}"
        mrz = build_td1(
            MrzData(
                document_code="ID",
                issuing_state="KOR",
                document_number=number,
                primary_identifier=family_latin,
                secondary_identifier=LATIN_GIVEN[given],
                nationality="KOR",
                date_of_birth=MrzDate.from_date(date(1960 + index % 45, 1 + index % 12, 15)),
                sex=Sex.MALE if index % 2 else Sex.FEMALE,
                date_of_expiry=MrzDate.from_date(date(2036, 5, 31)),
            )
        )
        items.append(
            PrintItem(
                layout=Layout.ID1_CARD,
                document_number=number,
                title_native="주민등록증",
                title_latin="National identity card",
                authority="Civil Registry Office",
                family_name_native=family_native,
                given_name_native=GIVEN_NAMES[given],
                family_name_latin=family_latin,
                given_name_latin=LATIN_GIVEN[given],
                date_of_birth=f"{1960 + index % 45}-{1 + index % 12:02d}-15",
                sex="M" if index % 2 else "F",
                nationality="KOR",
                date_of_issue="2026-06-01",
                date_of_expiry="2036-05-31",
                mrz=mrz,
                qr_text=payload,
                fields=(("구역 / Zone", f"ZONE-{index % 7}"),),
                photo=picture,
            )
        )
    return items


def raw_reportlab(pages: int) -> bytes:
    """The baseline: ``pages`` ID-1 pages with one string each, on a bare canvas."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(85.60 * mm, 53.98 * mm), invariant=1)
    for page in range(pages):
        canvas.drawString(10, 10, f"page {page}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def timed(work: Callable[[], bytes]) -> tuple[float, bytes]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def per_call_ms(work: Callable[[str], object], payloads: Sequence[str]) -> float:
    """Mean milliseconds of ``work`` over ``payloads``."""
    start = time.perf_counter()
    for payload in payloads:
        work(payload)
    return (time.perf_counter() - start) / len(payloads) * 1e3


def checked(pdf: bytes, items: Sequence[PrintItem]) -> None:
    """Refuse a benchmark whose output is not the cards it claims to be."""
    document = pdfium.PdfDocument(pdf)
    try:
        if len(document) != 2 * len(items):
            msg = f"expected {2 * len(items)} pages, got {len(document)}"
            raise RuntimeError(msg)
        image = document[len(document) - 1].render(scale=300 / 72).to_pil()
        if read_qr(image) != items[-1].qr_text:
            msg = "the last card's QR code does not scan back to its payload"
            raise RuntimeError(msg)
    finally:
        document.close()


def main() -> None:
    started = time.perf_counter()
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    rng = random.Random(20260601)
    with tempfile.TemporaryDirectory(prefix="carnet-bench-render-") as temp:
        payloads = signed_payloads(Path(temp), CARDS)
    with_photos = cards(payloads, photos(CARDS, rng))
    without_photos = cards(payloads, [None] * CARDS)
    renderer = PdfRenderer()
    renderer.render(with_photos[:1])  # fonts are parsed once per process, not per run
    samples: dict[str, list[float]] = {"cards": [], "cards_no_photo": [], "raw": []}
    outputs: dict[str, bytes] = {}
    for _ in range(ROUNDS):
        for name, work in (
            ("cards", lambda: renderer.render(with_photos)),
            ("cards_no_photo", lambda: renderer.render(without_photos)),
            ("raw", lambda: raw_reportlab(2 * CARDS)),
        ):
            seconds, outputs[name] = timed(work)
            samples[name].append(seconds)
    checked(outputs["cards"], with_photos)
    best = {name: min(values) for name, values in samples.items()}
    qr_ms = per_call_ms(make_symbol, payloads[:100])
    segno_ms = per_call_ms(
        lambda text: segno.make_qr(text, error="m", mode="alphanumeric", boost_error=False),
        payloads[:100],
    )
    cards_per_s = CARDS / best["cards"]
    emit(
        {
            "bench": "render",
            "cards": CARDS,
            "pages": 2 * CARDS,
            "rounds": ROUNDS,
            "core": core,
            "qr_text_chars_median": statistics.median(len(p) for p in payloads),
            "seconds": round(best["cards"], 3),
            "cards_per_s_per_core": round(cards_per_s, 1),
            "cards_per_s_per_core_median_round": round(
                CARDS / statistics.median(samples["cards"]), 1
            ),
            "cards_no_photo_per_s_per_core": round(CARDS / best["cards_no_photo"], 1),
            "target_cards_per_s_per_core": TARGET_CARDS_PER_S,
            "meets_target": cards_per_s >= TARGET_CARDS_PER_S,
            "pdf_bytes_per_card": len(outputs["cards"]) // CARDS,
            "pdf_bytes_per_card_no_photo": len(outputs["cards_no_photo"]) // CARDS,
            "ms_per_card": round(best["cards"] / CARDS * 1e3, 2),
            "qr_encode_ms_per_card": round(qr_ms, 2),
            "segno_own_mask_search_ms_per_card": round(segno_ms, 2),
            "raw_reportlab_pages_per_s": round(2 * CARDS / best["raw"], 1),
            "ratio_vs_raw_reportlab": round(best["raw"] / best["cards"], 4),
            "bench_seconds": round(time.perf_counter() - started, 1),
        }
    )


if __name__ == "__main__":
    main()
