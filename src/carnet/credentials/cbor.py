"""Safe CBOR decoding and deterministic CBOR encoding (RFC 8949).

Everything a checkpoint decodes arrives from a stranger's QR code, so
:func:`decode_cbor` is the only way Carnet reads CBOR. On top of cbor2 it:

* refuses input longer than ``max_size`` and nesting deeper than ``max_depth``
  (tags count as a level);
* refuses duplicate map keys, which RFC 8949 §5.6 makes invalid and cbor2
  would otherwise resolve silently in favour of the last one;
* refuses indefinite-length items: none of the formats we read (COSE, CWT,
  Claim 169, Token Status List) uses them, and they are a classic source of
  parser differentials;
* refuses every tag except the ones the caller names, including cbor2's
  built-in semantic tags (dates, bignums, regular expressions, shared and
  cyclic references, string references, ...): none of our formats uses them,
  and several turn untrusted bytes into live objects;
* refuses trailing bytes after the single top-level item (RFC 8949 §5.3.1
  calls such input not well-formed for a single data item);
* raises :class:`DecodeError` for every failure, and nothing else.

It does *not* insist on deterministic encoding when reading: signatures cover
the exact bytes that were signed, so a non-preferred but well-formed encoding
changes nothing, and other Claim 169 encoders need not sort their maps.

:func:`encode_deterministic` writes the core deterministic encoding of RFC 8949
§4.2.1 for what Carnet signs: preferred (shortest) argument and float forms,
definite lengths only, and map keys sorted by the bytewise lexicographic order
of their encodings (cbor2's ``canonical=True`` sorts by length first, the
RFC 7049 §3.9 rule, which differs for keys such as ``-1`` and ``24``). Values
already in that order, as Carnet's claim encoders build them, are checked in
one pass and written by cbor2's encoder; anything else by a pure-Python
reference encoder.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final

import cbor2

from carnet.domain.errors import DecodeError, ValidationError

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_SIZE",
    "decode_cbor",
    "encode_deterministic",
]

#: Default upper bound on the encoded size, in bytes.
DEFAULT_MAX_SIZE: Final = 64 * 1024
#: Default upper bound on nesting (arrays, maps and tags each add a level).
DEFAULT_MAX_DEPTH: Final = 16

# The tags cbor2 6.x decodes into Python objects by itself (found by probing
# every tag below 70,000 and the 64-bit edges; tests/unit/credentials/test_cbor.py
# repeats the probe so a cbor2 upgrade that adds one cannot slip through).
_BUILTIN_SEMANTIC_TAGS: Final = frozenset(
    {0, 1, 2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 37, 52, 54, 100, 256, 258, 260, 261, 1004}
    | {43000, 55799}
)

# Errors cbor2 (a Rust extension) may raise on malformed input besides CBORError.
_DECODER_FAILURES: Final = (
    cbor2.CBORError,
    ValueError,
    TypeError,
    OverflowError,
    EOFError,
    RecursionError,
)


# See decode_cbor: an array of two items, and a byte string of 16 random bytes.
_PAIR_HEAD: Final = b"\x82"
_NONCE: Final = secrets.token_bytes(16)
_SENTINEL: Final = b"\x50" + _NONCE


class _RefusedTagError(ValueError):
    """A tag the caller did not allow (caught and re-raised by cbor2 as CBORDecodeError)."""


def _refuse(_value: object, _immutable: bool) -> object:
    raise _RefusedTagError


def _keep(tag: int) -> cbor2.SemanticDecoderCallback:
    def keep(value: object, _immutable: bool) -> object:
        return cbor2.CBORTag(tag, value)

    return keep


@lru_cache(maxsize=16)
def _semantic_decoders(allowed_tags: frozenset[int]) -> dict[int, cbor2.SemanticDecoderCallback]:
    return {tag: _keep(tag) if tag in allowed_tags else _refuse for tag in _BUILTIN_SEMANTIC_TAGS}


@lru_cache(maxsize=16)
def _tag_hook(allowed_tags: frozenset[int]) -> cbor2.TagHook:
    def hook(tag: cbor2.CBORTag, _immutable: bool) -> object:
        if tag.tag not in allowed_tags:
            raise _RefusedTagError
        return tag

    return hook


def decode_cbor(
    data: bytes,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    allowed_tags: frozenset[int] = frozenset(),
) -> Any:  # noqa: ANN401 - a CBOR data item is any of several Python types
    """Decode exactly one CBOR data item from ``data``, refusing anything risky.

    Tags in ``allowed_tags`` come back as :class:`cbor2.CBORTag`; maps come
    back as :class:`dict`, arrays as :class:`list`.

    Raises:
        DecodeError: ``data`` is larger than ``max_size``, not well-formed
            (RFC 8949 §5.3.1), nests deeper than ``max_depth``, has duplicate map
            keys (§5.6), indefinite lengths, a tag outside ``allowed_tags``,
            invalid UTF-8 in a text string, or trailing bytes.
    """
    if len(data) > max_size:
        raise DecodeError(f"CBOR: {len(data)} bytes exceed the {max_size}-byte limit")
    # cbor2.loads stops after the first item and cannot say where; a decoder object
    # over a stream can, but setting it up costs about as much again as decoding a
    # credential. So the input goes into a two-item array whose second item is a
    # secret nonce, which comes back intact exactly when ``data`` is one whole item:
    # trailing bytes would have to spell the nonce to pass, truncated input eats
    # into it (the tests compare this with the stream decoder on arbitrary input).
    try:
        wrapper = cbor2.loads(
            b"".join((_PAIR_HEAD, data, _SENTINEL)),
            tag_hook=_tag_hook(allowed_tags),
            semantic_decoders=_semantic_decoders(allowed_tags),
            max_depth=max_depth + 1,  # the wrapping array is one more level
            allow_indefinite=False,
            allow_duplicate_keys=False,
        )
    except _DECODER_FAILURES as exc:
        raise DecodeError("CBOR: malformed or refused data item") from exc
    if type(wrapper[1]) is not bytes or wrapper[1] != _NONCE:
        raise DecodeError("CBOR: trailing bytes after the data item")
    return wrapper[0]


# ----------------------------------------------------------------- encoding

_UINT, _NINT, _BSTR, _TSTR, _ARRAY, _MAP, _TAG = range(7)
_MAX_ARGUMENT: Final = 2**64 - 1
_SIMPLE: Final = {False: b"\xf4", True: b"\xf5", None: b"\xf6"}
_ONE_BYTE, _TWO_BYTES, _FOUR_BYTES, _EIGHT_BYTES = 24, 25, 26, 27


def _head(major: int, argument: int) -> bytes:
    """Encode a data item head with its argument in preferred form (RFC 8949 §3, §4.2.1)."""
    if argument < _ONE_BYTE:
        return bytes((major << 5 | argument,))
    for info, size in ((_ONE_BYTE, 1), (_TWO_BYTES, 2), (_FOUR_BYTES, 4)):
        if argument < 1 << (8 * size):
            return bytes((major << 5 | info,)) + argument.to_bytes(size, "big")
    return bytes((major << 5 | _EIGHT_BYTES,)) + argument.to_bytes(8, "big")


def _encode(value: object, out: bytearray, depth: int) -> None:
    """Append the deterministic encoding of ``value``; ``depth`` counts enclosing containers.

    The reference encoder: :func:`encode_deterministic` uses it for whatever its
    fast path does not take.
    """
    if value is None or isinstance(value, bool):
        out += _SIMPLE[value]
    elif isinstance(value, int):
        if not -_MAX_ARGUMENT - 1 <= value <= _MAX_ARGUMENT:
            raise ValidationError("CBOR: integer outside the 64-bit range")
        out += _head(_UINT, value) if value >= 0 else _head(_NINT, -1 - value)
    elif isinstance(value, bytes):
        out += _head(_BSTR, len(value)) + value
    elif isinstance(value, str):
        encoded = value.encode("utf-8")
        out += _head(_TSTR, len(encoded)) + encoded
    elif isinstance(value, float):
        out += cbor2.dumps(value, canonical=True)
    elif isinstance(value, list | tuple | Mapping | cbor2.CBORTag):
        if depth >= DEFAULT_MAX_DEPTH:  # the same bound decode_cbor enforces
            raise ValidationError("CBOR: value nests too deeply to encode")
        _encode_container(value, out, depth + 1)
    else:
        raise ValidationError(f"CBOR: cannot encode a {type(value).__name__}")


def _encode_container(
    value: list[object] | tuple[object, ...] | Mapping[object, object] | cbor2.CBORTag,
    out: bytearray,
    depth: int,
) -> None:
    if isinstance(value, cbor2.CBORTag):
        out += _head(_TAG, value.tag)
        _encode(value.value, out, depth)
    elif isinstance(value, Mapping):
        # RFC 8949 §4.2.1: keys sorted by the bytewise order of their encodings.
        entries: dict[bytes, object] = {}
        for key, item in value.items():
            encoded_key = bytearray()
            _encode(key, encoded_key, depth)
            if bytes(encoded_key) in entries:
                raise ValidationError("CBOR: two map keys have the same encoding")
            entries[bytes(encoded_key)] = item
        out += _head(_MAP, len(entries))
        for encoded in sorted(entries):
            out += encoded
            _encode(entries[encoded], out, depth)
    else:
        out += _head(_ARRAY, len(value))
        for item in value:
            _encode(item, out, depth)


# ------------------------------------------------------- encoding, fast path


class _OffFastPathError(Exception):
    """The value needs the reference encoder (raised and caught inside this module)."""


# Map keys in RFC 8949 §4.2.1 order, as numbers: an unsigned integer ranks as itself,
# a negative one n (argument -1 - n, major type 1) after every unsigned one.
_NEGATIVE_RANK: Final = _MAX_ARGUMENT
_MAX_RANK: Final = 2 * _MAX_ARGUMENT + 1
# Items cbor2 writes in their deterministic form whatever their value.
_LEAF_TYPES: Final = frozenset({str, bytes, bool, type(None)})


def _check_item(item: object, depth: int) -> None:
    """Check one item for :func:`_check_fast_path`; containers are checked recursively."""
    kind = type(item)
    if kind is int:
        if not -_MAX_ARGUMENT - 1 <= item <= _MAX_ARGUMENT:  # type: ignore[operator]
            raise _OffFastPathError
    elif kind not in _LEAF_TYPES:
        _check_fast_path(item, depth + 1)


def _check_fast_path(value: object, depth: int) -> None:
    """Check that cbor2's encoding of container ``value`` is its deterministic one.

    cbor2's (non-canonical) encoder writes maps in insertion order and integers,
    lengths and tags in preferred form. So its output is the RFC 8949 §4.2.1
    encoding when every map's keys are already in order and every item is an
    exact ``None``, ``bool``, ``int`` (64-bit), ``bytes`` or ``str``, a
    ``list``/``tuple``, a :class:`cbor2.CBORTag` or a ``dict`` with ``int``/``str``
    keys, nested no deeper than the reference encoder allows. The encoders of
    what Carnet signs build their maps in that order; anything else (floats,
    which need the shortest form, other mappings, subclasses, out-of-order keys)
    raises :class:`_OffFastPathError`.
    """
    if depth >= DEFAULT_MAX_DEPTH:
        raise _OffFastPathError
    if type(value) is dict:
        _check_map(value, depth)
    elif type(value) is list or type(value) is tuple:
        for item in value:
            if type(item) not in _LEAF_TYPES:  # leaves are most items: no call for them
                _check_item(item, depth)
    elif type(value) is cbor2.CBORTag:  # its constructor keeps the tag in 0 .. 2**64 - 1
        _check_item(value.value, depth)
    else:
        raise _OffFastPathError


def _check_map(value: dict[object, object], depth: int) -> None:
    """Check a map's keys are in deterministic order, and its values, for the fast path."""
    previous, previous_text = -1, None
    for key, item in value.items():
        if type(key) is int:
            rank = key if key >= 0 else _NEGATIVE_RANK - key
            if previous_text is not None or not previous < rank <= _MAX_RANK or key > _MAX_ARGUMENT:
                raise _OffFastPathError
            previous = rank
        elif type(key) is str:
            # Text after integers; shorter UTF-8 first (the head holds the length),
            # then by code point, an order UTF-8 preserves.
            text_rank = (len(key) if key.isascii() else len(key.encode()), key)
            if previous_text is not None and text_rank <= previous_text:
                raise _OffFastPathError
            previous_text = text_rank
        else:
            raise _OffFastPathError
        if type(item) not in _LEAF_TYPES:
            _check_item(item, depth)


def encode_deterministic(value: object) -> bytes:
    """Encode ``value`` with the core deterministic encoding of RFC 8949 §4.2.1.

    Supported: ``None``, ``bool``, ``int`` (64-bit range), ``bytes``, ``str``,
    ``float``, ``list``/``tuple``, mappings and :class:`cbor2.CBORTag`.

    What Carnet signs is built with its maps already in deterministic key order
    and holds only strings and small integers: that is checked in one pass and
    handed to cbor2's encoder. Anything else goes to the pure-Python reference
    encoder above, which sorts maps and owns every error; the tests check that
    the two agree byte for byte.

    Raises:
        ValidationError: an unsupported type, an integer beyond 64 bits, two
            map keys with the same encoding, or nesting deeper than
            :data:`DEFAULT_MAX_DEPTH`.
    """
    try:
        _check_item(value, -1)  # a top-level container is at depth 0
    except _OffFastPathError:
        out = bytearray()
        _encode(value, out, 0)
        return bytes(out)
    return cbor2.dumps(value)
