from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from carnet.domain.errors import CheckpointError
from carnet.ledger.keys import Ed25519NoteSigner, Ed25519NoteVerifier
from carnet.ledger.notes import (
    MAX_NOTE_SIGNATURES,
    MAX_NOTE_SIZE,
    NoteSignature,
    open_note,
    parse_note,
    sign_note,
)

pytestmark = pytest.mark.unit

NAME = "carnet.example/log"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
TEXT = "carnet.example/log\n7\nsome text with an empty line next\n\nand more\n"


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _hand_line(name: str, key: Ed25519PrivateKey, text: str) -> str:
    """A signature line built from the spec text alone (hashlib, base64)."""
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + _raw(key)).digest()[:4]
    signature = key.sign(text.encode())
    return "\u2014 " + name + " " + base64.b64encode(key_id + signature).decode() + "\n"


def _verifier(name: str = NAME, key: Ed25519PrivateKey = KEY) -> Ed25519NoteVerifier:
    return Ed25519NoteVerifier(name, _raw(key))


HAND_NOTE = TEXT + "\n" + _hand_line(NAME, KEY, TEXT)


def test_hand_built_note_opens() -> None:
    opened = open_note(HAND_NOTE.encode(), [_verifier()])
    assert opened.text == TEXT
    assert [(s.name, s.key_id) for s in opened.verified] == [(NAME, _verifier().key_id)]
    assert opened.unverified == ()


def test_signing_reproduces_the_hand_built_note_byte_for_byte() -> None:
    # Ed25519 is deterministic (RFC 8032), so the bytes must be identical.
    signer = Ed25519NoteSigner.from_private_key(NAME, KEY)
    assert sign_note(TEXT, [signer]) == HAND_NOTE.encode()


def test_go_sumdb_note_example_interoperates() -> None:
    # golang.org/x/mod/sumdb/note package documentation: key, text and output.
    skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    seed = base64.b64decode(skey.split("+", 4)[4])[1:]
    text = (
        "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n"
    )
    published = (
        text + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1"
        "FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    )
    signer = Ed25519NoteSigner.from_private_key(
        "PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed)
    )
    assert sign_note(text, [signer]).decode() == published
    vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    assert open_note(published, [Ed25519NoteVerifier.from_vkey(vkey)]).text == text


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda n: n.replace("more", "mare"), "does not verify"),
        (lambda n: n.replace("7\n", "8\n", 1), "does not verify"),
        (lambda n: n.replace(NAME + " ", "other.example/log ", 1)[: len(n)], "known key"),
    ],
)
def test_tampered_notes_are_rejected(tamper: object, message: str) -> None:
    assert callable(tamper)
    with pytest.raises(CheckpointError, match=message):
        open_note(tamper(HAND_NOTE), [_verifier()])


def test_flipping_any_signature_byte_is_rejected() -> None:
    line = _hand_line(NAME, KEY, TEXT)
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    for i in range(4, len(raw)):
        bad = bytearray(raw)
        bad[i] ^= 0x01
        note = TEXT + "\n\u2014 " + NAME + " " + base64.b64encode(bad).decode() + "\n"
        with pytest.raises(CheckpointError, match="does not verify"):
            open_note(note, [_verifier()])


def test_unknown_keys_are_ignored_but_not_enough() -> None:
    same_name_other_key = _hand_line(NAME, OTHER, TEXT)
    other_name = _hand_line("witness.example", OTHER, TEXT)
    note = TEXT + "\n" + same_name_other_key + other_name + _hand_line(NAME, KEY, TEXT)
    opened = open_note(note, [_verifier()])
    assert [s.name for s in opened.unverified] == [NAME, "witness.example"]
    assert len(opened.verified) == 1
    with pytest.raises(CheckpointError, match="not signed by any known key"):
        open_note(TEXT + "\n" + same_name_other_key + other_name, [_verifier()])


def test_a_failing_known_signature_rejects_the_whole_note() -> None:
    bad = _hand_line("witness.example", OTHER, "another text\n")
    note = TEXT + "\n" + bad + _hand_line(NAME, KEY, TEXT)
    with pytest.raises(CheckpointError, match="does not verify"):
        open_note(note, [_verifier(), _verifier("witness.example", OTHER)])


def test_only_the_first_line_per_key_counts() -> None:
    bad = _hand_line(NAME, KEY, "another text\n")
    note = TEXT + "\n" + _hand_line(NAME, KEY, TEXT) + bad
    assert len(open_note(note, [_verifier()]).verified) == 1


def test_two_verifiers_for_one_key_are_ambiguous() -> None:
    with pytest.raises(CheckpointError, match="share"):
        open_note(HAND_NOTE, [_verifier(), _verifier()])


def _sig_line(payload: bytes, name: str = NAME) -> str:
    return "\u2014 " + name + " " + base64.b64encode(payload).decode() + "\n"


