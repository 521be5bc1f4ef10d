"""C2SP signed notes: text signed by one or more named keys (c2sp.org/signed-note).

Wire format: the note text (ending in a newline), a blank line, then one or more
signature lines ``— <key name> <base64(4-byte key ID || signature)>``. The
signatures cover the text including its final newline. A note is valid UTF-8
with no ASCII control character other than newline.

Opening a note follows the spec's rules on trust: signatures from unknown keys
(name *and* key ID not both known) are ignored; a signature from a known key
that fails rejects the whole note; and a note with no verified signature from a
known key is rejected. Every failure is a
:class:`~carnet.domain.errors.CheckpointError`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from carnet.domain.errors import CheckpointError
from carnet.ledger.keys import decode_base64, is_valid_key_name

if TYPE_CHECKING:
    from collections.abc import Sequence

    from carnet.ledger.keys import NoteSigner, NoteVerifier

__all__ = [
    "MAX_NOTE_SIGNATURES",
    "MAX_NOTE_SIZE",
    "Note",
    "NoteSignature",
    "VerifiedNote",
    "open_note",
    "parse_note",
    "sign_note",
]

MAX_NOTE_SIGNATURES = 100
"""Most signature lines accepted in one note (the spec requires at least 16)."""

MAX_NOTE_SIZE = 1 << 20
"""Largest note accepted, in bytes."""

_SIG_PREFIX = "\u2014 "  # em dash, space
_KEY_ID_SIZE = 4


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: the key name, the 4-byte key ID and the signature."""

    name: str
    key_id: bytes
    signature: bytes = field(repr=False)

    def to_line(self) -> str:
        """Return the signature line, newline included."""
        encoded = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{_SIG_PREFIX}{self.name} {encoded}\n"


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed note whose signatures have not been verified."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def to_bytes(self) -> bytes:
        """Return the wire form: text, blank line, signature lines."""
        return (self.text + "\n" + "".join(s.to_line() for s in self.signatures)).encode()


@dataclass(frozen=True, slots=True)
class VerifiedNote:
    """A note with at least one signature verified by a trusted key.

    Attributes:
        text: the note text, which may now be trusted.
        verified: the signatures that verified, in note order.
        unverified: the signatures from keys the caller does not know.
    """

    text: str
    verified: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]


def _check_text(text: str, what: str) -> None:
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise CheckpointError(f"{what} is not valid UTF-8") from exc
    if size > MAX_NOTE_SIZE:
        raise CheckpointError(f"{what} is too large")
    if not text.endswith("\n"):
        raise CheckpointError(f"{what} must end with a newline")
    if any(ch < " " and ch != "\n" for ch in text):
        raise CheckpointError(f"{what} contains a control character")


def _parse_signature_line(line: str) -> NoteSignature:
    name, _, encoded = line.removeprefix(_SIG_PREFIX).partition(" ")
    if not line.startswith(_SIG_PREFIX) or not is_valid_key_name(name) or not encoded:
        raise CheckpointError("malformed note: bad signature line")
    raw = decode_base64(encoded, "note signature")
    if len(raw) <= _KEY_ID_SIZE:
        raise CheckpointError("malformed note: signature too short")
    return NoteSignature(name, raw[:_KEY_ID_SIZE], raw[_KEY_ID_SIZE:])


def parse_note(data: bytes | str) -> Note:
    """Split a signed note into text and signatures, checking syntax only.

    The text ends at the last blank line (the text itself may contain blank
    lines, c2sp.org/signed-note "Format").

    Raises:
        CheckpointError: not UTF-8, a control character, no blank line, no
            signature, a malformed signature line, or too many signatures.
    """
    if isinstance(data, bytes):
        if len(data) > MAX_NOTE_SIZE:
            raise CheckpointError("note is too large")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CheckpointError("note is not valid UTF-8") from exc
    _check_text(data, "note")
    split = data.rfind("\n\n")
    if split < 0:
        raise CheckpointError("malformed note: no blank line before the signatures")
    text, block = data[: split + 1], data[split + 2 :]
    if not block:
        raise CheckpointError("note has no signature")
    # Only U+000A separates lines; str.splitlines would also split on U+2028.
    lines = block[:-1].split("\n")
    if len(lines) > MAX_NOTE_SIGNATURES:
        raise CheckpointError("note has too many signatures")
    return Note(text, tuple(_parse_signature_line(line) for line in lines))


def sign_note(text: str, signers: Sequence[NoteSigner]) -> bytes:
    """Sign ``text`` with every signer and return the signed note.

    Raises:
        CheckpointError: the text is not a valid note text (empty, missing its
            final newline, control characters), no signer is given, or two
            signers share a name and key ID.
        InfrastructureError: a signer's key store could not be used.
    """
    _check_text(text, "note text")
    if not signers:
        raise CheckpointError("a note needs at least one signer")
    if len({(s.name, s.key_id) for s in signers}) != len(signers):
        raise CheckpointError("two signers share a key name and key ID")
    message = text.encode("utf-8")
    signatures = []
    for signer in signers:
        if not is_valid_key_name(signer.name) or len(signer.key_id) != _KEY_ID_SIZE:
            raise CheckpointError("signer has an invalid key name or key ID")
        signatures.append(NoteSignature(signer.name, signer.key_id, signer.sign(message)))
    return Note(text, tuple(signatures)).to_bytes()


def open_note(data: bytes | str, verifiers: Sequence[NoteVerifier]) -> VerifiedNote:
    """Parse a signed note and verify it against the trusted ``verifiers``.

    Only the first signature line of each (name, key ID) pair counts; repeats
    are ignored, as in Go's ``note.Open``.

    Raises:
        CheckpointError: the note is malformed; a known key's signature does
            not verify; or no signature is from a known key.
    """
    trusted = {(v.name, v.key_id): v for v in verifiers}
    if len(trusted) != len(verifiers):
        raise CheckpointError("two verifiers share a key name and key ID")
    note = parse_note(data)
    message = note.text.encode("utf-8")
    seen: set[tuple[str, bytes]] = set()
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    for sig in note.signatures:
        key = (sig.name, sig.key_id)
        if key in seen:
            continue
        seen.add(key)
        verifier = trusted.get(key)
        if verifier is None:
            unverified.append(sig)
            continue
        verifier.verify(message, sig.signature)
        verified.append(sig)
    if not verified:
        raise CheckpointError("note is not signed by any known key")
    return VerifiedNote(note.text, tuple(verified), tuple(unverified))
