"""SQLAlchemy repositories for applications and documents (with custody and print runs).

Every write is an ``INSERT`` or ``UPDATE`` statement executed at once (no
pending ORM objects), so rows land in the order the use case wrote them and
foreign keys hold at each step. Reads select mapped rows with
``populate_existing``: a row read earlier in the same transaction never hides a
later ``UPDATE``. Bulk writes execute one ``INSERT`` over a batch of rows (an
executemany, pipelined by psycopg), never an ORM object per row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Select, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from carnet.adapters.db.tables import (
    ApplicationRow,
    Base,
    CustodyEventRow,
    DocumentRow,
    PrintRunItemRow,
    PrintRunRow,
)
from carnet.domain.documents import (
    Application,
    ApplicationState,
    Approval,
    CustodyEvent,
    Document,
    DocumentState,
    EndReason,
    Transition,
)
from carnet.domain.errors import ConflictError, StaleVersionError
from carnet.services.uow import DecisionTime, PrintRun

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

    from carnet.services.uow import ApplicationQuery

__all__ = [
    "SqlAlchemyApplicationRepository",
    "SqlAlchemyDocumentRepository",
]

_CHUNK: Final = 500
"""Values per ``IN (...)`` list."""
_BATCH: Final = 2000
"""Rows per bulk ``INSERT``: big enough to amortise round trips, small enough to stream."""
_FRESH: Final = {"populate_existing": True}

# Writes run prebuilt Core statements with parameters: building an ORM statement
# per call costs more than the round trip it sends (most of the time of a save).
_APPLICATIONS: Final = Base.metadata.tables[ApplicationRow.__tablename__]
_DOCUMENTS: Final = Base.metadata.tables[DocumentRow.__tablename__]
_INSERT_APPLICATION: Final = insert(_APPLICATIONS)
_INSERT_DOCUMENTS: Final = insert(_DOCUMENTS)
_SAVE_APPLICATION: Final = update(_APPLICATIONS).where(
    _APPLICATIONS.c.id == bindparam("_id"), _APPLICATIONS.c.version == bindparam("_old")
)
_SAVE_DOCUMENT: Final = update(_DOCUMENTS).where(
    _DOCUMENTS.c.id == bindparam("_id"), _DOCUMENTS.c.version == bindparam("_old")
)


def _approvals_json(approvals: Sequence[Approval]) -> list[dict[str, str]]:
    return [
        {"official_id": a.official_id, "at": a.at.astimezone(UTC).isoformat(), "reason": a.reason}
        for a in approvals
    ]


def _approvals(raw: Sequence[dict[str, str]]) -> tuple[Approval, ...]:
    return tuple(
        Approval(a["official_id"], datetime.fromisoformat(a["at"]), a["reason"]) for a in raw
    )


def _application_values(application: Application) -> dict[str, Any]:
    a = application
    return {
        "id": a.id,
        "resident_id": a.resident_id,
        "document_type": a.document_type,
        "catalogue_version": a.catalogue_version,
        "attributes": dict(a.attributes),
        "station_code": a.station_code,
        "submitted_at": a.submitted_at,
        "entered_by": a.entered_by,
        "required_approvals": a.required_approvals,
        "approvals": _approvals_json(a.approvals),
        "state": a.state.value,
        "decided_at": a.decided_at,
        "decided_by": a.decided_by,
        "decision_reason": a.decision_reason,
        "fee_amount": a.fee_amount,
        "fee_currency": a.fee_currency,
        "fee_receipt": a.fee_receipt,
        "replaces_document_id": a.replaces_document_id,
        "escalated_at": a.escalated_at,
        "version": a.version,
    }


def _application(row: ApplicationRow) -> Application:
    return Application(
        id=row.id,
        resident_id=row.resident_id,
        document_type=row.document_type,
        catalogue_version=row.catalogue_version,
        attributes=dict(row.attributes),
        station_code=row.station_code,
        submitted_at=row.submitted_at,
        entered_by=row.entered_by,
        required_approvals=row.required_approvals,
        approvals=_approvals(row.approvals),
        state=ApplicationState(row.state),
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        decision_reason=row.decision_reason,
        fee_amount=row.fee_amount,
        fee_currency=row.fee_currency,
        fee_receipt=row.fee_receipt,
        replaces_document_id=row.replaces_document_id,
        escalated_at=row.escalated_at,
        version=row.version,
    )


class SqlAlchemyApplicationRepository:
    """Applications in the ``applications`` table."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, application: Application) -> None:
        """Store a new application.

        Raises:
            ConflictError: the id is taken or the resident does not exist.
        """
        try:
            with self._s.begin_nested():
                self._s.execute(_INSERT_APPLICATION, [_application_values(application)])
        except IntegrityError as exc:
            raise ConflictError("the application conflicts with stored records") from exc

    def get(self, application_id: str) -> Application | None:
        """Return one application or ``None``."""
        row = self._s.get(ApplicationRow, application_id, populate_existing=True)
        return _application(row) if row else None

    def get_many(self, application_ids: Sequence[str]) -> dict[str, Application]:
        """Return the applications among ``application_ids`` that exist, by id."""
        found: dict[str, Application] = {}
        for start in range(0, len(application_ids), _BATCH):
            chunk = list(application_ids[start : start + _BATCH])
            stmt = select(ApplicationRow).where(ApplicationRow.id.in_(chunk))
            for row in self._s.scalars(stmt.execution_options(populate_existing=True)):
                found[row.id] = _application(row)
        return found

    def save_many(self, applications: Sequence[Application]) -> None:
        """Store many changed applications with one executemany (compare-and-set each).

        Raises:
            StaleVersionError: some stored version was not ``version - 1``.
        """
        if not applications:
            return
        params = []
        for application in applications:
            values = _application_values(application)
            values["_id"] = values.pop("id")
            values["_old"] = application.version - 1
            params.append(values)
        result = self._s.execute(_SAVE_APPLICATION, params)
        if result.rowcount != len(params):  # type: ignore[attr-defined]
            raise StaleVersionError("an application changed since it was read", field="version")

    def save(self, application: Application) -> None:
        """Store a changed application (compare-and-set on the version).

        Raises:
            StaleVersionError: someone else changed it first.
        """
        values = _application_values(application)
        values["_id"] = values.pop("id")
        values["_old"] = application.version - 1
        result = self._s.execute(_SAVE_APPLICATION, values)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersionError("the application changed since you read it", field="version")

    def query(self, query: ApplicationQuery) -> list[Application]:
        """Return matching applications: escalated first, then oldest submitted."""
        stmt = select(ApplicationRow)
        if query.open_only:
            stmt = stmt.where(ApplicationRow.state == ApplicationState.SUBMITTED.value)
        if query.document_types is not None:
            stmt = stmt.where(ApplicationRow.document_type.in_(sorted(query.document_types)))
        if query.station_codes is not None:
            stmt = stmt.where(ApplicationRow.station_code.in_(sorted(query.station_codes)))
        if query.resident_id is not None:
            stmt = stmt.where(ApplicationRow.resident_id == query.resident_id)
        stmt = (
            stmt.order_by(
                ApplicationRow.escalated_at.is_(None),  # false (escalated) sorts first
                ApplicationRow.submitted_at,
                ApplicationRow.id,
            )
            .limit(query.limit)
            .offset(query.offset)
        )
        return self._all(stmt)

    def open_for(self, resident_id: str, document_type: str | None = None) -> list[Application]:
        """Return a resident's open applications, oldest first."""
        stmt = select(ApplicationRow).where(
            ApplicationRow.resident_id == resident_id,
            ApplicationRow.state == ApplicationState.SUBMITTED.value,
        )
        if document_type is not None:
            stmt = stmt.where(ApplicationRow.document_type == document_type)
        return self._all(stmt.order_by(ApplicationRow.submitted_at, ApplicationRow.id))

    def waiting_since(self, before: datetime, document_types: frozenset[str]) -> list[Application]:
        """Return open, unescalated applications of these types submitted before ``before``."""
        if not document_types:
            return []
        stmt = (
            select(ApplicationRow)
            .where(
                ApplicationRow.state == ApplicationState.SUBMITTED.value,
                ApplicationRow.escalated_at.is_(None),
                ApplicationRow.document_type.in_(sorted(document_types)),
                ApplicationRow.submitted_at < before,
            )
            .order_by(ApplicationRow.submitted_at, ApplicationRow.id)
        )
        return self._all(stmt)

    def decision_times(self, since: datetime, until: datetime) -> list[DecisionTime]:
        """Return applications issued or rejected by an official in ``[since, until)``.

        Withdrawals and rejections by the system (no ``decided_by``) are left out.
        Ordered by decision time.
        """
        stmt = (
            select(
                ApplicationRow.station_code,
                ApplicationRow.document_type,
                ApplicationRow.submitted_at,
                ApplicationRow.decided_at,
            )
            .where(
                ApplicationRow.state.in_(
                    [ApplicationState.ISSUED.value, ApplicationState.REJECTED.value]
                ),
                ApplicationRow.decided_by.is_not(None),
                ApplicationRow.decided_at >= since,
                ApplicationRow.decided_at < until,
            )
            .order_by(ApplicationRow.decided_at, ApplicationRow.id)
        )
        found: list[DecisionTime] = []
        for station, doc_type, submitted, decided in self._s.execute(stmt):
            assert decided is not None  # noqa: S101 - the query keeps decided rows only
            found.append(DecisionTime(station, doc_type, submitted, decided))
        return found

    def _all(self, stmt: Select[ApplicationRow]) -> list[Application]:
        rows = self._s.scalars(stmt.execution_options(**_FRESH))
        return [_application(r) for r in rows]


