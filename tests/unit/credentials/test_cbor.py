"""Safe CBOR decoding and RFC 8949 §4.2.1 deterministic encoding."""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Callable, Iterator, Mapping

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carnet.credentials.cbor import (
    DEFAULT_MAX_DEPTH,
    _semantic_decoders,
    _tag_hook,
    decode_cbor,
    encode_deterministic,
)
from carnet.domain.errors import DecodeError, ValidationError

pytestmark = pytest.mark.unit

# RFC 8949 Appendix A: value and its preferred (here also deterministic) encoding.
APPENDIX_A: list[tuple[object, str]] = [
    (0, "00"),
    (1, "01"),
    (10, "0a"),
    (23, "17"),
    (24, "1818"),
    (25, "1819"),
    (100, "1864"),
    (1000, "1903e8"),
    (1000000, "1a000f4240"),
    (1000000000000, "1b000000e8d4a51000"),
    (18446744073709551615, "1bffffffffffffffff"),
    (-18446744073709551616, "3bffffffffffffffff"),
    (-1, "20"),
    (-10, "29"),
    (-100, "3863"),
    (-1000, "3903e7"),
    (0.0, "f90000"),
    (-0.0, "f98000"),
    (1.0, "f93c00"),
    (1.1, "fb3ff199999999999a"),
    (1.5, "f93e00"),
    (65504.0, "f97bff"),
    (100000.0, "fa47c35000"),
    (3.4028234663852886e38, "fa7f7fffff"),
    (1.0e300, "fb7e37e43c8800759c"),
    (5.960464477539063e-8, "f90001"),
    (0.00006103515625, "f90400"),
    (-4.0, "f9c400"),
    (-4.1, "fbc010666666666666"),
    (math.inf, "f97c00"),
    (-math.inf, "f9fc00"),
    (False, "f4"),
    (True, "f5"),
    (None, "f6"),
    (b"", "40"),
    (b"\x01\x02\x03\x04", "4401020304"),
    ("", "60"),
    ("a", "6161"),
    ("IETF", "6449455446"),
    ('"\\', "62225c"),
    ("\u00fc", "62c3bc"),
    ("\u6c34", "63e6b0b4"),
    ("\U00010151", "64f0908591"),
    ([], "80"),
    ([1, 2, 3], "83010203"),
    ([1, [2, 3], [4, 5]], "8301820203820405"),
    (list(range(1, 26)), "98190102030405060708090a0b0c0d0e0f101112131415161718181819"),
    ({}, "a0"),
    ({1: 2, 3: 4}, "a201020304"),
    ({"a": 1, "b": [2, 3]}, "a26161016162820203"),
    (["a", {"b": "c"}], "826161a161626163"),
    (
        {"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"},
        "a56161614161626142616361436164614461656145",
    ),
    (cbor2.CBORTag(23, b"\x01\x02\x03\x04"), "d74401020304"),
    (cbor2.CBORTag(24, b"dIETF"), "d818456449455446"),
    (
        cbor2.CBORTag(32, "http://www.example.com"),
        "d82076687474703a2f2f7777772e6578616d706c652e636f6d",
    ),
]


@pytest.mark.parametrize(("value", "encoding"), APPENDIX_A)
def test_deterministic_encoding_matches_rfc_8949_appendix_a(value: object, encoding: str) -> None:
    assert encode_deterministic(value).hex() == encoding


def test_map_keys_sort_bytewise_as_rfc_8949_section_4_2_1_requires() -> None:
    # §4.2.1's example order: 10, 100, -1, "z", "aa", [100], [-1], false.
    shuffled = {False: 8, (-1,): 7, (100,): 6, "aa": 5, "z": 4, -1: 3, 100: 2, 10: 1}
    assert encode_deterministic(shuffled).hex() == (
        "a80a011864022003617a046261610581186406812007f408"
    )


