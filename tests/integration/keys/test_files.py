"""FileKeyStore: encrypted PKCS#8 files on a real file system."""

from __future__ import annotations

import os
import re
import stat
import threading
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from pydantic import SecretStr

from carnet.adapters.keys.files import FileKeyStore, FileSigner
from carnet.credentials.pki import key_id, load_public_key, verify_signature
from carnet.credentials.signing import Algorithm, Signer
from carnet.domain.errors import (
    ConflictError,
    InfrastructureError,
    NotFoundError,
    ValidationError,
)

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def store(directory: Path) -> FileKeyStore:
    return FileKeyStore(directory, PASSPHRASE)


def _key_file(directory: Path, kid: bytes) -> Path:
    (path,) = directory.glob(f"*.{kid.hex()}.*.pem")
    return path


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_a_created_key_signs_verifiably(store: FileKeyStore, algorithm: Algorithm) -> None:
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
def test_the_key_file_is_encrypted_pkcs8_with_mode_0600(
    store: FileKeyStore, directory: Path, algorithm: Algorithm
) -> None:
    kid = store.create_key("root", algorithm)
    path = _key_file(directory, kid)
    assert re.fullmatch(rf"000001\.{kid.hex()}\.root\.pem", path.name)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    pem = path.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(pem, password=None)
    key = serialization.load_pem_private_key(pem, password=PASSPHRASE.encode())
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public == store.public_key_der(kid)
    assert [p.name for p in directory.iterdir()] == [path.name]  # no temporary file left


def test_a_new_store_loads_keys_from_disk_oldest_first(directory: Path) -> None:
    first = FileKeyStore(directory, PASSPHRASE)
    kids = [first.create_key(f"key-{i}", Algorithm.ES256) for i in range(3)]
    kids.append(first.create_key("ed", Algorithm.EDDSA))
    again = FileKeyStore(directory, SecretStr(PASSPHRASE))
    assert again.list_kids() == kids
    signer = again.signer(kids[3])
    assert again.signer(kids[3]) is signer  # decrypted once, then cached
    verify_signature(
        load_public_key(first.public_key_der(kids[3])),
        Algorithm.EDDSA,
        b"data",
        signer.sign(b"data"),
    )


def test_passphrases_may_be_bytes_str_or_secret_str(directory: Path) -> None:
    kid = FileKeyStore(directory, PASSPHRASE.encode()).create_key("k", Algorithm.ES256)
    for passphrase in (PASSPHRASE, PASSPHRASE.encode(), SecretStr(PASSPHRASE)):
        assert FileKeyStore(directory, passphrase).signer(kid).kid == kid


@pytest.mark.parametrize("passphrase", ["", b"", SecretStr("")])
def test_an_empty_passphrase_is_refused(
    directory: Path, passphrase: str | bytes | SecretStr
) -> None:
    with pytest.raises(ValidationError):
        FileKeyStore(directory, passphrase)


def test_an_empty_or_missing_directory_has_no_keys(directory: Path) -> None:
    assert FileKeyStore(directory, PASSPHRASE).list_kids() == []
    directory.mkdir()
    assert FileKeyStore(directory, PASSPHRASE).list_kids() == []


def test_temporary_and_unrelated_files_are_ignored(store: FileKeyStore, directory: Path) -> None:
    kid = store.create_key("k", Algorithm.ES256)
    (directory / ".tmp-crashed-write").write_bytes(b"half a key")
    (directory / "README").write_text("not a key", encoding="utf-8")
    (directory / "1.abc.k.pem").write_text("bad name", encoding="utf-8")
    assert FileKeyStore(directory, PASSPHRASE).list_kids() == [kid]


def test_a_label_is_taken_once_even_across_stores(store: FileKeyStore, directory: Path) -> None:
    store.create_key("root", Algorithm.ES256)
    with pytest.raises(ConflictError):
        FileKeyStore(directory, PASSPHRASE).create_key("root", Algorithm.EDDSA)


@pytest.mark.parametrize("label", ["", "x" * 65, "-leading-dash", "dot.ted", "slash/ed", "ünï"])
def test_bad_labels_are_refused(store: FileKeyStore, label: str) -> None:
    with pytest.raises(ValidationError) as caught:
        store.create_key(label, Algorithm.ES256)
    assert caught.value.field == "label"


