"""The SQLAlchemy unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from carnet.adapters.db.documents import (
    SqlAlchemyApplicationRepository,
    SqlAlchemyDocumentRepository,
)
from carnet.adapters.db.ledger import SqlAlchemyLedgerRepository
from carnet.adapters.db.portal import (
    SqlAlchemyOutboxRepository,
    SqlAlchemyProposalRepository,
    SqlAlchemyResidentAccessRepository,
)
from carnet.adapters.db.repositories import (
    SqlAlchemyOfficialRepository,
    SqlAlchemyRegionRepository,
    SqlAlchemyResidentRepository,
    SqlAlchemyStationRepository,
    SqlAlchemyTokenRepository,
)
from carnet.adapters.db.statuslists import SqlAlchemyStatusRepository
from carnet.adapters.security import SystemClock
from carnet.domain.errors import ConflictError, InfrastructureError

if TYPE_CHECKING:
    from types import TracebackType

    from sqlalchemy import Engine

    from carnet.services.ports import Clock
    from carnet.services.uow import (
        ApplicationRepository,
        DocumentRepository,
        LedgerRepository,
        OfficialRepository,
        OutboxRepository,
        ProposalRepository,
        RegionRepository,
        ResidentAccessRepository,
        ResidentRepository,
        StationRepository,
        StatusRepository,
        TokenRepository,
    )

__all__ = ["SqlAlchemyUnitOfWork"]


class SqlAlchemyUnitOfWork:
    """A unit of work over a fresh session from ``engine``.

    A unit of work is used once: ``with uow: ... uow.commit()``.
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

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self._factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
        self._session: Session | None = None
        # The log stamps actions that carry no time of their own with this clock.
        self._clock = clock or SystemClock()

    @property
    def session(self) -> Session:
        """The session of the open transaction (for adapters that need SQL)."""
        if self._session is None:
            msg = "the unit of work is not open"
            raise RuntimeError(msg)
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            msg = "a unit of work is not re-entrant"
            raise RuntimeError(msg)
        try:
            self._session = self._factory()
            self._session.connection()
        except OperationalError as exc:
            self._session = None
            raise InfrastructureError("the database cannot be reached") from exc
        s = self._session
        self.regions = SqlAlchemyRegionRepository(s)
        self.stations = SqlAlchemyStationRepository(s)
        self.residents = SqlAlchemyResidentRepository(s)
        self.officials = SqlAlchemyOfficialRepository(s)
        self.tokens = SqlAlchemyTokenRepository(s)
        self.outbox = SqlAlchemyOutboxRepository(s)
        self.resident_access = SqlAlchemyResidentAccessRepository(s)
        self.proposals = SqlAlchemyProposalRepository(s)
        self.ledger = SqlAlchemyLedgerRepository(s, self._clock)
        self.applications = SqlAlchemyApplicationRepository(s)
        self.documents = SqlAlchemyDocumentRepository(s)
        self.status = SqlAlchemyStatusRepository(s, self._clock)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.rollback()
            session.close()

    def commit(self) -> None:
        """Commit; a constraint failure becomes a ConflictError."""
        try:
            self.session.commit()
        except IntegrityError as exc:
            self.session.rollback()
            raise ConflictError("the change conflicts with existing records") from exc

    def rollback(self) -> None:
        """Roll the transaction back."""
        self.session.rollback()
