"""QR text ⇄ bytes: the transport encoding of a signed credential.

A Claim 169 QR code carries ``base45(zlib(COSE_Sign1))`` as its text, with no
prefix (MOSIP Claim 169 QR Code Specification v1.2.2 §3.2.1, "Compress the CWT"
and "Encode to Base45"). This module owns both layers:

* zlib (RFC 1950) compression, and a decompressor that never produces more
  than ``max_size`` bytes, so a zlib bomb is refused before it is inflated;
* Base45 (RFC 9285), implemented here rather than through the ``base45``
  package: the decoder runs on every verification and the encoder on every
  issuance, and their big-integer formulations below (every 2-byte chunk or
  3-character group in its own lane of one integer) are several times faster
  than a loop per chunk.

Claim 169 v1.2.2 also allows Brotli and tells verifiers to tell the two apart
by the zlib magic number. Carnet always emits zlib and refuses anything else
with :class:`DecodeError`.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from typing import Final

from carnet.domain.errors import DecodeError

__all__ = [
    "DEFAULT_MAX_DECOMPRESSED_SIZE",
    "DEFAULT_MAX_TEXT_LENGTH",
    "b45decode",
    "b45encode",
    "compress",
    "decode_qr_text",
    "decompress",
    "encode_qr_text",
]

#: Upper bound on the inflated COSE message. A QR code holds at most 2,953 bytes,
#: so 64 KiB leaves room for a photo while refusing zlib bombs early.
DEFAULT_MAX_DECOMPRESSED_SIZE: Final = 64 * 1024

#: The most characters a QR code can hold in alphanumeric mode (ISO/IEC 18004,
#: version 40-L). Longer text cannot have come from a QR code.
DEFAULT_MAX_TEXT_LENGTH: Final = 4296

# RFC 9285 §4: the 45-character alphabet, in value order.
_ALPHABET: Final = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INVALID: Final = 0xFF
_DECODE_TABLE: Final = bytes(_ALPHABET.index(c) if c in _ALPHABET else _INVALID for c in range(256))
_BASE: Final = 45
_BASE2: Final = _BASE * _BASE
_BYTE_MAX: Final = 0xFF
# Encoding (see b45encode): lanes of 6 bytes; ⌊n / 45²⌋ = n·⌈2²⁷/45²⌉ >> 27 and
# ⌊m / 45⌋ = m·⌈2¹⁷/45⌉ >> 17 for every n < 2¹⁶ and m < 45² (checked exhaustively in
# the tests); the products stay below 2⁴⁸.
_LANE: Final = 6
_SHIFT_45_SQUARED: Final = 27
_RECIPROCAL_45_SQUARED: Final = -(-(1 << _SHIFT_45_SQUARED) // _BASE2)
_SHIFT_45: Final = 17
_RECIPROCAL_45: Final = -(-(1 << _SHIFT_45) // _BASE)
_PADDING: Final = b"\xff"
_ENCODE_TABLE: Final = _ALPHABET.ljust(256, b"\x00")

# RFC 1950 §2.2: the two header bytes, CM = 8 (deflate) and CINFO <= 7 (32 KiB window).
_ZLIB_HEADER_SIZE: Final = 2
_ZLIB_DEFLATE: Final = 8
_ZLIB_MAX_CINFO: Final = 7
_ZLIB_FCHECK: Final = 31


def b45encode(data: bytes) -> str:
    """Encode ``data`` as Base45 text (RFC 9285 §4.2).

    The mirror of :func:`b45decode`: every 2-byte chunk ``n`` is placed in its
    own 6-byte lane of one big integer, and all lanes are split at once into
    ``n = c + 45·d + 45²·e`` by multiplying with fixed-point reciprocals of 45²
    and 45 (exact for every ``n < 2¹⁶``, and a lane leaves room for the
    products, so no lane spills into the next). The digits end up as the lane's
    last three bytes and 0xFF in the other three, which ``bytes.translate``
    deletes while it maps digits to the alphabet.
    """
    chunks = len(data) >> 1
    size = _LANE * chunks
    spread = bytearray(size)
    spread[_LANE - 2 :: _LANE] = data[0 : 2 * chunks : 2]
    spread[_LANE - 1 :: _LANE] = data[1 : 2 * chunks : 2]
    n = int.from_bytes(spread, "big")
    mask = _chunk_mask(chunks)
    e = (n * _RECIPROCAL_45_SQUARED >> _SHIFT_45_SQUARED) & mask
    rest = n - _BASE2 * e  # c + 45·d, per lane
    d = (rest * _RECIPROCAL_45 >> _SHIFT_45) & mask
    # c·2¹⁶ + d·2⁸ + e per lane, with c = rest - 45·d, and the 0xFF padding on top.
    digits = (rest << 16) - (_BASE << 16) * d + (d << 8) + e + _lane_padding(chunks)
    text = digits.to_bytes(size, "big").translate(_ENCODE_TABLE, _PADDING).decode("ascii")
    if len(data) & 1:
        d, c = divmod(data[-1], _BASE)
        text += chr(_ALPHABET[c]) + chr(_ALPHABET[d])
    return text


@lru_cache(maxsize=64)
def _chunk_mask(chunks: int) -> int:
    """Return an integer with 0xFFFF in the low two bytes of each of ``chunks`` 6-byte lanes."""
    return int.from_bytes(b"\x00\x00\x00\x00\xff\xff" * chunks, "big")


@lru_cache(maxsize=64)
def _lane_padding(chunks: int) -> int:
    """Return an integer with 0xFF in the high three bytes of each of ``chunks`` 6-byte lanes."""
    return int.from_bytes(b"\xff\xff\xff\x00\x00\x00" * chunks, "big")


@lru_cache(maxsize=64)
def _lane_mask(groups: int) -> int:
    """Return an integer with 0xFF in the low byte of each of ``groups`` 3-byte lanes."""
    return int.from_bytes(b"\x00\x00\xff" * groups, "big")


def b45decode(text: str) -> bytes:
    """Decode Base45 ``text`` (RFC 9285 §4.3).

    All triplets are combined at once: the digit string is read as one big
    integer of 3-byte lanes, masked into its first, second and third digits and
    recombined as ``c + 45·d + 45²·e`` per lane (RFC 9285 §4.3), with no carry
    between lanes because ``44·(1 + 45 + 45²) < 2²⁴``.

    Raises:
        DecodeError: a character outside the alphabet, a dangling single
            character, or a group whose value does not fit its bytes (§6).
    """
    try:
        digits = text.encode("ascii").translate(_DECODE_TABLE)
    except UnicodeEncodeError as exc:
        raise DecodeError("base45: character outside the alphabet") from exc
    if _INVALID in digits:
        raise DecodeError("base45: character outside the alphabet")
    groups, tail = divmod(len(digits), 3)
    if tail == 1:
        raise DecodeError("base45: dangling character at the end")
    size = 3 * groups
    lanes = int.from_bytes(digits[:size], "big")
    mask = _lane_mask(groups)
    values = ((lanes >> 16) & mask) + _BASE * ((lanes >> 8) & mask) + _BASE2 * (lanes & mask)
    spread = values.to_bytes(size, "big")
    if spread[0::3].strip(b"\x00"):
        raise DecodeError("base45: a group's value exceeds 65535")
    out = bytearray(2 * groups + tail // 2)
    out[0 : 2 * groups : 2] = spread[1::3]
    out[1 : 2 * groups : 2] = spread[2::3]
    if tail:
        value = digits[-2] + _BASE * digits[-1]
        if value > _BYTE_MAX:
            raise DecodeError("base45: a final pair's value exceeds 255")
        out[-1] = value
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Compress ``data`` as a zlib stream (RFC 1950) at the highest level."""
    # Measured on credentials (about 300 bytes): levels 6 and 9, smaller windows and
    # smaller hash tables all cost the same, as the time goes into building the
    # dynamic Huffman trees; a smaller window would also change the ``78`` first
    # byte that the claim169 library relies on to recognise zlib.
    return zlib.compress(data, 9)


