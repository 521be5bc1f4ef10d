"""The one exception tree of Carnet.

Every error Carnet raises on purpose is a :class:`CarnetError`. Entry points
translate the tree in exactly one place each (problem JSON for the API, exit codes
for the CLI, an error page for the web), using the stable :attr:`CarnetError.code`.

::

    CarnetError
    ├── ValidationError              bad input: a field, a row, a file, a date
    │   └── UinInvalidError          a UIN that fails its format or check digit
    ├── NotFoundError                a record that does not exist (or is out of scope)
    ├── ConflictError                a write that clashes with the current state
    │   ├── StaleVersionError        optimistic concurrency: someone wrote first
    │   ├── IllegalTransitionError   a lifecycle step out of order
    │   ├── WrongStationError        a document handled at a station not holding it
    │   └── ResidentIneligibleError  a deceased, emigrated or merged record
    ├── PermissionDeniedError        the caller's role or scope does not allow it
    │   ├── AuthenticationError      no valid credentials at all
    │   └── FourEyesError            approving one's own entry, own case, or twice
    ├── CredentialError              a credential that cannot be trusted
    │   ├── DecodeError              malformed bytes (base45, zlib, CBOR, COSE, MRZ)
    │   ├── SignatureInvalidError    a signature that does not verify
    │   ├── UnknownSignerError       a signer not in the trust list
    │   ├── SignerRevokedError       a signer certificate that was revoked
    │   ├── SignerNotValidError      a signer (or root) outside its validity, stale CRL
    │   ├── CredentialExpiredError   past its expiry
    │   ├── CredentialNotYetValidError  before its start of validity
    │   ├── CredentialRevokedError   revoked or suspended in its status list
    │   │   └── CredentialSuspendedError  suspended (for now) in its status list
    │   ├── StatusUnknownError       no status statement possible (stale or missing list)
    │   └── PurposeRefusedError      the purpose at hand does not allow it
    │       ├── NotAcceptableForPurposeError  a genuine credential the purpose does not accept
    │       └── NoDocumentMayBeDemandedError  a purpose for which no document may be asked
    ├── LedgerError                  the transparency log does not check out
    │   ├── ProofError               an inclusion or consistency proof fails
    │   └── CheckpointError          a checkpoint's signature, origin or size is wrong
    │       ├── RollbackError        a newer checkpoint is smaller than the accepted one
    │       └── ForkError            two checkpoints that cannot both be true (split view)
    ├── LinkageError                 record linkage could not run
    └── InfrastructureError          a database, HSM or file could not be reached

Messages never contain personal data or key material: identifiers are redacted
with :func:`redact` before they go into a message.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AuthenticationError",
    "CarnetError",
    "CheckpointError",
    "ConflictError",
    "CredentialError",
    "CredentialExpiredError",
    "CredentialNotYetValidError",
    "CredentialRevokedError",
    "CredentialSuspendedError",
    "DecodeError",
    "ForkError",
    "FourEyesError",
    "IllegalTransitionError",
    "InfrastructureError",
    "LedgerError",
    "LinkageError",
    "NoDocumentMayBeDemandedError",
    "NotAcceptableForPurposeError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProofError",
    "PurposeRefusedError",
    "ResidentIneligibleError",
    "RollbackError",
    "SignatureInvalidError",
    "SignerNotValidError",
    "SignerRevokedError",
    "StaleVersionError",
    "StatusUnknownError",
    "UinInvalidError",
    "UnknownSignerError",
    "ValidationError",
    "WrongStationError",
    "redact",
]


def redact(identifier: str, keep: int = 3) -> str:
    """Return ``identifier`` with all but its last ``keep`` characters masked."""
    if keep <= 0 or len(identifier) <= keep:
        return "*" * len(identifier)
    return "*" * (len(identifier) - keep) + identifier[-keep:]


class CarnetError(Exception):
    """Base of every error Carnet raises on purpose.

    Attributes:
        code: a stable, machine-readable code (``"validation_error"``, ...).
        message: a short human sentence with no personal data.
        field: the input field concerned, when there is one.
    """

    code: ClassVar[str] = "carnet_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        extra = f", field={self.field!r}" if self.field else ""
        return f"{type(self).__name__}({self.message!r}{extra})"


class ValidationError(CarnetError):
    """Raised when input is malformed, out of range or inconsistent."""

    code = "validation_error"


class UinInvalidError(ValidationError):
    """Raised when a UIN fails its length, alphabet, rules or Verhoeff check digit."""

    code = "uin_invalid"


class NotFoundError(CarnetError):
    """Raised when a record does not exist, or lies outside the caller's scope.

    Out-of-scope records are reported as not found on purpose: a scoped official
    must not learn that a record exists elsewhere.
    """

    code = "not_found"


class ConflictError(CarnetError):
    """Raised when a write clashes with the current state (duplicates, reuse)."""

    code = "conflict"


class StaleVersionError(ConflictError):
    """Raised when an update names a version that is no longer the current one."""

    code = "stale_version"


class IllegalTransitionError(ConflictError):
    """Raised when a lifecycle transition is not allowed from the current state."""

    code = "illegal_transition"


class PermissionDeniedError(CarnetError):
    """Raised when the caller's role or scope does not grant the action."""

    code = "permission_denied"


class AuthenticationError(PermissionDeniedError):
    """Raised when credentials are missing, wrong, expired or revoked."""

    code = "authentication_failed"


class CredentialError(CarnetError):
    """Raised when a credential cannot be trusted; ``reason`` is the verdict code."""

    code = "credential_error"
    reason: ClassVar[str] = "malformed"


