"""The documents' part of the authorization matrix: its records, and one valid request each.

:func:`populate_documents` adds to a :class:`~tests.functional.api.matrix_world.World`
an issuer (a signer per document type), officials who enter, approve and print
behind the scenes, and records every caller reads: an open application and a
collected card of the target resident, a card ready at ST-A, a printed one and
its print run, and a printed permit of the signed-in resident. Builders that
change state make a fresh record first (set-up through the use cases, never
through the API under test) and say how to see that a refusal left it alone.

Every record lies in TOWN_A and is collected at ST-A: inside the scopes
``county_a``, ``station_a`` and ``national``, outside ``county_b`` and ``station_b``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from carnet.domain.officials import Scope
from carnet.services import applications, documents, two_person
from tests.functional.api.documents_support import (
    ADULT_BIRTH_DATE,
    IDENTITY_CHECK,
    create_issuer,
    zone_permit_attributes,
)
from tests.functional.api.matrix_world import Call, World
from tests.functional.api.support import sign_in

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx2 as httpx

    from carnet.domain.officials import Principal

__all__ = ["DOCUMENT_BUILDERS", "Papers", "populate_documents"]

STATION = "ST-A"


@dataclass
class Papers:
    """The officials behind the scenes and the records every caller reads."""

    approvers: tuple[Principal, Principal]
    issuer: Principal
    application_id: str = ""
    """An open zone-permit application of the target resident, never decided."""
    document_id: str = ""
    """The target resident's collected identity card (three custody events)."""
    ready_document_id: str = ""
    run_id: str = ""
    produced_document_id: str = ""
    """Printed and never dispatched: reprints are proposed and confirmed on it."""
    resident_document_id: str = ""
    """The signed-in resident's first permit (listed in their documents for good)."""
    resident_printed_id: str = ""
    """The signed-in resident's current printed permit, for a loss report."""
    resident_application_id: str = ""


def papers(w: World) -> Papers:
    assert w.papers is not None, "populate_documents() first"
    return w.papers


# --------------------------------------------------------------------------- set-up


def populate_documents(w: World) -> None:
    """Create the issuer, the officials behind the scenes and the shared records."""
    create_issuer(w.box)
    national = Scope(national=True)
    principals = []
    for name, role in (
        ("doc.approver1", "approver"),
        ("doc.approver2", "approver"),
        ("doc.issuer", "issuer"),
    ):
        w.official(name, (role,), national)
        principals.append(w.principal_of(sign_in(w.client, name)))
    w.papers = p = Papers(approvers=(principals[0], principals[1]), issuer=principals[2])
    p.document_id = _ready(w, w.target_uin)
    _collect(w, p.document_id, w.target_uin)
    p.application_id = _submit(w, w.target_uin, "zone_permit", zone_permit_attributes())
    p.ready_document_id = _ready(w, _adult(w))
    p.produced_document_id = _issued(w, _adult(w))
    p.resident_document_id = p.resident_printed_id = _issued_permit(w, w.resident_uin)
    p.run_id = _print(w)


def _adult(w: World) -> str:
    return w.enrol(date_of_birth=ADULT_BIRTH_DATE)


def _submit(w: World, uin: str, document_type: str, attributes: dict[str, Any]) -> str:
    assert w.proposer is not None
    submitted = applications.submit(
        w.box.uow(),
        w.box.issuing(),
        w.proposer,
        uin=uin,
        document_type=document_type,
        attributes=attributes,
        station_code=STATION,
    )
    return submitted.application.id


def _approve(w: World, application_id: str, approver: int = 0) -> str | None:
    _application, document = applications.approve(
        w.box.uow(),
        w.box.issuing(),
        papers(w).approvers[approver],
        application_id,
        reason="matrix: checked",
    )
    return document.id if document else None


def _issued(w: World, uin: str) -> str:
    """A national identity card issued (not printed) for ``uin``."""
    document_id = _approve(w, _submit(w, uin, "national_id_card", {}))
    assert document_id is not None
    return document_id


def _issued_permit(w: World, uin: str) -> str:
    application_id = _submit(w, uin, "zone_permit", zone_permit_attributes())
    _approve(w, application_id, 0)
    document_id = _approve(w, application_id, 1)
    assert document_id is not None
    return document_id


