"""IETF Token Status List: the list, its CWT claims, the status claim and a snapshot.

Implements draft-ietf-oauth-status-list, written against revision -18 (February
2026), the latest whose full text we could check; section numbers refer to it:

* :class:`StatusList` - the packed byte array of §4.1, compressed with DEFLATE in
  the ZLIB format (RFC 1950) at the highest level, and its CBOR (§4.3) and JSON
  (§4.2) forms.
* :class:`StatusListToken` - the claims set of a Status List Token in CWT form
  (§5.2) as deterministic CBOR (RFC 8949 §4.2.1). Signing is not done here: the
  COSE layer wraps :meth:`StatusListToken.to_payload` in a ``COSE_Sign1`` whose
  protected header carries :func:`status_list_token_header`.
* :class:`StatusReference` - the ``status`` claim (key 65535) of a Referenced
  Token in COSE (§6.3).
* :class:`StatusSnapshot` - the status lists of an offline bundle, answering
  :meth:`StatusSnapshot.status_of` per §8.3.

Parsers treat their input as hostile (§11.1): they bound the input and the
decompressed size, reject wrong types, unknown members, duplicate keys,
indefinite lengths and trailing bytes, and raise only :class:`DecodeError`.
"""

from __future__ import annotations

import base64
import io
import json
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Final, TypeGuard
from urllib.parse import urlsplit

import cbor2

from carnet.domain.errors import (
    CarnetError,
    DecodeError,
    StatusUnknownError,
    ValidationError,
)

if TYPE_CHECKING:
    from datetime import datetime, timedelta

__all__ = [
    "ALLOWED_BITS",
    "CARNET_BITS",
    "COSE_HEADER_TYP",
    "CWT_EXP",
    "CWT_IAT",
    "CWT_STATUS",
    "CWT_STATUS_LIST",
    "CWT_SUB",
    "CWT_TTL",
    "DEFAULT_MAX_LIST_BYTES",
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "STATUS_LIST_CWT_TYP",
    "Status",
    "StatusList",
    "StatusListToken",
    "StatusReference",
    "StatusSnapshot",
    "check_status_list_token_header",
    "status_list_token_header",
]

ALLOWED_BITS: Final = frozenset({1, 2, 4, 8})
"""Bits per status the draft allows (§4.1 step 1)."""

CARNET_BITS: Final = 2
"""Carnet's lists hold 2-bit statuses: VALID, INVALID, SUSPENDED (§7.1)."""

DEFAULT_MAX_LIST_BYTES: Final = 16 * 1024 * 1024
"""Largest decompressed byte array accepted: 2**27 one-bit or 2**26 two-bit entries."""

_INPUT_SLACK: Final = 1024 * 1024
"""Room for DEFLATE growing random data (0.03 %) plus the claims around ``lst``."""

DEFAULT_MAX_PAYLOAD_BYTES: Final = DEFAULT_MAX_LIST_BYTES + _INPUT_SLACK
"""Largest CBOR or JSON input accepted."""

CWT_SUB: Final = 2
CWT_EXP: Final = 4
CWT_IAT: Final = 6
CWT_STATUS_LIST: Final = 65533
CWT_TTL: Final = 65534
CWT_STATUS: Final = 65535
COSE_HEADER_TYP: Final = 16
STATUS_LIST_CWT_TYP: Final = "application/statuslist+cwt"

_MAX_CBOR_DEPTH: Final = 16
_MAX_URI_LENGTH: Final = 2048
_LIST_MEMBERS: Final = frozenset({"bits", "lst", "aggregation_uri"})
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_CBOR_ERRORS: Final = (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError)


class Status(IntEnum):
    """Status Type values (draft §7.1); 0x03 is application-specific, unused by Carnet."""

    VALID = 0x00
    INVALID = 0x01
    SUSPENDED = 0x02
    APPLICATION_SPECIFIC = 0x03


_STATUSES: Final = {int(status): status for status in Status}


