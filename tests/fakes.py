"""In-memory fakes of the service ports, for unit tests (no database, no network)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Self

from carnet.credentials.statusindex import ListUsage
from carnet.domain.actions import LoggedAction
from carnet.domain.documents import ApplicationState, DocumentState
from carnet.domain.errors import ConflictError, NotFoundError, StaleVersionError, ValidationError
from carnet.domain.messages import MessageState
from carnet.domain.proposals import ProposalState
from carnet.ledger.compact import CompactRange
from carnet.ledger.store import InMemoryHashStore
from carnet.ledger.tree import TreeAppender
from carnet.services.ledger import TreeHead, seal
from carnet.services.uow import DecisionTime, StatusListInfo

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import TracebackType

    from carnet.domain.actions import Action
    from carnet.domain.documents import Application, CustodyEvent, Document
    from carnet.domain.messages import Message
    from carnet.domain.officials import Official
    from carnet.domain.persons import Resident, ResidentChange
    from carnet.domain.proposals import Proposal
    from carnet.domain.regions import Region, Station
    from carnet.services.ledger import LogKey, SealedAction, StoredCheckpoint
    from carnet.services.uow import (
        ApplicationQuery,
        ApplicationRepository,
        AuthToken,
        DocumentRepository,
        LedgerRepository,
        OfficialRepository,
        OutboxRepository,
        PrintRun,
        ProposalRepository,
        RegionRepository,
        ResidentAccessRepository,
        ResidentCode,
        ResidentQuery,
        ResidentRepository,
        StationRepository,
        StatusRepository,
        TokenRepository,
    )


class FakeClock:
    """A clock that stands still until moved."""

    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **kwargs: float) -> None:
        self._now += timedelta(**kwargs)


class FakePasswordHasher:
    """Reversible "hashing" for fast unit tests; never used outside tests."""

    def hash(self, password: str) -> str:
        return "fake$" + password[::-1]

    def verify(self, encoded: str, password: str) -> bool:
        return encoded == self.hash(password)

    def needs_rehash(self, encoded: str) -> bool:
        return not encoded.startswith("fake$")


class _Store:
    """The state shared by every unit of work of one fake database."""

    def __init__(self) -> None:
        self.regions: dict[str, Region] = {}
        self.stations: dict[str, Station] = {}
        self.residents: dict[str, Resident] = {}
        self.changes: list[ResidentChange] = []
        self.officials: dict[str, Official] = {}
        self.tokens: dict[str, AuthToken] = {}
        self.outbox: dict[str, Message] = {}
        self.codes: dict[str, ResidentCode] = {}
        self.resident_tokens: dict[str, AuthToken] = {}
        self.proposals: dict[str, Proposal] = {}
        self.ledger = _LedgerState()
        self.applications: dict[str, Application] = {}
        self.documents: dict[str, Document] = {}
        self.custody: dict[str, dict[int, CustodyEvent]] = {}
        self.print_runs: dict[str, PrintRun] = {}
        self.status_lists: dict[int, _StatusList] = {}
        self.status_entries: dict[int, dict[int, int]] = {}


class _StatusList:
    """One status list's row: size, allocated count, open flag and published URI."""

    def __init__(self, capacity: int, created_at: datetime) -> None:
        self.capacity = capacity
        self.used = 0
        self.is_open = True
        self.uri: str | None = None
        self.created_at = created_at


class _LedgerState:
    """The in-memory transparency log: sealed leaves, node hashes, checkpoints, keys."""

    def __init__(self) -> None:
        self.leaves: list[SealedAction] = []
        self.nodes = InMemoryHashStore()
        self.frontier = CompactRange()
        self.checkpoints: list[StoredCheckpoint] = []
        self.keys: list[LogKey] = []


