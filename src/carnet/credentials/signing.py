"""The signing contract shared by credentials, key stores and services.

A :class:`Signer` holds (or reaches) one private key, named by its ``kid``, and
signs bytes with one COSE algorithm. Key material never leaves an implementation:
file-backed signers keep it in memory only, PKCS#11 signers keep it in the token.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Protocol, runtime_checkable

__all__ = ["Algorithm", "Signer"]


class Algorithm(IntEnum):
    """COSE algorithm identifiers (RFC 9053 §2.1, §2.2)."""

    ES256 = -7
    EDDSA = -8


@runtime_checkable
class Signer(Protocol):
    """A key that signs.

    ``sign`` returns a COSE-format signature: for ES256 the fixed 64-byte
    ``r || s`` concatenation (RFC 9053 §2.1), not DER; for EdDSA the 64-byte
    Ed25519 signature.
    """

    @property
    def kid(self) -> bytes:
        """The key identifier, as it appears in the COSE ``kid`` header."""
        ...

    @property
    def algorithm(self) -> Algorithm:
        """The COSE algorithm this key signs with."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Sign ``data``.

        Raises:
            InfrastructureError: the key store (file, HSM) could not be used.
        """
        ...