def test_an_unknown_algorithm_is_refused(store: FileKeyStore) -> None:
    with pytest.raises(ValidationError) as caught:
        store.create_key("rsa", -257)  # type: ignore[arg-type]
    assert caught.value.field == "algorithm"


def test_an_unknown_kid_is_not_found(store: FileKeyStore) -> None:
    store.create_key("k", Algorithm.ES256)
    with pytest.raises(NotFoundError):
        store.signer(b"\x00" * 8)
    with pytest.raises(NotFoundError):
        store.public_key_der(b"\x00" * 8)


def test_a_wrong_passphrase_is_an_infrastructure_error_without_the_passphrase(
    store: FileKeyStore, directory: Path
) -> None:
    kid = store.create_key("k", Algorithm.ES256)
    with pytest.raises(InfrastructureError, match="could not be decrypted") as caught:
        FileKeyStore(directory, "wrong passphrase").signer(kid)
    assert "wrong passphrase" not in str(caught.value)
    assert "wrong passphrase" not in repr(caught.value)


def test_a_file_holding_another_key_than_its_name_says_is_refused(
    store: FileKeyStore, directory: Path
) -> None:
    kid = store.create_key("k", Algorithm.ES256)
    path = _key_file(directory, kid)
    path.rename(directory / path.name.replace(kid.hex(), "00" * 8))
    with pytest.raises(InfrastructureError, match="another key"):
        FileKeyStore(directory, PASSPHRASE).signer(b"\x00" * 8)


def _write_key(directory: Path, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    directory.mkdir(exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE.encode()),
    )
    kid = b"\x01" * 8
    (directory / f"000001.{kid.hex()}.odd.pem").write_bytes(pem)
    return kid


@pytest.mark.parametrize(
    "key",
    [rsa.generate_private_key(65537, 2048), ec.generate_private_key(ec.SECP384R1())],
    ids=["rsa", "p384"],
)
def test_a_file_holding_an_unsupported_key_is_refused(
    directory: Path, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
) -> None:
    kid = _write_key(directory, key)
    with pytest.raises(InfrastructureError, match="unsupported key type"):
        FileKeyStore(directory, PASSPHRASE).signer(kid)


def test_an_unreadable_key_file_is_an_infrastructure_error(directory: Path) -> None:
    kid = b"\x02" * 8
    (directory / f"000001.{kid.hex()}.dir.pem").mkdir(parents=True)
    with pytest.raises(InfrastructureError, match="could not be read"):
        FileKeyStore(directory, PASSPHRASE).signer(kid)


def test_a_directory_that_is_a_file_is_an_infrastructure_error(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("x", encoding="utf-8")
    store = FileKeyStore(not_a_directory, PASSPHRASE)
    with pytest.raises(InfrastructureError, match="could not be read"):
        store.list_kids()
    with pytest.raises(InfrastructureError, match="could not be read"):
        store.create_key("k", Algorithm.ES256)


def test_a_failed_write_leaves_no_file_behind(
    store: FileKeyStore, directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory.mkdir()

    def broken_fsync(_fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(InfrastructureError, match="could not be written"):
        store.create_key("k", Algorithm.ES256)
    assert list(directory.iterdir()) == []
    monkeypatch.undo()
    assert store.list_kids() == []


def test_concurrent_creation_gives_distinct_keys(store: FileKeyStore) -> None:
    kids: list[bytes] = []

    def work(n: int) -> None:
        kids.append(store.create_key(f"k{n}", Algorithm.ES256))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(store.list_kids()) == sorted(kids)
    assert len(set(kids)) == 8


def test_reprs_show_no_secret(store: FileKeyStore, directory: Path) -> None:
    kid = store.create_key("k", Algorithm.EDDSA)
    assert repr(store.signer(kid)) == f"FileSigner(kid={kid.hex()!r}, algorithm=EDDSA)"
    assert PASSPHRASE not in repr(store)
    assert repr(store) == f"FileKeyStore(directory={str(directory)!r})"


def test_file_signer_refuses_other_curves() -> None:
    with pytest.raises(ValidationError):
        FileSigner(ec.generate_private_key(ec.SECP384R1()))
    signer = FileSigner(ed25519.Ed25519PrivateKey.generate())
    assert signer.algorithm is Algorithm.EDDSA
    assert not hasattr(signer, "__dict__")