class InMemoryRegionRepository:
    def __init__(self, store: _Store) -> None:
        self._s = store

    def get(self, code: str) -> Region | None:
        return self._s.regions.get(code)

    def add(self, region: Region) -> None:
        self._s.regions[region.code] = region

    def list(self, parent_code: str | None = None, *, roots: bool = False) -> list[Region]:
        regions = sorted(self._s.regions.values(), key=lambda r: r.code)
        if parent_code is not None:
            return [r for r in regions if r.parent_code == parent_code]
        if roots:
            return [r for r in regions if r.parent_code is None]
        return regions

    def existing_codes(self, codes: Sequence[str]) -> set[str]:
        return {c for c in codes if c in self._s.regions}

    def covered_codes(self, codes: Sequence[str]) -> set[str]:
        wanted = set(codes)
        return {
            r.code for r in self._s.regions.values() if r.code in wanted or wanted & set(r.path)
        }

    def lineage(self, code: str) -> tuple[str, ...]:
        region = self._s.regions.get(code)
        return region.child_path() if region else ()


class InMemoryStationRepository:
    def __init__(self, store: _Store) -> None:
        self._s = store

    def get(self, code: str) -> Station | None:
        return self._s.stations.get(code)

    def add(self, station: Station) -> None:
        self._s.stations[station.code] = station

    def list(self, region_code: str | None = None) -> list[Station]:
        stations = sorted(self._s.stations.values(), key=lambda s: s.code)
        return [s for s in stations if region_code in (None, s.region_code)]


class InMemoryResidentRepository:
    def __init__(self, store: _Store) -> None:
        self._s = store

    def get_by_uin(self, uin: str) -> Resident | None:
        return next((r for r in self._s.residents.values() if r.uin == uin), None)

    def get(self, resident_id: str) -> Resident | None:
        return self._s.residents.get(resident_id)

    def get_many(self, resident_ids: Sequence[str]) -> dict[str, Resident]:
        return {i: self._s.residents[i] for i in resident_ids if i in self._s.residents}

    def add(self, resident: Resident, created_by: str | None) -> None:
        del created_by
        taken = any(
            r.uin == resident.uin
            or (resident.external_ref and r.external_ref == resident.external_ref)
            for r in self._s.residents.values()
        )
        if taken:
            raise ConflictError("taken")
        self._s.residents[resident.id] = resident

    def update(self, resident: Resident, change: ResidentChange) -> None:
        if self._s.residents[resident.id].version != resident.version - 1:
            raise StaleVersionError("stale")
        self._s.residents[resident.id] = resident
        self._s.changes.append(change)

    def history(self, resident_id: str) -> list[ResidentChange]:
        return [c for c in self._s.changes if c.resident_id == resident_id]

    def search(self, query: ResidentQuery) -> list[Resident]:
        def matches(r: Resident) -> bool:
            fam_n, giv_n, fam_l, giv_l = r.name_keys
            dob = r.date_of_birth
            checks = (
                query.family_name in (None, fam_n, fam_l),
                query.given_name in (None, giv_n, giv_l),
                query.birth_year in (None, dob.year),
                query.birth_month in (None, dob.month),
                query.birth_day in (None, dob.day),
                query.region_code in (None, r.region_code),
                query.scope_regions is None or r.region_code in query.scope_regions,
                query.after_uin is None or r.uin > query.after_uin,
            )
            return all(checks)

        found = sorted((r for r in self._s.residents.values() if matches(r)), key=lambda r: r.uin)
        return found[: query.limit]

    def uins_taken(self, uins: Sequence[str]) -> set[str]:
        held = {r.uin for r in self._s.residents.values()}
        return set(uins) & held

    def refs_taken(self, refs: Sequence[str]) -> set[str]:
        held = {r.external_ref for r in self._s.residents.values()}
        return {ref for ref in refs if ref in held}


class InMemoryOfficialRepository:
    def __init__(self, store: _Store) -> None:
        self._s = store

    def get(self, official_id: str) -> Official | None:
        return self._s.officials.get(official_id)

    def get_by_username(self, username: str) -> Official | None:
        return next((o for o in self._s.officials.values() if o.username == username), None)

    def add(self, official: Official) -> None:
        if self.get_by_username(official.username):
            raise ConflictError("taken", field="username")
        self._s.officials[official.id] = official

    def save(self, official: Official) -> None:
        self._s.officials[official.id] = official

    def list(self) -> list[Official]:
        return sorted(self._s.officials.values(), key=lambda o: o.username)