class StatusList:
    """A status list: ``size`` statuses of ``bits`` each, packed LSB first (§4.1).

    Index ``i`` lives in byte ``i // (8 // bits)`` at bit offset
    ``(i % (8 // bits)) * bits``. A new list is all VALID (0x00), the default the
    draft recommends so that unused entries look like valid ones (§13.3).
    """

    __slots__ = ("_aggregation_uri", "_bits", "_data")
    __hash__ = None  # type: ignore[assignment]  # mutable: equal lists may differ later

    def __init__(
        self, size: int, bits: int = CARNET_BITS, *, aggregation_uri: str | None = None
    ) -> None:
        """Create an all-VALID list.

        Raises:
            ValidationError: ``bits`` is not 1, 2, 4 or 8, or ``size`` is not a
                positive multiple of the statuses per byte (§13.4), or
                ``aggregation_uri`` is not an absolute URI.
        """
        _check_bits(bits, ValidationError)
        if not _is_int(size) or size <= 0 or size % (8 // bits):
            raise ValidationError(
                f"size must be a positive multiple of {8 // bits} for {bits}-bit statuses",
                field="size",
            )
        if aggregation_uri is not None:
            _uri(aggregation_uri, ValidationError, "aggregation_uri")
        self._bits = bits
        self._data = bytearray(size * bits // 8)
        self._aggregation_uri = aggregation_uri

    @classmethod
    def from_bytes(
        cls, data: bytes, bits: int = CARNET_BITS, *, aggregation_uri: str | None = None
    ) -> StatusList:
        """Wrap an uncompressed byte array (§4.1 steps 2-3).

        Raises:
            ValidationError: ``data`` is empty or ``bits`` is not allowed.
        """
        _check_bits(bits, ValidationError)
        if not data:
            raise ValidationError("a status list holds at least one byte", field="lst")
        status_list = cls(len(data) * 8 // bits, bits, aggregation_uri=aggregation_uri)
        status_list._data[:] = data
        return status_list

    @property
    def bits(self) -> int:
        """Bits per status: 1, 2, 4 or 8."""
        return self._bits

    @property
    def aggregation_uri(self) -> str | None:
        """The URI of the Status List Aggregation (§9), if the list names one."""
        return self._aggregation_uri

    @property
    def size(self) -> int:
        """Number of statuses (indices ``0 .. size - 1``)."""
        return len(self._data) * 8 // self._bits

    def __len__(self) -> int:
        return self.size

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatusList):
            return NotImplemented
        return (self._bits, self._data, self._aggregation_uri) == (
            other._bits,
            other._data,
            other._aggregation_uri,
        )

    def __repr__(self) -> str:
        return f"StatusList(size={self.size}, bits={self._bits})"

    def get(self, idx: int) -> int:
        """Return the status value at ``idx`` (§4.1 step 3).

        Raises:
            ValidationError: ``idx`` is not an index of this list (``field="idx"``).
        """
        byte, shift = self._locate(idx)
        return (self._data[byte] >> shift) & ((1 << self._bits) - 1)

    def set(self, idx: int, status: int) -> None:
        """Set the status value at ``idx`` (§4.1 step 3).

        Raises:
            ValidationError: ``idx`` is out of range (``field="idx"``) or ``status``
                does not fit in ``bits`` bits (``field="status"``).
        """
        mask = (1 << self._bits) - 1
        if not _is_int(status) or not 0 <= status <= mask:
            raise ValidationError(
                f"status must be an integer from 0 to {mask} for {self._bits}-bit lists",
                field="status",
            )
        byte, shift = self._locate(idx)
        self._data[byte] = (self._data[byte] & ~(mask << shift)) | (status << shift)

    def to_bytes(self) -> bytes:
        """Return a copy of the uncompressed byte array."""
        return bytes(self._data)

    def compress(self) -> bytes:
        """Return ``lst``: the byte array in ZLIB format at the highest level (§4.1 step 4)."""
        return zlib.compress(self._data, zlib.Z_BEST_COMPRESSION)

    @classmethod
    def decompress(
        cls,
        lst: bytes,
        bits: int,
        *,
        max_bytes: int = DEFAULT_MAX_LIST_BYTES,
        expected_size: int | None = None,
        aggregation_uri: str | None = None,
    ) -> StatusList:
        """Inflate ``lst`` (§8.3 step 5) into a list of ``bits``-bit statuses.

        The output is capped at ``max_bytes`` while inflating, so a zlib bomb
        costs at most that much memory.

        Raises:
            DecodeError: bad ``bits``, a corrupt, truncated, empty or oversized
                stream, trailing bytes, or a size other than ``expected_size``.
        """
        _check_bits(bits, DecodeError)
        raw = _inflate(lst, max_bytes)
        size = len(raw) * 8 // bits
        if expected_size is not None and size != expected_size:
            raise DecodeError(
                f"status list holds {size} entries, expected {expected_size}", field="lst"
            )
        return cls.from_bytes(raw, bits, aggregation_uri=aggregation_uri)

    def to_cbor_map(self) -> dict[str, object]:
        """Return the StatusList CBOR structure (§4.3) as a map to embed."""
        out: dict[str, object] = {"bits": self._bits, "lst": self.compress()}
        if self._aggregation_uri is not None:
            out["aggregation_uri"] = self._aggregation_uri
        return out

    def to_cbor(self) -> bytes:
        """Encode the StatusList CBOR structure (§4.3) deterministically."""
        return _dumps(self.to_cbor_map())

    @classmethod
    def from_cbor(
        cls,
        data: bytes | bytearray | memoryview,
        *,
        max_bytes: int = DEFAULT_MAX_LIST_BYTES,
        expected_size: int | None = None,
    ) -> StatusList:
        """Decode the StatusList CBOR structure (§4.3).

        Raises:
            DecodeError: malformed CBOR or a structure that breaks §4.3.
        """
        value = _loads(data, max_bytes + _INPUT_SLACK)
        return cls.from_cbor_map(value, max_bytes=max_bytes, expected_size=expected_size)

    @classmethod
    def from_cbor_map(
        cls,
        value: object,
        *,
        max_bytes: int = DEFAULT_MAX_LIST_BYTES,
        expected_size: int | None = None,
    ) -> StatusList:
        """Build a list from an already decoded StatusList CBOR map (§4.3).

        Raises:
            DecodeError: not a map of ``bits`` (uint), ``lst`` (bytes) and an
                optional ``aggregation_uri`` (text), or a bad ``lst``.
        """
        members = _members(value)
        lst = members["lst"]
        if type(lst) is not bytes:
            raise DecodeError("lst must be a byte string", field="lst")
        return cls._from_members(members, lst, max_bytes, expected_size)

    def to_json(self) -> dict[str, object]:
        """Return the JSON StatusList object (§4.2), ``lst`` in unpadded base64url."""
        out: dict[str, object] = {
            "bits": self._bits,
            "lst": base64.urlsafe_b64encode(self.compress()).rstrip(b"=").decode("ascii"),
        }
        if self._aggregation_uri is not None:
            out["aggregation_uri"] = self._aggregation_uri
        return out

    @classmethod
    def from_json(
        cls,
        value: object,
        *,
        max_bytes: int = DEFAULT_MAX_LIST_BYTES,
        expected_size: int | None = None,
    ) -> StatusList:
        """Build a list from the JSON StatusList object (§4.2), parsed or as text.

        Raises:
            DecodeError: malformed JSON, wrong member types, unknown members, bad
                base64url or a bad ``lst``.
        """
        if isinstance(value, str | bytes):
            if len(value) > max_bytes + _INPUT_SLACK:
                raise DecodeError("status list JSON is too large")
            try:
                value = json.loads(value)
            except (ValueError, RecursionError) as exc:
                raise DecodeError("status list is not valid JSON") from exc
        members = _members(value)
        lst = members["lst"]
        if type(lst) is not str or not _B64URL.fullmatch(lst) or len(lst) % 4 == 1:
            raise DecodeError("lst must be unpadded base64url text", field="lst")
        raw = base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4))
        return cls._from_members(members, raw, max_bytes, expected_size)

    @classmethod
    def _from_members(
        cls,
        members: Mapping[str, object],
        lst: bytes,
        max_bytes: int,
        expected_size: int | None,
    ) -> StatusList:
        bits = members["bits"]
        if not _is_int(bits) or bits not in ALLOWED_BITS:
            raise DecodeError("bits must be 1, 2, 4 or 8", field="bits")
        uri = members.get("aggregation_uri")
        if uri is not None:
            uri = _uri(uri, DecodeError, "aggregation_uri")
        return cls.decompress(
            lst,
            bits,
            max_bytes=max_bytes,
            expected_size=expected_size,
            aggregation_uri=uri,
        )

    def _locate(self, idx: int) -> tuple[int, int]:
        if not _is_int(idx) or not 0 <= idx < self.size:
            raise ValidationError("index outside the status list", field="idx")
        per_byte = 8 // self._bits
        return idx // per_byte, (idx % per_byte) * self._bits


