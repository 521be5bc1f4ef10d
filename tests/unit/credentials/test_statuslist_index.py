"""Random status-list index allocation (draft-ietf-oauth-status-list §12.5, §13.3)."""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carnet.credentials.statusindex import (
    MIN_LIST_SIZE,
    AllocationPolicy,
    IndexAllocator,
    IndexStore,
    InMemoryIndexStore,
    ListUsage,
    RandomSource,
    StatusIndex,
)
from carnet.domain.errors import ConflictError, NotFoundError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Sequence

pytestmark = pytest.mark.unit


class SeededRng:
    """A deterministic ``randrange`` for tests: SHA-256 in counter mode.

    Rejection sampling on 64-bit words keeps every draw exactly uniform.
    """

    def __init__(self, seed: str) -> None:
        self._seed = seed.encode()
        self._counter = 0

    def randrange(self, stop: int, /) -> int:
        limit = (1 << 64) - (1 << 64) % stop
        while True:
            self._counter += 1
            block = hashlib.sha256(self._seed + self._counter.to_bytes(8, "big")).digest()
            word = int.from_bytes(block[:8], "big")
            if word < limit:
                return word % stop


class CountingStore(InMemoryIndexStore):
    """The in-memory store, counting claim calls."""

    __slots__ = ("claims",)

    def __init__(self) -> None:
        super().__init__()
        self.claims = 0

    def claim_first(self, list_id: int, candidates: Sequence[int]) -> int | None:
        self.claims += 1
        return super().claim_first(list_id, candidates)


class RefusingStore(InMemoryIndexStore):
    """A store that refuses every claim in the lists named (all, if none are)."""

    __slots__ = ("claims", "refused")

    def __init__(self, refused: frozenset[int] | None = None) -> None:
        super().__init__()
        self.refused = refused
        self.claims = 0

    def claim_first(self, list_id: int, candidates: Sequence[int]) -> int | None:
        self.claims += 1
        if self.refused is None or list_id in self.refused:
            return None
        return super().claim_first(list_id, candidates)


class OvershotStore(InMemoryIndexStore):
    """A store whose first list looks full already, as after a concurrent burst."""

    __slots__ = ()

    def open_lists(self) -> list[ListUsage]:
        return [
            ListUsage(u.list_id, u.capacity, u.capacity) if u.list_id == 1 else u
            for u in super().open_lists()
        ]


def _small_policy(**overrides: Any) -> AllocationPolicy:
    """Lists close after 1 % (1310 entries), so spilling is cheap to test."""
    fields: dict[str, Any] = {"fill_limit": 0.01}
    fields.update(overrides)
    return AllocationPolicy(**fields)


# --------------------------------------------------------------------------- policy


