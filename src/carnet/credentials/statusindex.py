"""Random allocation of status-list indices, for herd privacy.

A document's ``(list, idx)`` pair is unique and travels with it, so it must not
reveal when the document was issued or how many were issued before it. The
allocator therefore hands out indices at random, not in issuance order, across
lists of at least 2**17 entries (draft-ietf-oauth-status-list §12.4, §12.5.1),
and never hands out an index twice (§13.3): not even after the document expires,
because a revoked entry keeps its status and a reused index would inherit it.

Allocation costs O(1) expected store calls. A list takes entries until it
reaches its fill limit (75 % by default), then it is closed and a fresh list
opens, so at most one draw in four hits a taken index. The allocator is pure:
its state lives behind the small :class:`IndexStore` port, which the database
adapter implements with a unique ``(list_id, idx)`` constraint;
:class:`InMemoryIndexStore` is the in-memory implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from carnet.domain.errors import ConflictError, NotFoundError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "MIN_LIST_SIZE",
    "AllocationPolicy",
    "InMemoryIndexStore",
    "IndexAllocator",
    "IndexStore",
    "ListUsage",
    "RandomSource",
    "StatusIndex",
]

MIN_LIST_SIZE: Final = 131_072
"""Smallest list Carnet allocates from: 2**17 entries, a herd large enough to hide in."""

_MAX_FILL_LIMIT: Final = 0.9


class RandomSource(Protocol):
    """Randomness for the allocator: ``secrets.SystemRandom()`` in production."""

    def randrange(self, stop: int, /) -> int:
        """Return a uniformly random integer in ``[0, stop)``."""
        ...


@dataclass(frozen=True, slots=True)
class StatusIndex:
    """An allocated entry: index ``idx`` of status list ``list_id``."""

    list_id: int
    idx: int


@dataclass(frozen=True, slots=True)
class ListUsage:
    """An open status list, its size in entries and how many are allocated."""

    list_id: int
    capacity: int
    used: int


class IndexStore(Protocol):
    """Where allocations live: one record per allocated ``(list_id, idx)``.

    ``claim_first`` must be atomic (a unique constraint in SQL), so concurrent
    allocators never hand out the same index.
    """

    def open_lists(self) -> Sequence[ListUsage]:
        """Return the lists that still take new entries."""
        ...

    def create_list(self, capacity: int) -> int:
        """Create an empty open list of ``capacity`` entries and return its id."""
        ...

    def claim_first(self, list_id: int, candidates: Sequence[int]) -> int | None:
        """Claim the first candidate index not yet taken in ``list_id``.

        Returns the claimed index, or ``None`` when every candidate was taken.

        Raises:
            NotFoundError: ``list_id`` does not exist.
            ValidationError: a candidate lies outside the list.
        """
        ...

    def close_list(self, list_id: int) -> None:
        """Stop ``list_id`` from taking new entries (its existing ones stay)."""
        ...


@dataclass(frozen=True, slots=True)
class AllocationPolicy:
    """How lists are sized and filled.

    Attributes:
        list_size: entries in each new list; at least :data:`MIN_LIST_SIZE` and a
            multiple of 8, so it packs into whole bytes at any ``bits`` (§13.4).
        fill_limit: share of a list allocated before it is closed, in
            ``(0, 0.9]``. It bounds the expected draws per index at
            ``1 / (1 - fill_limit)``, and the unused rest hides the true count.
        spread: how many lists take entries at once; each index goes to one of
            them at random, so neighbouring issuances do not share a list.
        batch: candidate indices sent to the store per call.
        max_rounds: store calls per list before it counts as full and the
            allocation spills to a new list.
    """

    list_size: int = MIN_LIST_SIZE
    fill_limit: float = 0.75
    spread: int = 1
    batch: int = 4
    max_rounds: int = 16

    def __post_init__(self) -> None:
        """Check the policy.

        Raises:
            ValidationError: a value out of its range.
        """
        if self.list_size < MIN_LIST_SIZE or self.list_size % 8:
            raise ValidationError(
                f"list_size must be a multiple of 8 of at least {MIN_LIST_SIZE}",
                field="list_size",
            )
        if not 0 < self.fill_limit <= _MAX_FILL_LIMIT:
            raise ValidationError(
                f"fill_limit must be in (0, {_MAX_FILL_LIMIT}]", field="fill_limit"
            )
        for name in ("spread", "batch", "max_rounds"):
            if getattr(self, name) < 1:
                raise ValidationError(f"{name} must be at least 1", field=name)

    def limit(self, capacity: int) -> int:
        """Return how many entries of a ``capacity``-entry list are allocated at most."""
        return max(1, int(capacity * self.fill_limit))


class IndexAllocator:
    """Hands out unique status-list indices in random order (§12.5.1, §13.3)."""

    __slots__ = ("_policy", "_store")

    def __init__(self, store: IndexStore, policy: AllocationPolicy | None = None) -> None:
        self._store = store
        self._policy = policy or AllocationPolicy()

    @property
    def policy(self) -> AllocationPolicy:
        """The policy in force."""
        return self._policy

    def allocate(self, rng: RandomSource) -> StatusIndex:
        """Allocate a fresh index, uniformly at random among the free ones of a list.

        Each candidate is uniform over the list; the first free one of a batch
        is therefore uniform over the free indices. A list that yields nothing
        in ``max_rounds`` calls is closed and the allocation moves once to
        another list, so the call always ends.

        Raises:
            ConflictError: the fresh list also yielded nothing (a store that
                refuses every claim).
            InfrastructureError: the store could not be reached.
        """
        for _attempt in range(2):
            usage = self._pick_list(rng)
            idx = self._claim(usage, rng)
            if idx is not None:
                if usage.used + 1 >= self._policy.limit(usage.capacity):
                    self._store.close_list(usage.list_id)
                return StatusIndex(usage.list_id, idx)
            self._store.close_list(usage.list_id)
        raise ConflictError("no free status-list index, even in a new list")

    def _pick_list(self, rng: RandomSource) -> ListUsage:
        usable: list[ListUsage] = []
        for usage in self._store.open_lists():
            # Concurrent allocators may overshoot a limit; close such lists here.
            if usage.used >= self._policy.limit(usage.capacity):
                self._store.close_list(usage.list_id)
            else:
                usable.append(usage)
        while len(usable) < self._policy.spread:
            size = self._policy.list_size
            usable.append(ListUsage(self._store.create_list(size), size, 0))
        return usable[rng.randrange(len(usable))]

    def _claim(self, usage: ListUsage, rng: RandomSource) -> int | None:
        for _round in range(self._policy.max_rounds):
            candidates = [rng.randrange(usage.capacity) for _ in range(self._policy.batch)]
            idx = self._store.claim_first(usage.list_id, candidates)
            if idx is not None:
                return idx
        return None


class InMemoryIndexStore:
    """An :class:`IndexStore` in memory: one bitmap of taken indices per list.

    A list of 2**17 entries costs 16 KiB, so millions of documents fit easily.
    """

    __slots__ = ("_open", "_taken", "_used")

    def __init__(self) -> None:
        self._taken: dict[int, bytearray] = {}
        self._used: dict[int, int] = {}
        self._open: dict[int, None] = {}  # insertion-ordered set

    def open_lists(self) -> list[ListUsage]:
        """Return the open lists, oldest first."""
        return [ListUsage(i, len(self._taken[i]) * 8, self._used[i]) for i in self._open]

    def create_list(self, capacity: int) -> int:
        """Create an empty open list; ids count up from 1.

        Raises:
            ValidationError: ``capacity`` is not a positive multiple of 8.
        """
        if capacity <= 0 or capacity % 8:
            raise ValidationError("capacity must be a positive multiple of 8", field="capacity")
        list_id = len(self._taken) + 1
        self._taken[list_id] = bytearray(capacity // 8)
        self._used[list_id] = 0
        self._open[list_id] = None
        return list_id

    def claim_first(self, list_id: int, candidates: Sequence[int]) -> int | None:
        """Claim the first free candidate (see :meth:`IndexStore.claim_first`).

        Raises:
            NotFoundError: ``list_id`` does not exist.
            ValidationError: a candidate lies outside the list.
        """
        bitmap = self._bitmap(list_id)
        for idx in candidates:
            if self._is_set(bitmap, idx):
                continue
            bitmap[idx // 8] |= 1 << (idx % 8)
            self._used[list_id] += 1
            return idx
        return None

    def close_list(self, list_id: int) -> None:
        """Close ``list_id``; closing twice is harmless.

        Raises:
            NotFoundError: ``list_id`` does not exist.
        """
        self._bitmap(list_id)
        self._open.pop(list_id, None)

    def is_taken(self, list_id: int, idx: int) -> bool:
        """Tell whether ``idx`` of ``list_id`` has been allocated.

        Raises:
            NotFoundError: ``list_id`` does not exist.
            ValidationError: ``idx`` lies outside the list.
        """
        return self._is_set(self._bitmap(list_id), idx)

    def used(self, list_id: int) -> int:
        """Return how many indices of ``list_id`` are allocated.

        Raises:
            NotFoundError: ``list_id`` does not exist.
        """
        self._bitmap(list_id)
        return self._used[list_id]

    def _bitmap(self, list_id: int) -> bytearray:
        bitmap = self._taken.get(list_id)
        if bitmap is None:
            raise NotFoundError("no such status list", field="list_id")
        return bitmap

    @staticmethod
    def _is_set(bitmap: bytearray, idx: int) -> bool:
        if not 0 <= idx < len(bitmap) * 8:
            raise ValidationError("index outside the status list", field="idx")
        return bool(bitmap[idx // 8] >> (idx % 8) & 1)