class InMemoryTokenRepository:
    def __init__(self, store: _Store) -> None:
        self._s = store

    def add(self, token: AuthToken) -> None:
        self._s.tokens[token.token_hash] = token

    def get(self, token_hash: str) -> AuthToken | None:
        return self._s.tokens.get(token_hash)

    def revoke(self, token_hash: str, at: datetime) -> None:
        token = self._s.tokens.get(token_hash)
        if token is not None and token.revoked_at is None:
            self._s.tokens[token_hash] = replace(token, revoked_at=at)

    def revoke_all(self, official_id: str, at: datetime) -> int:
        live = [
            t for t in self._s.tokens.values() if t.official_id == official_id and not t.revoked_at
        ]
        for t in live:
            self._s.tokens[t.token_hash] = replace(t, revoked_at=at)
        return len(live)


class InMemoryOutboxRepository:
    def __init__(self, store: _Store) -> None:
        self._s = store

    def add(self, message: Message) -> None:
        self._s.outbox[message.id] = message

    def due(self, now: datetime, limit: int) -> list[Message]:
        due = [
            m
            for m in self._s.outbox.values()
            if m.state is MessageState.PENDING and m.next_attempt_at <= now
        ]
        return sorted(due, key=lambda m: (m.next_attempt_at, m.id))[:limit]

    def save(self, message: Message) -> None:
        self._s.outbox[message.id] = message

    def get(self, message_id: str) -> Message | None:
        return self._s.outbox.get(message_id)


class InMemoryResidentAccessRepository:
    def __init__(self, store: _Store) -> None:
        self._s = store

    def add_code(self, code: ResidentCode) -> None:
        self._s.codes[code.id] = code

    def recent_codes(self, resident_id: str, since: datetime) -> list[ResidentCode]:
        found = [
            c
            for c in self._s.codes.values()
            if c.resident_id == resident_id and c.created_at >= since
        ]
        return sorted(found, key=lambda c: c.created_at, reverse=True)

    def save_code(self, code: ResidentCode) -> None:
        self._s.codes[code.id] = code

    def add_token(self, token: AuthToken) -> None:
        self._s.resident_tokens[token.token_hash] = token

    def get_token(self, token_hash: str) -> AuthToken | None:
        return self._s.resident_tokens.get(token_hash)

    def revoke_token(self, token_hash: str, at: datetime) -> None:
        token = self._s.resident_tokens.get(token_hash)
        if token is not None and token.revoked_at is None:
            self._s.resident_tokens[token_hash] = replace(token, revoked_at=at)


class InMemoryProposalRepository:
    def __init__(self, store: _Store) -> None:
        self._s = store

    def add(self, proposal: Proposal) -> None:
        self._s.proposals[proposal.id] = proposal

    def get(self, proposal_id: str) -> Proposal | None:
        return self._s.proposals.get(proposal_id)

    def save(self, proposal: Proposal) -> None:
        if self._s.proposals[proposal.id].state is not ProposalState.PENDING:
            raise StaleVersionError("decided meanwhile")
        self._s.proposals[proposal.id] = proposal

    def pending(self, action: str | None = None) -> list[Proposal]:
        found = [
            p
            for p in self._s.proposals.values()
            if p.state is ProposalState.PENDING and action in (None, p.action)
        ]
        return sorted(found, key=lambda p: p.proposed_at)


