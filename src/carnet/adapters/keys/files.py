"""Private keys in passphrase-encrypted files: the default :class:`KeyStore`.

Each key is one encrypted PKCS#8 PEM file (RFC 5958, PBES2 via ``cryptography``'s
``BestAvailableEncryption``) named ``<sequence>.<kid hex>.<label>.pem``, mode 0600,
in a directory of mode 0700. The sequence number gives the creation order; the kid
in the name is checked against the key when it is loaded. A file is written to a
temporary name, flushed to disk and renamed into place, so a crash leaves either no
key or a whole one (temporary files are ignored and may be deleted).

A decrypted key is cached in its :class:`FileSigner`: decrypting per signature would
cost a key derivation each time.

``BestAvailableEncryption`` (cryptography 50) writes PBES2 with PBKDF2-HMAC-SHA256
at only 2048 iterations and AES-256-CBC, and offers no way to raise the count for
PKCS#8. The passphrase must therefore be a long random secret (generated, kept in
the settings' secret store), not a memorable password.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from pydantic import SecretStr

from carnet.credentials.pki import key_id
from carnet.credentials.signing import Algorithm
from carnet.domain.errors import (
    ConflictError,
    InfrastructureError,
    NotFoundError,
    ValidationError,
)

__all__ = ["FileKeyStore", "FileSigner"]

_FILE_NAME = re.compile(
    r"(?P<seq>[0-9]{6,})\.(?P<kid>[0-9a-f]{16})\.(?P<label>[A-Za-z0-9_-]+)\.pem"
)
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_TEMP_PREFIX = ".tmp-"
_ES256_HALF = 32  # RFC 9053 §2.1: r and s are 32 bytes each for P-256

_PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


class FileSigner:
    """A :class:`~carnet.credentials.signing.Signer` over a key held in memory.

    ES256 signatures come out as the raw ``r || s`` (RFC 9053 §2.1), EdDSA as the
    64-byte Ed25519 signature (RFC 8032 §5.1.6). Its ``repr`` shows only the kid.
    """

    __slots__ = ("_algorithm", "_key", "_kid", "_public_key_der")

    def __init__(self, private_key: _PrivateKey) -> None:
        if isinstance(private_key, ed25519.Ed25519PrivateKey):
            self._algorithm = Algorithm.EDDSA
        elif isinstance(private_key.curve, ec.SECP256R1):
            self._algorithm = Algorithm.ES256
        else:
            raise ValidationError("key is not P-256 or Ed25519")
        self._key = private_key
        self._public_key_der = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self._kid = key_id(self._public_key_der)

    @property
    def kid(self) -> bytes:
        """The key identifier (first 8 bytes of SHA-256 over the DER SPKI)."""
        return self._kid

    @property
    def algorithm(self) -> Algorithm:
        """ES256 for a P-256 key, EdDSA for an Ed25519 key."""
        return self._algorithm

    @property
    def public_key_der(self) -> bytes:
        """The DER SubjectPublicKeyInfo of the key."""
        return self._public_key_der

    def sign(self, data: bytes) -> bytes:
        """Sign ``data``; ES256 as ``r || s``, EdDSA as is."""
        key = self._key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        r, s = decode_dss_signature(key.sign(data, _ECDSA_SHA256))
        return r.to_bytes(_ES256_HALF, "big") + s.to_bytes(_ES256_HALF, "big")

    def __repr__(self) -> str:
        return f"FileSigner(kid={self._kid.hex()!r}, algorithm={self._algorithm.name})"


_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


class FileKeyStore:
    """A :class:`~carnet.services.ports.KeyStore` of encrypted key files in ``directory``.

    ``passphrase`` encrypts every key; give it from settings (``SecretStr``). The
    store is safe to share between threads; two processes creating keys in the
    same directory at once may both take one label.

    Raises:
        ValidationError: the passphrase is empty.
    """

    def __init__(self, directory: Path, passphrase: bytes | str | SecretStr) -> None:
        if isinstance(passphrase, SecretStr):
            passphrase = passphrase.get_secret_value()
        if isinstance(passphrase, str):
            passphrase = passphrase.encode()
        if not passphrase:
            raise ValidationError("the key passphrase is empty", field="passphrase")
        self._directory = directory
        self._passphrase = passphrase
        self._lock = threading.Lock()
        self._signers: dict[bytes, FileSigner] = {}

    def __repr__(self) -> str:
        return f"FileKeyStore(directory={str(self._directory)!r})"

    def create_key(self, label: str, algorithm: Algorithm) -> bytes:
        """Generate a key, write it encrypted, and return its ``kid``.

        Raises:
            ValidationError: the label is not 1-64 of ``A-Z a-z 0-9 _ -``, or the
                algorithm is unknown.
            ConflictError: a key with this label exists.
            InfrastructureError: the directory or file could not be written.
        """
        if not _LABEL.fullmatch(label):
            raise ValidationError("label must be 1-64 of A-Z a-z 0-9 _ -", field="label")
        private_key: _PrivateKey
        if algorithm is Algorithm.ES256:
            private_key = ec.generate_private_key(ec.SECP256R1())
        elif algorithm is Algorithm.EDDSA:
            private_key = ed25519.Ed25519PrivateKey.generate()
        else:
            raise ValidationError("unsupported algorithm", field="algorithm")
        signer = FileSigner(private_key)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        with self._lock:
            entries = self._entries()
            if any(entry_label == label for _, _, entry_label in entries.values()):
                raise ConflictError("a key with this label exists", field="label")
            sequence = max((seq for seq, _, _ in entries.values()), default=0) + 1
            name = f"{sequence:06d}.{signer.kid.hex()}.{label}.pem"
            self._write_atomically(name, pem)
            self._signers[signer.kid] = signer
        return signer.kid

    def signer(self, kid: bytes) -> FileSigner:
        """Return the signer for ``kid``, decrypting its file on first use.

        Raises:
            NotFoundError: no key file has this kid.
            InfrastructureError: the file could not be read or decrypted, or holds
                another key than its name says.
        """
        with self._lock:
            cached = self._signers.get(kid)
            if cached is not None:
                return cached
            entry = self._entries().get(kid)
            if entry is None:
                raise NotFoundError("no key with this kid", field="kid")
            signer = self._load(entry[1])
            if signer.kid != kid:
                raise InfrastructureError("key file holds another key than its name says")
            self._signers[kid] = signer
            return signer

    def public_key_der(self, kid: bytes) -> bytes:
        """Return the DER SubjectPublicKeyInfo of ``kid``.

        Raises:
            NotFoundError: no key file has this kid.
            InfrastructureError: the file could not be read or decrypted.
        """
        return self.signer(kid).public_key_der

    def list_kids(self) -> list[bytes]:
        """Return the kids of all keys, oldest first.

        Raises:
            InfrastructureError: the directory could not be read.
        """
        with self._lock:
            entries = self._entries()
        return sorted(entries, key=lambda kid: (entries[kid][0], kid))

    def _entries(self) -> dict[bytes, tuple[int, Path, str]]:
        """Map each kid to (sequence, path, label), from the file names."""
        try:
            paths = list(self._directory.iterdir())
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise InfrastructureError("key directory could not be read") from exc
        entries: dict[bytes, tuple[int, Path, str]] = {}
        for path in paths:
            match = _FILE_NAME.fullmatch(path.name)
            if match is not None:
                entries[bytes.fromhex(match["kid"])] = (int(match["seq"]), path, match["label"])
        return entries

    def _load(self, path: Path) -> FileSigner:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InfrastructureError("key file could not be read") from exc
        try:
            key = serialization.load_pem_private_key(data, password=self._passphrase)
        except (ValueError, TypeError) as exc:
            # cryptography says only "bad decrypt" or "could not deserialize": say no more.
            raise InfrastructureError("key file could not be decrypted") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
            raise InfrastructureError("key file holds an unsupported key type")
        try:
            return FileSigner(key)
        except ValidationError as exc:
            raise InfrastructureError("key file holds an unsupported key type") from exc

    def _write_atomically(self, name: str, content: bytes) -> None:
        """Write ``content`` to ``name`` in the directory: temp file, fsync, rename."""
        try:
            self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=self._directory)
            temp = Path(temp_name)
            try:
                with os.fdopen(fd, "wb") as handle:
                    os.fchmod(handle.fileno(), 0o600)
                    handle.write(content)
                    handle.flush()
                    os.fsync(handle.fileno())
                temp.replace(self._directory / name)
            except BaseException:
                temp.unlink()
                raise
            # The rename is durable only once the directory entry is on disk too.
            directory_fd = os.open(self._directory, os.O_RDONLY)
            try:
                os.fsync(directory_fd)
            finally:
                os.close(directory_fd)
        except OSError as exc:
            raise InfrastructureError("key file could not be written") from exc
