"""In-memory fakes of the service ports, for unit tests (no database, no network)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Self

from carnet.domain.actions import LoggedAction
from carnet.domain.errors import ConflictError, StaleVersionError
from carnet.domain.messages import MessageState
from carnet.domain.proposals import ProposalState
from carnet.ledger.compact import CompactRange
from carnet.ledger.store import InMemoryHashStore
from carnet.ledger.tree import TreeAppender
from carnet.services.ledger import TreeHead, seal

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import TracebackType

    from carnet.domain.actions import Action
    from carnet.domain.messages import Message
    from carnet.domain.officials import Official
    from carnet.domain.persons import Resident, ResidentChange
    from carnet.domain.proposals import Proposal
    from carnet.domain.regions import Region, Station
    from carnet.services.ledger import LogKey, SealedAction, StoredCheckpoint
    from carnet.services.uow import (
        AuthToken,
        LedgerRepository,
        OfficialRepository,
        OutboxRepository,
        ProposalRepository,
        RegionRepository,
        ResidentAccessRepository,
        ResidentCode,
        ResidentQuery,
        ResidentRepository,
        StationRepository,
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
