"""Status List Token claims (§5.2), the status claim (§6.3) and the verifier's snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import cbor2
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carnet.credentials.statuslist import (
    COSE_HEADER_TYP,
    CWT_EXP,
    CWT_IAT,
    CWT_STATUS,
    CWT_STATUS_LIST,
    CWT_SUB,
    CWT_TTL,
    STATUS_LIST_CWT_TYP,
    Status,
    StatusList,
    StatusListToken,
    StatusReference,
    StatusSnapshot,
    check_status_list_token_header,
    status_list_token_header,
)
from carnet.domain.errors import (
    CredentialError,
    DecodeError,
    StatusUnknownError,
    ValidationError,
)

pytestmark = pytest.mark.unit

CWT = yaml.safe_load(
    (Path(__file__).parents[2] / "vectors" / "statuslist" / "cwt.yaml").read_text("utf-8")
)
URI = "https://carnet.example/statuslists/7"
IAT = 1_767_225_600  # 2026-01-01T00:00:00Z


def _hex(lines: list[str]) -> bytes:
    return bytes.fromhex("".join(lines).replace(" ", ""))


def _at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _token(**overrides: Any) -> StatusListToken:
    status_list = StatusList(131_072, 2)
    status_list.set(1, Status.INVALID)
    status_list.set(2, Status.SUSPENDED)
    status_list.set(3, Status.APPLICATION_SPECIFIC)
    fields: dict[str, Any] = {
        "sub": URI,
        "iat": IAT,
        "status_list": status_list,
        "exp": IAT + 7 * 86_400,
        "ttl": 86_400,
    }
    fields.update(overrides)
    return StatusListToken(**fields)


_DROP = object()
_KEYS = {"sub": CWT_SUB, "iat": CWT_IAT, "exp": CWT_EXP, "ttl": CWT_TTL}
_KEYS["status_list"] = CWT_STATUS_LIST


def _payload(**claims: Any) -> bytes:
    """The payload of :func:`_token` with claims replaced, or dropped with ``_DROP``."""
    base: dict[Any, Any] = _token().to_claims()
    for name, value in claims.items():
        if value is _DROP:
            del base[_KEYS[name]]
        else:
            base[_KEYS[name]] = value
    return cbor2.dumps(base)


# --------------------------------------------------------------------------- draft vectors


def test_the_draft_cwt_payload_parses() -> None:
    vector = CWT["status_list_token"]
    token = StatusListToken.from_payload(_hex(vector["payload_hex"]))
    assert token.sub == vector["sub"]
    assert token.iat == vector["iat"]
    assert token.exp == vector["exp"]
    assert token.ttl == vector["ttl"]
    assert token.status_list.bits == vector["bits"]
    assert token.status_list.compress().hex() == vector["lst_hex"]
    assert [token.status_list.get(i) for i in range(16)] == [
        1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1,
    ]  # fmt: skip


def test_payload_is_deterministic_cbor() -> None:
    vector = CWT["status_list_token"]
    token = StatusListToken.from_payload(_hex(vector["payload_hex"]))
    assert token.to_payload() == _hex(vector["deterministic_payload_hex"])


def test_the_draft_protected_header_passes_and_ours_matches_its_typ() -> None:
    protected = cbor2.loads(bytes.fromhex(CWT["status_list_token"]["protected_hex"]))
    check_status_list_token_header(protected)
    assert protected[16] == status_list_token_header()[16] == "application/statuslist+cwt"
    assert status_list_token_header() == {COSE_HEADER_TYP: STATUS_LIST_CWT_TYP}


@pytest.mark.parametrize(
    "header",
    [
        {1: -7},
        {1: -7, 16: "application/cwt"},
        {1: -7, 16: b"application/statuslist+cwt"},
        {1: -7, 16.0: "application/statuslist+cwt"},
        {1: -7, "16": "application/statuslist+cwt"},
    ],
)
def test_headers_without_the_status_list_typ_are_refused(header: dict[Any, Any]) -> None:
    with pytest.raises(DecodeError) as error:
        check_status_list_token_header(header)
    assert error.value.field == "typ"


def test_the_draft_referenced_token_status_claim_parses_and_reencodes() -> None:
    vector = CWT["referenced_token"]
    claims = cbor2.loads(_hex(vector["payload_hex"]))
    reference = StatusReference.from_claims(claims)
    assert reference == StatusReference(uri=vector["uri"], idx=vector["idx"])
    assert cbor2.dumps(reference.to_claim(), canonical=True).hex() == vector["status_claim_hex"]


# --------------------------------------------------------------------------- token


def test_token_round_trips_through_its_payload() -> None:
    token = _token()
    assert StatusListToken.from_payload(token.to_payload()) == token
    minimal = _token(exp=None, ttl=None)
    assert set(cbor2.loads(minimal.to_payload())) == {CWT_SUB, CWT_IAT, CWT_STATUS_LIST}
    assert StatusListToken.from_payload(minimal.to_payload()) == minimal


def test_token_claims_use_the_registered_keys() -> None:
    claims = _token().to_claims()
    assert set(claims) == {2, 4, 6, 65533, 65534}
    assert claims[65533] == _token().status_list.to_cbor_map()


def test_other_claims_are_ignored() -> None:
    claims: dict[Any, Any] = _token().to_claims()
    claims[1] = "https://carnet.example"  # iss
    claims[-70000] = [1, 2, {"x": b"y"}]
    claims["note"] = "free text"
    assert StatusListToken.from_payload(cbor2.dumps(claims)) == _token()


def test_from_claims_takes_an_already_decoded_map() -> None:
    assert StatusListToken.from_claims(_token().to_claims()) == _token()
    with pytest.raises(DecodeError):
        StatusListToken.from_claims([1, 2])


@pytest.mark.parametrize(
    ("claims", "field"),
    [
        ({"sub": _DROP}, "sub"),
        ({"iat": _DROP}, "iat"),
        ({"status_list": _DROP}, "status_list"),
        ({"sub": 7}, "sub"),
        ({"sub": "statuslists/7"}, "sub"),
        ({"iat": -1}, "iat"),
        ({"iat": True}, "iat"),
        ({"iat": 1.5e9}, "iat"),
        ({"exp": IAT}, "exp"),
        ({"exp": "tomorrow"}, "exp"),
        ({"ttl": 0}, "ttl"),
        ({"ttl": 3600.0}, "ttl"),
        ({"status_list": {"bits": 3, "lst": b""}}, "bits"),
    ],
)
def test_payloads_with_bad_claims_are_refused(claims: dict[str, Any], field: str) -> None:
    with pytest.raises(DecodeError) as error:
        StatusListToken.from_payload(_payload(**claims))
    assert error.value.field == field


def test_float_claim_keys_do_not_stand_in_for_integer_keys() -> None:
    claims: dict[Any, Any] = _token().to_claims()
    claims[2.0] = claims.pop(CWT_SUB)
    with pytest.raises(DecodeError) as error:
        StatusListToken.from_payload(cbor2.dumps(claims))
    assert error.value.field == "sub"


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(cbor2.dumps([2, URI]), id="array"),
        pytest.param(cbor2.dumps(cbor2.CBORTag(61, _token().to_claims())), id="CWT tag"),
        pytest.param(_token().to_payload() + b"\x00", id="trailing byte"),
        pytest.param(_token().to_payload()[:-1], id="truncated"),
        pytest.param(b"", id="empty"),
        pytest.param(bytearray(b"\xa0"), id="empty map"),
        pytest.param(None, id="not bytes"),
    ],
)
def test_malformed_payloads_are_refused(payload: Any) -> None:
    with pytest.raises(DecodeError):
        StatusListToken.from_payload(payload)


def test_payload_and_list_limits_apply() -> None:
    payload = _token().to_payload()
    with pytest.raises(DecodeError, match="exceeds"):
        StatusListToken.from_payload(payload, max_bytes=len(payload) - 1)
    with pytest.raises(DecodeError, match="inflates past"):
        StatusListToken.from_payload(payload, max_list_bytes=1024)
    assert StatusListToken.from_payload(memoryview(payload)) == _token()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"sub": ""}, "sub"),
        ({"iat": -5}, "iat"),
        ({"exp": IAT - 1}, "exp"),
        ({"ttl": -1}, "ttl"),
    ],
)
def test_building_a_token_checks_its_claims(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        _token(**overrides)
    assert error.value.field == field


@settings(max_examples=300, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=256))
def test_fuzz_payload_parser_raises_only_decode_error(data: bytes) -> None:
    try:
        token = StatusListToken.from_payload(data)
    except DecodeError:
        return
    assert StatusListToken.from_payload(token.to_payload()) == token


@settings(max_examples=300, deadline=1000)
@given(
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=3)
)
def test_fuzz_mutated_draft_payload(flips: list[tuple[int, int]]) -> None:
    data = bytearray(_hex(CWT["status_list_token"]["payload_hex"]))
    for pos, byte in flips:
        data[pos % len(data)] = byte
    try:
        token = StatusListToken.from_payload(bytes(data))
    except DecodeError:
        return
    assert StatusListToken.from_payload(token.to_payload()) == token


# --------------------------------------------------------------------------- freshness


def test_exp_makes_a_list_stale_from_that_second_on() -> None:
    token = _token(ttl=None)
    assert token.exp is not None
    token.check_fresh(_at(token.exp - 1))
    with pytest.raises(StatusUnknownError) as error:
        token.check_fresh(_at(token.exp))
    assert error.value.field == "exp"


def test_ttl_counts_from_iat() -> None:
    token = _token(exp=None, ttl=3600)
    token.check_fresh(_at(IAT + 3600))
    with pytest.raises(StatusUnknownError) as error:
        token.check_fresh(_at(IAT + 3600.5))
    assert error.value.field == "ttl"


def test_max_age_is_the_verifiers_own_limit() -> None:
    token = _token(exp=None, ttl=None)
    token.check_fresh(_at(IAT + 10**9))  # no exp, no ttl: never stale by itself
    token.check_fresh(_at(IAT + 60), max_age=timedelta(minutes=1))
    with pytest.raises(StatusUnknownError) as error:
        token.check_fresh(_at(IAT + 61), max_age=timedelta(minutes=1))
    assert error.value.field == "iat"


def test_freshness_works_in_any_time_zone_but_refuses_naive_times() -> None:
    token = _token(exp=IAT + 3600, ttl=None)
    plus_two = timezone(timedelta(hours=2))
    token.check_fresh(_at(IAT + 3599).astimezone(plus_two))
    with pytest.raises(ValidationError) as error:
        token.check_fresh(datetime(2026, 1, 1, 0, 30))  # noqa: DTZ001 - naive on purpose
    assert error.value.field == "now"


# --------------------------------------------------------------------------- status claim


def test_status_claim_round_trip() -> None:
    reference = StatusReference(uri=URI, idx=131_071)
    claim = reference.to_claim()
    assert claim == {"status_list": {"idx": 131_071, "uri": URI}}
    assert StatusReference.from_claim(claim) == reference
    assert StatusReference.from_claims({1: "iss", CWT_STATUS: claim}) == reference
    assert CWT_STATUS == 65535


def test_status_claim_ignores_other_mechanisms_and_members() -> None:
    claim = {
        "status_list": {"idx": 5, "uri": URI, "note": "extension"},
        "other_mechanism": {"x": 1},
    }
    assert StatusReference.from_claim(claim) == StatusReference(uri=URI, idx=5)


@pytest.mark.parametrize(
    ("claim", "field"),
    [
        ([URI, 5], "status"),
        ({"other_mechanism": {}}, "status_list"),
        ({"status_list": [5, URI]}, "status_list"),
        ({"status_list": {"idx": 5}}, "uri"),
        ({"status_list": {"uri": URI}}, "idx"),
        ({"status_list": {"idx": -1, "uri": URI}}, "idx"),
        ({"status_list": {"idx": True, "uri": URI}}, "idx"),
        ({"status_list": {"idx": "5", "uri": URI}}, "idx"),
        ({"status_list": {"idx": 5, "uri": b"https://x"}}, "uri"),
        ({"status_list": {"idx": 5, "uri": "/statuslists/7"}}, "uri"),
    ],
)
def test_malformed_status_claims_are_refused(claim: Any, field: str) -> None:
    with pytest.raises(DecodeError) as error:
        StatusReference.from_claim(claim)
    assert error.value.field == field


def test_a_credential_without_a_status_claim_is_refused() -> None:
    with pytest.raises(DecodeError) as error:
        StatusReference.from_claims({1: "iss", 65535.0: {"status_list": {}}})
    assert error.value.field == "status"


def test_building_a_reference_checks_it() -> None:
    with pytest.raises(ValidationError):
        StatusReference(uri="not a uri", idx=0)
    with pytest.raises(ValidationError):
        StatusReference(uri=URI, idx=-3)


# --------------------------------------------------------------------------- snapshot


def test_snapshot_answers_each_status() -> None:
    snapshot = StatusSnapshot([_token()])
    now = _at(IAT + 60)
    assert snapshot.status_of(URI, 0, now) is Status.VALID
    assert snapshot.status_of(URI, 1, now) is Status.INVALID
    assert snapshot.status_of(URI, 2, now) is Status.SUSPENDED
    assert snapshot.status_of(URI, 3, now) is Status.APPLICATION_SPECIFIC
    assert snapshot.status_of(URI, 131_071, now) is Status.VALID
    assert snapshot.uris == frozenset({URI})


def test_snapshot_holds_several_lists() -> None:
    other = "https://carnet.example/statuslists/8"
    second = _token(sub=other, status_list=StatusList(131_072, 2))
    second.status_list.set(1, Status.SUSPENDED)
    snapshot = StatusSnapshot([_token(), second])
    now = _at(IAT)
    assert snapshot.status_of(URI, 1, now) is Status.INVALID
    assert snapshot.status_of(other, 1, now) is Status.SUSPENDED


@pytest.mark.parametrize(
    ("uri", "idx", "seconds", "overrides", "field"),
    [
        ("https://carnet.example/statuslists/99", 0, 60, {}, "uri"),
        (URI, 131_072, 60, {}, "idx"),
        (URI, -1, 60, {}, "idx"),
        (URI, 0, 7 * 86_400, {"ttl": None}, "exp"),
        (URI, 0, 86_401, {"exp": None}, "ttl"),
    ],
)
def test_snapshot_cannot_answer(
    uri: str, idx: int, seconds: int, overrides: dict[str, Any], field: str
) -> None:
    snapshot = StatusSnapshot([_token(**overrides)])
    with pytest.raises(StatusUnknownError) as error:
        snapshot.status_of(uri, idx, _at(IAT + seconds))
    assert error.value.field == field
    assert error.value.reason == "status_unknown"
    assert isinstance(error.value, CredentialError)


def test_snapshot_applies_its_max_age() -> None:
    snapshot = StatusSnapshot([_token()], max_age=timedelta(hours=1))
    assert snapshot.status_of(URI, 1, _at(IAT + 3600)) is Status.INVALID
    with pytest.raises(StatusUnknownError) as error:
        snapshot.status_of(URI, 1, _at(IAT + 3601))
    assert error.value.field == "iat"


def test_snapshot_reports_unregistered_values_as_unknown() -> None:
    wide = StatusList(16, 4)
    wide.set(0, 0x0C)
    snapshot = StatusSnapshot([_token(status_list=wide)])
    with pytest.raises(StatusUnknownError) as error:
        snapshot.status_of(URI, 0, _at(IAT))
    assert error.value.field == "status"


def test_snapshot_refuses_two_lists_with_one_uri() -> None:
    with pytest.raises(ValidationError) as error:
        StatusSnapshot([_token(), _token(iat=IAT + 1)])
    assert error.value.field == "sub"