def _print(w: World) -> str:
    """Print everything issued at the station; return the run's id."""
    output = documents.print_run(w.box.uow(), w.box.issuing(), papers(w).issuer, STATION, limit=500)
    return output.run.id


def _printed(w: World) -> tuple[str, str]:
    document_id = _issued(w, _adult(w))
    return document_id, _print(w)


def _dispatched(w: World) -> str:
    document_id, run_id = _printed(w)
    documents.dispatch_run(w.box.uow(), w.box.issuing(), papers(w).issuer, run_id)
    return document_id


def _ready(w: World, uin: str) -> str:
    """A national identity card of ``uin`` ready at the station."""
    document_id = _issued(w, uin)
    run_id = _print(w)
    documents.dispatch_run(w.box.uow(), w.box.issuing(), papers(w).issuer, run_id)
    assert w.proposer is not None
    documents.receive(w.box.uow(), w.box.issuing(), w.proposer, document_id, station_code=STATION)
    return document_id


def _collect(w: World, document_id: str, uin: str) -> None:
    assert w.proposer is not None
    documents.collect(
        w.box.uow(),
        w.box.issuing(),
        w.proposer,
        document_id,
        station_code=STATION,
        identity_check=IDENTITY_CHECK,
        presented_uin=uin,
    )


def _ready_with_holder(w: World) -> tuple[str, str]:
    uin = _adult(w)
    return _ready(w, uin), uin


def _state(w: World, document_id: str) -> str:
    with w.box.uow() as uow:
        found = uow.documents.get(document_id)
    assert found is not None
    return found.state.value


def _application(w: World, application_id: str) -> Any:
    with w.box.uow() as uow:
        found = uow.applications.get(application_id)
    assert found is not None
    return found


def _resident_id(w: World, uin: str) -> str:
    with w.box.uow() as uow:
        found = uow.residents.get_by_uin(uin)
    assert found is not None
    return found.id


def _pending(w: World, action: str) -> int:
    with w.box.uow() as uow:
        return len(uow.proposals.pending(action))


def _proposal_state(w: World, proposal_id: str) -> str:
    with w.box.uow() as uow:
        found = uow.proposals.get(proposal_id)
    assert found is not None
    return found.state.value


def _in_state(w: World, document_id: str, state: str) -> Callable[[], bool]:
    return lambda: _state(w, document_id) == state


# --------------------------------------------------------------------------- applications