def _document_values(document: Document) -> dict[str, Any]:
    d = document
    return {
        "id": d.id,
        "document_number": d.document_number,
        "resident_id": d.resident_id,
        "application_id": d.application_id,
        "document_type": d.document_type,
        "catalogue_version": d.catalogue_version,
        "attributes": dict(d.attributes),
        "valid_from": d.valid_from,
        "valid_until": d.valid_until,
        "status_list_id": d.status_list_id,
        "status_idx": d.status_idx,
        "signer_kid": d.signer_kid,
        "qr_text": d.qr_text,
        "mrz": list(d.mrz),
        "collection_station": d.collection_station,
        "issued_at": d.issued_at,
        "state": d.state.value,
        "held_at": d.held_at,
        "state_changed_at": d.state_changed_at,
        "ready_at": d.ready_at,
        "collected_at": d.collected_at,
        "ended_at": d.ended_at,
        "end_reason": d.end_reason.value if d.end_reason else None,
        "replaces_document_id": d.replaces_document_id,
        "print_run_id": d.print_run_id,
        "prints": d.prints,
        "version": d.version,
    }


def _document(row: DocumentRow) -> Document:
    return Document(
        id=row.id,
        document_number=row.document_number,
        resident_id=row.resident_id,
        application_id=row.application_id,
        document_type=row.document_type,
        catalogue_version=row.catalogue_version,
        attributes=dict(row.attributes),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        status_list_id=row.status_list_id,
        status_idx=row.status_idx,
        signer_kid=row.signer_kid,
        qr_text=row.qr_text,
        mrz=tuple(row.mrz),
        collection_station=row.collection_station,
        issued_at=row.issued_at,
        state=DocumentState(row.state),
        held_at=row.held_at,
        state_changed_at=row.state_changed_at,
        ready_at=row.ready_at,
        collected_at=row.collected_at,
        ended_at=row.ended_at,
        end_reason=EndReason(row.end_reason) if row.end_reason else None,
        replaces_document_id=row.replaces_document_id,
        print_run_id=row.print_run_id,
        prints=row.prints,
        version=row.version,
    )


