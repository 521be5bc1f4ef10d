"""Repository ports and the unit of work that owns each transaction.

Use cases open a unit of work, read and write through its repositories, and
call :meth:`UnitOfWork.commit`. Leaving the ``with`` block without committing
rolls everything back, so a failure at any point leaves no half-done record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, Self

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from types import TracebackType

    from carnet.credentials.statusindex import ListUsage
    from carnet.domain.actions import Action, LoggedAction
    from carnet.domain.documents import (
        Application,
        CustodyEvent,
        Document,
        DocumentState,
    )
    from carnet.domain.messages import Message
    from carnet.domain.officials import Official
    from carnet.domain.persons import Resident, ResidentChange
    from carnet.domain.proposals import Proposal
    from carnet.domain.regions import Region, Station
    from carnet.ledger.store import HashStore
    from carnet.services.ledger import LogKey, StoredCheckpoint, TreeHead

__all__ = [
    "ApplicationQuery",
    "ApplicationRepository",
    "AuthToken",
    "DecisionTime",
    "DocumentRepository",
    "LedgerRepository",
    "OfficialRepository",
    "OutboxRepository",
    "PrintRun",
    "ProposalRepository",
    "RegionRepository",
    "ResidentAccessRepository",
    "ResidentCode",
    "ResidentQuery",
    "ResidentRepository",
    "StationRepository",
    "StatusListInfo",
    "StatusRepository",
    "TokenRepository",
    "UnitOfWork",
]


@dataclass(frozen=True, slots=True)
class ResidentQuery:
    """A resident search. Names match on accent- and case-free keys.

    ``scope_regions`` restricts results to residents of exactly these region
    codes (the caller's scope, already expanded to every covered region);
    ``None`` means no restriction. Pagination is by keyset: ``after_uin``.
    """

    family_name: str | None = None
    given_name: str | None = None
    birth_year: int | None = None
    birth_month: int | None = None
    birth_day: int | None = None
    region_code: str | None = None
    scope_regions: frozenset[str] | None = None
    after_uin: str | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class AuthToken:
    """A stored bearer token (its hash only)."""

    token_hash: str
    official_id: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    station_code: str | None = None


class RegionRepository(Protocol):
    """Regions of the tree."""

    def get(self, code: str) -> Region | None:
        """Return the region ``code`` or ``None``."""
        ...

    def add(self, region: Region) -> None:
        """Store a new region."""
        ...

    def list(self, parent_code: str | None = None, *, roots: bool = False) -> list[Region]:
        """Return regions, optionally the children of ``parent_code`` or the roots."""
        ...

    def existing_codes(self, codes: Sequence[str]) -> set[str]:
        """Return which of ``codes`` exist."""
        ...

    def covered_codes(self, codes: Sequence[str]) -> set[str]:
        """Return ``codes`` and the codes of every region below any of them."""
        ...

    def lineage(self, code: str) -> tuple[str, ...]:
        """Return the codes from the root down to ``code`` (empty if unknown)."""
        ...


class StationRepository(Protocol):
    """Stations and mobile teams."""

    def get(self, code: str) -> Station | None:
        """Return the station ``code`` or ``None``."""
        ...

    def add(self, station: Station) -> None:
        """Store a new station."""
        ...

    def list(self, region_code: str | None = None) -> list[Station]:
        """Return stations, optionally those attached to ``region_code``."""
        ...


class ResidentRepository(Protocol):
    """Residents and their change history."""

    def get_by_uin(self, uin: str) -> Resident | None:
        """Return the resident holding ``uin`` or ``None``."""
        ...

    def get(self, resident_id: str) -> Resident | None:
        """Return the resident with this internal id or ``None``."""
        ...

    def get_many(self, resident_ids: Sequence[str]) -> dict[str, Resident]:
        """Return the residents among ``resident_ids`` that exist, by id."""
        ...

    def add(self, resident: Resident, created_by: str | None) -> None:
        """Store a new resident.

        Raises:
            ConflictError: the UIN or external reference is already taken.
        """
        ...

    def update(self, resident: Resident, change: ResidentChange) -> None:
        """Store ``resident`` (version bumped) and its change, checking the version.

        Raises:
            StaleVersionError: the stored version is not ``resident.version - 1``.
        """
        ...

    def history(self, resident_id: str) -> list[ResidentChange]:
        """Return the changes to a resident, oldest first."""
        ...

    def search(self, query: ResidentQuery) -> list[Resident]:
        """Return residents matching ``query`` ordered by UIN."""
        ...

    def uins_taken(self, uins: Sequence[str]) -> set[str]:
        """Return which of ``uins`` are already allocated."""
        ...

    def refs_taken(self, refs: Sequence[str]) -> set[str]:
        """Return which of the external references are already imported."""
        ...


class OfficialRepository(Protocol):
    """Staff accounts."""

    def get(self, official_id: str) -> Official | None:
        """Return the official ``official_id`` or ``None``."""
        ...

    def get_by_username(self, username: str) -> Official | None:
        """Return the official with ``username`` or ``None``."""
        ...

    def add(self, official: Official) -> None:
        """Store a new official.

        Raises:
            ConflictError: the username is taken.
        """
        ...

    def save(self, official: Official) -> None:
        """Store changes to an existing official."""
        ...

    def list(self) -> list[Official]:
        """Return every official ordered by username."""
        ...


class TokenRepository(Protocol):
    """Bearer tokens, stored hashed."""

    def add(self, token: AuthToken) -> None:
        """Store a token."""
        ...

    def get(self, token_hash: str) -> AuthToken | None:
        """Return the token with this hash or ``None``."""
        ...

    def revoke(self, token_hash: str, at: datetime) -> None:
        """Mark one token revoked."""
        ...

    def revoke_all(self, official_id: str, at: datetime) -> int:
        """Revoke every live token of an official; return how many."""
        ...


class UnitOfWork(Protocol):
    """One transaction over every repository."""

    regions: RegionRepository
    stations: StationRepository
    residents: ResidentRepository
    officials: OfficialRepository
    tokens: TokenRepository
    outbox: OutboxRepository
    resident_access: ResidentAccessRepository
    proposals: ProposalRepository
    ledger: LedgerRepository
    applications: ApplicationRepository
    documents: DocumentRepository
    status: StatusRepository

    def __enter__(self) -> Self:
        """Begin the transaction."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back unless committed."""
        ...

    def commit(self) -> None:
        """Commit the transaction.

        Raises:
            ConflictError: a uniqueness constraint failed at commit.
        """
        ...

    def rollback(self) -> None:
        """Roll the transaction back."""
        ...


@dataclass(frozen=True, slots=True)
class ResidentCode:
    """A one-time sign-in code for a resident, stored as a hash."""

    id: str
    resident_id: str
    code_hash: str
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    used_at: datetime | None = None


class OutboxRepository(Protocol):
    """Messages waiting to be delivered (written in the action's transaction)."""

    def add(self, message: Message) -> None:
        """Store a new message."""
        ...

    def due(self, now: datetime, limit: int) -> list[Message]:
        """Return pending messages whose next attempt is due, oldest first."""
        ...

    def save(self, message: Message) -> None:
        """Store a message's new state."""
        ...

    def get(self, message_id: str) -> Message | None:
        """Return one message or ``None``."""
        ...


class ResidentAccessRepository(Protocol):
    """Residents' one-time codes and their session tokens."""

    def add_code(self, code: ResidentCode) -> None:
        """Store a new code."""
        ...

    def recent_codes(self, resident_id: str, since: datetime) -> list[ResidentCode]:
        """Return the resident's codes issued since ``since``, newest first."""
        ...

    def save_code(self, code: ResidentCode) -> None:
        """Store a code's attempts or use."""
        ...

    def add_token(self, token: AuthToken) -> None:
        """Store a resident session token (``official_id`` holds the resident id)."""
        ...

    def get_token(self, token_hash: str) -> AuthToken | None:
        """Return a resident token or ``None``."""
        ...

    def revoke_token(self, token_hash: str, at: datetime) -> None:
        """Revoke one resident token."""
        ...


class ProposalRepository(Protocol):
    """Two-person proposals."""

    def add(self, proposal: Proposal) -> None:
        """Store a new proposal."""
        ...

    def get(self, proposal_id: str) -> Proposal | None:
        """Return a proposal or ``None``."""
        ...

    def save(self, proposal: Proposal) -> None:
        """Store a decided proposal (only a pending one may change).

        Raises:
            StaleVersionError: it was decided meanwhile.
        """
        ...

    def pending(self, action: str | None = None) -> list[Proposal]:
        """Return pending proposals, oldest first."""
        ...


class LedgerRepository(Protocol):
    """The transparency log: leaves, their subjects, node hashes, checkpoints, keys.

    :meth:`append` is the one way an action is logged: call it inside the action's
    unit of work, after the writes and right before ``commit()``, so that the
    action and its leaf are committed together or not at all. Leaves are
    numbered under a lock on the log head, so concurrent transactions get
    consecutive indices in commit order.
    """

    def append(self, action: Action) -> int:
        """Append one leaf for ``action`` in this transaction; return its index.

        Raises:
            LedgerError: the stored log is inconsistent (a node would be rewritten).
        """
        ...

    def append_many(self, actions: Sequence[Action]) -> list[int]:
        """Append one leaf per action, in order, with one lock and one write each."""
        ...

    def actions_on(self, kind: str, record_id: str) -> list[LoggedAction]:
        """Return every logged action that touched the record, oldest first."""
        ...

    def head(self, *, lock: bool = False) -> TreeHead:
        """Return the size and root of the log (``lock``: hold the head until commit)."""
        ...

    def hash_store(self) -> HashStore:
        """Return the node hashes of the log, for roots and proofs."""
        ...

    def entry(self, index: int) -> bytes | None:
        """Return the bytes of leaf ``index`` or ``None``."""
        ...

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """Return the newest signed checkpoint or ``None``."""
        ...

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        """Store a signed checkpoint."""
        ...

    def log_keys(self) -> list[LogKey]:
        """Return the log's signing keys (public halves and key-store ids), oldest first."""
        ...

    def add_log_key(self, key: LogKey) -> None:
        """Record a new log signing key."""
        ...


@dataclass(frozen=True, slots=True)
class ApplicationQuery:
    """A page of the decision queue: open applications, escalated first, then oldest.

    ``document_types`` and ``station_codes`` narrow it (``None``: any);
    ``resident_id`` lists one resident's applications in every state.
    """

    document_types: frozenset[str] | None = None
    station_codes: frozenset[str] | None = None
    resident_id: str | None = None
    open_only: bool = True
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class DecisionTime:
    """One decided application, for the time-to-decision report."""

    station_code: str
    document_type: str
    submitted_at: datetime
    decided_at: datetime


class ApplicationRepository(Protocol):
    """Applications for documents."""

    def add(self, application: Application) -> None:
        """Store a new application."""
        ...

    def get(self, application_id: str) -> Application | None:
        """Return one application or ``None``."""
        ...

    def get_many(self, application_ids: Sequence[str]) -> dict[str, Application]:
        """Return the applications among ``application_ids`` that exist, by id."""
        ...

    def save_many(self, applications: Sequence[Application]) -> None:
        """Store many changed applications in one round trip, checking every version.

        Raises:
            StaleVersionError: some stored version was not ``version - 1``.
        """
        ...

    def save(self, application: Application) -> None:
        """Store a changed application, checking its version.

        Raises:
            StaleVersionError: the stored version is not ``application.version - 1``
                (someone else decided it meanwhile).
        """
        ...

    def query(self, query: ApplicationQuery) -> list[Application]:
        """Return applications matching ``query``."""
        ...

    def open_for(self, resident_id: str, document_type: str | None = None) -> list[Application]:
        """Return a resident's open applications (of one type, if given)."""
        ...

    def waiting_since(self, before: datetime, document_types: frozenset[str]) -> list[Application]:
        """Return open, unescalated applications of these types submitted before ``before``."""
        ...

    def decision_times(self, since: datetime, until: datetime) -> list[DecisionTime]:
        """Return applications approved or rejected by officials in ``[since, until)``."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintRun:
    """A station's print run: which documents were rendered into one PDF, in order."""

    id: str
    station_code: str
    created_by: str | None
    created_at: datetime
    document_ids: tuple[str, ...]
    pdf_sha256: str


class DocumentRepository(Protocol):
    """Issued documents, their chain of custody and print runs."""

    def add(self, document: Document) -> None:
        """Store a new document.

        Raises:
            ConflictError: the document number or status entry is taken.
        """
        ...

    def add_many(self, documents: Sequence[Document]) -> None:
        """Store many new documents in one round trip per batch."""
        ...

    def get(self, document_id: str) -> Document | None:
        """Return one document or ``None``."""
        ...

    def get_by_number(self, document_number: str) -> Document | None:
        """Return the document with this number or ``None``."""
        ...

    def save(self, document: Document) -> None:
        """Store a changed document, checking its version.

        Raises:
            StaleVersionError: the stored version is not ``document.version - 1``.
        """
        ...

    def for_resident(self, resident_id: str) -> list[Document]:
        """Return every document of a resident, newest first."""
        ...

    def in_state(
        self,
        state: DocumentState,
        *,
        station_code: str | None = None,
        held: bool = False,
        changed_before: datetime | None = None,
        limit: int = 1000,
    ) -> list[Document]:
        """Return documents in ``state``, oldest state change first.

        ``station_code`` matches the collection station, or with ``held`` the
        station holding the document; ``changed_before`` bounds the last change.
        """
        ...

    def expiring(self, before: datetime, limit: int = 1000) -> list[Document]:
        """Return collected documents whose validity ended before ``before``."""
        ...

    def numbers_taken(self, numbers: Sequence[str]) -> set[str]:
        """Return which document numbers exist."""
        ...

    def add_custody(self, event: CustodyEvent) -> None:
        """Record one hand-over."""
        ...

    def custody(self, document_id: str) -> list[CustodyEvent]:
        """Return a document's chain of custody, in order."""
        ...

    def add_print_run(self, run: PrintRun) -> None:
        """Store a print run and its items."""
        ...

    def get_print_run(self, run_id: str) -> PrintRun | None:
        """Return a print run or ``None``."""
        ...


@dataclass(frozen=True, slots=True)
class StatusListInfo:
    """A status list the database holds: its id, URI and size in entries."""

    list_id: int
    uri: str
    capacity: int


class StatusRepository(Protocol):
    """Status lists and their allocated entries (the database half of revocation).

    It implements :class:`~carnet.credentials.statusindex.IndexStore`: one row per
    allocated ``(list_id, idx)`` under a unique key, so concurrent issuers never
    share an index; each entry keeps its 2-bit status.
    """

    def open_lists(self) -> Sequence[ListUsage]:
        """Return the lists that still take new entries."""
        ...

    def create_list(self, capacity: int) -> int:
        """Create an empty open list of ``capacity`` entries; return its id."""
        ...

    def claim_first(self, list_id: int, candidates: Sequence[int]) -> int | None:
        """Claim the first free candidate index (see ``IndexStore.claim_first``)."""
        ...

    def close_list(self, list_id: int) -> None:
        """Stop ``list_id`` from taking new entries."""
        ...

    def set_uri(self, list_id: int, uri: str) -> None:
        """Record the URI under which list ``list_id`` is published."""
        ...

    def taken(self, list_id: int) -> list[int]:
        """Return every allocated index of ``list_id`` (for bulk allocation in memory)."""
        ...

    def claim_many(self, list_id: int, indices: Sequence[int]) -> None:
        """Record many allocations at once (indices chosen free in memory).

        Raises:
            ConflictError: an index was taken meanwhile (at commit at the latest).
        """
        ...

    def set_status(self, list_id: int, idx: int, status: int) -> None:
        """Set the status of an allocated entry.

        Raises:
            NotFoundError: no such allocated entry.
        """
        ...

    def lists(self) -> list[StatusListInfo]:
        """Return every list, oldest first."""
        ...

    def statuses(self, list_id: int) -> list[tuple[int, int]]:
        """Return ``(idx, status)`` for every entry of ``list_id`` whose status is not 0."""
        ...
