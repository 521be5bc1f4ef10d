"""Private keys inside a PKCS#11 token (an HSM): a :class:`KeyStore` via python-pkcs11.

Keys are generated inside the token as sensitive, non-extractable token objects
(PKCS#11 v2.40 §4.9: ``CKA_SENSITIVE``, ``CKA_EXTRACTABLE``); the private half never
leaves it. A key pair carries the caller's label as ``CKA_LABEL`` and the kid as
``CKA_ID``. ES256 signs with ``CKM_ECDSA`` over a SHA-256 digest computed here
(SoftHSM2 2.6 has no ``CKM_ECDSA_SHA256``; the signature is already ``r || s``,
PKCS#11 Current Mechanisms, "EC signatures"), EdDSA with ``CKM_EDDSA`` over Ed25519
(PKCS#11 v3.0; SoftHSM2 2.6 supports it).

PKCS#11 keeps no creation time, so each key gets a small public data object
(``CKA_APPLICATION`` = ``carnet.keystore.order``, label = kid in hex, value = a
sequence number) that :meth:`Pkcs11KeyStore.list_kids` sorts by.

One session is opened on first use and reused under a lock (python-pkcs11 sessions
are not thread-safe). If the token drops it (device removed, library
re-initialised, logged out) the store opens a new one and retries once. Login is
per application (PKCS#11 v2.40 §5.6, ``C_Login``): when another store of the same
process closes its session, this one is logged out too; it notices (a private key
that is no longer visible, ``CKR_USER_NOT_LOGGED_IN``) and logs in again. Listing
and label checks read the public halves, which stay visible either way. Every
PKCS#11 failure surfaces as :class:`~carnet.domain.errors.InfrastructureError`
naming only the PKCS#11 error class; the PIN is never put in a message.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from typing import TYPE_CHECKING, TypeVar, cast

import pkcs11
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11 import exceptions as p11
from pydantic import SecretStr

from carnet.credentials.pki import key_id
from carnet.credentials.signing import Algorithm
from carnet.domain.errors import (
    ConflictError,
    InfrastructureError,
    NotFoundError,
    ValidationError,
)

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    from pkcs11.types import SignMixin

__all__ = ["Pkcs11KeyStore", "Pkcs11Signer"]

_T = TypeVar("_T")

# DER OIDs used as CKA_EC_PARAMS: secp256r1 (RFC 5480 §2.1.1.1), Ed25519 (RFC 8410 §3).
_P256_PARAMS = bytes.fromhex("06082a8648ce3d030107")
_ED25519_PARAMS = bytes.fromhex("06032b6570")
_ORDER_APPLICATION = "carnet.keystore.order"
_MAX_LABEL = 64
_SEQUENCE_BYTES = 8
_KID_LENGTH = 8
_CLASS, _LABEL = Attribute.CLASS, Attribute.LABEL
_ATTEMPTS = 2

# Errors after which the session (or its object handles) is gone, but a new
# session may well work: reopen and retry once.
_SESSION_LOST: tuple[type[p11.PKCS11Error], ...] = (
    p11.SessionHandleInvalid,
    p11.SessionClosed,
    p11.DeviceRemoved,
    p11.DeviceError,
    p11.TokenNotPresent,
    p11.TokenNotRecognised,
    p11.UserNotLoggedIn,
    p11.KeyHandleInvalid,
    p11.ObjectHandleInvalid,
)


class _PrivateKeyNotVisibleError(Exception):
    """No private key with the kid is visible in the current session."""


class Pkcs11Signer:
    """A :class:`~carnet.credentials.signing.Signer` whose key stays in the token.

    Its ``repr`` shows only the kid.
    """

    __slots__ = ("_algorithm", "_kid", "_sign")

    def __init__(
        self, kid: bytes, algorithm: Algorithm, sign: Callable[[bytes, bytes, Mechanism], bytes]
    ) -> None:
        self._kid = kid
        self._algorithm = algorithm
        self._sign = sign

    @property
    def kid(self) -> bytes:
        """The key identifier, also the key's ``CKA_ID``."""
        return self._kid

    @property
    def algorithm(self) -> Algorithm:
        """ES256 for a P-256 key, EdDSA for an Ed25519 key."""
        return self._algorithm

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` in the token: ES256 as ``r || s``, EdDSA as is.

        Raises:
            InfrastructureError: the token failed, or the key is no longer there.
        """
        try:
            if self._algorithm is Algorithm.ES256:
                return self._sign(self._kid, hashlib.sha256(data).digest(), Mechanism.ECDSA)
            return self._sign(self._kid, data, Mechanism.EDDSA)
        except NotFoundError as exc:
            raise InfrastructureError("signing key is no longer in the token") from exc

    def __repr__(self) -> str:
        return f"Pkcs11Signer(kid={self._kid.hex()!r}, algorithm={self._algorithm.name})"


class Pkcs11KeyStore:
    """A :class:`~carnet.services.ports.KeyStore` in the PKCS#11 token ``token_label``.

    ``module_path`` is the PKCS#11 library (e.g. ``/usr/lib/softhsm/libsofthsm2.so``).
    Nothing is opened until first use; :meth:`close` ends the session.
    """

    def __init__(
        self, module_path: str | os.PathLike[str], token_label: str, pin: str | SecretStr
    ) -> None:
        self._module_path = str(module_path)
        self._token_label = token_label
        self._pin = pin if isinstance(pin, SecretStr) else SecretStr(pin)
        self._lock = threading.RLock()
        self._session: pkcs11.Session | None = None
        self._keys: dict[bytes, SignMixin] = {}

    def __repr__(self) -> str:
        return f"Pkcs11KeyStore(token_label={self._token_label!r})"

    def close(self) -> None:
        """End the session; it is reopened on next use.

        Closing logs the whole process out of the token (``C_Logout``); other
        stores on the same token log in again when they next need to.
        """
        with self._lock:
            self._drop()

    def create_key(self, label: str, algorithm: Algorithm) -> bytes:
        """Generate a non-extractable key pair inside the token and return its kid.

        Raises:
            ValidationError: the label is empty, too long or not printable, or the
                algorithm is unknown.
            ConflictError: a key with this label exists in the token.
            InfrastructureError: the token failed.
        """
        if not 0 < len(label) <= _MAX_LABEL or not label.isprintable():
            raise ValidationError("label must be 1-64 printable characters", field="label")
        if algorithm not in (Algorithm.ES256, Algorithm.EDDSA):
            raise ValidationError("unsupported algorithm", field="algorithm")

        def create(session: pkcs11.Session) -> bytes:
            # Public halves: visible whatever the login state of the session.
            if next(session.get_objects({_CLASS: ObjectClass.PUBLIC_KEY, _LABEL: label}), None):
                raise ConflictError("a key with this label exists", field="label")
            es256 = algorithm is Algorithm.ES256
            public, private = session.generate_keypair(
                KeyType.EC if es256 else KeyType.EC_EDWARDS,
                store=True,
                label=label,
                capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
                public_template={
                    Attribute.EC_PARAMS: _P256_PARAMS if es256 else _ED25519_PARAMS,
                    Attribute.PRIVATE: False,
                },
                private_template={
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                },
            )
            kid = key_id(_public_key_der(public, algorithm))
            public[Attribute.ID] = kid
            private[Attribute.ID] = kid
            sequence = max(_creation_order(session).values(), default=0) + 1
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.DATA,
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: False,
                    Attribute.APPLICATION: _ORDER_APPLICATION,
                    Attribute.LABEL: kid.hex(),
                    Attribute.VALUE: sequence.to_bytes(_SEQUENCE_BYTES, "big"),
                }
            )
            return kid

        return self._call(create)

    def signer(self, kid: bytes) -> Pkcs11Signer:
        """Return a signer for the key ``kid``.

        Raises:
            NotFoundError: the token holds no private key with this kid.
            InfrastructureError: the token failed, or the key is of another type.
        """

        def find(session: pkcs11.Session) -> Algorithm:
            return _algorithm(self._private_key(session, kid).key_type)

        return Pkcs11Signer(kid, self._call(find), self._sign)

    def public_key_der(self, kid: bytes) -> bytes:
        """Return the DER SubjectPublicKeyInfo of ``kid``.

        Raises:
            NotFoundError: the token holds no public key with this kid.
            InfrastructureError: the token failed.
        """

        def export(session: pkcs11.Session) -> bytes:
            try:
                public = session.get_key(object_class=ObjectClass.PUBLIC_KEY, id=kid)
            except p11.NoSuchKey as exc:
                raise NotFoundError("no key with this kid", field="kid") from exc
            return _public_key_der(cast("pkcs11.PublicKey", public), _algorithm(public.key_type))

        return self._call(export)

    def list_kids(self) -> list[bytes]:
        """Return the kids of the token's key pairs, oldest first.

        Keys that Carnet did not create (no order object) come last, by kid.

        Raises:
            InfrastructureError: the token failed.
        """

        def collect(session: pkcs11.Session) -> list[bytes]:
            keys = session.get_objects({_CLASS: ObjectClass.PUBLIC_KEY})
            kids = [kid for key in keys if len(kid := bytes(key[Attribute.ID])) == _KID_LENGTH]
            order = _creation_order(session)
            return sorted(kids, key=lambda kid: (kid not in order, order.get(kid, 0), kid))

        return self._call(collect)

    # ------------------------------------------------------------------ internals

    def _sign(self, kid: bytes, data: bytes, mechanism: Mechanism) -> bytes:
        return self._call(
            lambda session: self._private_key(session, kid).sign(data, mechanism=mechanism)
        )

    def _private_key(self, session: pkcs11.Session, kid: bytes) -> SignMixin:
        key = self._keys.get(kid)
        if key is None:
            try:
                found = session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=kid)
            except p11.NoSuchKey as exc:
                raise _PrivateKeyNotVisibleError from exc
            key = self._keys[kid] = cast("SignMixin", found)
        return key

    def _call(self, operation: Callable[[pkcs11.Session], _T]) -> _T:
        """Run ``operation`` on the session; reopen and retry once if it was lost."""
        with self._lock:
            lost: p11.PKCS11Error | None = None
            for attempt in range(_ATTEMPTS):
                session = self._open()
                try:
                    return operation(session)
                except _PrivateKeyNotVisibleError as exc:
                    # Missing, or hidden because this session was logged out: login is
                    # per application (PKCS#11 v2.40 §5.6), so when another session of
                    # this process closes, this one is logged out too. Look again.
                    self._drop()
                    if attempt == _ATTEMPTS - 1:
                        raise NotFoundError("no key with this kid", field="kid") from exc
                except _SESSION_LOST as exc:
                    self._drop()
                    lost = exc
                except p11.PKCS11Error as exc:
                    raise InfrastructureError(
                        f"HSM operation failed ({type(exc).__name__})"
                    ) from exc
            raise InfrastructureError(f"HSM session lost ({type(lost).__name__})") from lost

    def _open(self) -> pkcs11.Session:
        if self._session is not None:
            return self._session
        try:
            token = pkcs11.lib(self._module_path).get_token(token_label=self._token_label)
            try:
                session = token.open(rw=True, user_pin=self._pin.get_secret_value())
            except p11.UserAlreadyLoggedIn:
                # Login state is per application (PKCS#11 §5.6): another session of
                # this process has logged in, and this one shares that login.
                session = token.open(rw=True)
        except p11.PKCS11Error as exc:
            raise InfrastructureError(f"HSM could not be opened ({type(exc).__name__})") from exc
        self._session = session
        return session

    def _drop(self) -> None:
        session, self._session = self._session, None
        self._keys.clear()
        if session is not None:
            with contextlib.suppress(p11.PKCS11Error):
                session.close()


def _algorithm(key_type: KeyType) -> Algorithm:
    if key_type == KeyType.EC:
        return Algorithm.ES256
    if key_type == KeyType.EC_EDWARDS:
        return Algorithm.EDDSA
    raise InfrastructureError("token key is neither EC nor EdDSA")


def _creation_order(session: pkcs11.Session) -> dict[bytes, int]:
    order: dict[bytes, int] = {}
    for item in session.get_objects(
        {Attribute.CLASS: ObjectClass.DATA, Attribute.APPLICATION: _ORDER_APPLICATION}
    ):
        with contextlib.suppress(ValueError):
            order[bytes.fromhex(item[Attribute.LABEL])] = int.from_bytes(
                item[Attribute.VALUE], "big"
            )
    return order


def _public_key_der(public: pkcs11.PublicKey, algorithm: Algorithm) -> bytes:
    """Build the DER SPKI from ``CKA_EC_POINT`` (a DER OCTET STRING, PKCS#11 §2.3.3)."""
    point = bytes(public[Attribute.EC_POINT])
    size = 65 if algorithm is Algorithm.ES256 else 32  # uncompressed P-256 point; Ed25519 key
    if len(point) == size + 2 and point[0] == 0x04 and point[1] == size:  # noqa: PLR2004
        point = point[2:]  # some tokens return the bare point instead: accept both
    key: ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
    try:
        if algorithm is Algorithm.ES256:
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        else:
            key = ed25519.Ed25519PublicKey.from_public_bytes(point)
    except ValueError as exc:
        raise InfrastructureError("token returned a malformed public key") from exc
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
