"""QR symbols: segno rendering, zxing-cpp reading, and the size of a national ID QR."""

from __future__ import annotations

import contextlib
import io
import struct
import zlib
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from carnet.credentials.codec import decode_qr_text, encode_qr_text
from carnet.credentials.cose import parse_sign1, sign1, verify_sign1
from carnet.credentials.cwt import CwtClaims
from carnet.credentials.qr import qr_png, read_qr, render_qr
from carnet.credentials.statuslist import StatusReference
from carnet.domain.errors import DecodeError, InfrastructureError, ValidationError
from tests.unit.credentials.conftest import korean_identity, national_id_claims

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric import ec

    from carnet.credentials.claim169 import Identity169
    from carnet.credentials.signing import Signer

pytestmark = pytest.mark.unit

_TEXT = "6BFOXN*TS0BI$ZD.P9UOL97O4-2HH77HRM3DSPTLRR+%3"


def _png(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (PNG spec §11.2.2), with no pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


# --------------------------------------------------------------- rendering


def test_renders_alphanumeric_at_level_m() -> None:
    qr = render_qr(_TEXT)
    assert qr.mode == "alphanumeric"
    assert qr.error == "M"
    assert not qr.is_micro


@pytest.mark.parametrize(
    ("length", "version"),
    # ISO/IEC 18004 Table 7, alphanumeric capacity at level M.
    [(1, 1), (20, 1), (21, 2), (311, 10), (312, 11)],
)
def test_picks_the_smallest_version(length: int, version: int) -> None:
    assert render_qr("A" * length).version == version


@pytest.mark.parametrize("text", ["lower case", "KIM;", "ÄBC", "A" * 3392])
def test_refuses_text_an_alphanumeric_qr_cannot_hold(text: str) -> None:
    with pytest.raises(ValidationError):
        render_qr(text)


def test_png_has_the_requested_geometry() -> None:
    png = qr_png("A" * 311, scale=3, border=4)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == ((57 + 2 * 4) * 3,) * 2  # version 10 has 57 modules a side


# ----------------------------------------------------------------- reading


def test_reads_back_png_bytes_images_and_paths(tmp_path: Path) -> None:
    png = qr_png(_TEXT)
    assert read_qr(png) == _TEXT
    with Image.open(io.BytesIO(png)) as image:
        assert read_qr(image) == _TEXT
        assert read_qr(image.convert("RGB").rotate(90, expand=True)) == _TEXT
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    assert read_qr(path) == _TEXT
    assert read_qr(str(path)) == _TEXT


def test_no_qr_code_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="no QR"):
        read_qr(Image.new("L", (200, 200), 255))


def test_two_qr_codes_are_a_decode_error() -> None:
    with (
        Image.open(io.BytesIO(qr_png("FIRST"))) as first,
        Image.open(io.BytesIO(qr_png("SECOND"))) as second,
    ):
        both = Image.new("L", (first.width + second.width, max(first.height, second.height)), 255)
        both.paste(first, (0, 0))
        both.paste(second, (first.width, 0))
    with pytest.raises(DecodeError, match="more than one"):
        read_qr(both)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image",
        qr_png(_TEXT)[:100],  # truncated PNG
        qr_png(_TEXT)[:-20] + b"\x00" * 20,  # corrupt tail
        _png(10_000, 10_000),  # over Pillow's bomb threshold: its warning becomes our error
        _png(20_000, 20_000),  # over twice the threshold: Pillow refuses outright
    ],
)
def test_unreadable_images_are_decode_errors(data: bytes) -> None:
    with pytest.raises(DecodeError):
        read_qr(data)


def test_images_above_the_pixel_limit_are_refused_before_decoding() -> None:
    png = qr_png(_TEXT)
    with Image.open(io.BytesIO(png)) as image:
        pixels = image.width * image.height
    assert read_qr(png, max_pixels=pixels) == _TEXT
    with pytest.raises(DecodeError, match="pixels"):
        read_qr(png, max_pixels=pixels - 1)
    with pytest.raises(DecodeError, match="pixels"):
        read_qr(_png(7000, 7000))  # 49 megapixels: below Pillow's threshold, above ours