@dataclass(frozen=True, slots=True)
class StatusListToken:
    """The claims set of a Status List Token in CWT form (draft §5.2).

    Times are NumericDates (RFC 8392 §2): whole seconds since the epoch.

    Attributes:
        sub: the URI of this Status List Token, equal to ``uri`` in the status
            claims that point at it.
        iat: when it was issued.
        status_list: the list it carries.
        exp: when it stops being usable, if set (RECOMMENDED).
        ttl: seconds it may be cached before a fresh copy is due (RECOMMENDED).
    """

    sub: str
    iat: int
    status_list: StatusList
    exp: int | None = None
    ttl: int | None = None

    def __post_init__(self) -> None:
        """Check the claims.

        Raises:
            ValidationError: a claim with the wrong type or range.
        """
        _token_claims(self.sub, self.iat, self.exp, self.ttl, ValidationError)

    def to_claims(self) -> dict[int, object]:
        """Return the CWT claims map (§5.2) with the StatusList map under 65533."""
        claims: dict[int, object] = {
            CWT_SUB: self.sub,
            CWT_IAT: self.iat,
            CWT_STATUS_LIST: self.status_list.to_cbor_map(),
        }
        if self.exp is not None:
            claims[CWT_EXP] = self.exp
        if self.ttl is not None:
            claims[CWT_TTL] = self.ttl
        return claims

    def to_payload(self) -> bytes:
        """Encode the claims map as deterministic CBOR: the COSE_Sign1 payload."""
        return _dumps(self.to_claims())

    @classmethod
    def from_payload(
        cls,
        payload: bytes | bytearray | memoryview,
        *,
        max_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
        max_list_bytes: int = DEFAULT_MAX_LIST_BYTES,
    ) -> StatusListToken:
        """Decode a (verified) COSE payload into the claims of §5.2.

        Raises:
            DecodeError: malformed CBOR, a missing or ill-typed required claim,
                or a bad status list.
        """
        return cls.from_claims(_loads(payload, max_bytes), max_list_bytes=max_list_bytes)

    @classmethod
    def from_claims(
        cls, claims: object, *, max_list_bytes: int = DEFAULT_MAX_LIST_BYTES
    ) -> StatusListToken:
        """Build the token from an already decoded CWT claims map (§5.2).

        Other claims are ignored, as §5.2 allows them.

        Raises:
            DecodeError: a missing or ill-typed required claim or a bad status list.
        """
        if not isinstance(claims, Mapping):
            raise DecodeError("CWT claims must be a map")
        # Keys must be true integers: a float key 2.0 hashes like 2 in Python.
        by_key = {k: v for k, v in claims.items() if type(k) is int}
        for key, name in ((CWT_SUB, "sub"), (CWT_IAT, "iat"), (CWT_STATUS_LIST, "status_list")):
            if key not in by_key:
                raise DecodeError(f"Status List Token lacks its {name} claim", field=name)
        sub, iat, exp, ttl = _token_claims(
            by_key[CWT_SUB], by_key[CWT_IAT], by_key.get(CWT_EXP), by_key.get(CWT_TTL), DecodeError
        )
        status_list = StatusList.from_cbor_map(by_key[CWT_STATUS_LIST], max_bytes=max_list_bytes)
        return cls(sub=sub, iat=iat, status_list=status_list, exp=exp, ttl=ttl)

    def check_fresh(self, now: datetime, *, max_age: timedelta | None = None) -> None:
        """Raise unless the list may still be relied on at ``now`` (§8.3 step 4, §13.7).

        ``exp`` is a hard limit (stale from ``exp`` on). ``ttl`` counts from
        ``iat``, the draft's choice for critical use (§13.7): an offline bundle
        cannot vouch for when it was fetched. ``max_age`` is the verifier's own
        freshness policy on ``iat`` (§8.3 step 4.b).

        Raises:
            StatusUnknownError: stale by ``exp``, ``ttl`` or ``max_age``.
            ValidationError: ``now`` is naive.
        """
        t = _timestamp(now)
        if self.exp is not None and t >= self.exp:
            raise StatusUnknownError("status list has expired", field="exp")
        if self.ttl is not None and self.iat + self.ttl < t:
            raise StatusUnknownError("status list is past its time to live", field="ttl")
        if max_age is not None and self.iat + max_age.total_seconds() < t:
            raise StatusUnknownError("status list is older than allowed", field="iat")