class InMemoryLedgerRepository:
    """The log in memory, sealing leaves exactly as the SQL repository does."""

    def __init__(self, state: _LedgerState, clock: FakeClock) -> None:
        self._s = state
        self._clock = clock

    def append(self, action: Action) -> int:
        return self.append_many([action])[0]

    def append_many(self, actions: Sequence[Action]) -> list[int]:
        now = self._clock.now()
        sealed = [seal(a, at=now) for a in actions]
        appender = TreeAppender(self._s.nodes, self._s.frontier)
        start = appender.size
        appender.append([s.leaf_hash for s in sealed])
        self._s.frontier = appender.frontier
        self._s.leaves.extend(sealed)
        return list(range(start, appender.size))

    def actions_on(self, kind: str, record_id: str) -> list[LoggedAction]:
        return [
            LoggedAction(
                index=i,
                action_type=s.leaf.action_type,
                official_id=s.leaf.official_id,
                official_role=s.leaf.official_role,
                station=s.leaf.station,
                at=s.leaf.at,
                reason=s.reason,
            )
            for i, s in enumerate(self._s.leaves)
            if any(sub.kind == kind and sub.record_id == record_id for sub in s.subjects)
        ]

    def head(self, *, lock: bool = False) -> TreeHead:
        del lock
        return TreeHead(self._s.frontier.size, self._s.frontier.root())

    def hash_store(self) -> InMemoryHashStore:
        return self._s.nodes

    def entry(self, index: int) -> bytes | None:
        return self._s.leaves[index].entry if 0 <= index < len(self._s.leaves) else None

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        return self._s.checkpoints[-1] if self._s.checkpoints else None

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        self._s.checkpoints.append(checkpoint)

    def log_keys(self) -> list[LogKey]:
        return list(self._s.keys)

    def add_log_key(self, key: LogKey) -> None:
        self._s.keys.append(key)


class InMemoryApplicationRepository:
    """Applications, with the SQL repository's version checks and orderings."""

    def __init__(self, store: _Store) -> None:
        self._s = store

    def add(self, application: Application) -> None:
        if application.id in self._s.applications:
            raise ConflictError("taken")
        self._s.applications[application.id] = application

    def get(self, application_id: str) -> Application | None:
        return self._s.applications.get(application_id)

    def get_many(self, application_ids: Sequence[str]) -> dict[str, Application]:
        found = self._s.applications
        return {i: found[i] for i in application_ids if i in found}

    def save_many(self, applications: Sequence[Application]) -> None:
        for application in applications:
            self.save(application)

    def save(self, application: Application) -> None:
        stored = self._s.applications.get(application.id)
        if stored is None or stored.version != application.version - 1:
            raise StaleVersionError("stale", field="version")
        self._s.applications[application.id] = application

    def query(self, query: ApplicationQuery) -> list[Application]:
        def matches(a: Application) -> bool:
            return (
                (not query.open_only or a.is_open)
                and (query.document_types is None or a.document_type in query.document_types)
                and (query.station_codes is None or a.station_code in query.station_codes)
                and query.resident_id in (None, a.resident_id)
            )

        found = sorted(
            (a for a in self._s.applications.values() if matches(a)),
            key=lambda a: (a.escalated_at is None, a.submitted_at, a.id),
        )
        return found[query.offset : query.offset + query.limit]

    def open_for(self, resident_id: str, document_type: str | None = None) -> list[Application]:
        found = [
            a
            for a in self._s.applications.values()
            if a.resident_id == resident_id
            and a.is_open
            and document_type in (None, a.document_type)
        ]
        return sorted(found, key=lambda a: (a.submitted_at, a.id))

    def waiting_since(self, before: datetime, document_types: frozenset[str]) -> list[Application]:
        found = [
            a
            for a in self._s.applications.values()
            if a.is_open
            and a.escalated_at is None
            and a.document_type in document_types
            and a.submitted_at < before
        ]
        return sorted(found, key=lambda a: (a.submitted_at, a.id))

    def decision_times(self, since: datetime, until: datetime) -> list[DecisionTime]:
        decided = {ApplicationState.ISSUED, ApplicationState.REJECTED}
        found = sorted(
            (
                a
                for a in self._s.applications.values()
                if a.state in decided
                and a.decided_by is not None
                and a.decided_at is not None
                and since <= a.decided_at < until
            ),
            key=lambda a: (a.decided_at, a.id),
        )
        return [
            DecisionTime(a.station_code, a.document_type, a.submitted_at, a.decided_at)
            for a in found
            if a.decided_at is not None
        ]