def _document_types(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert {t["code"] for t in r.json()["data"]} == set(w.box.catalogue().types)

    return Call("GET", "/document-types", w.headers(caller), on_success=check)


def _submit_application(w: World, caller: str) -> Call:
    uin = _adult(w)
    resident_id = _resident_id(w, uin)

    def stored() -> bool:
        with w.box.uow() as uow:
            return bool(uow.applications.open_for(resident_id))

    def check(r: httpx.Response) -> None:
        assert r.json()["state"] == "submitted"
        assert stored()

    body = {"uin": uin, "document_type": "national_id_card", "station_code": STATION}
    return Call(
        "POST",
        "/applications",
        w.headers(caller),
        json=body,
        on_success=check,
        unchanged=lambda: not stored(),
    )


def _queue(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert papers(w).application_id in {a["id"] for a in r.json()["data"]}

    params = {"document_type": "zone_permit", "limit": "500"}
    return Call("GET", "/applications", w.headers(caller), params=params, on_success=check)


def _read_application(w: World, caller: str) -> Call:
    application_id = papers(w).application_id

    def check(r: httpx.Response) -> None:
        assert r.json()["id"] == application_id

    return Call("GET", f"/applications/{application_id}", w.headers(caller), on_success=check)


def _decide(verb: str, state: str, approvals: int) -> Callable[[World, str], Call]:
    def build(w: World, caller: str) -> Call:
        application_id = _submit(w, _adult(w), "zone_permit", zone_permit_attributes())

        def check(r: httpx.Response) -> None:
            stored = _application(w, application_id)
            assert (stored.state.value, len(stored.approvals)) == (state, approvals)
            assert r.json()["state"] == state

        return Call(
            "POST",
            f"/applications/{application_id}/{verb}",
            w.headers(caller),
            json={"reason": f"matrix: {verb}"},
            on_success=check,
            unchanged=lambda: _application(w, application_id).version == 1,
        )

    return build


def _record_fee(w: World, caller: str) -> Call:
    application_id = _submit(w, _adult(w), "passport", {})

    def check(_r: httpx.Response) -> None:
        assert _application(w, application_id).fee_receipt == "MATRIX-1"

    return Call(
        "POST",
        f"/applications/{application_id}/fee",
        w.headers(caller),
        json={"receipt": "MATRIX-1"},
        on_success=check,
        unchanged=lambda: _application(w, application_id).fee_receipt is None,
    )


def _decision_times(w: World, caller: str) -> Call:
    now = w.clock.now()
    params = {
        "since": (now - timedelta(days=1)).isoformat(),
        "until": (now + timedelta(days=1)).isoformat(),
    }

    def check(r: httpx.Response) -> None:
        assert STATION in {row["station_code"] for row in r.json()["data"]}

    return Call(
        "GET", "/reports/decision-times", w.headers(caller), params=params, on_success=check
    )


# --------------------------------------------------------------------------- document reads


def _read_document(w: World, caller: str) -> Call:
    document_id = papers(w).document_id

    def check(r: httpx.Response) -> None:
        assert (r.json()["id"], r.json()["state"]) == (document_id, "collected")
        assert "qr_text" not in r.json()

    return Call("GET", f"/documents/{document_id}", w.headers(caller), on_success=check)


def _documents_of(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert papers(w).document_id in {d["id"] for d in r.json()["data"]}

    url = f"/residents/{w.target_uin}/documents"
    return Call("GET", url, w.headers(caller), on_success=check)


def _custody(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        steps = [e["transition"] for e in r.json()["data"]]
        assert steps == ["dispatch", "receive", "collect"]

    url = f"/documents/{papers(w).document_id}/custody"
    return Call("GET", url, w.headers(caller), on_success=check)


def _awaiting(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert papers(w).ready_document_id in {d["id"] for d in r.json()["data"]}

    url = f"/stations/{STATION}/awaiting-collection"
    return Call("GET", url, w.headers(caller), on_success=check)


# --------------------------------------------------------------------------- printing


def _print_run(w: World, caller: str) -> Call:
    document_id = _issued(w, _adult(w))

    def check(r: httpx.Response) -> None:
        assert document_id in r.json()["document_ids"]
        assert _state(w, document_id) == "produced"

    return Call(
        "POST",
        f"/stations/{STATION}/print-runs",
        w.headers(caller),
        json={"limit": 500},
        on_success=check,
        unchanged=_in_state(w, document_id, "issued"),
    )


def _print_run_pdf(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF")

    url = f"/print-runs/{papers(w).run_id}/pdf"
    return Call("GET", url, w.headers(caller), on_success=check)


def _dispatch(w: World, caller: str) -> Call:
    document_id, run_id = _printed(w)
    return Call(
        "POST",
        f"/print-runs/{run_id}/dispatch",
        w.headers(caller),
        on_success=lambda _r: _expect(w, document_id, "dispatched"),
        unchanged=_in_state(w, document_id, "produced"),
    )


def _expect(w: World, document_id: str, state: str) -> None:
    assert _state(w, document_id) == state


# --------------------------------------------------------------------------- hand-overs


def _receive(w: World, caller: str) -> Call:
    document_id = _dispatched(w)
    return Call(
        "POST",
        f"/documents/{document_id}/receive",
        w.headers(caller),
        json={"station_code": STATION},
        on_success=lambda _r: _expect(w, document_id, "ready"),
        unchanged=_in_state(w, document_id, "dispatched"),
    )


def _transfer(w: World, caller: str) -> Call:
    document_id, _uin = _ready_with_holder(w)
    return Call(
        "POST",
        f"/documents/{document_id}/transfer",
        w.headers(caller),
        json={"to_station": "ST-B", "reason": "matrix: the holder moved"},
        on_success=lambda _r: _expect(w, document_id, "dispatched"),
        unchanged=_in_state(w, document_id, "ready"),
    )


def _collect_call(w: World, caller: str) -> Call:
    document_id, uin = _ready_with_holder(w)
    body = {"station_code": STATION, "identity_check": IDENTITY_CHECK, "presented_uin": uin}
    return Call(
        "POST",
        f"/documents/{document_id}/collect",
        w.headers(caller),
        json=body,
        on_success=lambda _r: _expect(w, document_id, "collected"),
        unchanged=_in_state(w, document_id, "ready"),
    )


def _report_lost(w: World, caller: str) -> Call:
    document_id, _uin = _ready_with_holder(w)
    return Call(
        "POST",
        f"/documents/{document_id}/lost",
        w.headers(caller),
        json={"stolen": False},
        on_success=lambda _r: _expect(w, document_id, "lost"),
        unchanged=_in_state(w, document_id, "ready"),
    )


# --------------------------------------------------------------------------- two-person actions


def _propose(
    name: str, action: str, target: Callable[[Papers], str]
) -> Callable[[World, str], Call]:
    def build(w: World, caller: str) -> Call:
        before = _pending(w, action)

        def check(r: httpx.Response) -> None:
            assert (r.json()["state"], r.json()["action"]) == ("pending", action)
            assert _pending(w, action) == before + 1

        return Call(
            "POST",
            f"/documents/{target(papers(w))}/{name}",
            w.headers(caller),
            json={"reason": f"matrix: {name}"},
            on_success=check,
            unchanged=lambda: _pending(w, action) == before,
        )

    return build


def _decide_revocation(w: World, caller: str) -> Call:
    document_id = _issued(w, _adult(w))
    issuing = w.box.issuing()
    proposal = two_person.propose(
        w.box.uow(),
        papers(w).approvers[0],
        documents.revocation_action(issuing),
        {"document_id": document_id},
        reason="matrix: forged papers",
        clock=w.clock,
    )

    def check(r: httpx.Response) -> None:
        assert r.json()["state"] == "confirmed"
        assert _state(w, document_id) == "revoked"

    return Call(
        "POST",
        f"/revocations/{proposal.id}/decision",
        w.headers(caller),
        json={"confirm": True, "reason": "matrix: agreed"},
        on_success=check,
        unchanged=lambda: (
            _proposal_state(w, proposal.id) == "pending" and _state(w, document_id) == "issued"
        ),
    )


def _decide_reprint(w: World, caller: str) -> Call:
    issuing = w.box.issuing()
    proposal = two_person.propose(
        w.box.uow(),
        papers(w).issuer,
        documents.reprint_action(issuing),
        {"document_id": papers(w).produced_document_id},
        reason="matrix: smudged",
        clock=w.clock,
    )

    def check(r: httpx.Response) -> None:
        assert r.json()["state"] == "confirmed"
        assert r.json()["params"]["print_run_id"]

    return Call(
        "POST",
        f"/reprints/{proposal.id}/decision",
        w.headers(caller),
        json={"confirm": True, "reason": "matrix: agreed"},
        on_success=check,
        unchanged=lambda: _proposal_state(w, proposal.id) == "pending",
    )


# --------------------------------------------------------------------------- residents' portal


def _open_resident_applications(w: World, document_type: str) -> list[str]:
    resident_id = _resident_id(w, w.resident_uin)
    with w.box.uow() as uow:
        found = uow.applications.open_for(resident_id, document_type)
    return [a.id for a in found]


def _apply_myself(w: World, caller: str) -> Call:
    resident_id = _resident_id(w, w.resident_uin)
    for application_id in _open_resident_applications(w, "zone_permit"):
        applications.withdraw(
            w.box.uow(), w.box.issuing(), resident_id, application_id, reason="matrix"
        )
    body = {
        "document_type": "zone_permit",
        "attributes": zone_permit_attributes(),
        "station_code": STATION,
    }

    def check(r: httpx.Response) -> None:
        assert r.json()["state"] == "submitted"
        assert _open_resident_applications(w, "zone_permit") == [r.json()["id"]]

    return Call(
        "POST",
        "/me/applications",
        w.headers(caller),
        json=body,
        on_success=check,
        unchanged=lambda: not _open_resident_applications(w, "zone_permit"),
    )


def _resident_application(w: World) -> str:
    """An open passport application of the signed-in resident (made anew once withdrawn)."""
    p = papers(w)
    if not p.resident_application_id or not _application(w, p.resident_application_id).is_open:
        submitted = applications.submit(
            w.box.uow(),
            w.box.issuing(),
            None,
            resident_id=_resident_id(w, w.resident_uin),
            document_type="passport",
            attributes={},
            station_code=STATION,
        )
        p.resident_application_id = submitted.application.id
    return p.resident_application_id


def _my_applications(w: World, caller: str) -> Call:
    application_id = _resident_application(w)

    def check(r: httpx.Response) -> None:
        assert application_id in {a["id"] for a in r.json()["data"]}

    return Call("GET", "/me/applications", w.headers(caller), on_success=check)


def _withdraw(w: World, caller: str) -> Call:
    application_id = _resident_application(w)

    def is_open() -> bool:
        return bool(_application(w, application_id).is_open)

    return Call(
        "POST",
        f"/me/applications/{application_id}/withdraw",
        w.headers(caller),
        json={"reason": "matrix: changed my mind"},
        on_success=lambda _r: _check(not is_open()),
        unchanged=is_open,
    )


def _check(condition: bool) -> None:
    assert condition


def _my_documents(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        shown = {d["id"]: d for d in r.json()["data"]}
        assert shown[papers(w).resident_document_id]["document_number"]
        assert "qr_text" not in shown[papers(w).resident_document_id]

    return Call("GET", "/me/documents", w.headers(caller), on_success=check)


def _my_loss(w: World, caller: str) -> Call:
    p = papers(w)
    if _state(w, p.resident_printed_id) != "produced":  # reported lost by an earlier call
        p.resident_printed_id = _issued_permit(w, w.resident_uin)
        _print(w)
    document_id = p.resident_printed_id
    return Call(
        "POST",
        f"/me/documents/{document_id}/lost",
        w.headers(caller),
        json={"stolen": True},
        on_success=lambda _r: _expect(w, document_id, "lost"),
        unchanged=_in_state(w, document_id, "produced"),
    )


DOCUMENT_BUILDERS: dict[tuple[str, str], Callable[[World, str], Call]] = {
    ("GET", "/document-types"): _document_types,
    ("POST", "/applications"): _submit_application,
    ("GET", "/applications"): _queue,
    ("GET", "/applications/{application_id}"): _read_application,
    ("POST", "/applications/{application_id}/approve"): _decide("approve", "submitted", 1),
    ("POST", "/applications/{application_id}/reject"): _decide("reject", "rejected", 0),
    ("POST", "/applications/{application_id}/fee"): _record_fee,
    ("GET", "/reports/decision-times"): _decision_times,
    ("GET", "/documents/{document_id}"): _read_document,
    ("GET", "/residents/{uin}/documents"): _documents_of,
    ("GET", "/documents/{document_id}/custody"): _custody,
    ("GET", "/stations/{station_code}/awaiting-collection"): _awaiting,
    ("POST", "/stations/{station_code}/print-runs"): _print_run,
    ("GET", "/print-runs/{run_id}/pdf"): _print_run_pdf,
    ("POST", "/print-runs/{run_id}/dispatch"): _dispatch,
    ("POST", "/documents/{document_id}/receive"): _receive,
    ("POST", "/documents/{document_id}/transfer"): _transfer,
    ("POST", "/documents/{document_id}/collect"): _collect_call,
    ("POST", "/documents/{document_id}/lost"): _report_lost,
    ("POST", "/documents/{document_id}/revocations"): _propose(
        "revocations", "document_revocation", lambda p: p.document_id
    ),
    ("POST", "/revocations/{proposal_id}/decision"): _decide_revocation,
    ("POST", "/documents/{document_id}/reprints"): _propose(
        "reprints", "document_reprint", lambda p: p.produced_document_id
    ),
    ("POST", "/reprints/{proposal_id}/decision"): _decide_reprint,
    ("POST", "/me/applications"): _apply_myself,
    ("GET", "/me/applications"): _my_applications,
    ("POST", "/me/applications/{application_id}/withdraw"): _withdraw,
    ("GET", "/me/documents"): _my_documents,
    ("POST", "/me/documents/{document_id}/lost"): _my_loss,
}
