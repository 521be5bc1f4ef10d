"""CWT claims (RFC 8392), the status claim and Carnet's private claims."""

from __future__ import annotations

import calendar
import contextlib
import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carnet.credentials.claim169 import BirthDate, Gender, Identity169
from carnet.credentials.cwt import (
    CARNET_CLAIMS_KEY,
    STATUS_CLAIM_KEY,
    CarnetClaim,
    CwtClaim,
    CwtClaims,
)
from carnet.credentials.statuslist import StatusReference
from carnet.domain.errors import (
    CredentialExpiredError,
    CredentialNotYetValidError,
    DecodeError,
    ValidationError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.unit

# RFC 8392 Appendix A.1: the example claims set.
RFC8392_CLAIMS = bytes.fromhex(
    "a70175636f61703a2f2f61732e6578616d706c652e636f6d02656572696b77037818636f61703a"
    "2f2f6c696768742e6578616d706c652e636f6d041a5612aeb0051a5610d9f0061a5610d9f00742"
    "0b71"
)


def _epoch(year: int, month: int, day: int) -> int:
    """Seconds since the epoch at midnight UTC, computed by the standard library."""
    return calendar.timegm((year, month, day, 0, 0, 0))


def test_claim_keys_match_rfc_8392_and_the_drafts() -> None:
    assert [int(key) for key in CwtClaim] == [1, 2, 3, 4, 5, 6, 7, 169, 65535, -65537]
    assert STATUS_CLAIM_KEY == 65535
    # Private Use: integers below -65536 (RFC 8392 §9.1, IANA CWT registry).
    assert CARNET_CLAIMS_KEY < -65536
    assert [int(key) for key in CarnetClaim] == [1, 2, 3, 4, 5, 6]


def test_reads_the_rfc_8392_example() -> None:
    claims = CwtClaims.from_cbor(RFC8392_CLAIMS)
    assert claims.issuer == "coap://as.example.com"
    assert claims.subject == "erikw"
    assert claims.audience == "coap://light.example.com"
    assert claims.expires_at == datetime(2015, 10, 5, 17, 9, 4, tzinfo=UTC)  # 1444064944
    assert claims.not_before == datetime(2015, 10, 4, 7, 49, 4, tzinfo=UTC)  # 1443944944
    assert claims.issued_at == claims.not_before
    assert claims.cwt_id == b"\x0b\x71"


def test_writes_the_rfc_8392_example_byte_for_byte() -> None:
    claims = CwtClaims(
        issuer="coap://as.example.com",
        subject="erikw",
        audience="coap://light.example.com",
        expires_at=datetime.fromtimestamp(1444064944, UTC),
        not_before=datetime.fromtimestamp(1443944944, UTC),
        issued_at=datetime.fromtimestamp(1443944944, UTC),
        cwt_id=b"\x0b\x71",
    )
    assert claims.to_cbor() == RFC8392_CLAIMS


def test_national_id_claims_on_the_wire(make_claims: Callable[..., CwtClaims]) -> None:
    claims = make_claims(purposes=("boarding", "secure-facility"))
    data = claims.to_cbor()
    assert cbor2.loads(data) == {
        4: _epoch(2035, 2, 28),
        5: _epoch(2025, 3, 1),
        169: {
            1: "840115203917",
            4: "KIM MINJUN",
            5: "MINJUN",
            7: "KIM",
            8: "19840115",
            9: 1,
            10: "12 Sejong-daero, Jongno-gu, Seoul 03154",
            13: "KOR",
            19: "김민준",
            20: "kor",
        },
        65535: {"status_list": {"idx": 131071, "uri": "https://id.carnet.kr/sl/7"}},
        -65537: {1: "ID", 2: "M84011520", 6: ["boarding", "secure-facility"]},
    }
    # RFC 8949 §4.2.1 order: 4, 5, 169 (18a9), 65535 (19ffff), -65537 (3a00010000).
    assert list(cbor2.loads(data)) == [4, 5, 169, 65535, -65537]
    assert bytes.fromhex("3a00010000") in data


def _in_encoding_order(keys: list[object]) -> list[object]:
    return sorted(keys, key=cbor2.dumps)  # for these keys cbor2.dumps is the preferred form


def test_every_map_is_built_in_deterministic_order(make_claims: Callable[..., CwtClaims]) -> None:
    # The encoder's fast path needs every map already in RFC 8949 §4.2.1 order.
    claims = make_claims(
        issuer="https://id.carnet.kr",
        issued_at=datetime(2025, 3, 1, tzinfo=UTC),
        cwt_id=b"\x01",
        permit_zone="Z1",
        permit_valid_from=datetime(2025, 4, 1, tzinfo=UTC),
        permit_valid_until=datetime(2025, 5, 1, tzinfo=UTC),
        purposes=("boarding",),
    )
    claims_map = claims.to_map()
    identity = claims_map[169]
    status = claims_map[STATUS_CLAIM_KEY]
    assert isinstance(identity, dict)
    assert isinstance(status, dict)
    for mapping in (claims_map, identity, status, status["status_list"], claims_map[-65537]):
        assert isinstance(mapping, dict)
        assert list(mapping) == _in_encoding_order(list(mapping))
    # The keys of these maps order the same by length first (cbor2's canonical
    # mode, RFC 7049) as bytewise, so canonical cbor2 is an independent check.
    assert claims.to_cbor() == cbor2.dumps(claims_map, canonical=True)


def test_permit_claims_on_the_wire() -> None:
    claims = CwtClaims(
        permit_zone="DMZ-3",
        permit_valid_from=datetime(2025, 6, 1, 9, tzinfo=timezone(timedelta(hours=9))),
        permit_valid_until=datetime(2025, 6, 3, tzinfo=UTC),
    )
    assert cbor2.loads(claims.to_cbor()) == {
        -65537: {3: "DMZ-3", 4: _epoch(2025, 6, 1), 5: _epoch(2025, 6, 3)},
    }


def test_round_trip(make_claims: Callable[..., CwtClaims]) -> None:
    claims = make_claims(
        issuer="https://id.carnet.kr",
        subject="resident",
        audience="checkpoint",
        issued_at=datetime(2025, 3, 1, tzinfo=UTC),
        cwt_id=b"\x01\x02",
        permit_zone="Z1",
        permit_valid_from=datetime(2025, 4, 1, tzinfo=UTC),
        permit_valid_until=datetime(2025, 5, 1, tzinfo=UTC),
        purposes=("boarding",),
    )
    assert CwtClaims.from_cbor(claims.to_cbor()) == claims


def test_empty_claims_set() -> None:
    assert CwtClaims().to_cbor() == b"\xa0"
    assert CwtClaims.from_cbor(b"\xa0") == CwtClaims()


def test_times_are_whole_seconds_rounded_down() -> None:
    moment = datetime(2030, 1, 1, 0, 0, 0, 999_999, tzinfo=UTC)
    before_epoch = datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC)
    data = CwtClaims(expires_at=moment, not_before=before_epoch).to_cbor()
    assert cbor2.loads(data) == {4: _epoch(2030, 1, 1), 5: -1}