def test_deterministic_encoding_differs_from_cbor2_canonical_where_rfc_7049_did() -> None:
    # RFC 7049 §3.9 sorted shorter keys first, so cbor2 puts -1 (20) before 24 (1818).
    value = {24: 0, -1: 0}
    assert encode_deterministic(value).hex() == "a21818002000"
    assert cbor2.dumps(value, canonical=True).hex() == "a22000181800"


@pytest.mark.parametrize(
    "value",
    [
        2**64,
        -(2**64) - 1,
        {1, 2},
        object(),
        bytearray(b"x"),
        1 + 2j,
    ],
)
def test_deterministic_encoding_refuses_what_it_cannot_carry(value: object) -> None:
    with pytest.raises(ValidationError):
        encode_deterministic(value)


def test_deterministic_encoding_refuses_nesting_the_decoder_would_refuse() -> None:
    nested: list[object] = []
    for _ in range(DEFAULT_MAX_DEPTH - 1):
        nested = [nested]
    assert decode_cbor(encode_deterministic(nested)) == nested
    with pytest.raises(ValidationError, match="deeply"):
        encode_deterministic([nested])
    with pytest.raises(ValidationError, match="deeply"):
        encode_deterministic(cbor2.CBORTag(1, nested))


class _TwoKeysOneEncoding(Mapping[object, object]):
    """A mapping whose two distinct keys encode the same: 1 and an int subclass of 1."""

    class _One(int):
        pass

    _keys = (1, _One(1))

    def __getitem__(self, key: object) -> object:
        return "value"

    def __iter__(self) -> Iterator[object]:
        return iter(self._keys)

    def __len__(self) -> int:
        return 2


def test_deterministic_encoding_refuses_keys_with_the_same_encoding() -> None:
    with pytest.raises(ValidationError, match="same encoding"):
        encode_deterministic(_TwoKeysOneEncoding())


# ---------------------------------------------------------------- decoding


@pytest.mark.parametrize(("value", "encoding"), APPENDIX_A)
def test_decoding_reads_appendix_a(value: object, encoding: str) -> None:
    assert decode_cbor(bytes.fromhex(encoding), allowed_tags=frozenset({23, 24, 32})) == value


def test_decoding_reads_non_preferred_encodings() -> None:
    # Signatures cover exact bytes, so well-formed but non-preferred input is fine.
    assert decode_cbor(bytes.fromhex("1900 01".replace(" ", ""))) == 1
    assert decode_cbor(bytes.fromhex("a203040102")) == {3: 4, 1: 2}


@pytest.mark.parametrize(
    ("encoding", "reason"),
    [
        ("a201010102", "duplicate integer key"),
        ("a2616101616102", "duplicate text key"),
        ("a20100180100", "duplicate key, second one in non-preferred form"),
        ("a101a202010202", "duplicate key in a nested map"),
        ("9f01ff", "indefinite-length array"),
        ("bf0101ff", "indefinite-length map"),
        ("5f41014102ff", "indefinite-length byte string"),
        ("7f6161ff", "indefinite-length text string"),
        ("0102", "trailing bytes"),
        ("", "empty input"),
        ("83", "truncated array"),
        ("5a00000010", "byte string longer than the input"),
        ("9bffffffffffffffff", "array claiming 2^64-1 items"),
        ("62c328", "invalid UTF-8"),
        ("ff", "stray break"),
        ("1c", "reserved additional information"),
        ("f818", "two-byte simple value below 32"),
        ("a180", "array as a map key, then truncated"),
    ],
)
def test_decoding_refuses_malformed_or_risky_input(encoding: str, reason: str) -> None:
    with pytest.raises(DecodeError):
        decode_cbor(bytes.fromhex(encoding))


def test_decoding_enforces_the_depth_limit_counting_tags() -> None:
    assert decode_cbor(b"\x81" * 4 + b"\x01", max_depth=4) == [[[[1]]]]
    with pytest.raises(DecodeError):
        decode_cbor(b"\x81" * 5 + b"\x01", max_depth=4)
    with pytest.raises(DecodeError):
        decode_cbor(b"\xd8\x80" * 5 + b"\x01", max_depth=4, allowed_tags=frozenset({128}))
    with pytest.raises(DecodeError):
        decode_cbor(b"\x81" * 100_000 + b"\x01")


