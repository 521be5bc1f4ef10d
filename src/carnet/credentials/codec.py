"""QR text ⇄ bytes: the transport encoding of a signed credential.

A Claim 169 QR code carries ``base45(zlib(COSE_Sign1))`` as its text, with no
prefix (MOSIP Claim 169 QR Code Specification v1.2.2 §3.2.1, "Compress the CWT"
and "Encode to Base45"). This module owns both layers:

* zlib (RFC 1950) compression, and a decompressor that never produces more
  than ``max_size`` bytes, so a zlib bomb is refused before it is inflated;
* Base45 (RFC 9285), implemented here rather than through the ``base45``
  package: the decoder runs on every verification, and its big-integer
  formulation below is several times faster than a per-character loop.

Claim 169 v1.2.2 also allows Brotli and tells verifiers to tell the two apart
by the zlib magic number. Carnet always emits zlib and refuses anything else
with :class:`DecodeError`.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from functools import cache, lru_cache
from operator import itemgetter
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
_CHUNKS: Final = 1 << 16

# RFC 1950 §2.2: the two header bytes, CM = 8 (deflate) and CINFO <= 7 (32 KiB window).
_ZLIB_HEADER_SIZE: Final = 2
_ZLIB_DEFLATE: Final = 8
_ZLIB_MAX_CINFO: Final = 7
_ZLIB_FCHECK: Final = 31
# What zlib.compress(data, 9) writes first: CMF 0x78 (deflate, 32 KiB window) and FLG
# 0xDA (FLEVEL 3, maximum compression; FCHECK makes the pair a multiple of 31).
_ZLIB_HEADER_MAX_LEVEL: Final = b"\x78\xda"
# Up to this size compress() sizes the deflate state to the input (a QR code holds
# at most 2,953 bytes); deflate's window sizes are 2**9 to 2**15 bytes.
_SMALL_INPUT: Final = 4096
_MIN_WBITS: Final = 9
_LOOKAHEAD: Final = 262  # MIN_LOOKAHEAD of zlib's deflate.h: MAX_MATCH + MIN_MATCH + 1


@cache
def _chunk_table() -> tuple[str, ...]:
    """Return the Base45 text of every 2-byte chunk, indexed as ``array("H")`` reads it.

    RFC 9285 §4.2 reads a chunk as ``n = 256·a + b`` and writes ``c d e`` with
    ``n = c + 45·d + 45²·e``; ``array("H")`` reads it in native byte order, so
    the table is indexed that way. Built on first use (about 4 MB, tens of
    milliseconds) so that encoding costs one look-up per chunk.
    """
    alphabet = _ALPHABET.decode("ascii")
    native = array("H", range(_CHUNKS)).tobytes()
    return tuple(
        alphabet[n % _BASE] + alphabet[n // _BASE % _BASE] + alphabet[n // _BASE2]
        for n in struct.unpack(f">{_CHUNKS}H", native)
    )


def b45encode(data: bytes) -> str:
    """Encode ``data`` as Base45 text (RFC 9285 §4.2)."""
    pairs = len(data) & ~1
    chunks = array("H")
    chunks.frombytes(data[:pairs])
    if not chunks:
        text = ""
    elif len(chunks) == 1:  # itemgetter of one index returns the item, not a 1-tuple
        text = _chunk_table()[chunks[0]]
    else:
        text = "".join(itemgetter(*chunks)(_chunk_table()))
    if pairs != len(data):
        d, c = divmod(data[-1], _BASE)
        text += chr(_ALPHABET[c]) + chr(_ALPHABET[d])
    return text


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
    """Compress ``data`` as a zlib stream (RFC 1950) at the highest level.

    The bytes are those of ``zlib.compress(data, 9)``. For QR-sized input the
    deflate state is sized to the input: ``zlib.compress`` sets up about 256 KiB
    (a 32 KiB window and 64 KiB tables) that allocation and page faults make cost
    several times the compression of a few hundred bytes. A window of at least
    the input plus deflate's 262-byte look-ahead finds every match the full one
    would, and a literal buffer larger than the input keeps it one block, so the
    deflate data is identical (the tests compare them). The zlib header still
    declares the 32 KiB window (``78 DA``): decoders, among them the ``claim169``
    library, recognise zlib by that first byte, and a larger declared window than
    used is valid (RFC 1950 §2.2, CINFO is an upper bound).
    """
    if len(data) > _SMALL_INPUT:
        return zlib.compress(data, 9)
    size = len(data)
    deflater = zlib.compressobj(
        9,
        zlib.DEFLATED,
        -max(_MIN_WBITS, (size + _LOOKAHEAD).bit_length()),  # negative: raw deflate
        max(1, size.bit_length() - 5),  # a literal buffer of 2**(memLevel + 6) > 2·size
    )
    return b"".join(
        (
            _ZLIB_HEADER_MAX_LEVEL,
            deflater.compress(data),
            deflater.flush(),
            zlib.adler32(data).to_bytes(4, "big"),  # RFC 1950 §2.2 ADLER32
        )
    )


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