def test_float_numeric_dates_are_read() -> None:
    claims = CwtClaims.from_cbor(cbor2.dumps({4: 1444064944.5}))
    assert claims.expires_at == datetime(2015, 10, 5, 17, 9, 4, 500_000, tzinfo=UTC)


def test_unknown_claims_are_ignored() -> None:
    data = cbor2.dumps({8: {"cnf": 1}, 99: [1], "text": "x", -70000: b"", 4: 0})
    assert CwtClaims.from_cbor(data) == CwtClaims(expires_at=datetime(1970, 1, 1, tzinfo=UTC))


def test_repr_holds_no_personal_data(make_claims: Callable[..., CwtClaims]) -> None:
    text = repr(make_claims(subject="840115203917", cwt_id=b"secret"))
    for secret in ("840115", "KIM", "M84011520", "secret"):
        assert secret not in text


# ------------------------------------------------------------- construction


@pytest.mark.parametrize(
    "field",
    ["expires_at", "not_before", "issued_at", "permit_valid_from", "permit_valid_until"],
)
def test_naive_times_are_refused(field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CwtClaims(**{field: datetime(2030, 1, 1)})  # type: ignore[arg-type]  # noqa: DTZ001
    assert caught.value.field == field


def test_a_permit_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValidationError):
        CwtClaims(
            permit_valid_from=datetime(2025, 2, 1, tzinfo=UTC),
            permit_valid_until=datetime(2025, 1, 1, tzinfo=UTC),
        )