def status_list_token_header() -> dict[int, object]:
    """Return the protected header entries a Status List Token needs (§5.2).

    The COSE layer adds ``alg`` and ``kid``; this supplies ``typ`` (label 16,
    RFC 9596) = ``application/statuslist+cwt``.
    """
    return {COSE_HEADER_TYP: STATUS_LIST_CWT_TYP}


def check_status_list_token_header(protected: Mapping[object, object]) -> None:
    """Check the ``typ`` of a Status List Token's protected header (§5.2).

    Raises:
        DecodeError: ``typ`` is missing or is not ``application/statuslist+cwt``.
    """
    typ = next((v for k, v in protected.items() if type(k) is int and k == COSE_HEADER_TYP), None)
    if typ != STATUS_LIST_CWT_TYP:
        raise DecodeError("not a Status List Token: wrong or missing typ", field="typ")


@dataclass(frozen=True, slots=True)
class StatusReference:
    """The ``status`` claim of a Referenced Token: which entry of which list (§6.3).

    Attributes:
        uri: the URI of the Status List Token (its ``sub``).
        idx: the index of this token's status in that list.
    """

    uri: str
    idx: int

    def __post_init__(self) -> None:
        """Check the reference.

        Raises:
            ValidationError: ``uri`` is not an absolute URI or ``idx`` is negative.
        """
        _reference(self.uri, self.idx, ValidationError)

    def to_claim(self) -> dict[str, object]:
        """Return the value of CWT claim 65535: the Status CBOR structure (§6.3)."""
        return {"status_list": {"idx": self.idx, "uri": self.uri}}

    @classmethod
    def from_claim(cls, value: object) -> StatusReference:
        """Parse the value of CWT claim 65535 (§6.3).

        Other status mechanisms and extra StatusListInfo members are ignored.

        Raises:
            DecodeError: not a map holding a ``status_list`` map with a
                non-negative integer ``idx`` and an absolute URI ``uri``.
        """
        # Runs on every verification: a dict (what decode_cbor gives) is checked first.
        if type(value) is not dict and not isinstance(value, Mapping):
            raise DecodeError("status claim must be a map", field="status")
        info = value.get("status_list")
        if type(info) is not dict and not isinstance(info, Mapping):
            raise DecodeError("status claim lacks a status_list map", field="status_list")
        uri, idx = _reference(info.get("uri"), info.get("idx"), DecodeError)
        # Checked just above: set the fields directly rather than check them again
        # in __post_init__ (this is what the generated __init__ does before it).
        reference = object.__new__(cls)
        object.__setattr__(reference, "uri", uri)
        object.__setattr__(reference, "idx", idx)
        return reference

    @classmethod
    def from_claims(cls, claims: Mapping[object, object]) -> StatusReference:
        """Find and parse the ``status`` claim (65535) in a CWT claims map (§6.3).

        Raises:
            DecodeError: the claim is missing or malformed.
        """
        for key, value in claims.items():
            if type(key) is int and key == CWT_STATUS:
                return cls.from_claim(value)
        raise DecodeError("credential has no status claim", field="status")


