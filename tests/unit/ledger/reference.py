"""A naive, recursive Merkle tree written straight from the RFC 9162 text.

It shares no code with ``carnet.ledger``: hashing is redone with hashlib, so
the library is checked against the spec, not against itself.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "RFC6962_TEST_LEAVES",
    "leaf",
    "mth",
    "node",
    "path",
    "proof",
    "subtree_proof",
]

# The eight leaves of the RFC 6962 test tree used by the Certificate
# Transparency and transparency-dev test suites (inputs, not expected values).
RFC6962_TEST_LEAVES: tuple[bytes, ...] = (
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
)


def leaf(data: bytes) -> bytes:
    """HASH(0x00 || d(0))."""
    return hashlib.sha256(b"\x00" + data).digest()


def node(left: bytes, right: bytes) -> bytes:
    """HASH(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1."""
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf(d[0])
    k = _k(n)
    return node(mth(d[:k]), mth(d[k:]))


def path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1."""
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def _subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = _k(n)
    if m <= k:
        return [*_subproof(m, d[:k], b), mth(d[k:])]
    return [*_subproof(m - k, d[k:], False), mth(d[:k])]


def proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1."""
    return _subproof(m, d, True)


def subtree_proof(start: int, end: int, d: Sequence[bytes], b: bool = True) -> list[bytes]:
    """SUBTREE_PROOF(start, end, D[n]) of Merkle Tree Certificates (subtree consistency)."""
    n = len(d)
    if start == 0 and end == n:
        return [] if b else [mth(d)]
    k = _k(n)
    if end <= k:
        return [*subtree_proof(start, end, d[:k], b), mth(d[k:])]
    if start >= k:
        return [*subtree_proof(start - k, end - k, d[k:], b), mth(d[:k])]
    return [*subtree_proof(0, end - k, d[k:], False), mth(d[:k])]