class InMemoryDocumentRepository:
    """Documents, custody and print runs, refusing what the SQL constraints refuse."""

    def __init__(self, store: _Store) -> None:
        self._s = store

    def add(self, document: Document) -> None:
        self.add_many([document])

    def add_many(self, documents: Sequence[Document]) -> None:
        held = self._s.documents.values()
        ids = [d.id for d in documents] + list(self._s.documents)
        numbers = [d.document_number for d in (*documents, *held)]
        entries = [(d.status_list_id, d.status_idx) for d in (*documents, *held)]
        if any(len(set(keys)) != len(keys) for keys in (ids, numbers, entries)):
            raise ConflictError("taken", field="document_number")
        for document in documents:
            self._s.documents[document.id] = document

    def get(self, document_id: str) -> Document | None:
        return self._s.documents.get(document_id)

    def get_by_number(self, document_number: str) -> Document | None:
        return next(
            (d for d in self._s.documents.values() if d.document_number == document_number), None
        )

    def save(self, document: Document) -> None:
        stored = self._s.documents.get(document.id)
        if stored is None or stored.version != document.version - 1:
            raise StaleVersionError("stale", field="version")
        self._s.documents[document.id] = document

    def for_resident(self, resident_id: str) -> list[Document]:
        found = [d for d in self._s.documents.values() if d.resident_id == resident_id]
        return sorted(found, key=lambda d: (d.issued_at, d.id), reverse=True)

    def in_state(
        self,
        state: DocumentState,
        *,
        station_code: str | None = None,
        held: bool = False,
        changed_before: datetime | None = None,
        limit: int = 1000,
    ) -> list[Document]:
        def changed(d: Document) -> datetime:
            return d.state_changed_at or d.issued_at

        def matches(d: Document) -> bool:
            station = d.held_at if held else d.collection_station
            return (
                d.state is state
                and station_code in (None, station)
                and (changed_before is None or changed(d) < changed_before)
            )

        found = sorted(
            (d for d in self._s.documents.values() if matches(d)),
            key=lambda d: (changed(d), d.id),
        )
        return found[:limit]

    def expiring(self, before: datetime, limit: int = 1000) -> list[Document]:
        found = sorted(
            (
                d
                for d in self._s.documents.values()
                if d.state is DocumentState.COLLECTED and d.valid_until < before
            ),
            key=lambda d: (d.valid_until, d.id),
        )
        return found[:limit]

    def numbers_taken(self, numbers: Sequence[str]) -> set[str]:
        held = {d.document_number for d in self._s.documents.values()}
        return set(numbers) & held

    def add_custody(self, event: CustodyEvent) -> None:
        chain = self._s.custody.setdefault(event.document_id, {})
        if event.seq in chain:
            raise ConflictError("taken", field="seq")
        chain[event.seq] = event

    def custody(self, document_id: str) -> list[CustodyEvent]:
        chain = self._s.custody.get(document_id, {})
        return [chain[seq] for seq in sorted(chain)]

    def add_print_run(self, run: PrintRun) -> None:
        if run.id in self._s.print_runs:
            raise ConflictError("taken")
        self._s.print_runs[run.id] = run

    def get_print_run(self, run_id: str) -> PrintRun | None:
        return self._s.print_runs.get(run_id)