class StatusSnapshot:
    """Status List Tokens of an offline bundle, keyed by their URI (``sub``).

    The verifier asks :meth:`status_of`; the tokens' signatures were checked
    when the bundle was loaded.
    """

    __slots__ = ("_max_age", "_tokens")

    def __init__(
        self, tokens: Iterable[StatusListToken], *, max_age: timedelta | None = None
    ) -> None:
        """Index ``tokens`` by URI; ``max_age`` is an optional limit on their age.

        Raises:
            ValidationError: two tokens share a URI.
        """
        self._tokens: dict[str, StatusListToken] = {}
        for token in tokens:
            if token.sub in self._tokens:
                raise ValidationError("two status lists share a URI", field="sub")
            self._tokens[token.sub] = token
        self._max_age = max_age

    @property
    def uris(self) -> frozenset[str]:
        """The URIs of the lists held."""
        return frozenset(self._tokens)

    def status_of(self, uri: str, idx: int, now: datetime) -> Status:
        """Return the status at ``idx`` of the list at ``uri``, as of ``now`` (§8.3).

        Raises:
            StatusUnknownError: the list is missing (``field="uri"``), stale
                (``"exp"``, ``"ttl"``, ``"iat"``), does not cover ``idx``
                (``"idx"``), or holds a value outside :class:`Status`
                (``"status"``).
            ValidationError: ``now`` is naive.
        """
        token = self._tokens.get(uri)
        if token is None:
            raise StatusUnknownError("no status list for this URI in the bundle", field="uri")
        token.check_fresh(now, max_age=self._max_age)
        try:
            value = token.status_list.get(idx)
        except ValidationError as exc:
            raise StatusUnknownError("index outside the status list", field="idx") from exc
        status = _STATUSES.get(value)  # a dict look-up: calling the enum costs more
        if status is None:
            raise StatusUnknownError("unregistered status value", field="status")
        return status


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_bits(bits: object, error: type[CarnetError]) -> None:
    if not _is_int(bits) or bits not in ALLOWED_BITS:
        raise error("bits must be 1, 2, 4 or 8", field="bits")


