"""Applications, documents and status lists on SQLite and PostgreSQL.

:class:`DocumentStorageContract` states the behaviour every implementation of
the ports shares; it runs here on the SQL repositories (both backends) and in
``tests/unit/test_document_fakes.py`` on the in-memory fakes, so the fakes the
unit tests lean on cannot drift from the database.
"""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from carnet.credentials.statusindex import AllocationPolicy, IndexAllocator, ListUsage
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
from carnet.domain.errors import ConflictError, NotFoundError, StaleVersionError, ValidationError
from carnet.domain.officials import Official, Role, Scope
from carnet.services import registry
from carnet.services.uow import ApplicationQuery, DecisionTime, PrintRun, StatusListInfo
from tests.factories import principal, resident_data, seeded_bytes
from tests.fakes import FakeClock

if TYPE_CHECKING:
    from collections.abc import Callable

    from carnet.bootstrap import Container
    from carnet.services.uow import UnitOfWork

    UowFactory = Callable[[], UnitOfWork]

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REGISTRAR = principal(Role.REGISTRAR, national=True)
MRZ = (
    "IDUTOM00000017<<<<<<<<<<<<<<<<",
    "7001011M3603013UTO<<<<<<<<<<<6",
    "KIM<<MIN<JUN<<<<<<<<<<<<<<<<<<",
)


