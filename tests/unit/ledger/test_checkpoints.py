from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from carnet.domain.errors import CheckpointError
from carnet.ledger.checkpoints import Checkpoint, open_checkpoint, sign_checkpoint
from carnet.ledger.keys import Ed25519NoteSigner
from carnet.ledger.notes import sign_note

pytestmark = pytest.mark.unit

ORIGIN = "carnet.example/log"
ROOT = hashlib.sha256(b"a root").digest()
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
SIGNER = Ed25519NoteSigner.from_private_key(ORIGIN, KEY)


def _body(size: str = "42", root: bytes = ROOT, *extra: str) -> str:
    return "\n".join([ORIGIN, size, base64.b64encode(root).decode(), *extra]) + "\n"


def test_body_is_origin_size_root_then_extensions() -> None:
    assert Checkpoint(ORIGIN, 42, ROOT).to_text() == _body()
    with_ext = Checkpoint(ORIGIN, 42, ROOT, ("ext one", "ext two"))
    assert with_ext.to_text() == _body("42", ROOT, "ext one", "ext two")
    assert Checkpoint.from_text(_body("42", ROOT, "ext one", "ext two")) == with_ext


def test_spec_example_body_parses() -> None:
    # c2sp.org/tlog-checkpoint, the example at the top of the spec.
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = Checkpoint.from_text(body)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.to_text() == body


def test_empty_tree_size_is_zero() -> None:
    assert Checkpoint.from_text(_body("0")).size == 0


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_body().rstrip("\n"), id="no-final-newline"),
        pytest.param(ORIGIN + "\n42\n", id="two-lines"),
        pytest.param(_body("042"), id="leading-zero"),
        pytest.param(_body("+42"), id="plus-sign"),
        pytest.param(_body(" 42"), id="space"),
        pytest.param(_body("\u0664\u0662"), id="non-ascii-digits"),
        pytest.param(_body(str(2**64)), id="beyond-uint64"),
        pytest.param(_body("42", ROOT[:31]), id="short-root"),
        pytest.param(_body().replace("=", ""), id="unpadded-root"),
        pytest.param(_body("42", ROOT, ""), id="empty-extension"),
        pytest.param("\n" + _body()[len(ORIGIN) + 1 :], id="empty-origin"),
    ],
)
def test_malformed_bodies_are_rejected(body: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.from_text(body)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((ORIGIN, -1, ROOT), "size"),
        (("", 1, ROOT), "origin"),
        (("two\nlines", 1, ROOT), "origin"),
        ((ORIGIN, 1, b"short"), "root_hash"),
        ((ORIGIN, 1, ROOT, ("ok", "bad\tline")), None),
    ],
)
def test_constructor_validates(args: tuple[object, ...], field: str | None) -> None:
    with pytest.raises(CheckpointError) as info:
        Checkpoint(*args)  # type: ignore[arg-type]
    assert info.value.field == field


def test_signed_checkpoint_opens_with_the_right_origin_and_key() -> None:
    signed = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), [SIGNER])
    assert signed.startswith(_body().encode() + b"\n\xe2\x80\x94 " + ORIGIN.encode() + b" ")
    opened = open_checkpoint(signed, origin=ORIGIN, verifiers=[SIGNER.verifier()])
    assert opened == Checkpoint(ORIGIN, 42, ROOT)


def test_wrong_origin_is_rejected() -> None:
    signed = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), [SIGNER])
    with pytest.raises(CheckpointError, match="unexpected origin"):
        open_checkpoint(signed, origin="other.example/log", verifiers=[SIGNER.verifier()])


def test_tampered_size_or_unknown_key_is_rejected() -> None:
    signed = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), [SIGNER]).decode()
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(
            signed.replace("\n42\n", "\n43\n"), origin=ORIGIN, verifiers=[SIGNER.verifier()]
        )
    stranger = Ed25519NoteSigner.from_private_key(
        ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(32))
    )
    with pytest.raises(CheckpointError, match="known key"):
        open_checkpoint(signed, origin=ORIGIN, verifiers=[stranger.verifier()])


def test_validly_signed_garbage_body_is_rejected() -> None:
    signed = sign_note("carnet.example/log\nnot a size\n", [SIGNER])
    with pytest.raises(CheckpointError, match="needs origin"):
        open_checkpoint(signed, origin=ORIGIN, verifiers=[SIGNER.verifier()])