def test_values_cbor_cannot_carry_are_refused() -> None:
    with pytest.raises(ValidationError):
        CwtClaims(issuer="x", audience="y", purposes=(object(),)).to_cbor()  # type: ignore[arg-type]


# ---------------------------------------------------------------- validity

_NBF = datetime(2025, 3, 1, tzinfo=UTC)
_EXP = datetime(2035, 2, 28, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "leeway", "error"),
    [
        (_NBF, timedelta(0), None),
        (_EXP - timedelta(seconds=1), timedelta(0), None),
        (_EXP, timedelta(0), CredentialExpiredError),  # RFC 7519 §4.1.4: now must be before exp
        (_EXP + timedelta(seconds=30), timedelta(seconds=31), None),
        (_EXP + timedelta(seconds=30), timedelta(seconds=30), CredentialExpiredError),
        (_NBF - timedelta(seconds=1), timedelta(0), CredentialNotYetValidError),
        (_NBF - timedelta(seconds=30), timedelta(seconds=30), None),
        (_NBF - timedelta(seconds=31), timedelta(seconds=30), CredentialNotYetValidError),
        # The same instant in another zone.
        (
            datetime(2035, 2, 28, 9, tzinfo=timezone(timedelta(hours=9))),
            timedelta(0),
            CredentialExpiredError,
        ),
    ],
)
def test_exp_and_nbf_are_checked_against_now(
    now: datetime,
    leeway: timedelta,
    error: type[Exception] | None,
    make_claims: Callable[..., CwtClaims],
) -> None:
    claims = make_claims()
    if error is None:
        claims.check_validity(now, leeway=leeway)
    else:
        with pytest.raises(error):
            claims.check_validity(now, leeway=leeway)


def test_the_permit_window_is_checked_too() -> None:
    permit = CwtClaims(
        expires_at=datetime(2026, 1, 1, tzinfo=UTC),
        permit_valid_from=datetime(2025, 6, 1, tzinfo=UTC),
        permit_valid_until=datetime(2025, 6, 3, tzinfo=UTC),
    )
    permit.check_validity(datetime(2025, 6, 2, tzinfo=UTC))
    with pytest.raises(CredentialNotYetValidError):
        permit.check_validity(datetime(2025, 5, 31, tzinfo=UTC))
    with pytest.raises(CredentialExpiredError):
        permit.check_validity(datetime(2025, 6, 3, tzinfo=UTC))


def test_absent_time_claims_impose_no_limit() -> None:
    CwtClaims().check_validity(datetime(9999, 1, 1, tzinfo=UTC))
    CwtClaims().check_validity(datetime(1, 1, 2, tzinfo=UTC))