def test_decoding_enforces_the_size_limit() -> None:
    data = encode_deterministic(b"x" * 100)
    assert decode_cbor(data, max_size=len(data)) == b"x" * 100
    with pytest.raises(DecodeError, match="limit"):
        decode_cbor(data, max_size=len(data) - 1)


def test_allowed_tags_come_back_as_tags() -> None:
    data = bytes.fromhex("d28341a0a0f6")
    assert decode_cbor(data, allowed_tags=frozenset({18})) == cbor2.CBORTag(18, (b"\xa0", {}, None))
    with pytest.raises(DecodeError):
        decode_cbor(data)


@pytest.mark.parametrize(
    "encoding",
    [
        "c11a514b67b0",  # tag 1: epoch date/time
        "c074323031332d30332d32315432303a30343a30305a",  # tag 0: date/time string
        "c249010000000000000000",  # tag 2: bignum
        "c349010000000000000000",  # tag 3: negative bignum
        "d82362612b",  # tag 35: regular expression
        "d81c81d81d00",  # tags 28/29: shared (cyclic) references
        "d90100826161d81900",  # tags 256 and 25: string references
        "d9d9f701",  # tag 55799: self-described CBOR
        "d82550" + "00" * 16,  # tag 37: UUID
    ],
)
def test_builtin_semantic_tags_are_refused(encoding: str) -> None:
    with pytest.raises(DecodeError):
        decode_cbor(bytes.fromhex(encoding))


def test_an_allowed_builtin_tag_is_returned_raw_not_interpreted() -> None:
    assert decode_cbor(bytes.fromhex("c11a514b67b0"), allowed_tags=frozenset({1})) == (
        cbor2.CBORTag(1, 1363896240)
    )


def test_no_tag_below_70000_is_interpreted_or_let_through() -> None:
    # Guards against a cbor2 upgrade that adds a semantic decoder we do not override.
    let_through = []
    for tag in range(70_000):
        for value in (0, [0], b"\x00" * 16):
            try:
                decode_cbor(encode_deterministic(cbor2.CBORTag(tag, value)))
            except DecodeError:
                continue
            let_through.append(tag)
    assert let_through == []


# ---------------------------------------------------------------- fuzzing

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.binary(max_size=20)
    | st.text(max_size=20)
)
_keys = st.integers(min_value=-(2**64), max_value=2**64 - 1) | st.text(max_size=8)
_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_keys, children, max_size=5),
    max_leaves=30,
)


@given(_values)
def test_deterministic_encoding_round_trips(value: object) -> None:
    encoded = encode_deterministic(value)
    decoded = decode_cbor(encoded)
    assert decoded == value
    assert encode_deterministic(decoded) == encoded


@given(st.dictionaries(_keys, _scalars, max_size=8), st.data())
def test_deterministic_encoding_ignores_insertion_order(
    value: dict[object, object], data: st.DataObject
) -> None:
    items = data.draw(st.permutations(list(value.items())))
    assert encode_deterministic(dict(items)) == encode_deterministic(value)


@given(st.binary(max_size=200))
def test_decoding_any_bytes_raises_only_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decode_cbor(data, max_size=100, max_depth=8, allowed_tags=frozenset({18}))


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), max_size=10))
def test_duplicate_keys_are_always_refused(pairs: list[tuple[int, int]]) -> None:
    data = bytes([0xA0 | len(pairs)]) + b"".join(bytes([k, v]) for k, v in pairs)
    keys = [k for k, _ in pairs]
    if len(set(keys)) == len(keys):
        assert decode_cbor(data) == dict(pairs)
    else:
        with pytest.raises(DecodeError):
            decode_cbor(data)


