"""In-memory fakes of the service ports, for unit tests (no database, no network)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Self

from carnet.domain.errors import ConflictError, StaleVersionError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import TracebackType

    from carnet.domain.officials import Official
    from carnet.domain.persons import Resident, ResidentChange
    from carnet.domain.regions import Region, Station
    from carnet.services.uow import (
        AuthToken,
        OfficialRepository,
        RegionRepository,
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

    def __init__(self, store: _Store | None = None) -> None:
        self.store = store or _Store()
        self.commits = 0

    def __enter__(self) -> Self:
        self._work = copy.deepcopy(self.store)
        self.regions = InMemoryRegionRepository(self._work)
        self.stations = InMemoryStationRepository(self._work)
        self.residents = InMemoryResidentRepository(self._work)
        self.officials = InMemoryOfficialRepository(self._work)
        self.tokens = InMemoryTokenRepository(self._work)
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
        return InMemoryUnitOfWork(self.store)
