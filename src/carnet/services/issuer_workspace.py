"""The issuer workspace: a directory holding one issuer's PKI, status lists and policy.

This is the closest real thing to an issuing authority until the documents issue
(#5) moves status lists and signer records into the database; it serves the
command line (``carnet pki``, ``carnet status``, ``carnet credential``, ``carnet
bundle``), tests and benchmarks. Private keys stay in the :class:`KeyStore` it is
given (encrypted files or an HSM); the directory holds only public material::

    <directory>/                 default var/issuer/
      workspace.json             the index: root, service and document signers
                                 (kid, authority, document type, certificate file)
      root.pem                   the root certificate
      certs/<serial>.pem         signer certificates, one per file
      crl.pem                    the root's current CRL (the record of revocations)
      trustlist.cose             the trust list, signed by the root
      status/<id>.cbor           one status list per file: its URI, its statuses
                                 and which indices are allocated
      policy.yaml                the purpose policy put in bundles

Two service signers are made with the root (see :mod:`carnet.credentials.bundle`):
the bundle signer and the status-list signer. The root signs only certificates,
CRLs and the trust list; exports need it only when the CRL is due for renewal.

Every file is written atomically (temporary file, fsync, rename), and a
multi-file change writes ``workspace.json`` last, so an interrupted command
leaves the previous state or a state the next command repairs (a stale trust
list is re-signed on export). Revocations live in the CRL only. Mutating
operations hold an exclusive lock on ``<directory>/.lock``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from carnet.credentials.bundle import (
    BUNDLE_SIGNER_TYPE,
    MAX_AGE_LIMIT,
    STATUS_LIST_SIGNER_TYPE,
    parse_bundle,
    sign_bundle,
    sign_status_list_token,
)
from carnet.credentials.cbor import decode_cbor, encode_deterministic
from carnet.credentials.codec import compress, decompress
from carnet.credentials.issuing import identity_from_mapping, issue_credential
from carnet.credentials.pki import RootAuthority
from carnet.credentials.policy import default_policy_text, load_policy
from carnet.credentials.signing import Algorithm
from carnet.credentials.statusindex import (
    MIN_LIST_SIZE,
    AllocationPolicy,
    IndexAllocator,
    ListUsage,
    RandomSource,
)
from carnet.credentials.statuslist import (
    CARNET_BITS,
    Status,
    StatusList,
    StatusListToken,
    StatusReference,
)
from carnet.credentials.trustlist import TrustList, parse_trust_list, sign_trust_list
from carnet.domain.actions import Action, ActionType, signer_ref
from carnet.domain.errors import (
    CarnetError,
    ConflictError,
    InfrastructureError,
    NotFoundError,
    ValidationError,
)
from carnet.services.issuance import IssuingKey

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from datetime import datetime

    from carnet.credentials.signing import Signer
    from carnet.services.ports import KeyStore
    from carnet.services.uow import UnitOfWork

__all__ = [
    "DEFAULT_DIRECTORY",
    "DEFAULT_STATUS_BASE_URI",
    "IssuedCredential",
    "IssuerWorkspace",
    "SignerRecord",
    "WorkspaceSigners",
    "log_signers",
    "write_file_atomically",
]

DEFAULT_DIRECTORY: Final = Path("var/issuer")
# Short on purpose: the status URI is inside every QR (docs/adr/0008).
DEFAULT_STATUS_BASE_URI: Final = "https://s.example"

_FORMAT: Final = 1
_ROOT_LIFETIME: Final = timedelta(days=20 * 365)
_SIGNER_LIFETIME: Final = timedelta(days=10 * 365)
_BACKDATE: Final = timedelta(hours=1)  # tolerate checkpoints whose clock runs a little slow
_CRL_LIFETIME: Final = timedelta(days=30)
_CRL_RENEW_BEFORE: Final = timedelta(days=7)
_DEFAULT_VALIDITY: Final = timedelta(days=5 * 365)
_MAX_STATE_SIZE: Final = 1024 * 1024
_MAX_LIST_FILE: Final = 64 * 1024 * 1024
_SERIAL_SPACE: Final = 1 << 63
_PEM: Final = serialization.Encoding.PEM
_Crl = x509.CertificateRevocationList
_SERVICE_ROLES: Final = {BUNDLE_SIGNER_TYPE: "bundle", STATUS_LIST_SIGNER_TYPE: "status"}


def write_file_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically: temporary file, fsync, rename, fsync dir.

    Raises:
        InfrastructureError: the file could not be written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            temp.replace(path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as exc:
        raise InfrastructureError(f"{path.name} could not be written") from exc


@dataclass(frozen=True)
class SignerRecord:
    """A signer certificate the workspace made: who it signs for, and its key."""

    kid: bytes
    authority: str
    document_type: str
    serial_number: int
    certificate: str  # file name under certs/
    revoked: bool = False


@dataclass(frozen=True)
class IssuedCredential:
    """A credential issued from the workspace: its QR text and its status entry."""

    qr_text: str
    status: StatusReference
    signer_kid: bytes


@dataclass
class _StatusFile:
    list_id: int
    uri: str
    statuses: StatusList
    allocated: bytearray
    used: int
    is_open: bool

    def to_cbor(self) -> bytes:
        return encode_deterministic(
            {
                "id": self.list_id,
                "uri": self.uri,
                "list": self.statuses.to_cbor_map(),
                "allocated": compress(bytes(self.allocated)),
                "used": self.used,
                "open": self.is_open,
            }
        )

    @classmethod
    def from_cbor(cls, data: bytes) -> _StatusFile:
        value = decode_cbor(data, max_size=_MAX_LIST_FILE, max_depth=4)
        statuses = StatusList.from_cbor_map(value["list"])
        allocated = decompress(value["allocated"], max_size=statuses.size // 8)
        return cls(
            list_id=int(value["id"]),
            uri=str(value["uri"]),
            statuses=statuses,
            allocated=bytearray(allocated),
            used=int(value["used"]),
            is_open=bool(value["open"]),
        )


class _IndexStore:
    """The :class:`~carnet.credentials.statusindex.IndexStore` over the workspace's lists."""

    def __init__(self, lists: dict[int, _StatusFile], base_uri: str) -> None:
        self.lists = lists
        self.changed: set[int] = set()
        self._base_uri = base_uri

    def open_lists(self) -> list[ListUsage]:
        return [
            ListUsage(f.list_id, f.statuses.size, f.used) for f in self.lists.values() if f.is_open
        ]

    def create_list(self, capacity: int) -> int:
        list_id = max(self.lists, default=0) + 1
        self.lists[list_id] = _StatusFile(
            list_id=list_id,
            uri=f"{self._base_uri}/{list_id}",
            statuses=StatusList(capacity, CARNET_BITS),
            allocated=bytearray(capacity // 8),
            used=0,
            is_open=True,
        )
        self.changed.add(list_id)
        return list_id

    def claim_first(self, list_id: int, candidates: Sequence[int]) -> int | None:
        status_file = self.lists[list_id]
        for idx in candidates:
            byte, bit = divmod(idx, 8)
            if not status_file.allocated[byte] >> bit & 1:
                status_file.allocated[byte] |= 1 << bit
                status_file.used += 1
                self.changed.add(list_id)
                return idx
        return None

    def close_list(self, list_id: int) -> None:
        self.lists[list_id].is_open = False
        self.changed.add(list_id)


class IssuerWorkspace:
    """An issuer's PKI, status lists and policy in ``directory`` (see the module docstring).

    ``keys`` holds the private keys (file or HSM); ``rng`` draws serial numbers,
    key-label suffixes and status-list indices (``secrets.SystemRandom()``).
    """

    def __init__(self, directory: Path, keys: KeyStore, *, rng: RandomSource) -> None:
        self._dir = directory
        self._keys = keys
        self._rng = rng

    def __repr__(self) -> str:
        return f"IssuerWorkspace(directory={str(self._dir)!r})"

    @property
    def directory(self) -> Path:
        """The workspace directory."""
        return self._dir

    # ------------------------------------------------------------------- PKI

    def init(
        self,
        *,
        now: datetime,
        algorithm: Algorithm = Algorithm.ES256,
        root_kid: bytes | None = None,
        country: str = "ZZ",
        authority: str = "Civil Registration Authority",
        status_base_uri: str = DEFAULT_STATUS_BASE_URI,
    ) -> bytes:
        """Create the root (key in the key store) and the two service signers.

        ``root_kid`` uses an existing key of the store instead of a new one.
        Returns the root's kid.

        Raises:
            ConflictError: the directory already holds a workspace.
            ValidationError: bad names or URI.
            NotFoundError: ``root_kid`` is not in the key store.
            InfrastructureError: the key store or directory failed.
        """
        _require_aware(now)
        StatusReference(status_base_uri, 0)  # refuses a URI that is not absolute
        with self._locked():
            if self._state_path.exists():
                raise ConflictError("the directory already holds an issuer workspace")
            try:  # before any key is made
                subject = x509.Name(
                    [
                        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, authority),
                        x509.NameAttribute(NameOID.COMMON_NAME, "Carnet Root"),
                    ]
                )
            except ValueError as exc:  # e.g. a country code that is not two letters
                raise ValidationError("invalid root name", field="country") from exc
            kid = root_kid or self._keys.create_key(self._label("root"), algorithm)
            root = RootAuthority.create(
                self._keys.signer(kid),
                self._keys.public_key_der(kid),
                subject,
                now - _BACKDATE,
                now + _ROOT_LIFETIME,
                serial_number=self._serial(),
            )
            self._write(self._dir / "root.pem", root.certificate.public_bytes(_PEM))
            crl = root.issue_crl(this_update=now - _BACKDATE, next_update=now + _CRL_LIFETIME)
            self._write(self._dir / "crl.pem", crl.public_bytes(_PEM))
            policy = self._dir / "policy.yaml"
            if not policy.exists():
                self._write(policy, default_policy_text().encode("utf-8"))
            state: dict[str, object] = {
                "format": _FORMAT,
                "root_kid": kid.hex(),
                "status_base_uri": status_base_uri.rstrip("/"),
                "signers": [],
            }
            for kind, role in _SERVICE_ROLES.items():
                record = self._certify(
                    root,
                    state,
                    authority=authority,
                    document_type=kind,
                    now=now,
                    algorithm=algorithm,
                    kid=None,
                )
                state[f"{role}_signer_kid"] = record.kid.hex()
            self._sign_trust_list(root, state, crl, now)
            self._save_state(state)
            return kid

    def add_signer(
        self,
        *,
        authority: str,
        document_type: str,
        now: datetime,
        algorithm: Algorithm = Algorithm.ES256,
        kid: bytes | None = None,
    ) -> SignerRecord:
        """Certify a new document signer for (``authority``, ``document_type``).

        Rotation is adding another: the newest signer issues, and older ones keep
        verifying until they are revoked. ``kid`` certifies an existing key. For
        the service types (:data:`~carnet.credentials.bundle.BUNDLE_SIGNER_TYPE`,
        :data:`~carnet.credentials.bundle.STATUS_LIST_SIGNER_TYPE`) the new signer
        takes over signing bundles or status lists at once.

        Raises:
            ValidationError: bad names.
            NotFoundError: no workspace, or ``kid`` is not in the key store.
            InfrastructureError: the key store or directory failed.
        """
        _require_aware(now)
        with self._locked():
            state = self._load_state()
            root = self._root(state)
            record = self._certify(
                root,
                state,
                authority=authority,
                document_type=document_type,
                now=now,
                algorithm=algorithm,
                kid=kid,
            )
            role = _SERVICE_ROLES.get(document_type)
            if role is not None:
                state[f"{role}_signer_kid"] = record.kid.hex()
            self._sign_trust_list(root, state, self._crl(), now)
            self._save_state(state)
            return record

    def revoke_signer(self, kid: bytes, *, now: datetime) -> None:
        """Revoke every certificate of signer ``kid``: a new CRL and trust list.

        Raises:
            NotFoundError: no workspace, or no document signer with this kid.
            InfrastructureError: the key store or directory failed.
        """
        _require_aware(now)
        with self._locked():
            state = self._load_state()
            root = self._root(state)
            records = [r for r in self._records(state) if r.kid == kid]
            if not records:
                raise NotFoundError("no signer with this kid in the workspace", field="kid")
            crl = self._crl()
            for record in records:
                crl = root.revoke(
                    self._certificate(record),
                    revoked_at=now,
                    this_update=now - _BACKDATE,
                    next_update=now + _CRL_LIFETIME,
                    previous=crl,
                )
            self._write(self._dir / "crl.pem", crl.public_bytes(_PEM))
            self._sign_trust_list(root, state, crl, now)

    def signers(self) -> list[SignerRecord]:
        """Return every signer of the workspace, oldest first, revoked ones marked.

        Raises:
            NotFoundError: no workspace here.
        """
        return self._records(self._load_state())

    def root_certificate(self) -> x509.Certificate:
        """Return the root certificate (what checkpoints pin).

        Raises:
            NotFoundError: no workspace here.
        """
        self._load_state()
        return x509.load_pem_x509_certificate(self._read(self._dir / "root.pem"))

    # ---------------------------------------------------------- status lists

    def create_status_list(self, *, size: int = MIN_LIST_SIZE) -> str:
        """Create an all-VALID status list of ``size`` 2-bit entries; return its URI.

        Raises:
            ValidationError: ``size`` is below 131,072 or not a multiple of 8.
            NotFoundError: no workspace here.
        """
        AllocationPolicy(list_size=size)  # the allocator's own size rule
        with self._locked():
            state = self._load_state()
            store = _IndexStore(self._status_files(), str(state["status_base_uri"]))
            list_id = store.create_list(size)
            self._save_lists(store)
            return store.lists[list_id].uri

    def set_status(self, uri: str, idx: int, status: Status) -> None:
        """Set entry ``idx`` of the list at ``uri`` to ``status``.

        Raises:
            NotFoundError: no workspace, or no list with this URI.
            ValidationError: ``idx`` is outside the list.
        """
        with self._locked():
            self._load_state()
            lists = self._status_files()
            found = next((f for f in lists.values() if f.uri == uri), None)
            if found is None:
                raise NotFoundError("no status list with this URI", field="uri")
            found.statuses.set(idx, int(status))
            self._write(self._list_path(found.list_id), found.to_cbor())

    # --------------------------------------------------------------- issuing

    def issue_test_credential(
        self,
        identity: Mapping[str, object],
        *,
        document_type: str,
        document_number: str,
        now: datetime,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        zone: str | None = None,
        authority: str | None = None,
    ) -> IssuedCredential:
        """Issue a credential from plain identity data, with a random status index.

        The newest unrevoked signer for ``document_type`` (and ``authority``, if
        given) signs. The index is allocated at random (:mod:`.statusindex`) and
        recorded before signing, so it is never handed out twice.

        Raises:
            ValidationError: bad identity data, dates or document facts, or a
                service signer's type.
            NotFoundError: no workspace, or no usable signer for the type.
            InfrastructureError: the key store or directory failed.
        """
        _require_aware(now)
        if document_type in _SERVICE_ROLES:
            raise ValidationError("not a document type", field="document_type")
        person = identity_from_mapping(identity)
        start = valid_from or now
        end = valid_until or start + _DEFAULT_VALIDITY
        with self._locked():
            state = self._load_state()
            record = self._current_signer(state, document_type, authority)
            signer = self._keys.signer(record.kid)
            store = _IndexStore(self._status_files(), str(state["status_base_uri"]))
            allocated = IndexAllocator(store).allocate(self._rng)
            self._save_lists(store)
        reference = StatusReference(store.lists[allocated.list_id].uri, allocated.idx)
        text = issue_credential(
            person,
            document_type=document_type,
            document_number=document_number,
            status=reference,
            valid_from=start,
            valid_until=end,
            zone=zone,
            signer=signer,
            now=now,
            issuer=record.authority,
        )
        return IssuedCredential(text, reference, record.kid)

    def document_signer(
        self, document_type: str, authority: str | None = None
    ) -> tuple[SignerRecord, Signer]:
        """Return the newest unrevoked signer for ``document_type`` and its key.

        Raises:
            ValidationError: a service signer's type.
            NotFoundError: no workspace, or no usable signer for the type.
            InfrastructureError: the key store failed.
        """
        if document_type in _SERVICE_ROLES:
            raise ValidationError("not a document type", field="document_type")
        record = self._current_signer(self._load_state(), document_type, authority)
        return record, self._keys.signer(record.kid)

    def _current_signer(
        self, state: Mapping[str, object], document_type: str, authority: str | None
    ) -> SignerRecord:
        candidates = [
            r
            for r in self._records(state)
            if r.document_type == document_type
            and not r.revoked
            and (authority is None or r.authority == authority)
        ]
        if not candidates:
            raise NotFoundError("no unrevoked signer for this document type", field="document_type")
        return candidates[-1]

    # --------------------------------------------------------------- bundles

    def export_bundle(
        self,
        *,
        now: datetime,
        max_age: timedelta = timedelta(hours=24),
        status_lists: Mapping[str, StatusList] | None = None,
    ) -> bytes:
        """Sign a checkpoint bundle of everything current, valid for ``max_age``.

        ``status_lists`` are the lists the registry's database holds (by URI),
        signed alongside the workspace's own test lists.

        The CRL is renewed when it would lapse within a week (or within
        ``max_age``), and the trust list is re-signed if it no longer matches
        the workspace. The result is parsed back before it is returned.

        Raises:
            ValidationError: ``max_age`` out of range, or an invalid policy file.
            NotFoundError: no workspace here.
            InfrastructureError: the key store or directory failed.
        """
        _require_aware(now)
        if not timedelta(seconds=1) <= max_age <= MAX_AGE_LIMIT:
            raise ValidationError("max_age must be between 1 s and 31 days", field="max_age")
        with self._locked():
            state = self._load_state()
            root = self._root(state)
            crl = self._crl()
            next_update = crl.next_update_utc
            if next_update is None or next_update - now < max(_CRL_RENEW_BEFORE, max_age):
                crl = root.issue_crl(
                    this_update=now - _BACKDATE, next_update=now + _CRL_LIFETIME, previous=crl
                )
                self._write(self._dir / "crl.pem", crl.public_bytes(_PEM))
            trust = self._current_trust_list(root, state, crl, now)
            policy = load_policy(self._dir / "policy.yaml")
            status_signer = self._keys.signer(bytes.fromhex(str(state["status_signer_kid"])))
            expires = int((now + max_age).timestamp()) + 1
            lists = {f.uri: f.statuses for f in self._status_files().values()}
            for uri, statuses in (status_lists or {}).items():
                if uri in lists:
                    raise ConflictError(
                        "a database status list has the URI of a workspace list", field="uri"
                    )
                lists[uri] = statuses
            tokens = {
                uri: sign_status_list_token(
                    StatusListToken(
                        sub=uri, iat=int(now.timestamp()), status_list=statuses, exp=expires
                    ),
                    status_signer,
                )
                for uri, statuses in lists.items()
            }
            bundle = sign_bundle(
                trust_list=trust,
                status_lists=tokens,
                policy=policy,
                issued_at=now,
                max_age=max_age,
                signer=self._keys.signer(bytes.fromhex(str(state["bundle_signer_kid"]))),
            )
        parse_bundle(bundle, root.certificate, now)  # never hand out a bundle that fails
        return bundle

    # ------------------------------------------------------------- internals

    @property
    def _state_path(self) -> Path:
        return self._dir / "workspace.json"

    def _label(self, role: str) -> str:
        return f"carnet-{role}-{self._rng.randrange(1 << 32):08x}"

    def _serial(self) -> int:
        return self._rng.randrange(_SERIAL_SPACE) + 1

    def _certify(
        self,
        root: RootAuthority,
        state: dict[str, object],
        *,
        authority: str,
        document_type: str,
        now: datetime,
        algorithm: Algorithm,
        kid: bytes | None,
    ) -> SignerRecord:
        key = kid or self._keys.create_key(self._label(document_type.replace(" ", "-")), algorithm)
        not_after = min(now + _SIGNER_LIFETIME, root.certificate.not_valid_after_utc)
        serial = self._serial()
        certificate = root.issue_signer_certificate(
            self._keys.public_key_der(key),
            authority=authority,
            document_type=document_type,
            not_before=now - _BACKDATE,
            not_after=not_after,
            serial_number=serial,
        )
        name = f"{serial:016x}.pem"
        self._write(self._dir / "certs" / name, certificate.public_bytes(_PEM))
        entry = {
            "kid": key.hex(),
            "authority": authority,
            "document_type": document_type,
            "serial_number": serial,
            "certificate": name,
        }
        signers = state["signers"]
        assert isinstance(signers, list)  # noqa: S101 - shape checked by _load_state
        signers.append(entry)
        return SignerRecord(key, authority, document_type, serial, name)

    def _root(self, state: Mapping[str, object]) -> RootAuthority:
        certificate = x509.load_pem_x509_certificate(self._read(self._dir / "root.pem"))
        signer = self._keys.signer(bytes.fromhex(str(state["root_kid"])))
        return RootAuthority(certificate, signer)

    def _crl(self) -> _Crl:
        return x509.load_pem_x509_crl(self._read(self._dir / "crl.pem"))

    def _certificate(self, record: SignerRecord) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self._read(self._dir / "certs" / record.certificate))

    def _records(self, state: Mapping[str, object]) -> list[SignerRecord]:
        crl = self._crl()
        entries = state["signers"]
        assert isinstance(entries, list)  # noqa: S101 - shape checked by _load_state
        return [
            SignerRecord(
                kid=bytes.fromhex(entry["kid"]),
                authority=entry["authority"],
                document_type=entry["document_type"],
                serial_number=entry["serial_number"],
                certificate=entry["certificate"],
                revoked=crl.get_revoked_certificate_by_serial_number(entry["serial_number"])
                is not None,
            )
            for entry in entries
        ]

    def _certificates(self, state: Mapping[str, object]) -> tuple[x509.Certificate, ...]:
        return tuple(self._certificate(record) for record in self._records(state))

    def _sign_trust_list(
        self, root: RootAuthority, state: Mapping[str, object], crl: _Crl, now: datetime
    ) -> bytes:
        root_signer = self._keys.signer(bytes.fromhex(str(state["root_kid"])))
        trust = TrustList(root.certificate, self._certificates(state), crl, now)
        signed = sign_trust_list(trust, root_signer)
        self._write(self._dir / "trustlist.cose", signed)
        return signed

    def _current_trust_list(
        self,
        root: RootAuthority,
        state: Mapping[str, object],
        crl: _Crl,
        now: datetime,
    ) -> bytes:
        with contextlib.suppress(CarnetError):
            signed = self._read(self._dir / "trustlist.cose")
            current = parse_trust_list(signed, root.certificate)
            if current.signers == self._certificates(state) and current.crl == crl:
                return signed
        return self._sign_trust_list(root, state, crl, now)

    def _status_files(self) -> dict[int, _StatusFile]:
        directory = self._dir / "status"
        files: dict[int, _StatusFile] = {}
        paths = sorted(directory.glob("*.cbor")) if directory.is_dir() else []
        for path in paths:
            try:
                status_file = _StatusFile.from_cbor(self._read(path))
            except (CarnetError, KeyError, TypeError, ValueError) as exc:
                raise InfrastructureError(f"status list file {path.name} is corrupt") from exc
            files[status_file.list_id] = status_file
        return dict(sorted(files.items()))

    def _list_path(self, list_id: int) -> Path:
        return self._dir / "status" / f"{list_id:06d}.cbor"

    def _save_lists(self, store: _IndexStore) -> None:
        for list_id in sorted(store.changed):
            self._write(self._list_path(list_id), store.lists[list_id].to_cbor())

    def _load_state(self) -> dict[str, object]:
        try:
            text = self._state_path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(
                f"no issuer workspace in {self._dir} (run `carnet pki init`)", field="workspace"
            ) from exc
        except OSError as exc:
            raise InfrastructureError("workspace.json could not be read") from exc
        try:
            state = json.loads(text[:_MAX_STATE_SIZE])
        except ValueError as exc:
            raise InfrastructureError("workspace.json is corrupt") from exc
        if (
            not isinstance(state, dict)
            or state.get("format") != _FORMAT
            or not isinstance(state.get("signers"), list)
        ):
            raise InfrastructureError("workspace.json is corrupt or of another format")
        return state

    def _save_state(self, state: Mapping[str, object]) -> None:
        text = json.dumps(state, indent=2, sort_keys=True) + "\n"
        self._write(self._state_path, text.encode("utf-8"))

    def _read(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise InfrastructureError(f"{path.name} could not be read") from exc

    def _write(self, path: Path, content: bytes) -> None:
        write_file_atomically(path, content)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            handle = (self._dir / ".lock").open("a")
        except OSError as exc:
            raise InfrastructureError("workspace directory could not be opened") from exc
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _require_aware(now: datetime) -> None:
    if now.utcoffset() is None:
        raise ValidationError("now must be timezone-aware", field="now")


class WorkspaceSigners:
    """The workspace's document signers as the issuance port wants them, cached.

    Opening a key (decrypting a key file, or a PKCS#11 session) is costly, so a
    signer is kept for ``ttl``; a rotation or revocation takes effect within it.
    """

    def __init__(
        self, workspace: IssuerWorkspace, *, ttl: timedelta = timedelta(minutes=5)
    ) -> None:
        self._workspace = workspace
        self._ttl = ttl.total_seconds()
        self._cache: dict[str, tuple[float, IssuingKey]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"WorkspaceSigners({self._workspace.directory})"

    def signer_for(self, document_type: str) -> IssuingKey:
        """Return the current signer for ``document_type`` (see :class:`DocumentSigners`).

        Raises:
            NotFoundError: no usable signer for the type.
            InfrastructureError: the key store failed.
        """
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(document_type)
            if cached is not None and now - cached[0] < self._ttl:
                return cached[1]
            record, signer = self._workspace.document_signer(document_type)
            key = IssuingKey(signer=signer, kid=record.kid.hex(), authority=record.authority)
            self._cache[document_type] = (now, key)
            return key


def log_signers(
    uow: UnitOfWork,
    action: ActionType,
    records: Sequence[SignerRecord],
    *,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Append one leaf for a PKI change (the operator's act): the signers it touched.

    The workspace lives on disk and the log in the database, so this runs right
    after the change; a failure here leaves the change unlogged, and the caller
    reports it.
    """
    refs = [
        signer_ref(
            r.kid.hex(),
            authority=r.authority,
            document_type=r.document_type,
            serial_number=r.serial_number,
            revoked=r.revoked,
        )
        for r in records
    ]
    with uow:
        uow.ledger.append(Action.by(None, action, refs, reason=reason, at=now))
        uow.commit()
