"""What is printed can be read back by machines: the QR code and the MRZ.

The page is rasterised with pypdfium2, the QR code decoded with zxing-cpp
(:func:`carnet.credentials.qr.read_qr`), and the MRZ taken from the page's text
and parsed with its check digits; finally a credential signed by a real issuer
workspace is printed, scanned from the page and verified offline.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from carnet.adapters.keys.files import FileKeyStore
from carnet.adapters.render import PdfRenderer
from carnet.credentials.bundle import parse_bundle
from carnet.credentials.mrz import parse_mrz
from carnet.credentials.qr import read_qr
from carnet.credentials.verifier import verify
from carnet.domain.printing import Layout
from carnet.services.issuer_workspace import IssuerWorkspace
from tests.integration.render.builders import RenderedPdf, base45_text, mrz_data, print_item

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

CARD = Layout.ID1_CARD
PASSPORT = Layout.PASSPORT_DATA_PAGE
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
# The page of each layout that carries the QR code and the MRZ.
CODE_PAGE = {CARD: 1, PASSPORT: 0}


def _scan(pdf_bytes: bytes, page: int, dpi: int) -> str:
    pdf = RenderedPdf(pdf_bytes)
    try:
        return read_qr(pdf.image(page, dpi=dpi))
    finally:
        pdf.close()


def _mrz_text(pdf_bytes: bytes, page: int, length: int) -> str:
    pdf = RenderedPdf(pdf_bytes)
    try:
        text = pdf.text(page)
    finally:
        pdf.close()
    lines = [line for line in text.splitlines() if re.fullmatch(rf"[A-Z0-9<]{{{length}}}", line)]
    return "\n".join(lines)


@pytest.mark.parametrize("layout", [CARD, PASSPORT])
@pytest.mark.parametrize("length", [300, 360, 420])
def test_the_qr_code_scans_back_to_the_exact_payload(layout: Layout, length: int) -> None:
    payload = base45_text(length, seed=length)
    pdf = PdfRenderer().render([print_item(layout, qr_text=payload)])

    assert _scan(pdf, CODE_PAGE[layout], dpi=300) == payload


@pytest.mark.parametrize("layout", [CARD, PASSPORT])
def test_the_qr_code_still_scans_at_a_coarse_150_dpi(layout: Layout) -> None:
    payload = base45_text(420, seed=7)
    pdf = PdfRenderer().render([print_item(layout, qr_text=payload)])

    assert _scan(pdf, CODE_PAGE[layout], dpi=150) == payload


def test_every_card_of_a_batch_carries_its_own_code() -> None:
    payloads = [base45_text(330, seed=seed) for seed in range(3)]
    pdf = PdfRenderer().render(
        [print_item(CARD, number=f"M0000000{i}", qr_text=p) for i, p in enumerate(payloads)]
    )

    assert [_scan(pdf, 2 * index + 1, dpi=200) for index in range(3)] == payloads


@pytest.mark.parametrize(("layout", "length"), [(CARD, 30), (PASSPORT, 44)])
def test_the_mrz_reads_back_and_passes_its_check_digits(layout: Layout, length: int) -> None:
    pdf = PdfRenderer().render([print_item(layout, number="M98765432")])

    text = _mrz_text(pdf, CODE_PAGE[layout], length)
    assert len(text.splitlines()) == (3 if layout is CARD else 2)
    parsed = parse_mrz(text)
    expected = mrz_data(layout, "M98765432")
    assert parsed.document_number == expected.document_number
    assert parsed.primary_identifier == "KIM"
    assert parsed.secondary_identifier == "MINJUN"
    assert parsed.date_of_birth == expected.date_of_birth
    assert parsed.date_of_expiry == expected.date_of_expiry
    assert parsed.document_code == expected.document_code


def test_a_signed_credential_printed_on_a_card_verifies_from_the_page(tmp_path: Path) -> None:
    keys = FileKeyStore(tmp_path / "keys", secrets.token_hex(16))
    workspace = IssuerWorkspace(tmp_path / "issuer", keys, rng=secrets.SystemRandom())
    workspace.init(now=NOW)
    workspace.add_signer(authority="Civil Registry", document_type="national_id_card", now=NOW)
    workspace.create_status_list()
    identity = {
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
    issued = workspace.issue_test_credential(
        identity, document_type="national_id_card", document_number="M12345678", now=NOW
    )
    bundle = parse_bundle(workspace.export_bundle(now=NOW), workspace.root_certificate(), NOW)
    item = print_item(CARD, authority="Civil Registry", qr_text=issued.qr_text)

    pdf = PdfRenderer().render([item])
    scanned = _scan(pdf, CODE_PAGE[CARD], dpi=300)

    assert scanned == issued.qr_text
    verdict = verify(scanned, bundle, "boarding", NOW + timedelta(hours=1))
    assert verdict.is_valid, verdict.reasons
    assert dict(verdict.disclosed)["document_number"] == "M12345678"
    assert parse_mrz(_mrz_text(pdf, CODE_PAGE[CARD], 30)).document_number == "M12345678"
