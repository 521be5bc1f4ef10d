"""The offline verifier: every reason code, minimum disclosure, and the YAML vectors.

The vectors in ``tests/vectors/verifier/*.yaml`` describe a situation ("signer
revoked", "bundle 2 days old with max age 24h", ...) and the verdict expected;
:func:`build_case` builds the credential and the bundle from that description at
test time, so no expected bytes are stored.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import cbor2
import pytest
import yaml

from carnet.credentials.claim169 import BirthDate, PhotoFormat
from carnet.credentials.codec import decode_qr_text, encode_qr_text
from carnet.credentials.cose import sign1
from carnet.credentials.cwt import CwtClaims
from carnet.credentials.issuing import identity_from_mapping
from carnet.credentials.policy import NO_DOCUMENT_PURPOSES, Policy, default_policy
from carnet.credentials.statuslist import Status, StatusReference
from carnet.credentials.verifier import REASONS, Verdict, verify
from carnet.domain.errors import ValidationError
from tests.unit.credentials.test_bundle import (
    DAY,
    NOW,
    STATUS_URI,
    T0,
    KeySigner,
    World,
    person,
)

if TYPE_CHECKING:
    from carnet.credentials.bundle import Bundle
    from carnet.credentials.claim169 import Identity169

pytestmark = pytest.mark.unit

VECTORS = Path(__file__).parents[2] / "vectors" / "verifier"
_OFFSET = re.compile(r"([+-])(\d+)([smhdy])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "y": 365 * 86_400}
_STATUS = {"valid": Status.VALID, "invalid": Status.INVALID, "suspended": Status.SUSPENDED}


@pytest.fixture(scope="module")
def world() -> World:
    return World()


@pytest.fixture(scope="module")
def bundle(world: World) -> Bundle:
    return world.bundle()


# ------------------------------------------------------------------- vectors


def offset(text: str) -> timedelta:
    match = _OFFSET.fullmatch(text)
    assert match, f"not an offset: {text!r}"
    seconds = int(match[2]) * _UNIT[match[3]]
    return timedelta(seconds=seconds if match[1] == "+" else -seconds)


@dataclass
class Case:
    qr_text: str
    bundle: Bundle
    purpose: str
    zone: str | None
    now: datetime


def tamper(text: str, how: str) -> str:
    if how == "truncate":
        return text[: len(text) // 2]
    message = cbor2.loads(decode_qr_text(text))
    items = list(message.value)
    if how == "signature":
        items[3] = bytes([items[3][0] ^ 0x01]) + items[3][1:]
    else:  # "payload": another document number under the old signature
        claims = cbor2.loads(items[2])
        claims[-65537][2] = "X0000000"
        items[2] = cbor2.dumps(claims)
    return encode_qr_text(cbor2.dumps(cbor2.CBORTag(18, items)))


def build_case(spec: dict[str, Any]) -> Case:
    """Build the world, credential and bundle a vector describes."""
    world = World()
    for extra in spec.get("world", {}).get("signers", []):
        world.add_signer(
            extra["name"],
            document_type=extra["document_type"],
            not_before=NOW + offset(extra.get("not_before", "-100d")),
            not_after=NOW + offset(extra.get("not_after", "+100d")),
        )
    credential = spec.get("credential", {})
    idx = int(credential.get("idx", 4242))
    if "status" in credential:
        world.set_status(idx, _STATUS[credential["status"]])
    if credential.get("signer") == "stranger":
        world.signers["stranger"] = KeySigner()
    if "raw" in credential:
        text = credential["raw"]
    else:
        identity = credential.get("identity")
        text = world.issue(
            credential.get("document_type", "national_id_card"),
            signer=credential.get("signer"),
            identity=None if identity is None else identity_from_mapping(identity),
            idx=idx,
            uri=credential.get("uri", STATUS_URI),
            valid_from=NOW + offset(credential.get("valid_from", "-100d")),
            valid_until=NOW + offset(credential.get("valid_until", "+1000d")),
            zone=credential.get("zone"),
            document_number=credential.get("document_number", "M84011520"),
        )
        if "tamper" in credential:
            text = tamper(text, credential["tamper"])
    for name in spec.get("world", {}).get("revoke", []):
        world.revoke(name)
    settings = spec.get("bundle", {})
    issued = NOW + offset(settings.get("issued", "-1h"))
    max_age = offset("+" + settings.get("max_age", "24h"))
    loaded = world.bundle(now=NOW, issued_at=issued, max_age=max_age)
    checks = spec["verify"]
    return Case(text, loaded, checks["purpose"], checks.get("zone"), NOW)


def expected_disclosure(expected: dict[str, Any]) -> dict[str, Any]:
    return {
        key: (NOW + offset(value)).isoformat()
        if isinstance(value, str) and _OFFSET.fullmatch(value)
        else value
        for key, value in expected.items()
    }


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "vector" in metafunc.fixturenames:
        paths = sorted(VECTORS.glob("*.yaml"))
        metafunc.parametrize(
            "vector",
            [yaml.safe_load(path.read_text(encoding="utf-8")) for path in paths],
            ids=[path.stem for path in paths],
        )


def test_vector(vector: dict[str, Any]) -> None:
    case = build_case(vector)
    verdict = verify(case.qr_text, case.bundle, case.purpose, case.now, zone=case.zone)
    expect = vector["expect"]
    assert verdict.result == expect["result"], verdict
    assert list(verdict.reasons) == expect["reasons"], verdict
    if "document_type" in expect:
        assert verdict.document_type == expect["document_type"]
    if "disclosed" in expect:
        assert verdict.to_json()["disclosed"] == expected_disclosure(expect["disclosed"])
    if verdict.result != "valid":
        assert not verdict.disclosed


def test_the_vectors_cover_every_reason_code() -> None:
    seen = set()
    for path in VECTORS.glob("*.yaml"):
        seen.update(yaml.safe_load(path.read_text(encoding="utf-8"))["expect"]["reasons"])
    assert seen == set(REASONS)


# ------------------------------------------------------------- the purpose


def test_no_document_purposes_refuse_without_decoding(bundle: Bundle) -> None:
    for purpose in sorted(NO_DOCUMENT_PURPOSES):
        verdict = verify(cast("str", None), bundle, purpose, datetime(2026, 1, 1))  # noqa: DTZ001
        assert verdict.result == "refused"
        assert verdict.reasons == ("no_document_may_be_demanded",)
        assert verdict.policy_version == 1
        assert verdict.purpose == purpose
        assert verdict.document_type is None


def test_protected_purposes_are_refused_even_if_the_bundle_policy_omits_them() -> None:
    data = default_policy().to_mapping()
    del data["purposes"]["court"]  # type: ignore[attr-defined]
    world = World(policy=Policy.from_mapping(data))
    verdict = verify(world.issue(), world.bundle(), "court", NOW)
    assert verdict.reasons == ("no_document_may_be_demanded",)


def test_an_unknown_purpose_is_the_callers_mistake(world: World, bundle: Bundle) -> None:
    with pytest.raises(ValidationError) as caught:
        verify(world.issue(), bundle, "shopping", NOW)
    assert caught.value.field == "purpose"


def test_a_naive_time_is_the_callers_mistake(world: World, bundle: Bundle) -> None:
    with pytest.raises(ValidationError) as caught:
        verify(world.issue(), bundle, "boarding", datetime(2026, 6, 1))  # noqa: DTZ001
    assert caught.value.field == "now"


def test_a_zone_bound_purpose_needs_the_checkpoints_zone(world: World, bundle: Bundle) -> None:
    permit = world.issue("zone_permit", zone="ZONE-A")
    with pytest.raises(ValidationError) as caught:
        verify(permit, bundle, "zone_entry", NOW)
    assert caught.value.field == "zone"
    assert verify(permit, bundle, "zone_entry", NOW, zone="ZONE-A").is_valid


def test_a_residence_certificate_for_the_zone_enters_it(world: World, bundle: Bundle) -> None:
    certificate = world.issue("residence_certificate", zone="ZONE-A")
    assert verify(certificate, bundle, "zone_entry", NOW, zone="ZONE-A").is_valid
    assert not verify(certificate, bundle, "zone_entry", NOW, zone="ZONE-B").is_valid


def test_a_credential_restricted_to_other_purposes_is_refused(world: World, bundle: Bundle) -> None:
    restricted = world.issue("passport", purposes=["boarding"])
    assert verify(restricted, bundle, "boarding", NOW).is_valid
    verdict = verify(restricted, bundle, "age_check", NOW)
    assert verdict.result == "refused"
    assert verdict.reasons == ("not_acceptable_for_purpose",)
    assert verdict.authority == "Civil Registry"
    assert verdict.document_type == "passport"


# --------------------------------------------------------------- crafted QRs


def _sign_claims(world: World, claims: CwtClaims, signer: str = "national_id_card") -> str:
    return encode_qr_text(sign1(claims.to_cbor(), world.signers[signer]))


def _claims(**changes: Any) -> CwtClaims:
    values: dict[str, Any] = {
        "not_before": T0,
        "expires_at": T0 + 3650 * DAY,
        "identity": person(),
        "status": StatusReference(STATUS_URI, 4242),
        "document_type": "national_id_card",
        "document_number": "M84011520",
    }
    values.update(changes)
    return CwtClaims(**values)


def test_a_signed_credential_without_expiry_is_malformed(world: World, bundle: Bundle) -> None:
    text = _sign_claims(world, _claims(expires_at=None))
    assert verify(text, bundle, "boarding", NOW).reasons == ("malformed",)


def test_a_credential_without_a_type_takes_its_signers_type(world: World, bundle: Bundle) -> None:
    # Compact card credentials (docs/adr/0008): a document signer is certified for one
    # document type, so the type need not travel in the QR.
    text = _sign_claims(world, _claims(document_type=None))
    verdict = verify(text, bundle, "boarding", NOW)
    assert verdict.reasons == ("valid",)
    assert verdict.document_type == "national_id_card"


def test_a_signed_credential_without_status_has_unknown_status(
    world: World, bundle: Bundle
) -> None:
    text = _sign_claims(world, _claims(status=None))
    verdict = verify(text, bundle, "boarding", NOW)
    assert verdict.reasons == ("status_unknown",)
    assert verdict.document_type == "national_id_card"


def test_a_signed_payload_that_is_not_a_claims_set_is_malformed(
    world: World, bundle: Bundle
) -> None:
    text = encode_qr_text(sign1(cbor2.dumps([1, 2]), world.signers["national_id_card"]))
    assert verify(text, bundle, "boarding", NOW).reasons == ("malformed",)


def test_a_credential_without_kid_has_an_unknown_signer(world: World, bundle: Bundle) -> None:
    message = cbor2.loads(decode_qr_text(world.issue()))
    items = list(message.value)
    items[1] = {}
    text = encode_qr_text(cbor2.dumps(cbor2.CBORTag(18, items)))
    verdict = verify(text, bundle, "boarding", NOW)
    assert verdict.reasons == ("unknown_signer",)
    assert verdict.authority is None


def test_an_application_specific_status_is_no_statement() -> None:
    world = World()
    world.set_status(4242, Status.APPLICATION_SPECIFIC)
    verdict = verify(world.issue(), world.bundle(), "boarding", NOW)
    assert verdict.reasons == ("status_unknown",)


def test_a_status_list_past_its_own_expiry_is_no_statement(world: World) -> None:
    tokens = world.status_tokens(iat=NOW - DAY, exp=NOW - timedelta(hours=1))
    loaded = world.bundle(status_lists=tokens)
    assert verify(world.issue(), loaded, "boarding", NOW).reasons == ("status_unknown",)


@pytest.mark.parametrize("text", ["", " ", "A", "%%%%", "0" * 5000])
def test_garbage_text_is_malformed(bundle: Bundle, text: str) -> None:
    verdict = verify(text, bundle, "boarding", NOW)
    assert verdict.result == "invalid"
    assert verdict.reasons == ("malformed",)
    assert verdict.detail


@pytest.mark.parametrize("text", [None, b"NCF", 42])
def test_input_that_is_not_text_is_malformed(bundle: Bundle, text: Any) -> None:
    assert verify(text, bundle, "boarding", NOW).reasons == ("malformed",)


def test_an_unexpected_failure_is_logged_and_answered_malformed(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    class ExplodingBundle:
        policy = default_policy()

        def signer_for(self, kid: bytes, now: datetime) -> None:
            raise RuntimeError(f"boom {kid!r} {now}")

    with caplog.at_level(logging.ERROR, logger="carnet.credentials.verifier"):
        verdict = verify(world.issue(), cast("Bundle", ExplodingBundle()), "boarding", NOW)
    assert verdict.reasons == ("malformed",)
    assert verdict.document_type is None
    assert caplog.messages == ["unexpected RuntimeError while verifying a credential"]


# ---------------------------------------------------------------- disclosure


def _disclosed(world: World, bundle: Bundle, purpose: str, **issue: Any) -> dict[str, Any]:
    verdict = verify(world.issue(**issue), bundle, purpose, NOW, zone=issue.get("zone"))
    assert verdict.is_valid, verdict
    return dict(verdict.disclosed)


def test_identity_check_discloses_the_full_identity(world: World, bundle: Bundle) -> None:
    photo = person(photo=b"\x89PNG synthetic", photo_format=PhotoFormat.PNG)
    disclosed = _disclosed(world, bundle, "identity_check", identity=photo, zone="ZONE-C")
    assert disclosed == {
        "name": "KIM MINJUN",
        "name_native": "김민준",
        "uin": "840115203917",
        "date_of_birth": "1984-01-15",
        "gender": "male",
        "nationality": "KOR",
        "address": "12 Sejong-daero, Jongno-gu, Seoul 03154",
        "photo": b"\x89PNG synthetic",
        "photo_format": "png",
        "document_number": "M84011520",
        "issuer": "Civil Registry",
        # A national ID card carries no nbf (docs/adr/0008): valid from issuance.
        "valid_until": T0 + 3650 * DAY,
        "permit_zone": "ZONE-C",
    }


def test_missing_attributes_are_left_out_not_invented(world: World, bundle: Bundle) -> None:
    sparse = person(
        full_name=None,
        secondary_full_name=None,
        uin=None,
        date_of_birth=None,
        gender=None,
        address=None,
        nationality=None,
        photo=b"img",
    )
    disclosed = _disclosed(world, bundle, "identity_check", identity=sparse)
    assert disclosed["name"] == "MINJUN KIM"  # given and family names, when no full name
    assert disclosed["photo"] == b"img"
    assert "photo_format" not in disclosed
    for absent in ("name_native", "uin", "date_of_birth", "gender", "address", "nationality"):
        assert absent not in disclosed
    assert "permit_zone" not in disclosed


@pytest.mark.parametrize(
    ("birth", "shown"), [(BirthDate(1984), "1984"), (BirthDate(1984, 5), "1984-05")]
)
def test_partial_dates_of_birth_are_shown_as_partial(
    world: World, bundle: Bundle, birth: BirthDate, shown: str
) -> None:
    disclosed = _disclosed(world, bundle, "identity_check", identity=person(date_of_birth=birth))
    assert disclosed["date_of_birth"] == shown


def test_a_credential_without_any_name_discloses_no_name(world: World, bundle: Bundle) -> None:
    nameless = person(full_name=None, given_name=None, family_name=None)
    assert "name" not in _disclosed(world, bundle, "boarding", identity=nameless)


def test_a_credential_without_identity_discloses_only_document_facts(
    world: World, bundle: Bundle
) -> None:
    text = _sign_claims(world, _claims(identity=None))
    verdict = verify(text, bundle, "identity_check", NOW)
    assert set(verdict.disclosed) == {"document_number", "issuer", "valid_from", "valid_until"}
    refused = verify(text, bundle, "age_check", NOW)
    assert refused.reasons == ("not_acceptable_for_purpose",)


@pytest.mark.parametrize(
    ("birth", "on", "over"),
    [
        (BirthDate(2008, 6, 1), datetime(2026, 6, 1, tzinfo=UTC), True),
        (BirthDate(2008, 6, 2), datetime(2026, 6, 1, 23, 59, tzinfo=UTC), False),
        (BirthDate(2008, 2, 29), datetime(2026, 2, 28, tzinfo=UTC), False),
        (BirthDate(2008, 2, 29), datetime(2026, 3, 1, tzinfo=UTC), True),
        (BirthDate(2008, 6), datetime(2026, 6, 29, tzinfo=UTC), False),  # maybe the 30th
        (BirthDate(2008, 6), datetime(2026, 6, 30, tzinfo=UTC), True),
        (BirthDate(2008, 12), datetime(2026, 12, 31, tzinfo=UTC), True),
        (BirthDate(2008), datetime(2026, 12, 30, tzinfo=UTC), False),  # maybe 31 December
        (BirthDate(2008), datetime(2026, 12, 31, tzinfo=UTC), True),
        (BirthDate(1950, 1, 1), datetime(2026, 6, 1, tzinfo=UTC), True),
        (BirthDate(2020, 1, 1), datetime(2026, 6, 1, tzinfo=UTC), False),
    ],
)
def test_over_18_is_decided_on_the_latest_possible_birthday(
    birth: BirthDate, on: datetime, over: bool
) -> None:
    world = World()
    text = world.issue(identity=person(date_of_birth=birth), valid_until=T0 + 5000 * DAY)
    loaded = world.bundle(now=on, issued_at=on)
    verdict = verify(text, loaded, "age_check", on)
    assert verdict.is_valid, verdict
    assert dict(verdict.disclosed) == {"over_18": over}


def test_over_18_needs_a_date_of_birth(world: World, bundle: Bundle) -> None:
    verdict = verify(world.issue(identity=person(date_of_birth=None)), bundle, "age_check", NOW)
    assert verdict.result == "refused"
    assert verdict.reasons == ("not_acceptable_for_purpose",)


def test_other_derived_ages_come_from_the_policy() -> None:
    data = default_policy().to_mapping()
    data["purposes"]["bar"] = {"accepts": ["passport"], "reveals": ["over_21", "over_65"]}  # type: ignore[index]
    world = World(policy=Policy.from_mapping(data))
    identity = person(date_of_birth=BirthDate(2004, 1, 1))
    verdict = verify(world.issue("passport", identity=identity), world.bundle(), "bar", NOW)
    assert dict(verdict.disclosed) == {"over_21": True, "over_65": False}


@pytest.mark.parametrize("purpose", ["zone_entry", "age_check", "boarding", "identity_check"])
def test_nothing_beyond_what_the_purpose_reveals_is_ever_disclosed(
    world: World, bundle: Bundle, purpose: str
) -> None:
    rule = bundle.policy.purpose(purpose)
    full = person(photo=b"img", photo_format=PhotoFormat.JPEG)
    kind = min(rule.accepts)
    text = world.issue(kind, identity=full, zone="ZONE-A")
    verdict = verify(text, bundle, purpose, NOW, zone="ZONE-A")
    assert verdict.is_valid
    allowed = set(rule.reveals) | ({"photo_format"} if "photo" in rule.reveals else set())
    assert set(verdict.disclosed) <= allowed
    assert verdict.disclosed  # and the purpose's own attributes are there


def test_the_disclosed_mapping_is_read_only(world: World, bundle: Bundle) -> None:
    verdict = verify(world.issue(), bundle, "boarding", NOW)
    with pytest.raises(TypeError):
        verdict.disclosed["uin"] = "x"  # type: ignore[index]


# -------------------------------------------------------------------- verdict


def test_the_verdict_serialises_to_json_ready_data(world: World, bundle: Bundle) -> None:
    identity: Identity169 = person(photo=b"\x00\x01", photo_format=PhotoFormat.JPEG)
    text = world.issue("zone_permit", identity=identity, zone="ZONE-A")
    verdict = verify(text, bundle, "zone_entry", NOW, zone="ZONE-A")
    assert verdict.to_json() == {
        "result": "valid",
        "reasons": ["valid"],
        "disclosed": {
            "name": "KIM MINJUN",
            "photo": "AAE=",
            "photo_format": "jpeg",
            "permit_zone": "ZONE-A",
            "valid_from": T0.isoformat(),
            "valid_until": (T0 + 3650 * DAY).isoformat(),
        },
        "document_type": "zone_permit",
        "purpose": "zone_entry",
        "authority": "Civil Registry",
        "policy_version": 1,
        "detail": "",
    }


def test_a_verdict_keeps_personal_data_out_of_its_repr(world: World, bundle: Bundle) -> None:
    verdict = verify(world.issue(), bundle, "identity_check", NOW)
    assert "KIM" not in repr(verdict)
    assert "840115203917" not in repr(verdict)


def test_verdicts_default_to_no_disclosure() -> None:
    verdict = Verdict("invalid", ("malformed",))
    assert not verdict.is_valid
    assert dict(verdict.disclosed) == {}
    assert verdict.to_json()["disclosed"] == {}


def test_reason_codes_are_distinct() -> None:
    assert len(set(REASONS)) == len(REASONS) == 13


# ----------------------------------------------------------- rotation


def test_a_rotated_out_signer_still_verifies_until_revoked() -> None:
    world = World()
    previous = world.issue()
    world.signers["previous"] = world.signers["national_id_card"]
    world.add_signer("national_id_card")  # rotation: a new key for the same type
    current = world.issue()
    assert decode_qr_text(previous) != decode_qr_text(current)
    loaded = world.bundle()
    assert verify(previous, loaded, "boarding", NOW).is_valid
    assert verify(current, loaded, "boarding", NOW).is_valid
    world.revoke("previous")
    loaded = world.bundle()
    assert verify(previous, loaded, "boarding", NOW).reasons == ("signer_revoked",)
    assert verify(current, loaded, "boarding", NOW).is_valid
