"""The status list data structure (draft-ietf-oauth-status-list §4) and its parsers."""

from __future__ import annotations

import base64
import json
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import cbor2
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carnet.credentials.statuslist import (
    ALLOWED_BITS,
    CARNET_BITS,
    Status,
    StatusList,
)
from carnet.domain.errors import DecodeError, ValidationError

pytestmark = pytest.mark.unit

VECTORS = Path(__file__).parents[2] / "vectors" / "statuslist"


def _load(name: str) -> Any:
    return yaml.safe_load((VECTORS / name).read_text(encoding="utf-8"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for fixture, file in (("encoding", "encoding.yaml"), ("appendix", "appendix_c.yaml")):
        if fixture in metafunc.fixturenames:
            cases = _load(file)
            metafunc.parametrize(fixture, cases, ids=[c["name"] for c in cases])


def _cbor_map(**items: bytes) -> bytes:
    """A definite-length CBOR map of already encoded (key, value) byte pairs."""
    body = b"".join(cbor2.dumps(k) + v for k, v in items.items())
    return bytes([0xA0 + len(items)]) + body


# --------------------------------------------------------------------------- vectors


def test_status_types_have_the_registered_values() -> None:
    assert [(s.name, s.value) for s in Status] == [
        ("VALID", 0),
        ("INVALID", 1),
        ("SUSPENDED", 2),
        ("APPLICATION_SPECIFIC", 3),
    ]
    assert CARNET_BITS == 2
    assert frozenset({1, 2, 4, 8}) == ALLOWED_BITS


def test_section_4_examples_pack_and_compress_as_the_draft_shows(encoding: Any) -> None:
    statuses = encoding["statuses"]
    status_list = StatusList(len(statuses), encoding["bits"])
    for idx, value in enumerate(statuses):
        status_list.set(idx, value)

    assert status_list.to_bytes().hex() == encoding["byte_array"]
    assert status_list.compress().hex() == encoding["lst_hex"]
    assert status_list.to_json() == encoding["json"]
    assert status_list.to_cbor().hex() == encoding["deterministic_cbor_hex"]


def test_section_4_examples_parse_back_in_every_form(encoding: Any) -> None:
    expected = encoding["statuses"]
    forms = [
        StatusList.decompress(bytes.fromhex(encoding["lst_hex"]), encoding["bits"]),
        StatusList.from_json(encoding["json"]),
        StatusList.from_json(json.dumps(encoding["json"])),
        StatusList.from_cbor(bytes.fromhex(encoding["deterministic_cbor_hex"])),
    ]
    if encoding["cbor_hex"] is not None:
        forms.append(StatusList.from_cbor(bytes.fromhex(encoding["cbor_hex"])))
    for parsed in forms:
        assert parsed.bits == encoding["bits"]
        assert [parsed.get(i) for i in range(len(expected))] == expected
        assert parsed.size == len(expected)


def test_appendix_c_vectors_decode_to_the_listed_statuses(appendix: Any) -> None:
    cbor = bytes.fromhex("".join(appendix["cbor_hex"]))
    from_cbor = StatusList.from_cbor(cbor, expected_size=appendix["size"])
    from_json = StatusList.from_json(
        {"bits": appendix["bits"], "lst": "".join(appendix["json_lst"])}
    )
    assert from_cbor == from_json
    assert from_cbor.bits == appendix["bits"]
    listed = {int(k): v for k, v in appendix["statuses"].items()}
    for idx, value in listed.items():
        assert from_cbor.get(idx) == value
    # Everything not listed is VALID: the listed entries account for every set bit.
    set_bits = int.from_bytes(from_cbor.to_bytes(), "little").bit_count()
    assert set_bits == sum(v.bit_count() for v in listed.values())


def test_appendix_c_vectors_are_reproduced_from_the_statuses(appendix: Any) -> None:
    status_list = StatusList(appendix["size"], appendix["bits"])
    for idx, value in appendix["statuses"].items():
        status_list.set(int(idx), value)
    draft = cbor2.loads(bytes.fromhex("".join(appendix["cbor_hex"])))

    assert status_list.compress() == draft["lst"]
    assert status_list.to_json()["lst"] == "".join(appendix["json_lst"])
    # Deterministic CBOR (RFC 8949 §4.2.1) writes "lst" before "bits".
    lst = draft["lst"]
    expected = b"\xa2" + cbor2.dumps("lst") + cbor2.dumps(lst) + cbor2.dumps("bits")
    assert status_list.to_cbor() == expected + bytes([appendix["bits"]])


# --------------------------------------------------------------------------- get / set


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_new_lists_are_all_valid_and_sized_in_whole_bytes(bits: int) -> None:
    size = 64
    status_list = StatusList(size, bits)
    assert len(status_list) == status_list.size == size
    assert status_list.bits == bits
    assert status_list.to_bytes() == bytes(size * bits // 8)
    assert all(status_list.get(i) == Status.VALID for i in range(size))


def test_indices_pack_from_the_least_significant_bit() -> None:
    status_list = StatusList(8, 2)
    status_list.set(0, Status.INVALID)  # bits 0-1 of byte 0
    status_list.set(3, Status.SUSPENDED)  # bits 6-7 of byte 0
    status_list.set(5, 3)  # bits 2-3 of byte 1
    assert status_list.to_bytes() == bytes([0b1000_0001, 0b0000_1100])


@settings(max_examples=200)
@given(
    bits=st.sampled_from([1, 2, 4, 8]),
    writes=st.lists(st.tuples(st.integers(0, 63), st.integers(0, 255)), max_size=80),
)
def test_set_changes_only_its_own_entry(bits: int, writes: list[tuple[int, int]]) -> None:
    status_list = StatusList(64, bits)
    model = [0] * 64
    for idx, raw in writes:
        value = raw % (1 << bits)
        status_list.set(idx, value)
        model[idx] = value
    assert [status_list.get(i) for i in range(64)] == model


@pytest.mark.parametrize("idx", [-1, 16, 10**30, True, "3", 2.0])
def test_indices_outside_the_list_are_refused(idx: Any) -> None:
    status_list = StatusList(16, 2)
    with pytest.raises(ValidationError) as get_error:
        status_list.get(idx)
    with pytest.raises(ValidationError) as set_error:
        status_list.set(idx, 1)
    assert get_error.value.field == set_error.value.field == "idx"


@pytest.mark.parametrize("status", [-1, 4, True, 1.0, "1"])
def test_statuses_that_do_not_fit_are_refused(status: Any) -> None:
    with pytest.raises(ValidationError) as error:
        StatusList(16, 2).set(0, status)
    assert error.value.field == "status"


@pytest.mark.parametrize(
    ("size", "bits", "field"),
    [
        (16, 3, "bits"),
        (16, 0, "bits"),
        (16, True, "bits"),
        (0, 2, "size"),
        (-4, 2, "size"),
        (6, 2, "size"),  # not a multiple of the 4 entries per byte
        (7, 1, "size"),
        (True, 8, "size"),
        (8.0, 1, "size"),
    ],
)
def test_construction_checks_size_and_bits(size: Any, bits: Any, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        StatusList(size, bits)
    assert error.value.field == field


@pytest.mark.parametrize(
    "uri", ["", "relative/path", "https://a b", "https://x\n", "http://[::1", "x" * 3000, 5]
)
def test_aggregation_uri_must_be_an_absolute_uri(uri: Any) -> None:
    with pytest.raises(ValidationError) as error:
        StatusList(8, 1, aggregation_uri=uri)
    assert error.value.field == "aggregation_uri"


def test_from_bytes_wraps_a_copy_of_the_array() -> None:
    raw = bytearray([0b0110_0100])
    status_list = StatusList.from_bytes(bytes(raw), 2)
    raw[0] = 0
    assert [status_list.get(i) for i in range(4)] == [0, 1, 2, 1]
    with pytest.raises(ValidationError):
        StatusList.from_bytes(b"", 2)
    with pytest.raises(ValidationError):
        StatusList.from_bytes(b"\x00", 5)


def test_to_bytes_is_a_copy() -> None:
    status_list = StatusList(8, 1)
    status_list.to_bytes()
    assert status_list.to_bytes() == b"\x00"


def test_equality_repr_and_hashing() -> None:
    a, b = StatusList(8, 2), StatusList(8, 2)
    assert a == b
    b.set(7, 1)
    assert a != b
    assert StatusList(8, 1) != StatusList(4, 2)  # same bytes, other bits
    assert StatusList(8, 1) != StatusList(8, 1, aggregation_uri="https://x.example/a")
    assert a != "not a list"
    assert repr(a) == "StatusList(size=8, bits=2)"
    with pytest.raises(TypeError):
        hash(a)


# --------------------------------------------------------------------------- compression


def test_compression_uses_zlib_at_the_highest_level() -> None:
    lst = StatusList(1024, 2).compress()
    # RFC 1950 §2.2: CMF 0x78 (deflate, 32K window), FLEVEL 3 (maximum compression).
    assert lst[0] == 0x78
    assert lst[1] >> 6 == 3
    assert zlib.decompress(lst) == bytes(256)


def test_decompress_checks_the_expected_size() -> None:
    lst = StatusList(131_072, 2).compress()
    assert StatusList.decompress(lst, 2, expected_size=131_072).size == 131_072
    with pytest.raises(DecodeError, match="expected 65536") as error:
        StatusList.decompress(lst, 2, expected_size=65_536)
    assert error.value.field == "lst"


@pytest.mark.parametrize(
    ("lst", "message"),
    [
        (b"", "truncated"),
        (b"not zlib at all", "not a valid ZLIB"),
        (zlib.compress(b"\x00" * 100)[:-3], "truncated"),
        (zlib.compress(b"\x00" * 100) + b"\x00", "after its ZLIB stream"),
        (zlib.compress(b""), "empty"),
        (zlib.compress(b"abc", wbits=-15), "not a valid ZLIB"),  # raw DEFLATE, no header
        (zlib.compress(b"abc", wbits=31), "not a valid ZLIB"),  # gzip wrapper
        ("eJwDAAAAAAE", "must be bytes"),
    ],
)
def test_decompress_refuses_bad_streams(lst: Any, message: str) -> None:
    with pytest.raises(DecodeError, match=message) as error:
        StatusList.decompress(lst, 1)
    assert error.value.field == "lst"


def test_decompress_refuses_bad_bits() -> None:
    with pytest.raises(DecodeError) as error:
        StatusList.decompress(zlib.compress(b"\x00"), 3)
    assert error.value.field == "bits"


def test_a_zlib_bomb_is_stopped_at_the_limit_without_inflating_it() -> None:
    bomb = zlib.compress(bytes(64 * 1024 * 1024), 9)  # 64 MiB of zeros in ~64 KiB
    limit = 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(DecodeError, match="inflates past"):
            StatusList.from_cbor(
                cbor2.dumps({"bits": 1, "lst": bomb}, canonical=True), max_bytes=limit
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * limit


def test_a_list_exactly_at_the_limit_is_accepted() -> None:
    lst = StatusList(8 * 1024, 1).compress()  # 1024 bytes
    assert StatusList.decompress(lst, 1, max_bytes=1024).size == 8 * 1024
    with pytest.raises(DecodeError):
        StatusList.decompress(lst, 1, max_bytes=1023)


# --------------------------------------------------------------------------- CBOR form


def test_cbor_round_trip_with_aggregation_uri() -> None:
    status_list = StatusList(64, 2, aggregation_uri="https://carnet.example/statuslists")
    status_list.set(9, Status.SUSPENDED)
    encoded = status_list.to_cbor()
    assert cbor2.loads(encoded) == {
        "bits": 2,
        "lst": status_list.compress(),
        "aggregation_uri": "https://carnet.example/statuslists",
    }
    assert StatusList.from_cbor(encoded) == status_list
    assert StatusList.from_json(status_list.to_json()) == status_list
    assert StatusList.from_cbor(encoded).aggregation_uri == "https://carnet.example/statuslists"
    assert StatusList(8, 1).aggregation_uri is None


GOOD_LST = cbor2.dumps(zlib.compress(b"\x01", 9))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(cbor2.dumps([1, GOOD_LST]), id="not a map"),
        pytest.param(cbor2.dumps({"bits": 1}), id="no lst"),
        pytest.param(cbor2.dumps({"lst": zlib.compress(b"\x01")}), id="no bits"),
        pytest.param(_cbor_map(bits=b"\x01", lst=GOOD_LST, extra=b"\x00"), id="unknown member"),
        pytest.param(cbor2.dumps({1: 1, "bits": 1, "lst": b"x"}), id="integer key"),
        pytest.param(_cbor_map(bits=b"\x03", lst=GOOD_LST), id="bits 3"),
        pytest.param(_cbor_map(bits=b"\xf5", lst=GOOD_LST), id="bits true"),
        pytest.param(_cbor_map(bits=b"\xf9\x3c\x00", lst=GOOD_LST), id="bits 1.0"),
        pytest.param(_cbor_map(bits=b"\x61\x31", lst=GOOD_LST), id="bits text"),
        pytest.param(_cbor_map(bits=b"\x01", lst=cbor2.dumps("eJwDAAAAAAE")), id="lst text"),
        pytest.param(
            _cbor_map(bits=b"\x01", lst=GOOD_LST, aggregation_uri=b"\x01"), id="uri not text"
        ),
        pytest.param(
            _cbor_map(bits=b"\x01", lst=GOOD_LST, aggregation_uri=cbor2.dumps("rel")),
            id="uri relative",
        ),
        pytest.param(
            b"\xa3"
            + cbor2.dumps("bits")
            + b"\x01"
            + cbor2.dumps("lst")
            + GOOD_LST
            + cbor2.dumps("bits")
            + b"\x02",
            id="duplicate key",
        ),
        pytest.param(
            b"\xbf" + cbor2.dumps("bits") + b"\x01" + cbor2.dumps("lst") + GOOD_LST + b"\xff",
            id="indefinite map",
        ),
        pytest.param(
            _cbor_map(bits=b"\x01", lst=b"\x5f" + GOOD_LST + b"\xff"), id="indefinite bytes"
        ),
        pytest.param(
            cbor2.dumps({"bits": 1, "lst": zlib.compress(b"\x01")}) + b"\x00", id="trailing"
        ),
        pytest.param(b"", id="empty"),
        pytest.param(b"\xa2\x64bits", id="truncated"),
        pytest.param(b"\x81" * 40 + b"\x00", id="deep nesting"),
        pytest.param(b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff", id="huge length"),
        pytest.param("a2", id="text input"),
    ],
)
def test_cbor_parser_refuses_malformed_input(data: Any) -> None:
    with pytest.raises(DecodeError):
        StatusList.from_cbor(data)


def test_cbor_parser_refuses_oversized_input_before_decoding() -> None:
    data = StatusList(8 * 4096, 1).to_cbor()
    with pytest.raises(DecodeError, match="exceeds"):
        StatusList.from_cbor(data + bytes(2 * 1024 * 1024), max_bytes=4096)


def test_from_cbor_map_takes_an_already_decoded_map() -> None:
    status_list = StatusList(16, 4)
    status_list.set(15, 9)
    assert StatusList.from_cbor_map(status_list.to_cbor_map()) == status_list
    with pytest.raises(DecodeError):
        StatusList.from_cbor_map(None)


# --------------------------------------------------------------------------- JSON form


def test_json_form_uses_unpadded_base64url() -> None:
    status_list = StatusList(8 * 7, 1)
    for idx in range(0, 56, 3):
        status_list.set(idx, 1)
    lst = status_list.to_json()["lst"]
    assert isinstance(lst, str)
    assert "=" not in lst
    assert set(lst) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)) == status_list.compress()
    assert StatusList.from_json(json.dumps(status_list.to_json()).encode()) == status_list


@pytest.mark.parametrize(
    "value",
    [
        pytest.param('{"bits": 1, "lst": "eNrbuRgAAhcBXQ"', id="broken JSON"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="deep JSON"),
        pytest.param(b"\xff\xfe", id="not UTF-8"),
        pytest.param('{"bits": 1, "bits": 1, "lst": 5}', id="lst not text"),
        pytest.param({"bits": 1, "lst": "eNrbuRgAAhcBXQ=="}, id="padded"),
        pytest.param({"bits": 1, "lst": "eNrbuRgA+hcBXQ"}, id="standard alphabet"),
        pytest.param({"bits": 1, "lst": "eNrbu"}, id="impossible length"),
        pytest.param({"bits": "1", "lst": "eNrbuRgAAhcBXQ"}, id="bits text"),
        pytest.param({"bits": 1.0, "lst": "eNrbuRgAAhcBXQ"}, id="bits float"),
        pytest.param({"bits": 1, "lst": "eNrbuRgAAhcBXQ", "status": 1}, id="unknown member"),
        pytest.param({"bits": 1, "lst": "AAAA"}, id="not zlib"),
        pytest.param([1, "eNrbuRgAAhcBXQ"], id="array"),
        pytest.param(None, id="null"),
    ],
)
def test_json_parser_refuses_malformed_input(value: Any) -> None:
    with pytest.raises(DecodeError):
        StatusList.from_json(value)


def test_json_parser_refuses_oversized_text() -> None:
    text = json.dumps(StatusList(8 * 64, 1).to_json())
    with pytest.raises(DecodeError, match="too large"):
        StatusList.from_json(text + " " * (2 * 1024 * 1024), max_bytes=64)


# --------------------------------------------------------------------------- fuzzing


def _assert_sound(parsed: StatusList) -> None:
    """A list that parsed re-encodes to itself in both forms."""
    assert parsed.bits in ALLOWED_BITS
    assert parsed.size > 0
    assert StatusList.from_cbor(parsed.to_cbor()) == parsed
    assert StatusList.from_json(parsed.to_json()) == parsed


FUZZ = settings(max_examples=300, deadline=1000, suppress_health_check=[HealthCheck.too_slow])

cbor_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64 - 1)
    | st.floats()
    | st.text(max_size=8)
    | st.binary(max_size=16),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=4) | st.integers(0, 10), inner, max_size=4)
    ),
    max_leaves=12,
)