@given(st.integers(min_value=1, max_value=40), st.sampled_from([b"\x81", b"\xa1\x01", b"\xd8\x80"]))
def test_depth_is_refused_exactly_beyond_the_limit(depth: int, container: bytes) -> None:
    data = container * depth + b"\x00"
    if depth <= DEFAULT_MAX_DEPTH:
        decode_cbor(data, allowed_tags=frozenset({128}))
    else:
        with pytest.raises(DecodeError):
            decode_cbor(data, allowed_tags=frozenset({128}))


# ------------------------------------------- fast path against the reference
#
# encode_deterministic hands values that are already in deterministic order to
# cbor2's encoder. The pure-Python encoder it was before (kept here verbatim as
# the reference) must agree with it byte for byte.

_REF_MAX = 2**64 - 1


def _ref_head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes((major << 5 | argument,))
    for info, size in ((24, 1), (25, 2), (26, 4)):
        if argument < 1 << (8 * size):
            return bytes((major << 5 | info,)) + argument.to_bytes(size, "big")
    return bytes((major << 5 | 27,)) + argument.to_bytes(8, "big")


def _reference_encode(value: object, depth: int = 0) -> bytes:
    if value is None or isinstance(value, bool):
        return {False: b"\xf4", True: b"\xf5", None: b"\xf6"}[value]
    if isinstance(value, int):
        if not -_REF_MAX - 1 <= value <= _REF_MAX:
            raise ValidationError("CBOR: integer outside the 64-bit range")
        return _ref_head(0, value) if value >= 0 else _ref_head(1, -1 - value)
    if isinstance(value, bytes | str):
        encoded = value.encode("utf-8") if isinstance(value, str) else value
        return _ref_head(3 if isinstance(value, str) else 2, len(encoded)) + encoded
    if isinstance(value, float):
        return cbor2.dumps(value, canonical=True)
    if not isinstance(value, list | tuple | Mapping | cbor2.CBORTag):
        raise ValidationError(f"CBOR: cannot encode a {type(value).__name__}")
    if depth >= DEFAULT_MAX_DEPTH:
        raise ValidationError("CBOR: value nests too deeply to encode")
    return _reference_container(value, depth + 1)


def _reference_container(
    value: list[object] | tuple[object, ...] | Mapping[object, object] | cbor2.CBORTag,
    depth: int,
) -> bytes:
    if isinstance(value, cbor2.CBORTag):
        return _ref_head(6, value.tag) + _reference_encode(value.value, depth)
    if isinstance(value, Mapping):
        entries: dict[bytes, object] = {}
        for key, item in value.items():
            encoded_key = _reference_encode(key, depth)
            if encoded_key in entries:
                raise ValidationError("CBOR: two map keys have the same encoding")
            entries[encoded_key] = item
        return _ref_head(5, len(entries)) + b"".join(
            key + _reference_encode(entries[key], depth) for key in sorted(entries)
        )
    return _ref_head(4, len(value)) + b"".join(_reference_encode(item, depth) for item in value)


def _outcome(encode: Callable[[object], bytes], value: object) -> bytes | type[Exception]:
    try:
        return encode(value)
    except ValidationError:
        return ValidationError


def _in_order(value: object) -> object:
    """``value`` with every dict rebuilt in deterministic key order (where it can be)."""
    if isinstance(value, list):
        return [_in_order(item) for item in value]
    if isinstance(value, dict):
        try:
            keys = sorted(value, key=_reference_encode)
        except ValidationError:
            keys = list(value)
        return {key: _in_order(value[key]) for key in keys}
    return value


_plain_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**65), max_value=2**65)
    | st.binary(max_size=30)
    | st.text(max_size=30)
)
_plain_keys = st.integers(min_value=-(2**65), max_value=2**65) | st.text(max_size=30)
_plain_values = st.recursive(
    _plain_scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.lists(children, max_size=5).map(tuple)
        | st.dictionaries(_plain_keys, children, max_size=6)
        | st.builds(cbor2.CBORTag, st.integers(0, 2**64 - 1), children)
    ),
    max_leaves=40,
)