class DecodeError(CredentialError):
    """Raised when bytes are malformed: base45, zlib, CBOR, COSE, MRZ or a bundle."""

    code = "decode_error"
    reason = "malformed"


class SignatureInvalidError(CredentialError):
    """Raised when a signature does not verify under the claimed key."""

    code = "signature_invalid"
    reason = "bad_signature"


class UnknownSignerError(CredentialError):
    """Raised when the signer's key id is not in the trust list."""

    code = "unknown_signer"
    reason = "unknown_signer"


class SignerRevokedError(CredentialError):
    """Raised when the signer's certificate has been revoked."""

    code = "signer_revoked"
    reason = "signer_revoked"


class SignerNotValidError(CredentialError):
    """Raised when a signer cannot be trusted at the verification time.

    That is: the document-signer or root certificate is expired or not yet valid,
    or the revocation list vouching for it is out of date (RFC 5280 §6.1.3, §6.3.3).
    """

    code = "signer_not_valid"
    reason = "signer_not_valid"


class CredentialExpiredError(CredentialError):
    """Raised when a credential is past its expiry time."""

    code = "credential_expired"
    reason = "expired"


class CredentialNotYetValidError(CredentialError):
    """Raised when a credential's validity has not started yet."""

    code = "credential_not_yet_valid"
    reason = "not_yet_valid"


class CredentialRevokedError(CredentialError):
    """Raised when a credential's status is revoked (invalid) or suspended."""

    code = "credential_revoked"
    reason = "revoked"


class StatusUnknownError(CredentialError):
    """Raised when no statement about a credential's status can be made.

    The status list it points to is past its ``exp`` or ``ttl`` (a stale bundle),
    is missing from the bundle, or does not cover its index
    (draft-ietf-oauth-status-list §8.3), or holds a value with no registered
    meaning. ``field`` names the cause: ``"exp"``, ``"ttl"``, ``"iat"`` (older than
    the verifier's own age limit), ``"uri"``, ``"idx"`` or ``"status"``.
    """

    code = "status_unknown"
    reason = "status_unknown"


class LedgerError(CarnetError):
    """Raised when the transparency log or one of its artefacts does not check out."""

    code = "ledger_error"


class ProofError(LedgerError):
    """Raised when an inclusion or consistency proof is malformed or does not verify."""

    code = "proof_invalid"


class CheckpointError(LedgerError):
    """Raised when a checkpoint's signature, origin, format or size is wrong."""

    code = "checkpoint_invalid"


class LinkageError(CarnetError):
    """Raised when record linkage cannot run (bad model, bad settings)."""

    code = "linkage_error"


class InfrastructureError(CarnetError):
    """Raised when a database, HSM, key file or other resource cannot be reached."""

    code = "infrastructure_error"


class RollbackError(CheckpointError):
    """Raised when a log presents a checkpoint smaller than one already accepted.

    An append-only log never shrinks, so this is evidence of misbehaviour (or of
    a stale mirror). ``old_size`` and ``new_size`` are the two tree sizes.
    """

    code = "checkpoint_rollback"

    def __init__(self, message: str, *, old_size: int, new_size: int) -> None:
        super().__init__(message)
        self.old_size = old_size
        self.new_size = new_size

    def __repr__(self) -> str:
        sizes = f"old_size={self.old_size}, new_size={self.new_size}"
        return f"RollbackError({self.message!r}, {sizes})"


class ForkError(CheckpointError):
    """Raised when two signed checkpoints of one log cannot both be true.

    Either they have the same size and different roots, or no valid consistency
    proof links them: the log shows different histories to different parties (a
    split view). Keep both signed checkpoints as evidence. ``old_size`` and
    ``new_size`` are the two tree sizes.
    """

    code = "checkpoint_fork"

    def __init__(self, message: str, *, old_size: int, new_size: int) -> None:
        super().__init__(message)
        self.old_size = old_size
        self.new_size = new_size

    def __repr__(self) -> str:
        sizes = f"old_size={self.old_size}, new_size={self.new_size}"
        return f"ForkError({self.message!r}, {sizes})"


class CredentialSuspendedError(CredentialRevokedError):
    """Raised when a credential is suspended in its status list (it may be reinstated)."""

    code = "credential_suspended"
    reason = "suspended"


class PurposeRefusedError(CredentialError):
    """Raised when the purpose at hand does not allow a credential, whatever its validity."""

    code = "purpose_refused"
    reason = "not_acceptable_for_purpose"


class NotAcceptableForPurposeError(PurposeRefusedError):
    """Raised when a genuine, valid credential is not acceptable for the purpose.

    Its document type is not one the purpose accepts, it names another zone than
    the checkpoint's, its own purposes exclude this one, or it lacks an
    attribute the purpose needs (such as a date of birth for an age check).
    """

    code = "not_acceptable_for_purpose"
    reason = "not_acceptable_for_purpose"


class NoDocumentMayBeDemandedError(PurposeRefusedError):
    """Raised when an identity document is asked for a purpose that must never demand one.

    Hospital and clinic care, voting, courts, emergency services and access to
    benefits (DESIGN.md, "Purposes"): the verifier refuses before reading anything.
    """

    code = "no_document_may_be_demanded"
    reason = "no_document_may_be_demanded"


class FourEyesError(PermissionDeniedError):
    """Raised when an official would approve their own entry, their own case, or twice."""

    code = "four_eyes"


class WrongStationError(ConflictError):
    """Raised when a document is handled at a station that does not hold it."""

    code = "wrong_station"


class ResidentIneligibleError(ConflictError):
    """Raised when a resident's record cannot receive documents (deceased, merged...)."""

    code = "resident_ineligible"