def test_an_unreadable_path_is_an_infrastructure_error(tmp_path: Path) -> None:
    with pytest.raises(InfrastructureError):
        read_qr(tmp_path / "missing.png")


@settings(max_examples=50, deadline=None)  # image decoding; no timing under CI load
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_decode_errors(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        read_qr(b"\x89PNG\r\n\x1a\n" + data)
    with contextlib.suppress(DecodeError):
        read_qr(data)


# ------------------------------------------------------- national ID card size


def _national_id_qr(
    signer: Signer,
    make_identity: Callable[..., Identity169],
    make_claims: Callable[..., CwtClaims],
    **identity: object,
) -> tuple[CwtClaims, bytes, str]:
    """The national ID profile of the brief: Hangul and Latin full names, 12-digit UIN,
    date of birth, sex, a 39-character address, document number, validity, status
    index 131071 of a 131072-entry list, ES256 with an 8-byte kid, no photo."""
    person = make_identity(given_name=None, family_name=None, nationality=None, **identity)
    claims = make_claims(identity=person)
    cose = sign1(claims.to_cbor(), signer)
    return claims, cose, encode_qr_text(cose)


def test_national_id_qr_scans_and_verifies(
    es256_signer: Signer,
    es256_public_key: ec.EllipticCurvePublicKey,
    make_identity: Callable[..., Identity169],
    make_claims: Callable[..., CwtClaims],
) -> None:
    claims, _cose, text = _national_id_qr(es256_signer, make_identity, make_claims)
    assert len(es256_signer.kid) == 8
    assert claims.status is not None
    assert claims.status.idx == 131_071
    assert claims.identity is not None
    assert claims.identity.address is not None
    assert len(claims.identity.address) == 39
    scanned = read_qr(qr_png(text, scale=2))
    assert scanned == text
    payload = verify_sign1(parse_sign1(decode_qr_text(scanned)), es256_public_key)
    assert CwtClaims.from_cbor(payload) == claims


def test_national_id_qr_size(
    es256_signer: Signer,
    make_identity: Callable[..., Identity169],
    make_claims: Callable[..., CwtClaims],
) -> None:
    # Measured: 190-byte claims, 275-byte COSE_Sign1, 277 bytes of zlib, 416
    # Base45 characters: version 12 at level M. Pinned here so growth is noticed.
    claims, cose, text = _national_id_qr(es256_signer, make_identity, make_claims)
    assert len(claims.to_cbor()) <= 190
    assert len(cose) <= 275
    assert len(text) <= 419  # the capacity of version 12-M
    assert render_qr(text).version == 12


def _card_profile_qr(signer: Signer, name: str, status_uri: str) -> str:
    """The national ID card's QR profile (docs/adr/0008): minimum disclosure.

    Native-script full name, date of birth, sex, document type and number, expiry
    and the status reference (a short list URI). No UIN (a lifelong identifier in
    a QR read at every checkpoint would let checkpoints link sightings), no address
    (no purpose reveals it; it is printed on the card), no ``nbf`` (a card is valid
    from issuance), no photo.
    """
    person = korean_identity(
        uin=None,
        full_name=name,
        given_name=None,
        family_name=None,
        secondary_full_name=None,
        secondary_language=None,
        address=None,
        nationality=None,
    )
    claims = national_id_claims(
        identity=person,
        not_before=None,
        status=StatusReference(uri=status_uri, idx=131_071),
    )
    return encode_qr_text(sign1(claims.to_cbor(), signer))


@pytest.mark.parametrize("name", ["김민준", "남궁민준"])
@pytest.mark.parametrize("status_uri", ["https://s.id.kr/7", "https://s.id.kr/12345"])
def test_national_id_card_profile_fits_version_10_at_level_m(
    es256_signer: Signer, name: str, status_uri: str
) -> None:
    # The signature's bytes change zlib's output length a little: try many signatures.
    for _ in range(20):
        text = _card_profile_qr(es256_signer, name, status_uri)
        assert len(text) <= 311  # the alphanumeric capacity of version 10-M
        qr = render_qr(text)
        assert isinstance(qr.version, int)
        assert qr.version <= 10
        assert qr.error == "M"
