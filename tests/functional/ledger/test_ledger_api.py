"""The log through the API: checkpoints, the key, proofs, leaves, stations, monitoring."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import pytest

from carnet.adapters.ledger_http import HttpLogSource
from carnet.domain.errors import ForkError, InfrastructureError
from carnet.ledger.checkpoints import open_checkpoint
from carnet.ledger.hashing import leaf_hash
from carnet.ledger.keys import Ed25519NoteVerifier
from carnet.ledger.proofs import verify_consistency, verify_inclusion
from carnet.services.audit import MonitorRecord, monitor_step
from tests.functional.ledger.support import bearer, open_api

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from carnet.ledger.checkpoints import Checkpoint
    from tests.fakes import FakeClock
    from tests.functional.ledger.support import Api

pytestmark = pytest.mark.functional


@pytest.fixture
def api(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Api]:
    yield from open_api(database_url, tmp_path, clock)


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _checkpoint(api: Api) -> Checkpoint:
    signed = api.client.post("/ledger/checkpoints", headers=api.headers("auditor"))
    assert signed.status_code == 200, signed.text
    vkey = api.client.get("/ledger/key").text.strip()
    note = api.client.get("/ledger/checkpoint")
    assert note.headers["content-type"].startswith("text/plain")
    assert note.text == signed.json()["note"]
    verifier = Ed25519NoteVerifier.from_vkey(vkey)
    return open_checkpoint(note.text, origin="carnet.example/log", verifiers=[verifier])


def test_a_checkpoint_is_signed_on_demand_and_published(api: Api) -> None:
    checkpoint = _checkpoint(api)
    assert checkpoint.size == api.size()
    again = api.client.post("/ledger/checkpoints", headers=api.headers("admin"))
    assert again.json()["size"] == checkpoint.size  # nothing new: the same checkpoint
    assert api.client.get("/ledger/key").text.startswith("carnet.example/log+")


def test_who_may_sign_and_read_leaves(api: Api) -> None:
    for who, status in (("registrar", 403), ("admin", 200), ("auditor", 200)):
        response = api.client.post("/ledger/checkpoints", headers=api.headers(who))
        assert response.status_code == status, who
    assert api.client.post("/ledger/checkpoints").status_code == 401
    for who, status in (("registrar", 403), ("admin", 403), ("auditor", 200)):
        assert api.client.get("/ledger/leaves/0", headers=api.headers(who)).status_code == status
    assert api.client.get("/ledger/leaves/0").status_code == 401
    # Checkpoints, the key and proofs are public: they hold hashes only.
    assert api.client.get("/ledger/checkpoint").status_code == 200
    assert (
        api.client.get("/ledger/proofs/inclusion", params={"index": 0, "size": 1}).status_code
        == 200
    )


def test_no_checkpoint_yet_is_a_404(api: Api) -> None:
    response = api.client.get("/ledger/checkpoint")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_every_leaf_is_proven_in_the_checkpoint(api: Api) -> None:
    checkpoint = _checkpoint(api)
    for index in range(checkpoint.size):
        leaf = api.client.get(f"/ledger/leaves/{index}", headers=api.headers("auditor")).json()
        assert _b64(leaf["leaf_hash"]) == leaf_hash(_b64(leaf["leaf"]))
        proof = api.client.get(
            "/ledger/proofs/inclusion", params={"index": index, "size": checkpoint.size}
        ).json()
        assert _b64(proof["root_hash"]) == checkpoint.root_hash
        verify_inclusion(
            _b64(leaf["leaf_hash"]),
            index,
            checkpoint.size,
            [_b64(h) for h in proof["hashes"]],
            checkpoint.root_hash,
        )


def test_consistency_proofs_link_successive_checkpoints(api: Api) -> None:
    first = _checkpoint(api)
    api.enrol()
    api.enrol()
    second = _checkpoint(api)
    proof = api.client.get(
        "/ledger/proofs/consistency", params={"first": first.size, "second": second.size}
    ).json()
    assert _b64(proof["first_root"]) == first.root_hash
    verify_consistency(
        first.size,
        second.size,
        [_b64(h) for h in proof["hashes"]],
        first.root_hash,
        second.root_hash,
    )


def test_impossible_proofs_are_refused(api: Api) -> None:
    size = api.size()
    for params in ({"index": size, "size": size}, {"index": 0, "size": size + 1}):
        response = api.client.get("/ledger/proofs/inclusion", params=params)
        assert response.status_code == 422, params
        assert response.json()["code"] == "proof_invalid"
    bad = api.client.get("/ledger/proofs/consistency", params={"first": 5, "second": 3})
    assert bad.status_code == 422
    assert api.client.get("/ledger/leaves/99999", headers=api.headers("auditor")).status_code == 404


def test_a_leaf_shows_the_official_role_station_and_time_but_no_personal_data(api: Api) -> None:
    token = api.sign_in("registrar.a", station="ST-A")
    read = api.client.get(
        f"/residents/{api.uin}", headers=bearer(token), params={"reason": "checking the address"}
    )
    assert read.status_code == 200
    record = read.json()
    leaf = api.client.get(f"/ledger/leaves/{api.size() - 1}", headers=api.headers("auditor")).json()
    assert leaf["action_type"] == "read"
    assert leaf["official_id"] == api.official_id("registrar.a")
    assert leaf["official_role"] == "registrar"
    assert leaf["station"] == "ST-A"
    assert leaf["at"].startswith("2026-03-02T09:00:00")
    assert leaf["subject_count"] == 1
    assert leaf["reason_commitment"] is not None
    raw = _b64(leaf["leaf"]).decode("ascii")
    for value in (api.uin, record["family_name_latin"], record["address"], "checking"):
        assert value not in raw
        assert value not in str(leaf)


def test_a_station_outside_the_scope_is_refused_at_sign_in(api: Api) -> None:
    for station in ("ST-B", "NOPE"):
        body = {"username": "registrar.a", "password": "correct horse battery", "station": station}
        response = api.client.post("/auth/token", json=body)
        assert response.status_code == 422, station
        assert response.json()["field"] == "station"
    wrong_password = {"username": "registrar.a", "password": "x" * 12, "station": "ST-B"}
    assert api.client.post("/auth/token", json=wrong_password).status_code == 401
    # A national official may work at any station.
    assert api.sign_in("registrar", station="MT-B")


def test_a_station_that_leaves_the_scope_ends_the_session(api: Api) -> None:
    token = api.sign_in("registrar.a", station="ST-A")
    target = api.official_id("registrar.a")
    changed = api.client.patch(
        f"/officials/{target}",
        json={"scope_regions": ["11020"]},
        headers=api.headers("admin"),
    )
    assert changed.status_code == 200, changed.text
    assert api.client.get("/officials/me", headers=bearer(token)).status_code == 401


def test_a_monitor_follows_the_log_through_the_api(api: Api) -> None:
    source = HttpLogSource(api.client)
    _checkpoint(api)
    state = monitor_step(source, None)
    api.enrol()
    _checkpoint(api)
    grown = monitor_step(source, state)
    assert grown.size == state.size + 1
    forged = MonitorRecord(grown.vkey, grown.origin, grown.size, b"\x00" * 32, grown.note)
    with pytest.raises(ForkError):
        monitor_step(source, forged)


def test_the_http_source_reports_an_unreachable_or_failing_api(api: Api) -> None:
    source = HttpLogSource(api.client)
    with pytest.raises(InfrastructureError):
        source.checkpoint()  # no checkpoint yet: 404