def _uri(value: object, error: type[CarnetError], name: str) -> str:
    if type(value) is not str or not 0 < len(value) <= _MAX_URI_LENGTH:
        raise error(f"{name} must be a URI of 1 to {_MAX_URI_LENGTH} characters", field=name)
    if not value.isprintable() or " " in value:
        raise error(f"{name} must not contain spaces or control characters", field=name)
    try:
        scheme = _scheme(value)
    except ValueError as exc:
        raise error(f"{name} is not a valid URI", field=name) from exc
    if not scheme:
        raise error(f"{name} must be an absolute URI", field=name)
    return value


@lru_cache(maxsize=256)
def _scheme(uri: str) -> str:
    # Every credential names one of an issuer's few status lists, and verification
    # reads the URI each time: parse each URI once. Failures are not cached.
    return urlsplit(uri).scheme


def _reference(uri: object, idx: object, error: type[CarnetError]) -> tuple[str, int]:
    checked = _uri(uri, error, "uri")
    if not _is_int(idx) or idx < 0:
        raise error("idx must be a non-negative integer", field="idx")
    return checked, idx


def _token_claims(
    sub: object, iat: object, exp: object, ttl: object, error: type[CarnetError]
) -> tuple[str, int, int | None, int | None]:
    checked = _uri(sub, error, "sub")
    if not _is_int(iat) or iat < 0:
        raise error("iat must be a non-negative integer NumericDate", field="iat")
    if exp is not None and (not _is_int(exp) or exp <= iat):
        raise error("exp must be an integer NumericDate after iat", field="exp")
    if ttl is not None and (not _is_int(ttl) or ttl <= 0):
        raise error("ttl must be a positive integer", field="ttl")
    return checked, iat, exp, ttl


def _timestamp(now: datetime) -> float:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValidationError("now must be timezone-aware", field="now")
    return now.timestamp()


def _members(value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise DecodeError("status list must be a map")
    if not all(type(k) is str for k in value) or not set(value) <= _LIST_MEMBERS:
        raise DecodeError("status list has unknown members")
    if "bits" not in value or "lst" not in value:
        raise DecodeError("status list needs bits and lst")
    return value


def _inflate(lst: object, max_bytes: int) -> bytes:
    if type(lst) is not bytes:
        raise DecodeError("lst must be bytes", field="lst")
    inflater = zlib.decompressobj()
    try:
        # One byte over the limit tells an oversized stream from one that fits.
        raw = inflater.decompress(lst, max_bytes + 1)
    except zlib.error as exc:
        raise DecodeError("lst is not a valid ZLIB stream", field="lst") from exc
    if len(raw) > max_bytes:
        raise DecodeError(f"status list inflates past {max_bytes} bytes", field="lst")
    if not inflater.eof:
        raise DecodeError("lst is a truncated ZLIB stream", field="lst")
    if inflater.unused_data:
        raise DecodeError("lst has bytes after its ZLIB stream", field="lst")
    if not raw:
        raise DecodeError("status list is empty", field="lst")
    return raw


def _dumps(value: object) -> bytes:
    # canonical=True sorts map keys; for the integer and short text keys used
    # here that order is the one RFC 8949 §4.2.1 prescribes.
    return cbor2.dumps(value, canonical=True)


def _loads(data: object, max_bytes: int) -> object:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DecodeError("CBOR input must be bytes")
    if len(data) > max_bytes:
        raise DecodeError(f"CBOR input exceeds {max_bytes} bytes")
    stream = io.BytesIO(data)
    try:
        # read_size=1 keeps stream.tell() exact, so trailing bytes are caught.
        value = cbor2.CBORDecoder(
            stream,
            read_size=1,
            max_depth=_MAX_CBOR_DEPTH,
            allow_indefinite=False,
            allow_duplicate_keys=False,
        ).decode()
    except _CBOR_ERRORS as exc:
        raise DecodeError("malformed CBOR") from exc
    if stream.tell() != len(data):
        raise DecodeError("trailing bytes after CBOR item")
    return value
