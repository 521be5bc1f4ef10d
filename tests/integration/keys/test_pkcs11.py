"""Pkcs11KeyStore against a real SoftHSM2 token."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pkcs11
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11 import exceptions as p11

from carnet.adapters.keys import pkcs11 as adapter
from carnet.adapters.keys.pkcs11 import Pkcs11KeyStore, Pkcs11Signer
from carnet.credentials.pki import key_id, load_public_key, verify_signature
from carnet.credentials.signing import Algorithm, Signer
from carnet.domain.errors import (
    ConflictError,
    InfrastructureError,
    NotFoundError,
    ValidationError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.integration.keys.conftest import SoftHsmToken

pytestmark = [pytest.mark.integration, pytest.mark.hsm]


@pytest.fixture
def store(softhsm_token: SoftHsmToken) -> Iterator[Pkcs11KeyStore]:
    store = softhsm_token.store()
    yield store
    store.close()


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_a_key_made_in_the_token_signs_verifiably(
    store: Pkcs11KeyStore, algorithm: Algorithm
) -> None:
    kid = store.create_key("document-signer", algorithm)
    der = store.public_key_der(kid)
    assert kid == key_id(der)
    signer = store.signer(kid)
    assert isinstance(signer, Signer)
    assert (signer.kid, signer.algorithm) == (kid, algorithm)
    signature = signer.sign(b"claims")
    assert len(signature) == 64
    verify_signature(load_public_key(der), algorithm, b"claims", signature)


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_the_private_key_is_sensitive_and_never_leaves_the_token(
    store: Pkcs11KeyStore, softhsm_token: SoftHsmToken, algorithm: Algorithm
) -> None:
    kid = store.create_key("hsm-key", algorithm)
    with softhsm_token.session() as session:
        private = session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=kid)
        assert private[Attribute.LABEL] == "hsm-key"
        assert private[Attribute.TOKEN] is True
        assert private[Attribute.PRIVATE] is True
        assert private[Attribute.SENSITIVE] is True
        assert private[Attribute.EXTRACTABLE] is False
        assert private[Attribute.ALWAYS_SENSITIVE] is True
        assert private[Attribute.NEVER_EXTRACTABLE] is True
        with pytest.raises(p11.AttributeSensitive):
            private[Attribute.VALUE]
        public = session.get_key(object_class=ObjectClass.PUBLIC_KEY, id=kid)
        assert public[Attribute.LABEL] == "hsm-key"


def test_keys_are_listed_oldest_first_and_survive_a_new_store(
    store: Pkcs11KeyStore, softhsm_token: SoftHsmToken
) -> None:
    kids = [store.create_key(f"key-{i}", Algorithm.ES256) for i in range(3)]
    kids.append(store.create_key("ed", Algorithm.EDDSA))
    store.close()
    again = softhsm_token.store()
    try:
        assert again.list_kids() == kids
        assert again.public_key_der(kids[0]) == store.public_key_der(kids[0])
    finally:
        again.close()


def test_foreign_keys_come_last_and_keys_without_a_kid_are_skipped(
    store: Pkcs11KeyStore, softhsm_token: SoftHsmToken
) -> None:
    ours = store.create_key("ours", Algorithm.ES256)
    with softhsm_token.session() as session:
        for label, key_id_ in (("foreign", b"\xff" * 8), ("no-kid", b"")):
            session.generate_keypair(
                KeyType.EC,
                store=True,
                label=label,
                id=key_id_,
                capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
                public_template={Attribute.EC_PARAMS: adapter._P256_PARAMS},
            )
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.DATA,
                Attribute.TOKEN: True,
                Attribute.APPLICATION: adapter._ORDER_APPLICATION,
                Attribute.LABEL: "not hex",
                Attribute.VALUE: b"\x01",
            }
        )
    assert store.list_kids() == [ours, b"\xff" * 8]


def test_a_label_is_taken_once(store: Pkcs11KeyStore) -> None:
    store.create_key("root", Algorithm.ES256)
    with pytest.raises(ConflictError):
        store.create_key("root", Algorithm.EDDSA)


@pytest.mark.parametrize("label", ["", "x" * 65, "tab\there"])
def test_bad_labels_are_refused(store: Pkcs11KeyStore, label: str) -> None:
    with pytest.raises(ValidationError) as caught:
        store.create_key(label, Algorithm.ES256)
    assert caught.value.field == "label"


def test_an_unknown_algorithm_is_refused(store: Pkcs11KeyStore) -> None:
    with pytest.raises(ValidationError):
        store.create_key("rsa", -257)  # type: ignore[arg-type]


def test_an_unknown_kid_is_not_found(store: Pkcs11KeyStore) -> None:
    with pytest.raises(NotFoundError):
        store.signer(b"\x00" * 8)
    with pytest.raises(NotFoundError):
        store.public_key_der(b"\x00" * 8)


def test_reprs_show_no_secret(store: Pkcs11KeyStore, softhsm_token: SoftHsmToken) -> None:
    kid = store.create_key("k", Algorithm.ES256)
    assert repr(store.signer(kid)) == f"Pkcs11Signer(kid={kid.hex()!r}, algorithm=ES256)"
    assert softhsm_token.pin not in repr(store)
    assert repr(store) == "Pkcs11KeyStore(token_label='carnet-test')"


def test_a_wrong_pin_is_an_infrastructure_error_that_does_not_show_the_pin(
    softhsm_token: SoftHsmToken,
) -> None:
    store = Pkcs11KeyStore(softhsm_token.module_path, softhsm_token.label, "999999")
    with pytest.raises(InfrastructureError, match="PinIncorrect") as caught:
        store.list_kids()
    assert "999999" not in str(caught.value)
    assert "999999" not in repr(caught.value)


def test_a_missing_token_or_module_is_an_infrastructure_error(
    softhsm_token: SoftHsmToken,
) -> None:
    with pytest.raises(InfrastructureError, match="NoSuchToken"):
        Pkcs11KeyStore(softhsm_token.module_path, "no-such-token", "1").list_kids()
    with pytest.raises(InfrastructureError, match="could not be opened"):
        Pkcs11KeyStore("/nonexistent/libpkcs11.so", "t", "1").list_kids()


# python-pkcs11 0.10 leaves a failed C_FindObjectsInit "active"; its __del__ then
# raises SessionHandleInvalid, which Python can only print ("Exception ignored in").
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_store_reopens_its_session_after_the_library_is_reinitialised(
    store: Pkcs11KeyStore, softhsm_token: SoftHsmToken
) -> None:
    kid = store.create_key("k", Algorithm.ES256)
    signer = store.signer(kid)
    signer.sign(b"before")
    pkcs11.lib(softhsm_token.module_path).reinitialize()  # every session handle is now stale
    verify_signature(
        load_public_key(store.public_key_der(kid)), Algorithm.ES256, b"after", signer.sign(b"after")
    )


def test_the_store_reopens_a_session_closed_behind_its_back(store: Pkcs11KeyStore) -> None:
    kid = store.create_key("k", Algorithm.EDDSA)
    signer = store.signer(kid)
    assert store._session is not None
    store._session.close()
    assert len(signer.sign(b"data")) == 64


def test_a_session_lost_twice_in_a_row_is_an_infrastructure_error(store: Pkcs11KeyStore) -> None:
    def always_lost(_session: Any) -> None:
        raise p11.SessionClosed

    with pytest.raises(InfrastructureError, match="session lost"):
        store._call(always_lost)


def test_other_token_errors_are_infrastructure_errors(store: Pkcs11KeyStore) -> None:
    kid = store.create_key("k", Algorithm.ES256)
    with pytest.raises(InfrastructureError, match="HSM operation failed"):
        store._sign(kid, b"data", Mechanism.SHA256_RSA_PKCS)


def test_a_key_deleted_under_a_signer_is_an_infrastructure_error(
    softhsm_token: SoftHsmToken,
) -> None:
    store = softhsm_token.store()
    kid = store.create_key("doomed", Algorithm.ES256)
    signer = store.signer(kid)
    store.close()
    with softhsm_token.session() as session:
        session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=kid).destroy()
    with pytest.raises(InfrastructureError, match="no longer"):
        signer.sign(b"data")
    store.close()


def test_two_stores_on_one_token_share_the_login(softhsm_token: SoftHsmToken) -> None:
    first, second = softhsm_token.store(), softhsm_token.store()
    kid = first.create_key("shared", Algorithm.ES256)
    assert second.list_kids() == [kid]  # opened while already logged in
    first.close()  # logs the whole application out
    assert len(second.signer(kid).sign(b"still works")) == 64
    second.close()


def test_a_key_of_another_type_is_refused(
    store: Pkcs11KeyStore, softhsm_token: SoftHsmToken
) -> None:
    with softhsm_token.session() as session:
        session.generate_keypair(KeyType.RSA, 1024, store=True, label="rsa", id=b"\x01" * 8)
    with pytest.raises(InfrastructureError, match="neither EC nor EdDSA"):
        store.signer(b"\x01" * 8)


def test_signing_is_thread_safe(store: Pkcs11KeyStore) -> None:
    kid = store.create_key("busy", Algorithm.ES256)
    signer = store.signer(kid)
    public_key = load_public_key(store.public_key_der(kid))
    failures: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(50):
                message = f"{worker}-{i}".encode()
                verify_signature(public_key, Algorithm.ES256, message, signer.sign(message))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


class _FakePublicKey:
    def __init__(self, point: bytes) -> None:
        self.point = point

    def __getitem__(self, attribute: Attribute) -> bytes:
        assert attribute is Attribute.EC_POINT
        return self.point


def test_a_bare_ec_point_is_accepted_and_a_malformed_one_refused() -> None:
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    point = public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    spki = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    bare = adapter._public_key_der(_FakePublicKey(point), Algorithm.ES256)  # type: ignore[arg-type]
    wrapped = adapter._public_key_der(
        _FakePublicKey(b"\x04\x41" + point),  # type: ignore[arg-type]
        Algorithm.ES256,
    )
    assert bare == wrapped == spki
    with pytest.raises(InfrastructureError, match="malformed"):
        adapter._public_key_der(_FakePublicKey(b"\x04\x03abc"), Algorithm.ES256)  # type: ignore[arg-type]


def test_signer_object_holds_no_key_material() -> None:
    signer = Pkcs11Signer(b"\x01" * 8, Algorithm.EDDSA, lambda _k, data, _m: data)
    assert signer.sign(b"echo") == b"echo"
    assert not hasattr(signer, "__dict__")