class SqlAlchemyDocumentRepository:
    """Documents, their custody events and print runs."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, document: Document) -> None:
        """Store a new document.

        Raises:
            ConflictError: the number or status entry is taken (or a reference is unknown).
        """
        self.add_many([document])

    def add_many(self, documents: Sequence[Document]) -> None:
        """Store many new documents with one multi-row ``INSERT`` per batch.

        Raises:
            ConflictError: a number or status entry is taken (nothing is stored).
        """
        if not documents:
            return
        try:
            with self._s.begin_nested():
                for i in range(0, len(documents), _BATCH):
                    batch = [_document_values(d) for d in documents[i : i + _BATCH]]
                    self._s.execute(_INSERT_DOCUMENTS, batch)
        except IntegrityError as exc:
            raise ConflictError(
                "a document number or status entry is already taken", field="document_number"
            ) from exc

    def get(self, document_id: str) -> Document | None:
        """Return one document or ``None``."""
        row = self._s.get(DocumentRow, document_id, populate_existing=True)
        return _document(row) if row else None

    def get_by_number(self, document_number: str) -> Document | None:
        """Return the document with this number or ``None``."""
        found = self._all(select(DocumentRow).where(DocumentRow.document_number == document_number))
        return found[0] if found else None

    def save(self, document: Document) -> None:
        """Store a changed document (compare-and-set on the version).

        Raises:
            StaleVersionError: someone else changed it first.
        """
        values = _document_values(document)
        values["_id"] = values.pop("id")
        values["_old"] = document.version - 1
        result = self._s.execute(_SAVE_DOCUMENT, values)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersionError("the document changed since you read it", field="version")

    def for_resident(self, resident_id: str) -> list[Document]:
        """Return every document of a resident, newest issued first."""
        stmt = (
            select(DocumentRow)
            .where(DocumentRow.resident_id == resident_id)
            .order_by(DocumentRow.issued_at.desc(), DocumentRow.id.desc())
        )
        return self._all(stmt)

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

        A document that never changed state (still ``issued``) counts as changed
        when it was issued. ``held`` only matters with ``station_code``.
        """
        changed = func.coalesce(DocumentRow.state_changed_at, DocumentRow.issued_at)
        stmt = select(DocumentRow).where(DocumentRow.state == state.value)
        if station_code is not None:
            column = DocumentRow.held_at if held else DocumentRow.collection_station
            stmt = stmt.where(column == station_code)
        if changed_before is not None:
            stmt = stmt.where(changed < changed_before)
        return self._all(stmt.order_by(changed, DocumentRow.id).limit(limit))

    def expiring(self, before: datetime, limit: int = 1000) -> list[Document]:
        """Return collected documents valid until before ``before``, earliest end first."""
        stmt = (
            select(DocumentRow)
            .where(
                DocumentRow.state == DocumentState.COLLECTED.value,
                DocumentRow.valid_until < before,
            )
            .order_by(DocumentRow.valid_until, DocumentRow.id)
            .limit(limit)
        )
        return self._all(stmt)

    def numbers_taken(self, numbers: Sequence[str]) -> set[str]:
        """Return which document numbers exist."""
        found: set[str] = set()
        for i in range(0, len(numbers), _CHUNK):
            chunk = list(numbers[i : i + _CHUNK])
            stmt = select(DocumentRow.document_number).where(DocumentRow.document_number.in_(chunk))
            found.update(self._s.scalars(stmt))
        return found

    def add_custody(self, event: CustodyEvent) -> None:
        """Record one hand-over.

        Raises:
            ConflictError: the document already has an event with this ``seq``.
        """
        values = {
            "document_id": event.document_id,
            "seq": event.seq,
            "transition": event.transition.value,
            "from_station": event.from_station,
            "to_station": event.to_station,
            "official_id": event.official_id,
            "at": event.at,
        }
        try:
            with self._s.begin_nested():
                self._s.execute(insert(CustodyEventRow), [values])
        except IntegrityError as exc:
            raise ConflictError("this custody event is already recorded", field="seq") from exc

    def custody(self, document_id: str) -> list[CustodyEvent]:
        """Return a document's chain of custody, in ``seq`` order."""
        stmt = (
            select(CustodyEventRow)
            .where(CustodyEventRow.document_id == document_id)
            .order_by(CustodyEventRow.seq)
        )
        return [
            CustodyEvent(
                document_id=r.document_id,
                seq=r.seq,
                transition=Transition(r.transition),
                from_station=r.from_station,
                to_station=r.to_station,
                official_id=r.official_id,
                at=r.at,
            )
            for r in self._s.scalars(stmt.execution_options(**_FRESH))
        ]

    def add_print_run(self, run: PrintRun) -> None:
        """Store a print run and its items, in order."""
        self._s.execute(
            insert(PrintRunRow),
            [
                {
                    "id": run.id,
                    "station_code": run.station_code,
                    "created_by": run.created_by,
                    "created_at": run.created_at,
                    "pdf_sha256": run.pdf_sha256,
                }
            ],
        )
        items = [
            {"run_id": run.id, "position": position, "document_id": document_id}
            for position, document_id in enumerate(run.document_ids)
        ]
        if items:
            self._s.execute(insert(PrintRunItemRow), items)

    def get_print_run(self, run_id: str) -> PrintRun | None:
        """Return a print run with its documents in print order, or ``None``."""
        row = self._s.get(PrintRunRow, run_id, populate_existing=True)
        if row is None:
            return None
        ids = self._s.scalars(
            select(PrintRunItemRow.document_id)
            .where(PrintRunItemRow.run_id == run_id)
            .order_by(PrintRunItemRow.position)
        )
        return PrintRun(
            id=row.id,
            station_code=row.station_code,
            created_by=row.created_by,
            created_at=row.created_at,
            document_ids=tuple(ids),
            pdf_sha256=row.pdf_sha256,
        )

    def _all(self, stmt: Select[DocumentRow]) -> list[Document]:
        rows = self._s.scalars(stmt.execution_options(**_FRESH))
        return [_document(r) for r in rows]