class InMemoryStatusRepository:
    """Status lists and entries: the SQL repository's checks, ids counting up from 1."""

    def __init__(self, store: _Store, clock: FakeClock) -> None:
        self._s = store
        self._clock = clock

    def open_lists(self) -> list[ListUsage]:
        lists = self._s.status_lists
        return [ListUsage(i, lists[i].capacity, lists[i].used) for i in lists if lists[i].is_open]

    def create_list(self, capacity: int) -> int:
        if capacity <= 0 or capacity % 8:
            raise ValidationError("capacity must be a positive multiple of 8", field="capacity")
        list_id = len(self._s.status_lists) + 1
        self._s.status_lists[list_id] = _StatusList(capacity, self._clock.now())
        self._s.status_entries[list_id] = {}
        return list_id

    def claim_first(self, list_id: int, candidates: Sequence[int]) -> int | None:
        entries = self._entries(list_id, candidates)
        for idx in candidates:
            if idx not in entries:
                entries[idx] = 0
                self._s.status_lists[list_id].used += 1
                return idx
        return None

    def close_list(self, list_id: int) -> None:
        self._list(list_id).is_open = False

    def set_uri(self, list_id: int, uri: str) -> None:
        self._list(list_id).uri = uri

    def taken(self, list_id: int) -> list[int]:
        return sorted(self._s.status_entries.get(list_id, {}))

    def claim_many(self, list_id: int, indices: Sequence[int]) -> None:
        if not indices:
            return
        entries = self._entries(list_id, indices)
        if len(set(indices)) != len(indices) or any(idx in entries for idx in indices):
            raise ConflictError("taken", field="idx")
        entries.update(dict.fromkeys(indices, 0))
        self._s.status_lists[list_id].used += len(indices)

    def set_status(self, list_id: int, idx: int, status: int) -> None:
        entries = self._s.status_entries.get(list_id, {})
        if idx not in entries:
            raise NotFoundError("no such status-list entry", field="idx")
        entries[idx] = status

    def lists(self) -> list[StatusListInfo]:
        return [
            StatusListInfo(i, row.uri or "", row.capacity)
            for i, row in sorted(self._s.status_lists.items())
        ]

    def statuses(self, list_id: int) -> list[tuple[int, int]]:
        entries = self._s.status_entries.get(list_id, {})
        return [(idx, entries[idx]) for idx in sorted(entries) if entries[idx]]

    def _list(self, list_id: int) -> _StatusList:
        row = self._s.status_lists.get(list_id)
        if row is None:
            raise NotFoundError("no such status list", field="list_id")
        return row

    def _entries(self, list_id: int, indices: Sequence[int]) -> dict[int, int]:
        capacity = self._list(list_id).capacity
        if any(not 0 <= idx < capacity for idx in indices):
            raise ValidationError("index outside the status list", field="idx")
        return self._s.status_entries[list_id]


class InMemoryUnitOfWork:
    """A unit of work over a shared in-memory store, with real rollback semantics.

    Each unit works on a deep copy of the store and publishes it on commit, so
    an exception inside ``with`` leaves the store exactly as it was.
    """

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

    def __init__(self, store: _Store | None = None, clock: FakeClock | None = None) -> None:
        self.store = store or _Store()
        self.commits = 0
        self.clock = clock or FakeClock()

    def __enter__(self) -> Self:
        self._work = copy.deepcopy(self.store)
        self.regions = InMemoryRegionRepository(self._work)
        self.stations = InMemoryStationRepository(self._work)
        self.residents = InMemoryResidentRepository(self._work)
        self.officials = InMemoryOfficialRepository(self._work)
        self.tokens = InMemoryTokenRepository(self._work)
        self.outbox = InMemoryOutboxRepository(self._work)
        self.resident_access = InMemoryResidentAccessRepository(self._work)
        self.proposals = InMemoryProposalRepository(self._work)
        self.ledger = InMemoryLedgerRepository(self._work.ledger, self.clock)
        self.applications = InMemoryApplicationRepository(self._work)
        self.documents = InMemoryDocumentRepository(self._work)
        self.status = InMemoryStatusRepository(self._work, self.clock)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        del self._work

    def commit(self) -> None:
        self.store.__dict__.update(copy.deepcopy(self._work).__dict__)
        self.commits += 1

    def rollback(self) -> None:
        self._work.__dict__.update(copy.deepcopy(self.store).__dict__)

    def fresh(self) -> InMemoryUnitOfWork:
        """Another unit of work over the same store."""
        return InMemoryUnitOfWork(self.store, self.clock)