def test_validity_needs_an_aware_now_and_a_non_negative_leeway(
    make_claims: Callable[..., CwtClaims],
) -> None:
    with pytest.raises(ValidationError):
        make_claims().check_validity(datetime(2030, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValidationError):
        make_claims().check_validity(datetime(2030, 1, 1, tzinfo=UTC), leeway=timedelta(-1))


# ------------------------------------------------------------ malformed input


@pytest.mark.parametrize(
    "claims",
    [
        [],
        "claims",
        {1: 7},
        {2: b"sub"},
        {3: ["aud"]},
        {4: "1444064944"},
        {4: True},
        {4: [1]},
        {5: 10**20},
        {6: float("nan")},
        {6: float("inf")},
        {4: -(10**15)},
        {7: "cti"},
        {169: "identity"},
        {169: {1: 7}},
        {65535: "status"},
        {65535: {"status_list": {"idx": -1, "uri": "https://x/1"}}},
        {65535: {"status_list": {"idx": "1", "uri": "https://x/1"}}},
        {65535: {"status_list": {"idx": 1}}},
        {65535: {"status_list": {"idx": 1, "uri": "not a uri"}}},
        {65535: {"other_mechanism": {}}},
        {-65537: "carnet"},
        {-65537: {1: 1}},
        {-65537: {2: b"M1"}},
        {-65537: {3: ["zone"]}},
        {-65537: {4: "today"}},
        {-65537: {6: "boarding"}},
        {-65537: {6: ["boarding", 7]}},
        {-65537: {4: 200, 5: 100}},  # permit ends before it starts
    ],
)
def test_malformed_claims_are_decode_errors(claims: object) -> None:
    with pytest.raises(DecodeError):
        CwtClaims.from_map(claims)


@pytest.mark.parametrize(
    "data",
    [b"", b"\xa1", b"\xa1\x01\x61", b"\xa2\x04\x00\x04\x00", b"\xc1\x00", b"\xa0\x00"],
)
def test_malformed_cbor_is_a_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeError):
        CwtClaims.from_cbor(data)


# ---------------------------------------------------------------- fuzzing

_claim_keys = st.sampled_from([1, 2, 3, 4, 5, 6, 7, 169, 65535, -65537, 8, "x"])
_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64 - 1)
    | st.floats()
    | st.text(max_size=10)
    | st.binary(max_size=10),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.integers(-3, 30) | st.sampled_from(["status_list", "idx", "uri"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@given(st.dictionaries(_claim_keys, _values, max_size=8))
def test_arbitrary_claims_raise_only_decode_errors(claims: dict[object, object]) -> None:
    try:
        decoded = CwtClaims.from_map(claims)
    except DecodeError:
        return
    assert isinstance(decoded, CwtClaims)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_decode_errors(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        CwtClaims.from_cbor(data)


_times = st.none() | st.datetimes(
    min_value=datetime(1900, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2200, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
).map(lambda moment: moment.replace(microsecond=0))


_claims_sets = st.builds(
    CwtClaims,
    issuer=st.none() | st.text(max_size=30),
    subject=st.none() | st.text(max_size=30),
    expires_at=_times,
    not_before=_times,
    issued_at=_times,
    cwt_id=st.none() | st.binary(max_size=16),
    identity=st.none()
    | st.builds(
        Identity169,
        uin=st.text(max_size=12),
        full_name=st.none() | st.text(max_size=30),
        middle_name=st.none() | st.text(max_size=5),
        date_of_birth=st.none() | st.dates().map(BirthDate.from_date),
        gender=st.none() | st.sampled_from(Gender),
        address=st.none() | st.text(max_size=40),
        secondary_full_name=st.none() | st.text(max_size=10),
        photo=st.none() | st.binary(max_size=40),
    ),
    status=st.none()
    | st.builds(
        StatusReference, uri=st.just("https://id.carnet.kr/sl/1"), idx=st.integers(0, 2**20)
    ),
    document_type=st.none() | st.text(max_size=3),
    document_number=st.none() | st.text(max_size=12),
    purposes=st.lists(st.text(max_size=10), max_size=3).map(tuple),
)


@given(_claims_sets)
def test_built_claims_round_trip(claims: CwtClaims) -> None:
    assert CwtClaims.from_cbor(claims.to_cbor()) == claims


@given(_claims_sets)
def test_built_claims_encode_deterministically(claims: CwtClaims) -> None:
    # See test_every_map_is_built_in_deterministic_order for why canonical cbor2 agrees.
    assert claims.to_cbor() == cbor2.dumps(claims.to_map(), canonical=True)


@given(_claims_sets, st.text(max_size=20))
def test_with_document_type_is_dataclasses_replace(claims: CwtClaims, document_type: str) -> None:
    replaced = claims.with_document_type(document_type)
    assert replaced == dataclasses.replace(claims, document_type=document_type)
    assert replaced.document_type == document_type
    assert claims.document_type != document_type or replaced == claims
    decoded = CwtClaims.from_cbor(claims.to_cbor())
    assert decoded.with_document_type(document_type) == replaced