def ref(prefix: str) -> str:
    """A readable random id."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def new_application(resident_id: str, **overrides: Any) -> Application:
    values: dict[str, Any] = {
        "id": ref("app"),
        "resident_id": resident_id,
        "document_type": "national_id_card",
        "catalogue_version": 1,
        "attributes": {},
        "station_code": "ST-A",
        "submitted_at": T0,
    }
    values.update(overrides)
    return Application(**values)


_numbers = iter(range(1, 10**9))


def new_document(application: Application, **overrides: Any) -> Document:
    n = next(_numbers)
    values: dict[str, Any] = {
        "id": ref("doc"),
        "document_number": f"M{n:08d}",
        "resident_id": application.resident_id,
        "application_id": application.id,
        "document_type": application.document_type,
        "catalogue_version": 1,
        "attributes": dict(application.attributes),
        "valid_from": T0,
        "valid_until": T0 + timedelta(days=3650),
        "status_list_id": 1,
        "status_idx": n,
        "signer_kid": "0123456789abcdef",
        "qr_text": f"NCF:{n}",
        "mrz": MRZ,
        "collection_station": application.station_code,
        "issued_at": T0,
    }
    values.update(overrides)
    return Document(**values)


def store(new_uow: UowFactory, *items: Application | Document) -> None:
    with new_uow() as uow:
        for item in items:
            if isinstance(item, Application):
                uow.applications.add(item)
            else:
                uow.documents.add(item)
        uow.commit()


def ids(items: list[Application] | list[Document]) -> list[str]:
    return [item.id for item in items]


class DocumentStorageContract:
    """Behaviour shared by the SQL repositories and the in-memory fakes.

    A subclass provides ``new_uow``: a factory of units of work over one empty
    database that holds the factory region tree and stations.
    """

    @pytest.fixture
    def residents(self, new_uow: UowFactory) -> list[str]:
        """Three enrolled residents (documents and applications reference them)."""
        return [
            registry.enrol_resident(
                new_uow(),
                REGISTRAR,
                resident_data(),
                clock=FakeClock(T0),
                random_bytes=seeded_bytes(100 + i),
            ).id
            for i in range(3)
        ]

    @pytest.fixture
    def app(self, new_uow: UowFactory, residents: list[str]) -> Application:
        """One stored application of the first resident."""
        application = new_application(residents[0])
        store(new_uow, application)
        return application

    # -------------------------------------------------------------- applications

    def test_application_round_trips_every_field(
        self, new_uow: UowFactory, residents: list[str]
    ) -> None:
        application = new_application(
            residents[0],
            document_type="zone_permit",
            catalogue_version=3,
            attributes={"zone": "11010001", "entry_from": "2026-04-01"},
            station_code="ST-B",
            entered_by="official-entry",
            required_approvals=2,
            approvals=(
                Approval("official-a", at(1), "papers checked"),
                Approval("official-b", at(2.5), "zone pass verified"),
            ),
            fee_amount=1_500_000,
            fee_currency="KRW",
            fee_receipt="RCPT-0001",
            replaces_document_id="doc-older",
            escalated_at=at(30),
            version=4,
        )
        store(new_uow, application)
        with new_uow() as uow:
            loaded = uow.applications.get(application.id)
            missing = uow.applications.get("app-missing")
        assert loaded == application
        assert loaded is not None
        assert loaded.approvals[1].reason == "zone pass verified"
        assert loaded.approvals[1].at == at(2.5)
        assert missing is None

    def test_decided_application_round_trips(self, new_uow: UowFactory, app: Application) -> None:
        approved = app.approve("official-a", None, reason="ok", now=at(1))
        decided = approved.mark_issued(at(1))
        with new_uow() as uow:
            assert uow.applications.get(app.id) == app
            # Each step bumps the version, so each is saved: one check per step.
            uow.applications.save(approved)
            assert uow.applications.get(app.id) == approved  # no stale cached row
            uow.applications.save(decided)
            uow.commit()
        with new_uow() as uow:
            loaded = uow.applications.get(app.id)
        assert loaded == decided
        assert loaded is not None
        assert loaded.state is ApplicationState.ISSUED
        assert loaded.decided_by == "official-a"
        assert loaded.version == 3

    def test_application_save_refuses_a_stale_version(
        self, new_uow: UowFactory, app: Application
    ) -> None:
        approved = app.approve("official-a", None, reason="first", now=at(1))
        with new_uow() as uow:
            uow.applications.save(approved)
            uow.commit()
        rival = app.reject("official-b", None, reason="late", now=at(2))  # read before
        with new_uow() as uow, pytest.raises(StaleVersionError):
            uow.applications.save(rival)
        with new_uow() as uow, pytest.raises(StaleVersionError):
            uow.applications.save(replace(app, id="app-missing", version=2))
        with new_uow() as uow:
            assert uow.applications.get(app.id) == approved

    def test_queue_lists_escalated_first_then_oldest(
        self, new_uow: UowFactory, residents: list[str]
    ) -> None:
        r0, r1, _ = residents
        old = new_application(r0, submitted_at=at(0))
        escalated_late = new_application(r1, submitted_at=at(3), escalated_at=at(50))
        middle = new_application(r1, submitted_at=at(2))
        escalated_early = new_application(r0, submitted_at=at(1), escalated_at=at(40))
        permit = new_application(
            r0, submitted_at=at(4), document_type="zone_permit", station_code="ST-B"
        )
        issued = new_application(r0, submitted_at=at(-1), state=ApplicationState.ISSUED)
        store(new_uow, old, escalated_late, middle, escalated_early, permit, issued)
        with new_uow() as uow:
            queue = uow.applications.query(ApplicationQuery())
            permits = uow.applications.query(
                ApplicationQuery(document_types=frozenset({"zone_permit"}))
            )
            at_b = uow.applications.query(ApplicationQuery(station_codes=frozenset({"ST-B"})))
            none = uow.applications.query(ApplicationQuery(document_types=frozenset()))
            page = uow.applications.query(ApplicationQuery(limit=2, offset=1))
            of_r0 = uow.applications.query(ApplicationQuery(resident_id=r0, open_only=False))
        assert ids(queue) == ids([escalated_early, escalated_late, old, middle, permit])
        assert ids(permits) == [permit.id]
        assert ids(at_b) == [permit.id]
        assert none == []
        assert ids(page) == ids([escalated_late, old])
        assert ids(of_r0) == ids([escalated_early, issued, old, permit])

    def test_open_for_and_waiting_since(self, new_uow: UowFactory, residents: list[str]) -> None:
        r0, r1, _ = residents
        card = new_application(r0, submitted_at=at(0))
        permit = new_application(r0, submitted_at=at(1), document_type="zone_permit")
        escalated = new_application(r0, submitted_at=at(0.5), escalated_at=at(9))
        withdrawn = new_application(r0, submitted_at=at(0), state=ApplicationState.WITHDRAWN)
        recent = new_application(r1, submitted_at=at(20))
        store(new_uow, card, permit, escalated, withdrawn, recent)
        cards = frozenset({"national_id_card"})
        with new_uow() as uow:
            open_r0 = uow.applications.open_for(r0)
            open_cards = uow.applications.open_for(r0, "national_id_card")
            open_r1 = uow.applications.open_for(r1, "zone_permit")
            waiting = uow.applications.waiting_since(at(10), cards)
            waiting_all = uow.applications.waiting_since(at(21), cards | {"zone_permit"})
            waiting_none = uow.applications.waiting_since(at(21), frozenset())
        assert ids(open_r0) == ids([card, escalated, permit])
        assert ids(open_cards) == ids([card, escalated])
        assert open_r1 == []
        assert ids(waiting) == [card.id]
        assert ids(waiting_all) == ids([card, permit, recent])
        assert waiting_none == []

    def test_decision_times_count_officials_decisions_in_the_window(
        self, new_uow: UowFactory, residents: list[str]
    ) -> None:
        r0 = residents[0]

        def submitted(hours: float, **overrides: Any) -> Application:
            return new_application(r0, submitted_at=at(hours), **overrides)

        issued = submitted(0).approve("official-a", None, reason="ok", now=at(5))
        issued = issued.mark_issued(at(5))
        rejected = submitted(1, station_code="ST-B").reject(
            "official-b", None, reason="no", now=at(3)
        )
        by_system = submitted(1).reject(None, None, reason="ineligible", now=at(4))
        withdrawn = submitted(2).withdraw(reason="moved away", now=at(4))
        too_late = submitted(0).approve("official-a", None, reason="ok", now=at(30))
        too_late = too_late.mark_issued(at(30))
        store(new_uow, issued, rejected, by_system, withdrawn, too_late, submitted(3))
        with new_uow() as uow:
            times = uow.applications.decision_times(at(0), at(24))
            boundary = uow.applications.decision_times(at(3), at(5))
        assert times == [
            DecisionTime("ST-B", "national_id_card", at(1), at(3)),
            DecisionTime("ST-A", "national_id_card", at(0), at(5)),
        ]
        assert boundary == [DecisionTime("ST-B", "national_id_card", at(1), at(3))]

    # ----------------------------------------------------------------- documents

    def test_document_round_trips_every_field(self, new_uow: UowFactory, app: Application) -> None:
        document = new_document(
            app,
            attributes={"zone": "11010001"},
            catalogue_version=2,
            collection_station="ST-B",
            state=DocumentState.LOST,
            held_at="ST-B",
            state_changed_at=at(90),
            ready_at=at(48),
            collected_at=at(60),
            ended_at=at(90),
            end_reason=EndReason.STOLEN,
            replaces_document_id="doc-older",
            print_run_id="run-1",
            prints=2,
            version=7,
        )
        store(new_uow, document)
        with new_uow() as uow:
            by_id = uow.documents.get(document.id)
            by_number = uow.documents.get_by_number(document.document_number)
            missing = (uow.documents.get("doc-missing"), uow.documents.get_by_number("X0"))
        assert by_id == document
        assert by_number == document
        assert by_id is not None
        assert by_id.mrz == MRZ
        assert by_id.end_reason is EndReason.STOLEN
        assert missing == (None, None)

    def test_duplicate_number_or_status_entry_is_a_conflict(
        self, new_uow: UowFactory, app: Application
    ) -> None:
        first = new_document(app)
        with new_uow() as uow:
            uow.documents.add(first)
            with pytest.raises(ConflictError):
                uow.documents.add(new_document(app, document_number=first.document_number))
            with pytest.raises(ConflictError):
                uow.documents.add(new_document(app, status_idx=first.status_idx))
            with pytest.raises(ConflictError):
                uow.documents.add_many([new_document(app), new_document(app, id=first.id)])
            uow.commit()  # the failed writes left the transaction usable
        with new_uow() as uow:
            assert uow.documents.get(first.id) == first
            assert uow.documents.for_resident(app.resident_id) == [first]

    def test_document_save_refuses_a_stale_version(
        self, new_uow: UowFactory, app: Application
    ) -> None:
        document = new_document(app)
        store(new_uow, document)
        printed = document.move(Transition.PRINT, now=at(1))
        with new_uow() as uow:
            assert uow.documents.get(document.id) == document
            uow.documents.save(printed)
            assert uow.documents.get(document.id) == printed  # no stale cached row
            assert uow.documents.in_state(DocumentState.PRODUCED) == [printed]
            uow.commit()
        with new_uow() as uow, pytest.raises(StaleVersionError):
            uow.documents.save(document.move(Transition.REVOKE, now=at(2), reason=EndReason.LOST))
        with new_uow() as uow:
            loaded = uow.documents.get(document.id)
        assert loaded == printed
        assert loaded is not None
        assert loaded.prints == 1

    def test_uncommitted_documents_are_discarded(
        self, new_uow: UowFactory, app: Application
    ) -> None:
        document = new_document(app)
        with new_uow() as uow:
            uow.documents.add(document)
            uow.status.create_list(1024)
        with new_uow() as uow:
            assert uow.documents.get(document.id) is None
            assert uow.status.lists() == []

    def test_for_resident_lists_newest_first(
        self, new_uow: UowFactory, residents: list[str], app: Application
    ) -> None:
        old = new_document(app, issued_at=at(0))
        new = new_document(app, issued_at=at(10))
        middle = new_document(app, issued_at=at(5))
        other = new_document(replace(app, resident_id=residents[1]))
        store(new_uow, old, new, middle, other)
        with new_uow() as uow:
            assert ids(uow.documents.for_resident(app.resident_id)) == ids([new, middle, old])
            assert ids(uow.documents.for_resident(residents[1])) == [other.id]
            assert uow.documents.for_resident(residents[2]) == []

    def test_in_state_filters_by_station_holder_and_last_change(
        self, new_uow: UowFactory, app: Application
    ) -> None:
        ready = DocumentState.READY
        ready_a = new_document(app, state=ready, held_at="ST-A", state_changed_at=at(5))
        ready_b = new_document(
            app, state=ready, collection_station="ST-B", held_at="ST-B", state_changed_at=at(2)
        )
        # Collected at ST-B but held at ST-A: ``held`` finds it by its holder.
        moving = new_document(
            app, state=ready, collection_station="ST-B", held_at="ST-A", state_changed_at=at(9)
        )
        fresh = new_document(app, issued_at=at(1))  # never changed state: counts from issue
        fresher = new_document(app, issued_at=at(0), state_changed_at=at(3))
        store(new_uow, ready_a, ready_b, moving, fresh, fresher)
        with new_uow() as uow:
            docs = uow.documents
            all_ready = docs.in_state(ready)
            collect_at_b = docs.in_state(ready, station_code="ST-B")
            held_at_a = docs.in_state(ready, station_code="ST-A", held=True)
            stale = docs.in_state(ready, changed_before=at(5))
            first = docs.in_state(ready, limit=1)
            issued = docs.in_state(DocumentState.ISSUED)
            issued_early = docs.in_state(DocumentState.ISSUED, changed_before=at(2))
            none = docs.in_state(DocumentState.DISPATCHED)
        assert ids(all_ready) == ids([ready_b, ready_a, moving])
        assert ids(collect_at_b) == ids([ready_b, moving])
        assert ids(held_at_a) == ids([ready_a, moving])
        assert ids(stale) == [ready_b.id]
        assert ids(first) == [ready_b.id]
        assert ids(issued) == ids([fresh, fresher])
        assert ids(issued_early) == [fresh.id]
        assert none == []

    def test_expiring_lists_collected_documents_past_validity(
        self, new_uow: UowFactory, app: Application
    ) -> None:
        collected = DocumentState.COLLECTED
        ended_late = new_document(app, state=collected, valid_until=at(20))
        ended_early = new_document(app, state=collected, valid_until=at(10))
        still_valid = new_document(app, state=collected, valid_until=at(40))
        uncollected = new_document(app, state=DocumentState.READY, valid_until=at(5))
        store(new_uow, ended_late, ended_early, still_valid, uncollected)
        with new_uow() as uow:
            expiring = uow.documents.expiring(at(30))
            first = uow.documents.expiring(at(30), limit=1)
        assert ids(expiring) == ids([ended_early, ended_late])
        assert ids(first) == [ended_early.id]

    def test_numbers_taken(self, new_uow: UowFactory, app: Application) -> None:
        documents = [new_document(app) for _ in range(3)]
        store(new_uow, *documents)
        numbers = [d.document_number for d in documents]
        with new_uow() as uow:
            taken = uow.documents.numbers_taken([*numbers[:2], "Z99999999"])
            assert uow.documents.numbers_taken([]) == set()
        assert taken == set(numbers[:2])

    def test_custody_chain_comes_back_in_order(self, new_uow: UowFactory, app: Application) -> None:
        document = new_document(app)
        store(new_uow, document)
        events = [
            CustodyEvent(
                document_id=document.id,
                seq=seq,
                transition=transition,
                from_station=src,
                to_station=dst,
                official_id=official,
                at=at(seq),
            )
            for seq, transition, src, dst, official in [
                (2, Transition.DISPATCH, None, "ST-A", "official-d"),
                (1, Transition.PRINT, None, None, None),
                (3, Transition.RECEIVE, None, "ST-A", "official-r"),
            ]
        ]
        with new_uow() as uow:
            for event in events:
                uow.documents.add_custody(event)
            with pytest.raises(ConflictError):
                uow.documents.add_custody(replace(events[0], at=at(7)))
            uow.commit()
        with new_uow() as uow:
            chain = uow.documents.custody(document.id)
            assert uow.documents.custody("doc-missing") == []
        assert chain == sorted(events, key=lambda e: e.seq)
        assert [e.transition for e in chain] == [
            Transition.PRINT,
            Transition.DISPATCH,
            Transition.RECEIVE,
        ]

    def test_print_run_keeps_its_items_in_order(
        self, new_uow: UowFactory, app: Application
    ) -> None:
        documents = [new_document(app) for _ in range(3)]
        store(new_uow, *documents)
        run = PrintRun(
            id=ref("run"),
            station_code="ST-A",
            created_by="official-p",
            created_at=at(2),
            document_ids=(documents[2].id, documents[0].id, documents[1].id),
            pdf_sha256="ab" * 32,
        )
        unattended = replace(run, id=ref("run"), created_by=None, document_ids=())
        with new_uow() as uow:
            uow.documents.add_print_run(run)
            uow.documents.add_print_run(unattended)
            uow.commit()
        with new_uow() as uow:
            assert uow.documents.get_print_run(run.id) == run
            assert uow.documents.get_print_run(unattended.id) == unattended
            assert uow.documents.get_print_run("run-missing") is None

    def test_add_many_stores_two_thousand_documents(
        self, new_uow: UowFactory, app: Application
    ) -> None:
        documents = [new_document(app, status_list_id=2, status_idx=i) for i in range(2000)]
        with new_uow() as uow:
            uow.documents.add_many(documents)
            uow.documents.add_many([])
            uow.commit()
        numbers = [d.document_number for d in documents]
        with new_uow() as uow:
            assert uow.documents.numbers_taken(numbers) == set(numbers)
            assert len(uow.documents.in_state(DocumentState.ISSUED, limit=5000)) == 2000
            assert uow.documents.get(documents[1234].id) == documents[1234]

    # -------------------------------------------------------------- status lists

    def test_lists_are_created_open_and_closed(self, new_uow: UowFactory) -> None:
        with new_uow() as uow:
            first = uow.status.create_list(1024)
            second = uow.status.create_list(2048)
            assert uow.status.open_lists() == [
                ListUsage(first, 1024, 0),
                ListUsage(second, 2048, 0),
            ]
            uow.status.close_list(first)
            uow.status.close_list(first)  # closing twice is harmless
            uow.commit()
        with new_uow() as uow:
            assert list(uow.status.open_lists()) == [ListUsage(second, 2048, 0)]
            assert uow.status.lists() == [
                StatusListInfo(first, "", 1024),
                StatusListInfo(second, "", 2048),
            ]
            with pytest.raises(NotFoundError):
                uow.status.close_list(second + 100)
            with pytest.raises(ValidationError):
                uow.status.create_list(1020)
            with pytest.raises(ValidationError):
                uow.status.create_list(0)

    def test_claim_first_skips_taken_candidates(self, new_uow: UowFactory) -> None:
        with new_uow() as uow:
            list_id = uow.status.create_list(64)
            assert uow.status.claim_first(list_id, [5]) == 5
            uow.commit()
        with new_uow() as uow:
            assert uow.status.claim_first(list_id, [5, 9, 11]) == 9
            assert uow.status.claim_first(list_id, [5, 9]) is None
            assert uow.status.claim_first(list_id, []) is None
            with pytest.raises(ValidationError):
                uow.status.claim_first(list_id, [64])
            with pytest.raises(ValidationError):
                uow.status.claim_first(list_id, [-1])
            with pytest.raises(NotFoundError):
                uow.status.claim_first(list_id + 1, [1])
            uow.commit()
        with new_uow() as uow:
            assert uow.status.taken(list_id) == [5, 9]
            assert list(uow.status.open_lists()) == [ListUsage(list_id, 64, 2)]

    def test_claim_many_records_allocations_and_refuses_taken_ones(
        self, new_uow: UowFactory
    ) -> None:
        with new_uow() as uow:
            list_id = uow.status.create_list(1024)
            other = uow.status.create_list(1024)
            uow.status.claim_many(list_id, [700, 3, 41])
            uow.status.claim_many(other, [3])
            uow.status.claim_many(list_id, [])
            with pytest.raises(ConflictError):
                uow.status.claim_many(list_id, [8, 41])
            with pytest.raises(ConflictError):
                uow.status.claim_many(list_id, [9, 9])
            with pytest.raises(ValidationError):
                uow.status.claim_many(list_id, [1024])
            with pytest.raises(NotFoundError):
                uow.status.claim_many(other + 1, [1])
            uow.commit()
        with new_uow() as uow:
            assert uow.status.taken(list_id) == [3, 41, 700]
            assert uow.status.taken(other) == [3]
            assert uow.status.claim_first(list_id, [3, 8]) == 8
            assert list(uow.status.open_lists()) == [
                ListUsage(list_id, 1024, 4),
                ListUsage(other, 1024, 1),
            ]

    def test_statuses_list_entries_set_to_non_zero(self, new_uow: UowFactory) -> None:
        with new_uow() as uow:
            list_id = uow.status.create_list(256)
            uow.status.claim_many(list_id, [10, 20, 30])
            uow.status.set_status(list_id, 30, 1)
            uow.status.set_status(list_id, 10, 2)
            uow.status.set_status(list_id, 20, 1)
            uow.status.set_status(list_id, 20, 0)  # back to valid
            with pytest.raises(NotFoundError):
                uow.status.set_status(list_id, 11, 1)
            with pytest.raises(NotFoundError):
                uow.status.set_status(list_id + 1, 10, 1)
            uow.commit()
        with new_uow() as uow:
            assert uow.status.statuses(list_id) == [(10, 2), (30, 1)]
            assert uow.status.statuses(list_id + 1) == []

    def test_set_uri_is_listed(self, new_uow: UowFactory) -> None:
        with new_uow() as uow:
            first = uow.status.create_list(128)
            second = uow.status.create_list(128)
            uow.status.set_uri(second, "https://carnet.example/status/2")
            with pytest.raises(NotFoundError):
                uow.status.set_uri(second + 1, "https://carnet.example/status/3")
            uow.commit()
        with new_uow() as uow:
            assert uow.status.lists() == [
                StatusListInfo(first, "", 128),
                StatusListInfo(second, "https://carnet.example/status/2", 128),
            ]

    def test_allocator_draws_unique_indices_through_the_repository(
        self, new_uow: UowFactory
    ) -> None:
        rng = random.Random(5)
        with new_uow() as uow:
            allocator = IndexAllocator(uow.status, AllocationPolicy(spread=2))
            drawn = [allocator.allocate(rng) for _ in range(40)]
            uow.commit()
        list_ids = {d.list_id for d in drawn}
        with new_uow() as uow:
            taken = {(i, idx) for i in list_ids for idx in uow.status.taken(i)}
            usage = {u.list_id: u.used for u in uow.status.open_lists()}
        assert len(list_ids) == 2
        assert taken == {(d.list_id, d.idx) for d in drawn}
        assert len(taken) == 40
        assert sum(usage.values()) == 40

    # ----------------------------------------------------------------- officials

    def test_official_keeps_their_own_resident_record(
        self, new_uow: UowFactory, residents: list[str]
    ) -> None:
        official = Official(
            id=ref("off"),
            username=ref("approver"),
            display_name="Approver",
            roles=frozenset({Role.APPROVER}),
            scope=Scope(national=True),
            password_hash="fake$x",
            resident_id=residents[2],
            created_at=T0,
        )
        with new_uow() as uow:
            uow.officials.add(official)
            uow.commit()
        with new_uow() as uow:
            loaded = uow.officials.get(official.id)
            assert loaded is not None
            assert loaded.resident_id == residents[2]
            uow.officials.save(replace(loaded, resident_id=None))
            uow.commit()
        with new_uow() as uow:
            reloaded = uow.officials.get(official.id)
        assert reloaded is not None
        assert reloaded.resident_id is None


class TestSqlAlchemyDocumentStorage(DocumentStorageContract):
    """The contract on SQLite and PostgreSQL, through Alembic-migrated databases."""

    @pytest.fixture
    def new_uow(self, seeded: Container) -> UowFactory:
        return seeded.uow

    def test_claim_survives_a_rival_commit(self, seeded: Container) -> None:
        """A claim that lost the race is skipped, even inside a longer transaction."""
        with seeded.uow() as uow:
            list_id = uow.status.create_list(64)
            uow.commit()
        with seeded.uow() as uow:
            uow.status.claim_many(list_id, [1])
            uow.commit()
        with seeded.uow() as uow:
            assert uow.status.claim_first(list_id, [1, 2]) == 2
            with pytest.raises(ConflictError):
                uow.status.claim_many(list_id, [1])
            assert uow.status.taken(list_id) == [1, 2]
            uow.commit()
        with seeded.uow() as uow:
            assert list(uow.status.open_lists()) == [ListUsage(list_id, 64, 2)]

    def test_concurrent_claims_never_share_an_index(self, seeded: Container) -> None:
        """A rival claiming an index held by an open transaction waits, then skips it."""
        with seeded.uow() as uow:
            list_id = uow.status.create_list(64)
            uow.commit()
        claimed: list[int | None] = []

        def rival() -> None:
            with seeded.uow() as uow:
                claimed.append(uow.status.claim_first(list_id, [5, 6]))
                uow.commit()

        thread = threading.Thread(target=rival)
        with seeded.uow() as uow:
            assert uow.status.claim_first(list_id, [5]) == 5
            thread.start()
            thread.join(timeout=0.5)
            assert thread.is_alive()  # blocked behind the uncommitted claim
            uow.commit()
        thread.join(timeout=30)
        assert claimed == [6]
        with seeded.uow() as uow:
            assert uow.status.taken(list_id) == [5, 6]
            assert list(uow.status.open_lists()) == [ListUsage(list_id, 64, 2)]
