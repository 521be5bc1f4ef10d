"""C2SP transparency-log checkpoints: a signed note that commits to a tree head.

The checkpoint body (c2sp.org/tlog-checkpoint, "Note text") is:

1. the origin, a non-empty unique identifier of the log (``carnet.example/log``);
2. the tree size, in ASCII decimal without leading zeroes;
3. the base64 root hash of the RFC 6962 / RFC 9162 Merkle tree at that size;
4. optional, opaque, non-empty extension lines.

It is signed as a :mod:`~carnet.ledger.notes` signed note. A client opening a
checkpoint names the origin it expects and the keys it trusts; anything else
— wrong origin, bad or missing signature, malformed body — raises
:class:`~carnet.domain.errors.CheckpointError`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from carnet.domain.errors import CheckpointError
from carnet.ledger.hashing import HASH_SIZE
from carnet.ledger.keys import decode_base64
from carnet.ledger.nodes import MAX_TREE_SIZE
from carnet.ledger.notes import open_note, sign_note

if TYPE_CHECKING:
    from collections.abc import Sequence

    from carnet.ledger.keys import NoteSigner, NoteVerifier

__all__ = ["Checkpoint", "open_checkpoint", "sign_checkpoint"]

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_MIN_LINES = 3


def _is_valid_line(line: str) -> bool:
    return bool(line) and not any(ch < " " for ch in line)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head: origin, tree size, root hash and extension lines.

    Raises:
        CheckpointError: an empty origin or extension line, a line with a
            control character, a size outside 0..2**64-1, or a root hash that
            is not 32 bytes.
    """

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _is_valid_line(self.origin):
            raise CheckpointError("checkpoint origin must be a non-empty line", field="origin")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError("checkpoint tree size out of range", field="size")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError("checkpoint root hash must be 32 bytes", field="root_hash")
        if not all(_is_valid_line(line) for line in self.extensions):
            raise CheckpointError("checkpoint extension lines must be non-empty lines")

    def to_text(self) -> str:
        """Return the note text (the checkpoint body), final newline included."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body (c2sp.org/tlog-checkpoint, "Note text").

        Raises:
            CheckpointError: fewer than three lines, an empty line, a size that
                is not canonical decimal, or a root that is not canonical base64
                of 32 bytes.
        """
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint body must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < _MIN_LINES:
            raise CheckpointError("checkpoint body needs origin, size and root lines")
        origin, size_line, root_line, *extensions = lines
        if not _DECIMAL.fullmatch(size_line):
            raise CheckpointError("checkpoint tree size is not canonical decimal")
        root_hash = decode_base64(root_line, "checkpoint root hash")
        return cls(origin, int(size_line), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[NoteSigner]) -> bytes:
    """Return ``checkpoint`` as a signed note signed by every signer.

    The log's own key name should equal the origin (c2sp.org/tlog-checkpoint,
    "Signatures"); witnesses add their cosignatures under their own names.

    Raises:
        CheckpointError: no signer, or two signers with the same name and ID.
        InfrastructureError: a signer's key store could not be used.
    """
    return sign_note(checkpoint.to_text(), signers)


def open_checkpoint(
    data: bytes | str, *, origin: str, verifiers: Sequence[NoteVerifier]
) -> Checkpoint:
    """Verify a signed checkpoint from the log ``origin`` and return its contents.

    Raises:
        CheckpointError: the note is malformed or not validly signed by one of
            ``verifiers`` (see :func:`~carnet.ledger.notes.open_note`), the body
            is malformed, or the origin is not ``origin``.
    """
    checkpoint = Checkpoint.from_text(open_note(data, verifiers).text)
    if checkpoint.origin != origin:
        raise CheckpointError("checkpoint is from an unexpected origin", field="origin")
    return checkpoint
