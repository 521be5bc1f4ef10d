"""SQLAlchemy repository for status lists and their allocated entries.

Claims rely on the primary key ``(list_id, idx)`` of ``status_entries``: an
``INSERT ... ON CONFLICT DO NOTHING`` either takes an index or leaves it to
whoever holds it, even a transaction not yet committed (PostgreSQL waits for it
to end), so concurrent issuers never share an index
(draft-ietf-oauth-status-list §13.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from carnet.adapters.db.tables import StatusEntryRow, StatusListRow
from carnet.credentials.statusindex import ListUsage
from carnet.domain.errors import ConflictError, NotFoundError, ValidationError
from carnet.services.uow import StatusListInfo

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

    from carnet.services.ports import Clock

__all__ = ["SqlAlchemyStatusRepository"]

_BATCH: Final = 5000
"""Entries per bulk ``INSERT``."""


def _check_capacity(capacity: int) -> None:
    if capacity <= 0 or capacity % 8:
        raise ValidationError("capacity must be a positive multiple of 8", field="capacity")


def _check_indices(capacity: int, indices: Sequence[int]) -> None:
    if any(not 0 <= idx < capacity for idx in indices):
        raise ValidationError("index outside the status list", field="idx")


class SqlAlchemyStatusRepository:
    """Status lists and their entries; implements ``IndexStore``.

    Bumping ``used`` locks the list row until commit, so issuers that share a
    list serialise on it; ``AllocationPolicy.spread`` spreads them over lists.
    """

    def __init__(self, session: Session, clock: Clock) -> None:
        self._s = session
        self._clock = clock

    def open_lists(self) -> list[ListUsage]:
        """Return the open lists, oldest first."""
        stmt = (
            select(StatusListRow.id, StatusListRow.capacity, StatusListRow.used)
            .where(StatusListRow.is_open)
            .order_by(StatusListRow.id)
        )
        return [ListUsage(i, capacity, used) for i, capacity, used in self._s.execute(stmt)]

    def create_list(self, capacity: int) -> int:
        """Create an empty open list of ``capacity`` entries; return its id.

        Raises:
            ValidationError: ``capacity`` is not a positive multiple of 8.
        """
        _check_capacity(capacity)
        stmt = (
            insert(StatusListRow)
            .values(
                uri=None,
                capacity=capacity,
                used=0,
                is_open=True,
                created_at=self._clock.now(),
            )
            .returning(StatusListRow.id)
        )
        return int(self._s.execute(stmt).scalar_one())

    def claim_first(self, list_id: int, candidates: Sequence[int]) -> int | None:
        """Claim the first candidate not yet taken; ``None`` if all are.

        Raises:
            NotFoundError: ``list_id`` does not exist.
            ValidationError: a candidate lies outside the list.
        """
        _check_indices(self._capacity(list_id), candidates)
        dialect = postgresql if self._s.get_bind().dialect.name == "postgresql" else sqlite
        for idx in candidates:
            stmt = (
                dialect.insert(StatusEntryRow)
                .values(list_id=list_id, idx=idx, status=0)
                .on_conflict_do_nothing(index_elements=["list_id", "idx"])
                .returning(StatusEntryRow.idx)
            )
            if self._s.execute(stmt).scalar_one_or_none() is not None:
                self._bump(list_id, 1)
                return idx
        return None

    def close_list(self, list_id: int) -> None:
        """Stop ``list_id`` from taking entries; closing twice is harmless.

        Raises:
            NotFoundError: ``list_id`` does not exist.
        """
        self._update_list(list_id, is_open=False)

    def set_uri(self, list_id: int, uri: str) -> None:
        """Record the URI under which the list is published.

        Raises:
            NotFoundError: ``list_id`` does not exist.
        """
        self._update_list(list_id, uri=uri)

    def taken(self, list_id: int) -> list[int]:
        """Return every allocated index of ``list_id``, ascending."""
        stmt = (
            select(StatusEntryRow.idx)
            .where(StatusEntryRow.list_id == list_id)
            .order_by(StatusEntryRow.idx)
        )
        return list(self._s.scalars(stmt))

    def claim_many(self, list_id: int, indices: Sequence[int]) -> None:
        """Record many allocations with one multi-row ``INSERT`` per batch.

        Raises:
            NotFoundError: ``list_id`` does not exist.
            ValidationError: an index lies outside the list.
            ConflictError: an index is already taken (nothing is claimed).
        """
        if not indices:
            return
        _check_indices(self._capacity(list_id), indices)
        try:
            with self._s.begin_nested():
                for i in range(0, len(indices), _BATCH):
                    rows = [
                        {"list_id": list_id, "idx": idx, "status": 0}
                        for idx in indices[i : i + _BATCH]
                    ]
                    self._s.execute(insert(StatusEntryRow), rows)
        except IntegrityError as exc:
            raise ConflictError("a status-list index is already taken", field="idx") from exc
        self._bump(list_id, len(indices))

    def set_status(self, list_id: int, idx: int, status: int) -> None:
        """Set the status of an allocated entry.

        Raises:
            NotFoundError: no such allocated entry.
        """
        result = self._s.execute(
            update(StatusEntryRow)
            .where(StatusEntryRow.list_id == list_id, StatusEntryRow.idx == idx)
            .values(status=status)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise NotFoundError("no such status-list entry", field="idx")

    def lists(self) -> list[StatusListInfo]:
        """Return every list, oldest first (``uri`` is ``""`` until one is set)."""
        stmt = select(StatusListRow.id, StatusListRow.uri, StatusListRow.capacity).order_by(
            StatusListRow.id
        )
        return [
            StatusListInfo(i, uri or "", capacity) for i, uri, capacity in self._s.execute(stmt)
        ]

    def statuses(self, list_id: int) -> list[tuple[int, int]]:
        """Return ``(idx, status)`` of every entry whose status is not 0, by index."""
        stmt = (
            select(StatusEntryRow.idx, StatusEntryRow.status)
            .where(StatusEntryRow.list_id == list_id, StatusEntryRow.status != 0)
            .order_by(StatusEntryRow.idx)
        )
        return [(idx, status) for idx, status in self._s.execute(stmt)]

    def _capacity(self, list_id: int) -> int:
        capacity = self._s.scalar(select(StatusListRow.capacity).where(StatusListRow.id == list_id))
        if capacity is None:
            raise NotFoundError("no such status list", field="list_id")
        return capacity

    def _bump(self, list_id: int, count: int) -> None:
        self._s.execute(
            update(StatusListRow)
            .where(StatusListRow.id == list_id)
            .values(used=StatusListRow.used + count)
            .execution_options(synchronize_session=False)
        )

    def _update_list(self, list_id: int, **values: object) -> None:
        result = self._s.execute(
            update(StatusListRow)
            .where(StatusListRow.id == list_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise NotFoundError("no such status list", field="list_id")
