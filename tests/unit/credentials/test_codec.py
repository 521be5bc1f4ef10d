"""Base45 (RFC 9285) and bounded zlib (RFC 1950): the QR text layer."""

from __future__ import annotations

import contextlib
import gzip
import tracemalloc
import zlib

import base45
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carnet.credentials.codec import (
    DEFAULT_MAX_TEXT_LENGTH,
    b45decode,
    b45encode,
    compress,
    decode_qr_text,
    decompress,
    encode_qr_text,
)
from carnet.domain.errors import DecodeError

pytestmark = pytest.mark.unit

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

# ------------------------------------------------------------------ base45


@pytest.mark.parametrize(
    ("data", "text"),
    [
        # RFC 9285 §4.3 examples.
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        # Edges: empty, one byte, the largest pair and byte.
        (b"", ""),
        (b"\x00", "00"),
        (b"\xff", "U5"),
        (b"\xff\xff", "FGW"),
        (b"\x00\x00", "000"),
    ],
)
def test_base45_matches_rfc_9285_examples(data: bytes, text: str) -> None:
    assert b45encode(data) == text
    assert b45decode(text) == data


@pytest.mark.parametrize(
    "text",
    [
        "GGW",  # 16 + 16·45 + 32·45² = 65536 does not fit two bytes (RFC 9285 §6)
        "::",  # 44 + 44·45 = 2024 does not fit one byte
        "A",  # a single dangling character
        "BB8A",  # a dangling character after a full group
        "bb8",  # lower case is outside the alphabet
        "BB=",
        "BBé",  # non-ASCII
        "BB\x00",
    ],
)
def test_base45_rejects_invalid_text(text: str) -> None:
    with pytest.raises(DecodeError):
        b45decode(text)


@given(st.binary(max_size=600))
def test_base45_agrees_with_the_base45_package(data: bytes) -> None:
    text = b45encode(data)
    assert text == base45.b45encode(data).decode("ascii")
    assert b45decode(text) == data


def test_base45_encodes_every_two_byte_chunk_as_rfc_9285_says() -> None:
    # All 65,536 chunks in one call: the encoder splits them with fixed-point
    # reciprocals, which must be exact for every value a chunk can take.
    chunks = b"".join(n.to_bytes(2, "big") for n in range(1 << 16))
    text = b45encode(chunks)
    assert text == base45.b45encode(chunks).decode("ascii")
    assert b45decode(text) == chunks


@pytest.mark.parametrize("size", [0, 1, 2, 3, 63, 64, 65, 127, 128, 129, 2953])
def test_base45_encoding_of_every_size_matches_the_base45_package(size: int) -> None:
    data = bytes((7 * i + 255) % 256 for i in range(size))
    assert b45encode(data) == base45.b45encode(data).decode("ascii")


@given(st.text(alphabet=_ALPHABET + "abc=é\x00", max_size=60))
def test_base45_decoding_agrees_with_the_base45_package(text: str) -> None:
    try:
        expected = base45.b45decode(text)
    except ValueError:
        with pytest.raises(DecodeError):
            b45decode(text)
    else:
        assert b45decode(text) == expected
        assert b45encode(expected) == text  # Base45 is canonical


@given(st.text(max_size=200))
def test_base45_decoding_any_text_raises_only_decode_error(text: str) -> None:
    try:
        data = b45decode(text)
    except DecodeError:
        return
    assert b45encode(data) == text


# -------------------------------------------------------------------- zlib


def test_zlib_round_trip() -> None:
    data = b"claims " * 40
    packed = compress(data)
    assert packed[0] == 0x78  # RFC 1950: CM 8, 32 KiB window
    assert len(packed) < len(data)
    assert decompress(packed) == data


def test_zlib_size_limit_is_inclusive() -> None:
    packed = compress(b"x" * 1000)
    assert decompress(packed, max_size=1000) == b"x" * 1000
    with pytest.raises(DecodeError, match="limit"):
        decompress(packed, max_size=999)


def test_zlib_bomb_is_refused_without_inflating_it() -> None:
    bomb = zlib.compress(b"\x00" * 50_000_000, 9)  # about 50 KB that would inflate to 50 MB
    tracemalloc.start()
    try:
        with pytest.raises(DecodeError, match="limit"):
            decompress(bomb, max_size=64 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x78",  # header only
        zlib.compress(b"payload")[:-1],  # truncated Adler-32
        zlib.compress(b"payload")[:-4] + b"\x00\x00\x00\x00",  # wrong Adler-32
        zlib.compress(b"payload")[:5],  # truncated deflate data
        gzip.compress(b"payload", mtime=0),  # gzip, not zlib (fixed time: stable test ids)
        zlib.compressobj(wbits=-15).compress(b"payload"),  # raw deflate
        b"\x0b\x03\x80payload\x03",  # a Brotli stream (Claim 169 v1.2.2 allows it; Carnet does not)
        b"\x78\x9c" + b"\xff" * 10,  # valid header, corrupt body
        b"\x78\xbb" + zlib.compress(b"x")[2:],  # FDICT set: needs a preset dictionary
        b"\x88\x9c" + zlib.compress(b"x")[2:],  # CINFO 8: a window larger than zlib allows
    ],
)
def test_zlib_rejects_malformed_streams(data: bytes) -> None:
    with pytest.raises(DecodeError):
        decompress(data)


def test_zlib_rejects_trailing_bytes() -> None:
    with pytest.raises(DecodeError, match="trailing"):
        decompress(zlib.compress(b"payload") + b"\x00")


@given(st.binary(max_size=300))
def test_decompressing_any_bytes_raises_only_decode_error(data: bytes) -> None:
    try:
        out = decompress(data, max_size=1024)
    except DecodeError:
        return
    assert len(out) <= 1024


@given(st.binary(max_size=400), st.integers(min_value=0, max_value=500))
def test_zlib_round_trips_within_the_limit(data: bytes, limit: int) -> None:
    if len(data) <= limit:
        assert decompress(compress(data), max_size=limit) == data
    else:
        with pytest.raises(DecodeError):
            decompress(compress(data), max_size=limit)


# ----------------------------------------------------------------- QR text


def test_qr_text_is_base45_of_zlib_with_no_prefix() -> None:
    cose = bytes.fromhex("d28443a10126a10442313154") + b"payload" + bytes(66)
    text = encode_qr_text(cose)
    assert not text.startswith(("HC1:", "NCS:"))
    assert zlib.decompress(base45.b45decode(text)) == cose
    assert decode_qr_text(text) == cose


def test_qr_text_size_limits() -> None:
    text = encode_qr_text(b"\x00" * 5000)
    assert decode_qr_text(text, max_size=5000) == b"\x00" * 5000
    with pytest.raises(DecodeError):
        decode_qr_text(text, max_size=4999)
    with pytest.raises(DecodeError, match="longer"):
        decode_qr_text("0" * (DEFAULT_MAX_TEXT_LENGTH + 1))
    with pytest.raises(DecodeError, match="longer"):
        decode_qr_text(text, max_text_length=len(text) - 1)


@given(st.text(max_size=300))
def test_decoding_any_qr_text_raises_only_decode_error(text: str) -> None:
    with contextlib.suppress(DecodeError):
        decode_qr_text(text)


@given(st.binary(max_size=200))
def test_decoding_base45_of_any_bytes_raises_only_decode_error(data: bytes) -> None:
    # Valid Base45 reaches the zlib layer, so the fuzzing exercises it too.
    with contextlib.suppress(DecodeError):
        decode_qr_text(b45encode(data))