def test_default_policy() -> None:
    policy = AllocationPolicy()
    assert MIN_LIST_SIZE == 131_072 == 2**17
    assert policy.list_size == MIN_LIST_SIZE
    assert policy.fill_limit == 0.75
    assert policy.limit(MIN_LIST_SIZE) == 98_304
    assert policy.limit(8) == 6
    assert AllocationPolicy(fill_limit=0.01).limit(8) == 1  # never zero


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"list_size": 65_536}, "list_size"),
        ({"list_size": MIN_LIST_SIZE + 4}, "list_size"),
        ({"fill_limit": 0}, "fill_limit"),
        ({"fill_limit": 0.95}, "fill_limit"),
        ({"fill_limit": 1.0}, "fill_limit"),
        ({"spread": 0}, "spread"),
        ({"batch": 0}, "batch"),
        ({"max_rounds": 0}, "max_rounds"),
    ],
)
def test_policy_values_are_checked(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        AllocationPolicy(**overrides)
    assert error.value.field == field


def test_larger_lists_are_allowed() -> None:
    store = InMemoryIndexStore()
    allocator = IndexAllocator(store, AllocationPolicy(list_size=1 << 20))
    allocator.allocate(SeededRng("large"))
    assert store.open_lists() == [ListUsage(1, 1 << 20, 1)]
    assert allocator.policy.list_size == 1 << 20


# --------------------------------------------------------------------------- allocation


def test_first_allocation_opens_a_list_of_the_policy_size() -> None:
    store = InMemoryIndexStore()
    got = IndexAllocator(store).allocate(SeededRng("first"))
    assert got.list_id == 1
    assert 0 <= got.idx < MIN_LIST_SIZE
    assert store.is_taken(1, got.idx)
    assert store.open_lists() == [ListUsage(1, MIN_LIST_SIZE, 1)]


def test_production_randomness_fits_the_port() -> None:
    rng: RandomSource = secrets.SystemRandom()
    store: IndexStore = InMemoryIndexStore()
    got = IndexAllocator(store).allocate(rng)
    assert isinstance(got, StatusIndex)


def test_indices_come_in_random_not_issuance_order() -> None:
    n = 20_000
    allocator = IndexAllocator(InMemoryIndexStore())
    rng = SeededRng("herd")
    got = [allocator.allocate(rng) for _ in range(n)]
    indices = [g.idx for g in got]

    assert {g.list_id for g in got} == {1}
    assert len(set(indices)) == n
    # About half of consecutive issuances go up, half down (sequential: all up).
    rises = sum(b > a for a, b in pairwise(indices))
    assert 0.47 < rises / (n - 1) < 0.53
    # Issuance order says nothing about position: correlation near zero.
    mean_i, mean_x = (n - 1) / 2, sum(indices) / n
    cov = sum((i - mean_i) * (x - mean_x) for i, x in enumerate(indices))
    var_i = sum((i - mean_i) ** 2 for i in range(n))
    var_x = sum((x - mean_x) ** 2 for x in indices)
    assert abs(cov / (var_i * var_x) ** 0.5) < 0.03
    # Spread over the whole list: 16 equal buckets, each within 12 % of n / 16.
    buckets = Counter(x * 16 // MIN_LIST_SIZE for x in indices)
    assert len(buckets) == 16
    assert all(abs(count - n / 16) < 0.12 * n / 16 for count in buckets.values())


def test_a_list_fills_to_its_limit_with_o1_store_calls_then_a_new_list_opens() -> None:
    store = CountingStore()
    allocator = IndexAllocator(store)
    rng = SeededRng("fill")
    limit = allocator.policy.limit(MIN_LIST_SIZE)

    got = {allocator.allocate(rng) for _ in range(limit)}

    assert len(got) == limit  # no index handed out twice
    assert store.used(1) == limit
    assert store.open_lists() == []  # closed at the limit
    # At most 75 % full, a batch of 4 candidates all hits taken ones with
    # probability below 0.75**4: about 1.1 store calls per index on average.
    assert store.claims / limit < 1.2
    after = allocator.allocate(rng)
    assert after.list_id == 2
    assert store.open_lists() == [ListUsage(2, MIN_LIST_SIZE, 1)]


def test_allocation_spills_over_many_lists() -> None:
    store = InMemoryIndexStore()
    allocator = IndexAllocator(store, _small_policy())
    rng = SeededRng("spill")
    got = [allocator.allocate(rng) for _ in range(3000)]

    assert len(set(got)) == 3000
    assert Counter(g.list_id for g in got) == {1: 1310, 2: 1310, 3: 380}
    assert [u.list_id for u in store.open_lists()] == [3]


def test_spread_keeps_several_lists_open_and_uses_each() -> None:
    store = InMemoryIndexStore()
    allocator = IndexAllocator(store, AllocationPolicy(spread=3))
    rng = SeededRng("spread")
    got = [allocator.allocate(rng) for _ in range(3000)]

    per_list = Counter(g.list_id for g in got)
    assert set(per_list) == {1, 2, 3}
    assert all(800 < count < 1200 for count in per_list.values())
    assert len(store.open_lists()) == 3


@settings(max_examples=25, deadline=None)
@given(rng=st.randoms(use_true_random=False), n=st.integers(1, 4000), spread=st.integers(1, 3))
def test_never_the_same_index_twice_and_never_past_the_limit(
    rng: RandomSource, n: int, spread: int
) -> None:
    store = InMemoryIndexStore()
    allocator = IndexAllocator(store, _small_policy(spread=spread))
    got = [allocator.allocate(rng) for _ in range(n)]

    assert len(set(got)) == n
    per_list = Counter(g.list_id for g in got)
    assert all(store.used(list_id) == count <= 1310 for list_id, count in per_list.items())
    assert all(store.is_taken(g.list_id, g.idx) for g in got)


def test_a_list_that_yields_nothing_is_closed_and_the_allocation_spills() -> None:
    store = RefusingStore(refused=frozenset({1}))
    allocator = IndexAllocator(store, AllocationPolicy(max_rounds=5))
    got = allocator.allocate(SeededRng("refuse-one"))
    assert got.list_id == 2
    assert store.claims == 5 + 1
    assert [u.list_id for u in store.open_lists()] == [2]


def test_a_store_that_refuses_everything_ends_in_conflict_not_a_loop() -> None:
    store = RefusingStore()
    allocator = IndexAllocator(store, AllocationPolicy(max_rounds=7))
    with pytest.raises(ConflictError):
        allocator.allocate(SeededRng("refuse-all"))
    assert store.claims == 2 * 7
    assert store.open_lists() == []


def test_lists_found_over_their_limit_are_closed_first() -> None:
    store = OvershotStore()
    store.create_list(MIN_LIST_SIZE)
    got = IndexAllocator(store).allocate(SeededRng("overshot"))
    assert got.list_id == 2
    assert store.used(1) == 0
    assert [u.list_id for u in store.open_lists()] == [2]


# --------------------------------------------------------------------------- in-memory store


def test_in_memory_store_claims_the_first_free_candidate() -> None:
    store = InMemoryIndexStore()
    list_id = store.create_list(64)
    assert store.claim_first(list_id, [5, 9]) == 5
    assert store.claim_first(list_id, [5, 9]) == 9
    assert store.claim_first(list_id, [5, 9, 5]) is None
    assert store.used(list_id) == 2
    assert store.is_taken(list_id, 9)
    assert not store.is_taken(list_id, 63)


def test_in_memory_store_lists_open_lists_oldest_first_and_closes_idempotently() -> None:
    store = InMemoryIndexStore()
    first, second = store.create_list(8), store.create_list(16)
    assert (first, second) == (1, 2)
    assert [u.list_id for u in store.open_lists()] == [1, 2]
    store.close_list(first)
    store.close_list(first)
    assert store.open_lists() == [ListUsage(2, 16, 0)]
    assert store.claim_first(first, [3]) == 3  # closed lists keep their entries


@pytest.mark.parametrize("capacity", [0, -8, 12])
def test_in_memory_store_refuses_bad_capacities(capacity: int) -> None:
    with pytest.raises(ValidationError):
        InMemoryIndexStore().create_list(capacity)


def test_in_memory_store_refuses_unknown_lists_and_indices() -> None:
    store = InMemoryIndexStore()
    list_id = store.create_list(8)
    with pytest.raises(NotFoundError):
        store.claim_first(99, [0])
    with pytest.raises(NotFoundError):
        store.close_list(99)
    with pytest.raises(NotFoundError):
        store.is_taken(99, 0)
    with pytest.raises(NotFoundError):
        store.used(99)
    for idx in (-1, 8):
        with pytest.raises(ValidationError):
            store.claim_first(list_id, [idx])
        with pytest.raises(ValidationError):
            store.is_taken(list_id, idx)