@given(_plain_values)
def test_fast_path_agrees_with_the_reference_encoder(value: object) -> None:
    ordered = _in_order(value)
    assert _outcome(encode_deterministic, ordered) == _outcome(_reference_encode, ordered)
    assert _outcome(encode_deterministic, value) == _outcome(_reference_encode, value)


@given(_values)
def test_every_value_agrees_with_the_reference_encoder(value: object) -> None:
    for candidate in (value, _in_order(value)):
        assert _outcome(encode_deterministic, candidate) == _outcome(_reference_encode, candidate)


@pytest.mark.parametrize(
    "value",
    [
        {1: "a", 24: "b", 65535: "c", -1: "d", -24: "e", -65537: "f", "a": 1, "bb": 2, "é": 3},
        {"ab": 1, "é": 2},  # "é" is one character but two UTF-8 bytes: it sorts after "ab"
        {"b": 1, "aa": 2},  # shorter first, whatever the first letter
        {2**64 - 1: 0, -(2**64): 1},  # the extremes of both integer types
        [{"z": {3: [b"x", None, True]}}, (cbor2.CBORTag(61, {1: 2}),)],
    ],
)
def test_values_already_in_order_take_the_fast_path(value: object) -> None:
    assert encode_deterministic(value) == _reference_encode(value) == cbor2.dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        {24: 0, -1: 0},  # out of order
        {"a": 0, 1: 0},  # text before an integer
        {"aa": 0, "b": 0},  # longer text first
        {"é": 0, "ab": 0},
        {1: 0, 1.5: 0},  # a float key
        {2**64: 0},  # beyond 64 bits
        {-(2**64) - 1: 0},
        {1: 2**64},
        [1.5],  # floats need their shortest form
        {1: bytearray(b"x")},
        {True: 0, 1.5: 1},  # a bool key (True == 1 in Python)
    ],
)
def test_everything_else_goes_to_the_reference_encoder(value: object) -> None:
    assert _outcome(encode_deterministic, value) == _outcome(_reference_encode, value)


# --------------------------------------------- decoding: the trailing-bytes check


def _stream_decode(data: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> object:
    """decode_cbor as it was: a decoder over a stream, then the stream position."""
    stream = io.BytesIO(data)
    value = cbor2.CBORDecoder(
        stream,
        tag_hook=_tag_hook(frozenset()),
        semantic_decoders=_semantic_decoders(frozenset()),
        max_depth=max_depth,
        allow_indefinite=False,
        allow_duplicate_keys=False,
    ).decode()
    if stream.tell() != len(data):
        raise ValueError("trailing")
    return value


def _decode_outcome(decode: Callable[[bytes], object], data: bytes) -> object:
    try:
        return ("value", repr(decode(data)))  # repr: NaN is not equal to itself
    except (DecodeError, cbor2.CBORError, ValueError, TypeError, EOFError, OverflowError):
        return "refused"


@given(st.binary(max_size=60), st.binary(max_size=20))
def test_decoding_agrees_with_a_stream_decoder(data: bytes, suffix: bytes) -> None:
    for candidate in (data, data + suffix, encode_deterministic(list(data)) + suffix):
        assert _decode_outcome(decode_cbor, candidate) == _decode_outcome(_stream_decode, candidate)


@pytest.mark.parametrize(
    "data",
    [
        b"\x50",  # a 16-byte string with no content: would swallow a 16-byte sentinel
        b"\x51",
        b"\x4f",
        b"\x82\x01",  # an array one item short
        b"\xa1\x01",  # a map missing its value
        b"\x01\x50" + bytes(16),  # an item, then a 16-byte string
        b"\x01\x50",
        b"\x01\x82",
        b"\x01\x01",
        b"\x58\x20" + bytes(16),  # a 32-byte string with only 16 bytes
    ],
)
def test_truncated_or_trailing_input_is_refused_whatever_follows(data: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_cbor(data)