@FUZZ
@given(data=st.binary(max_size=512))
def test_fuzz_arbitrary_bytes_parse_or_raise_decode_error(data: bytes) -> None:
    for parse in (StatusList.from_cbor, StatusList.from_json):
        try:
            parsed = parse(data)
        except DecodeError:
            continue
        _assert_sound(parsed)


@FUZZ
@given(
    bits=cbor_values | st.sampled_from([1, 2, 4, 8]),
    raw=st.binary(max_size=64),
    level=st.integers(0, 9),
    cut=st.integers(-8, 8),
    extra=st.none() | st.dictionaries(st.text(max_size=16), cbor_values, max_size=2),
)
def test_fuzz_structured_status_lists(
    bits: Any, raw: bytes, level: int, cut: int, extra: dict[str, Any] | None
) -> None:
    lst = zlib.compress(raw, level)
    lst = lst[:cut] if cut < 0 else lst + bytes(cut)
    value: dict[str, Any] = {"bits": bits, "lst": lst, **(extra or {})}
    try:
        parsed = StatusList.from_cbor(cbor2.dumps(value))
    except DecodeError:
        return
    assert parsed.to_bytes() == raw
    _assert_sound(parsed)


@FUZZ
@given(value=cbor_values)
def test_fuzz_any_cbor_value(value: Any) -> None:
    try:
        parsed = StatusList.from_cbor(cbor2.dumps(value))
    except DecodeError:
        return
    _assert_sound(parsed)


@FUZZ
@given(
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4)
)
def test_fuzz_mutated_valid_encoding(flips: list[tuple[int, int]]) -> None:
    status_list = StatusList(4096, 2)
    for idx in range(0, 4096, 37):
        status_list.set(idx, idx % 4)
    data = bytearray(status_list.to_cbor())
    for pos, byte in flips:
        data[pos % len(data)] = byte
    try:
        parsed = StatusList.from_cbor(bytes(data))
    except DecodeError:
        return
    _assert_sound(parsed)