SIG = _sig_line(b"x" * 68)


@pytest.mark.parametrize(
    ("note", "message"),
    [
        pytest.param("single line\n", "no blank line", id="no-blank-line"),
        pytest.param(TEXT + "\n", "no signature", id="no-signature"),
        pytest.param("no final newline\n\n" + SIG.rstrip("\n"), "newline", id="no-newline"),
        pytest.param(TEXT + "\n-- " + NAME + SIG[len(NAME) + 2 :], "line", id="ascii-dashes"),
        pytest.param(TEXT + "\n\u2014 " + NAME + "\n", "line", id="no-space"),
        pytest.param(TEXT + "\n\u2014  " + SIG[len(NAME) + 3 :], "line", id="empty-name"),
        pytest.param(TEXT + "\n" + _sig_line(b"x" * 68, "a+b"), "line", id="plus-in-name"),
        pytest.param(TEXT + "\n" + _sig_line(b"abcd"), "too short", id="short-signature"),
        pytest.param(TEXT + "\n\u2014 " + NAME + " not*base64\n", "base64", id="bad-base64"),
        pytest.param(TEXT + "\n\u2014 " + NAME + " AB==\n", "canonical", id="non-canonical"),
        pytest.param(
            TEXT + "\n" + SIG.rstrip("\n") + "\u2028" + _sig_line(b"y" * 68),
            "base64",
            id="u2028-is-not-a-line-break",
        ),
        pytest.param("carriage\r\n\n" + SIG, "control", id="carriage-return"),
        pytest.param("tab\t\n\n" + SIG, "control", id="tab"),
        pytest.param(TEXT + "\n" + SIG * (MAX_NOTE_SIGNATURES + 1), "too many", id="101-sigs"),
        pytest.param("x" * MAX_NOTE_SIZE + "\n\n" + SIG, "too large", id="too-large"),
        pytest.param("lone \ud800 surrogate\n\n" + SIG, "UTF-8", id="surrogate"),
    ],
)
def test_malformed_notes_are_rejected(note: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        parse_note(note)


def test_bytes_must_be_utf8_and_bounded() -> None:
    with pytest.raises(CheckpointError, match="UTF-8"):
        parse_note(b"\xff\xfe\n\n" + _sig_line(b"x" * 68).encode())
    with pytest.raises(CheckpointError, match="too large"):
        parse_note(b"x" * (MAX_NOTE_SIZE + 1))


def test_parsed_note_round_trips() -> None:
    note = parse_note(HAND_NOTE)
    assert note.text == TEXT
    assert note.to_bytes() == HAND_NOTE.encode()
    assert "signature=" not in repr(note.signatures[0])


def test_at_most_one_hundred_signatures_are_accepted() -> None:
    note = TEXT + "\n" + _sig_line(b"x" * 68) * MAX_NOTE_SIGNATURES
    assert len(parse_note(note).signatures) == MAX_NOTE_SIGNATURES


def test_sign_note_checks_its_inputs() -> None:
    signer = Ed25519NoteSigner.from_private_key(NAME, KEY)
    with pytest.raises(CheckpointError, match="newline"):
        sign_note("no final newline", [signer])
    with pytest.raises(CheckpointError, match="control"):
        sign_note("bell\a\n", [signer])
    with pytest.raises(CheckpointError, match="at least one"):
        sign_note(TEXT, [])
    with pytest.raises(CheckpointError, match="share"):
        sign_note(TEXT, [signer, signer])


@dataclass
class FakeSigner:
    name: str
    key_id: bytes

    def sign(self, message: bytes) -> bytes:
        return hashlib.sha256(message).digest()


def test_sign_note_refuses_signers_with_bad_names_or_ids() -> None:
    with pytest.raises(CheckpointError, match="invalid key name or key ID"):
        sign_note(TEXT, [FakeSigner("bad name", b"1234")])
    with pytest.raises(CheckpointError, match="invalid key name or key ID"):
        sign_note(TEXT, [FakeSigner("ok", b"123")])


def test_multiple_signers_each_add_a_line() -> None:
    log = Ed25519NoteSigner.from_private_key(NAME, KEY)
    witness = Ed25519NoteSigner.from_private_key("witness.example", OTHER)
    signed = sign_note(TEXT, [log, witness])
    assert signed.decode() == TEXT + "\n" + _hand_line(NAME, KEY, TEXT) + _hand_line(
        "witness.example", OTHER, TEXT
    )
    opened = open_note(signed, [log.verifier(), witness.verifier()])
    assert [s.name for s in opened.verified] == [NAME, "witness.example"]


def test_signature_line_format() -> None:
    line = NoteSignature("n", b"\x00\x01\x02\x03", b"\xff" * 3).to_line()
    assert line == "\u2014 n AAECA////w==\n"