def _has_zlib_header(data: bytes) -> bool:
    # RFC 1950 §2.2: CM, CINFO, and CMF·256 + FLG a multiple of 31 (FCHECK).
    return (
        len(data) >= _ZLIB_HEADER_SIZE
        and data[0] & 0x0F == _ZLIB_DEFLATE
        and data[0] >> 4 <= _ZLIB_MAX_CINFO
        and (data[0] << 8 | data[1]) % _ZLIB_FCHECK == 0
    )


def decompress(data: bytes, *, max_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE) -> bytes:
    """Inflate one complete zlib stream of at most ``max_size`` bytes.

    The decompressor is asked for at most ``max_size + 1`` bytes, so a bomb
    costs no more memory than the limit.

    Raises:
        DecodeError: not zlib (Claim 169 v1.2.2 would treat it as Brotli, which
            Carnet does not accept), corrupt, truncated, followed by trailing
            bytes, or larger than ``max_size`` once inflated.
    """
    if not _has_zlib_header(data):
        raise DecodeError("zlib: missing zlib header (other compressions are not accepted)")
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, max_size + 1)
    except zlib.error as exc:
        raise DecodeError("zlib: corrupt stream") from exc
    if len(out) > max_size or inflater.unconsumed_tail:
        raise DecodeError(f"zlib: inflates beyond the {max_size}-byte limit")
    if not inflater.eof:
        raise DecodeError("zlib: truncated stream")
    if inflater.unused_data:
        raise DecodeError("zlib: trailing bytes after the stream")
    return out


def encode_qr_text(cose: bytes) -> str:
    """Return the QR text of a COSE message: ``base45(zlib(cose))`` (Claim 169 §3.2.1)."""
    return b45encode(compress(cose))


def decode_qr_text(
    text: str,
    *,
    max_size: int = DEFAULT_MAX_DECOMPRESSED_SIZE,
    max_text_length: int = DEFAULT_MAX_TEXT_LENGTH,
) -> bytes:
    """Return the COSE bytes carried by QR ``text`` (Claim 169 §3.2.1, reversed).

    Raises:
        DecodeError: the text is too long, not Base45, or not a zlib stream that
            inflates to at most ``max_size`` bytes.
    """
    if len(text) > max_text_length:
        raise DecodeError(f"QR text longer than {max_text_length} characters")
    return decompress(b45decode(text), max_size=max_size)
