"""The log as use cases see it, over the in-memory unit of work and a fake key store.

Sealing (commitments, the leaf format), the actions the registry and accounts log,
checkpoints and proofs, the monitor's rule, and the audit's checks on an
in-memory source.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from carnet.credentials.signing import Algorithm
from carnet.domain.actions import (
    DEFAULT_READ_REASON,
    Action,
    ActionType,
    LeafFields,
    RecordKind,
    RecordRef,
    application_ref,
    canonical_bytes,
    change_ref,
    commitment,
    decode_leaf,
    document_ref,
    encode_leaf,
    official_ref,
    print_run_ref,
    proposal_ref,
    region_ref,
    resident_ref,
    station_ref,
    token_ref,
)
from carnet.domain.errors import (
    CheckpointError,
    ForkError,
    InfrastructureError,
    LedgerError,
    NotFoundError,
    ProofError,
    RollbackError,
    ValidationError,
)
from carnet.domain.officials import Role, Scope
from carnet.ledger.checkpoints import open_checkpoint
from carnet.ledger.hashing import leaf_hash, merkle_tree_hash
from carnet.ledger.keys import Ed25519NoteSigner
from carnet.ledger.proofs import verify_consistency, verify_inclusion
from carnet.services import auth, ledger, registry
from carnet.services.audit import (
    AuditReport,
    MonitorRecord,
    StoredLeaf,
    StoredSubject,
    UowLogSource,
    accept_checkpoint,
    monitor_step,
    verify,
)
from tests.factories import (
    COUNTY_A,
    TOWN_A,
    create_official,
    principal,
    resident_data,
    seeded_bytes,
)
from tests.fakes import FakePasswordHasher, InMemoryUnitOfWork

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from carnet.ledger.nodes import NodeId
    from carnet.services.ledger import LogKey, StoredCheckpoint
    from tests.fakes import FakeClock

pytestmark = pytest.mark.unit

REGISTRAR = principal(Role.REGISTRAR, national=True)
ORIGIN = "carnet.example/log"


# --------------------------------------------------------------------------- fakes


class _Signer:
    def __init__(self, key: Ed25519PrivateKey, kid: bytes) -> None:
        self._key = key
        self.kid = kid
        self.algorithm = Algorithm.EDDSA

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)


class FakeKeyStore:
    """Ed25519 keys in memory; ``lose`` forgets one, as a wiped key directory would."""

    def __init__(self) -> None:
        self.keys: dict[bytes, Ed25519PrivateKey] = {}
        self.labels: list[str] = []

    def create_key(self, label: str, algorithm: Algorithm) -> bytes:
        assert algorithm is Algorithm.EDDSA
        key = Ed25519PrivateKey.generate()
        der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        kid = hashlib.sha256(der).digest()[:8]
        self.keys[kid] = key
        self.labels.append(label)
        return kid

    def signer(self, kid: bytes) -> _Signer:
        if kid not in self.keys:
            raise NotFoundError("no such key")
        return _Signer(self.keys[kid], kid)

    def public_key_der(self, kid: bytes) -> bytes:
        return (
            self.keys[kid]
            .public_key()
            .public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        )

    def list_kids(self) -> list[bytes]:
        return list(self.keys)

    def lose(self, kid: bytes) -> None:
        del self.keys[kid]


@pytest.fixture
def keys() -> FakeKeyStore:
    return FakeKeyStore()


def _enrol(uow: InMemoryUnitOfWork, clock: FakeClock) -> str:
    resident = registry.enrol_resident(
        uow.fresh(),
        REGISTRAR,
        resident_data(region_code=TOWN_A),
        clock=clock,
        random_bytes=seeded_bytes(),
    )
    return resident.uin


def _leaves(uow: InMemoryUnitOfWork) -> list[LeafFields]:
    return [s.leaf for s in uow.store.ledger.leaves]


# --------------------------------------------------------------------------- sealing


def test_seal_commits_to_each_record_with_its_own_salt() -> None:
    refs = [
        RecordRef.of("resident", "r1", {"name": "Kim"}, 1),
        RecordRef.of("resident", "r2", {"name": "Lee"}, 3),
    ]
    action = Action(
        type=ActionType.SEARCH,
        official_id="o1",
        roles=("registrar", "approver"),
        station="ST-A",
        subjects=refs,
        reason="  planning   visit ",
    )
    sealed = ledger.seal(action, at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    salts = {s.salt for s in sealed.subjects}
    assert len(salts) == 2
    assert all(len(s) == 32 for s in salts)
    for ref, sub in zip(refs, sealed.subjects, strict=True):
        assert sub.commitment == hashlib.sha256(sub.salt + ref.content).digest()
        assert (sub.kind, sub.record_id, sub.version) == (ref.kind, ref.id, ref.version)
    assert sealed.reason == "planning visit"
    assert sealed.reason_salt is not None
    assert sealed.leaf.reason_commitment == commitment(sealed.reason_salt, b"planning visit")
    assert sealed.leaf.roles == ("approver", "registrar")
    assert sealed.leaf_hash == leaf_hash(sealed.entry)
    assert decode_leaf(sealed.entry) == sealed.leaf
    entries = [b"resident\x00" + s.commitment for s in sealed.subjects]
    assert sealed.leaf.subjects_root == merkle_tree_hash(entries)
    assert b"Kim" not in sealed.entry
    assert b"planning" not in sealed.entry


def test_the_same_action_sealed_twice_gives_unlinkable_leaves() -> None:
    action = Action.by(REGISTRAR, ActionType.READ, [RecordRef.of("resident", "r", {}, 1)])
    at = datetime(2026, 3, 2, tzinfo=UTC)
    first, second = ledger.seal(action, at=at), ledger.seal(action, at=at)
    assert first.entry != second.entry


def test_the_leaf_format_is_canonical_json() -> None:
    leaf = LeafFields(
        action_type="change",
        official_id="o1",
        roles=("registrar",),
        station=None,
        at=datetime(2026, 3, 2, 9, 30, 1, 5, tzinfo=UTC),
        subject_count=2,
        subjects_root=b"\x01" * 32,
        reason_commitment=None,
    )
    encoded = encode_leaf(leaf)
    assert encoded == (
        b'{"at":"2026-03-02T09:30:01.000005Z","official":"o1","reason":null,'
        b'"roles":["registrar"],"station":null,"subjects":{"count":2,'
        b'"root":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="},"type":"change","v":1}'
    )
    assert decode_leaf(encoded) == leaf
    assert leaf.official_role == "registrar"
    assert replace(leaf, official_id=None).official_role == "operator"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(v=2),
        lambda d: d.update(extra=1),
        lambda d: d.update(type="Bad Type"),
        lambda d: d.update(roles="registrar"),
        lambda d: d.update(subjects={"count": -1, "root": d["subjects"]["root"]}),
        lambda d: d.update(subjects={"count": True, "root": d["subjects"]["root"]}),
        lambda d: d.update(subjects={"count": 1}),
        lambda d: d.update(subjects={"count": 1, "root": "AAAA"}),
        lambda d: d.update(subjects={"count": 1, "root": "!!"}),
        lambda d: d.update(subjects={"count": 1, "root": 5}),
        lambda d: d.update(at="yesterday"),
        lambda d: d.update(official=5),
        lambda d: d.update(reason="short"),
    ],
)
def test_a_malformed_leaf_is_refused(mutate: object) -> None:
    sealed = ledger.seal(
        Action.by(REGISTRAR, ActionType.READ, reason="r"), at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    document = json.loads(sealed.entry)
    mutate(document)  # type: ignore[operator]
    with pytest.raises(LedgerError):
        decode_leaf(json.dumps(document, sort_keys=True, separators=(",", ":")).encode())


@pytest.mark.parametrize("data", [b"\xff", b"[1]", b"not json", b" {}"])
def test_bytes_that_are_no_leaf_are_refused(data: bytes) -> None:
    with pytest.raises(LedgerError):
        decode_leaf(data)


def test_a_non_canonical_encoding_of_a_valid_leaf_is_refused() -> None:
    sealed = ledger.seal(Action.by(None, ActionType.REFERENCE_LOAD), at=datetime.now(UTC))
    spaced = json.dumps(json.loads(sealed.entry), sort_keys=True).encode()
    with pytest.raises(LedgerError):
        decode_leaf(spaced)


def test_an_action_checks_its_reason_and_station() -> None:
    with pytest.raises(ValidationError):
        Action.by(REGISTRAR, ActionType.READ, reason="x" * 501)
    with pytest.raises(ValidationError):
        Action(type=ActionType.READ, official_id=None, station="스테이션")
    assert Action.by(REGISTRAR, ActionType.READ, reason="   ").reason is None
    operator = Action.by(None, ActionType.IMPORT)
    assert (operator.official_id, operator.roles, operator.station) == (None, (), None)


def test_canonical_bytes_are_stable_across_value_types() -> None:
    values = {
        "when": datetime(2026, 3, 2, 18, 0, tzinfo=UTC) + timedelta(hours=0),
        "day": datetime(2026, 3, 2, tzinfo=UTC).date(),
        "codes": frozenset({"b", "a"}),
        "pair": ("x", None),
        "lat": 37.5,
        "role": Role.AUDITOR,
        "nested": {"k": [1, 2]},
        "other": object.__new__(type("Thing", (), {"__str__": lambda _self: "thing"})),
    }
    text = canonical_bytes("kind", "id", 2, values).decode()
    assert '"when":"2026-03-02T18:00:00.000000Z"' in text
    assert '"day":"2026-03-02"' in text
    assert '"codes":["a","b"]' in text
    assert '"lat":"37.5"' in text
    assert '"role":"auditor"' in text
    assert '"other":"thing"' in text
    with pytest.raises(ValidationError):
        canonical_bytes("kind", "id", None, {"naive": datetime(2026, 1, 1)})  # noqa: DTZ001


def test_record_refs_cover_every_kind(memory_uow: InMemoryUnitOfWork, clock: FakeClock) -> None:
    uin = _enrol(memory_uow, clock)
    with memory_uow.fresh() as uow:
        resident = uow.residents.get_by_uin(uin)
        region = uow.regions.get(TOWN_A)
        station = uow.stations.get("ST-A")
    assert resident is not None
    assert region is not None
    assert station is not None
    kinds = {
        resident_ref(resident).kind,
        region_ref(region).kind,
        station_ref(station).kind,
        token_ref("h" * 64, "o", clock.now(), clock.now(), None).kind,
    }
    assert kinds == {"resident", "region", "station", "auth_token"}


# --------------------------------------------------------------------------- use cases


def test_registry_use_cases_each_append_one_leaf(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    before = len(memory_uow.store.ledger.leaves)
    uin = _enrol(memory_uow, clock)
    registry.update_resident(
        memory_uow.fresh(),
        REGISTRAR,
        uin,
        {"address": "새주소"},
        reason="moved",
        expected_version=1,
        clock=clock,
    )
    registry.get_resident(memory_uow.fresh(), REGISTRAR, uin)
    registry.resident_history(memory_uow.fresh(), REGISTRAR, uin, reason="audit request")
    registry.search_residents(memory_uow.fresh(), REGISTRAR, uin=uin)
    registry.search_residents(memory_uow.fresh(), REGISTRAR, family_name="nobody")
    types = [leaf.action_type for leaf in _leaves(memory_uow)[before:]]
    assert types == ["enrolment", "change", "read", "history", "search", "search"]
    counts = [leaf.subject_count for leaf in _leaves(memory_uow)[before:]]
    assert counts == [1, 2, 1, 1, 1, 0]
    with memory_uow.fresh() as uow:
        resident = uow.residents.get_by_uin(uin)
        assert resident is not None
        actions = uow.ledger.actions_on(RecordKind.RESIDENT, resident.id)
        changes = uow.ledger.actions_on(RecordKind.RESIDENT_CHANGE, f"{resident.id}/2")
    assert [a.reason for a in actions] == [
        None,
        "moved",
        DEFAULT_READ_REASON,
        "audit request",
        "search",
    ]
    assert [a.action_type for a in changes] == ["change"]


def test_a_failed_read_logs_nothing(memory_uow: InMemoryUnitOfWork) -> None:
    before = len(memory_uow.store.ledger.leaves)
    with pytest.raises(NotFoundError):
        registry.get_resident(memory_uow.fresh(), REGISTRAR, "370473083690")
    assert len(memory_uow.store.ledger.leaves) == before


def test_account_actions_are_logged_with_the_station(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, fake_hasher: FakePasswordHasher
) -> None:
    official = create_official(
        memory_uow.fresh(),
        fake_hasher,
        clock,
        username="clerk.a",
        roles=("registrar",),
        scope=Scope(regions=frozenset({COUNTY_A})),
    )
    issued = auth.login(
        memory_uow.fresh(),
        fake_hasher,
        username="clerk.a",
        password="correct horse battery",
        totp_code=None,
        clock=clock,
        lifetime=timedelta(minutes=5),
        station="ST-A",
    )
    who = auth.authenticate(memory_uow.fresh(), issued.token, clock=clock)
    assert who.station_code == "ST-A"
    auth.logout(memory_uow.fresh(), issued.token, clock=clock)
    auth.logout(memory_uow.fresh(), issued.token, clock=clock)  # already revoked: no leaf
    tail = _leaves(memory_uow)[-3:]
    assert [leaf.action_type for leaf in tail] == ["official_creation", "sign_in", "sign_out"]
    assert [leaf.station for leaf in tail] == [None, "ST-A", "ST-A"]
    assert {leaf.official_id for leaf in tail[1:]} == {official.id}
    with pytest.raises(ValidationError):
        auth.login(
            memory_uow.fresh(),
            fake_hasher,
            username="clerk.a",
            password="correct horse battery",
            totp_code=None,
            clock=clock,
            lifetime=timedelta(minutes=5),
            station="ST-B",
        )
    assert official_ref(official).kind == "official"


def test_a_password_rehash_at_sign_in_commits_to_the_account(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    class Rehashing(FakePasswordHasher):
        def needs_rehash(self, encoded: str) -> bool:
            del encoded
            return True

    create_official(
        memory_uow.fresh(),
        FakePasswordHasher(),
        clock,
        username="clerk.r",
        roles=("auditor",),
        scope=Scope(national=True),
    )
    auth.login(
        memory_uow.fresh(),
        Rehashing(),
        username="clerk.r",
        password="correct horse battery",
        totp_code=None,
        clock=clock,
        lifetime=timedelta(minutes=5),
    )
    sealed = memory_uow.store.ledger.leaves[-1]
    assert [s.kind for s in sealed.subjects] == ["auth_token", "official"]


# --------------------------------------------------------------------------- checkpoints


def _issue(uow: InMemoryUnitOfWork, keys: FakeKeyStore, clock: FakeClock) -> StoredCheckpoint:
    return ledger.issue_checkpoint(uow.fresh(), keys, origin=ORIGIN, clock=clock)


def test_a_checkpoint_signs_the_tree_head_with_a_key_made_on_first_use(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, keys: FakeKeyStore
) -> None:
    first = _issue(memory_uow, keys, clock)
    assert len(keys.keys) == 1
    assert keys.labels[0].startswith("log-")
    with memory_uow.fresh() as uow:
        head = uow.ledger.head()
        (key,) = uow.ledger.log_keys()
    checkpoint = open_checkpoint(first.note, origin=ORIGIN, verifiers=[ledger.log_verifier(key)])
    assert (checkpoint.size, checkpoint.root_hash) == (head.size, head.root_hash)
    assert _issue(memory_uow, keys, clock) == first  # nothing new to sign
    _enrol(memory_uow, clock)
    second = _issue(memory_uow, keys, clock)
    assert second.size == first.size + 1
    assert len(keys.keys) == 1
    vkey = ledger.log_verifier_key(memory_uow.fresh(), keys, origin=ORIGIN, clock=clock)
    assert vkey == ledger.log_verifier(key).vkey


def test_a_new_origin_gets_its_own_key(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, keys: FakeKeyStore
) -> None:
    _issue(memory_uow, keys, clock)
    other = ledger.issue_checkpoint(
        memory_uow.fresh(), keys, origin="other.example/log", clock=clock
    )
    assert other.note.startswith("other.example/log\n")
    assert len(keys.keys) == 2


def test_a_lost_log_key_fails_loudly(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, keys: FakeKeyStore
) -> None:
    _issue(memory_uow, keys, clock)
    keys.lose(next(iter(keys.keys)))
    _enrol(memory_uow, clock)
    with pytest.raises(InfrastructureError):
        _issue(memory_uow, keys, clock)


def test_a_key_that_is_not_ed25519_is_refused(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    class NotEd25519(FakeKeyStore):
        def public_key_der(self, kid: bytes) -> bytes:
            del kid
            return b"\x30" * 44

    with pytest.raises(InfrastructureError):
        _issue(memory_uow, NotEd25519(), clock)


def test_the_checkpointer_ticks_until_stopped(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, keys: FakeKeyStore
) -> None:
    worker = ledger.Checkpointer(memory_uow.fresh, keys, origin=ORIGIN, clock=clock)
    stop = threading.Event()
    stop.set()
    worker.run(0.01, stop)  # one tick, then the set event ends it
    assert memory_uow.store.ledger.checkpoints

    class Broken(FakeKeyStore):
        def create_key(self, label: str, algorithm: Algorithm) -> bytes:
            del label, algorithm
            raise InfrastructureError("the key store is down")

    failing = ledger.Checkpointer(InMemoryUnitOfWork, Broken(), origin=ORIGIN, clock=clock)
    failing.run(0.01, stop)  # logged, not raised


def test_no_checkpoint_yet_is_not_found(memory_uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(NotFoundError):
        ledger.latest_checkpoint(memory_uow.fresh())


def test_proofs_verify_and_reach_only_the_stored_log(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    for _ in range(5):
        _enrol(memory_uow, clock)
    entries = [s.entry for s in memory_uow.store.ledger.leaves]
    size = len(entries)
    root = merkle_tree_hash(entries)
    for index in range(size):
        proof = ledger.inclusion_proof(memory_uow.fresh(), index, size)
        verify_inclusion(leaf_hash(entries[index]), index, size, proof.hashes, root)
    c = ledger.consistency_proof(memory_uow.fresh(), 3, size)
    verify_consistency(3, size, c.hashes, merkle_tree_hash(entries[:3]), root)
    with pytest.raises(ProofError):
        ledger.inclusion_proof(memory_uow.fresh(), 0, size + 1)
    entry, fields = ledger.leaf_at(memory_uow.fresh(), 0)
    assert entry == entries[0]
    assert fields == decode_leaf(entry)
    for index in (-1, size):
        with pytest.raises(NotFoundError):
            ledger.leaf_at(memory_uow.fresh(), index)


# --------------------------------------------------------------------------- monitor


@dataclass
class FakeLog:
    """A log source whose answers the test controls."""

    uow: InMemoryUnitOfWork
    keys: FakeKeyStore
    clock: FakeClock
    proofs: list[tuple[int, int]] = field(default_factory=list)

    def checkpoint(self) -> str:
        return ledger.issue_checkpoint(
            self.uow.fresh(), self.keys, origin=ORIGIN, clock=self.clock
        ).note

    def consistency(self, first: int, second: int) -> list[bytes]:
        self.proofs.append((first, second))
        return ledger.consistency_proof(self.uow.fresh(), first, second).hashes

    def verifier_key(self) -> str:
        return ledger.log_verifier_key(self.uow.fresh(), self.keys, origin=ORIGIN, clock=self.clock)


def test_the_monitor_trusts_on_first_use_then_follows_by_proofs(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, keys: FakeKeyStore
) -> None:
    log = FakeLog(memory_uow, keys, clock)
    _enrol(memory_uow, clock)
    state = monitor_step(log, None)
    assert state.size == 10  # 9 reference leaves and the enrolment
    assert monitor_step(log, state) == state
    _enrol(memory_uow, clock)
    _enrol(memory_uow, clock)
    grown = monitor_step(log, state)
    assert grown.size == 12
    assert log.proofs == [(10, 12)]
    assert MonitorRecord.from_json(grown.to_json()) == grown


def test_the_monitor_refuses_a_rollback_a_fork_and_a_foreign_key(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, keys: FakeKeyStore
) -> None:
    log = FakeLog(memory_uow, keys, clock)
    state = monitor_step(log, None)
    later = replace(state, size=state.size + 5)
    with pytest.raises(RollbackError):
        monitor_step(log, later)
    forked = replace(state, root_hash=b"\x00" * 32)
    with pytest.raises(ForkError):
        monitor_step(log, forked)
    _enrol(memory_uow, clock)
    with pytest.raises(ForkError):
        monitor_step(log, forked)  # a proof from the forged root cannot verify
    other = Ed25519NoteSigner.from_private_key(ORIGIN, Ed25519PrivateKey.generate())
    with pytest.raises(CheckpointError):
        accept_checkpoint(log, None, log.checkpoint(), vkey=other.verifier().vkey)


def test_a_malformed_monitor_state_is_refused() -> None:
    for text in (
        "{}",
        "not json",
        json.dumps({"vkey": "v", "origin": "o", "size": 1, "root_hash": "AAAA", "note": "n"}),
    ):
        with pytest.raises(CheckpointError):
            MonitorRecord.from_json(text)


def test_the_database_source_needs_a_key(memory_uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(NotFoundError):
        UowLogSource(memory_uow.fresh).verifier_key()


# --------------------------------------------------------------------------- audit


class MemoryAuditSource:
    """An :class:`AuditSource` over the in-memory store: the audit's logic without SQL."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self.store = uow.store
        self.leaves_list = [
            StoredLeaf(i, s.entry, s.reason, s.reason_salt)
            for i, s in enumerate(uow.store.ledger.leaves)
        ]
        self.subject_list = [
            StoredSubject(i, p, sub.kind, sub.record_id, sub.version, sub.salt, sub.commitment)
            for i, s in enumerate(uow.store.ledger.leaves)
            for p, sub in enumerate(s.subjects)
        ]

    def head(self) -> tuple[int, bytes]:
        frontier = self.store.ledger.frontier
        return frontier.size, b"".join(frontier.hashes)

    def leaves(self) -> Iterator[StoredLeaf]:
        yield from self.leaves_list

    def subjects(self) -> Iterator[StoredSubject]:
        yield from self.subject_list

    def find_nodes(self, ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
        nodes = self.store.ledger.nodes._nodes
        return {n: nodes[n] for n in ids if n in nodes}

    def node_count(self) -> int:
        return len(self.store.ledger.nodes)

    def checkpoints(self) -> list[StoredCheckpoint]:
        return list(self.store.ledger.checkpoints)

    def log_keys(self) -> list[LogKey]:
        return list(self.store.ledger.keys)

    def _refs(self, kind: RecordKind) -> list[RecordRef]:
        s = self.store
        return {
            RecordKind.RESIDENT: lambda: [resident_ref(r) for r in s.residents.values()],
            RecordKind.RESIDENT_CHANGE: lambda: [change_ref(c) for c in s.changes],
            RecordKind.OFFICIAL: lambda: [official_ref(o) for o in s.officials.values()],
            RecordKind.AUTH_TOKEN: lambda: [
                token_ref(t.token_hash, t.official_id, t.issued_at, t.expires_at, t.station_code)
                for t in s.tokens.values()
            ],
            RecordKind.REGION: lambda: [region_ref(r) for r in s.regions.values()],
            RecordKind.STATION: lambda: [station_ref(st) for st in s.stations.values()],
            RecordKind.PROPOSAL: lambda: [proposal_ref(p) for p in s.proposals.values()],
            RecordKind.APPLICATION: lambda: [application_ref(a) for a in s.applications.values()],
            RecordKind.DOCUMENT: lambda: [document_ref(d) for d in s.documents.values()],
            RecordKind.PRINT_RUN: lambda: [
                print_run_ref(r.id, r.station_code, r.document_ids, r.pdf_sha256)
                for r in s.print_runs.values()
            ],
        }[kind]()

    def record_batches(self, kind: RecordKind) -> Iterator[list[RecordRef]]:
        refs = self._refs(kind)
        for i in range(0, len(refs), 2):
            yield refs[i : i + 2]

    def refs_for(self, kind: RecordKind, record_ids: Sequence[str]) -> list[StoredSubject]:
        return [s for s in self.subject_list if s.kind == kind.value and s.record_id in record_ids]

    def orphan_refs(self, kind: RecordKind) -> list[str]:
        present = {r.id for r in self._refs(kind)}
        return sorted({s.record_id for s in self.subject_list if s.kind == kind.value} - present)


def _audited(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, keys: FakeKeyStore
) -> tuple[MemoryAuditSource, AuditReport]:
    uin = _enrol(memory_uow, clock)
    registry.update_resident(
        memory_uow.fresh(),
        REGISTRAR,
        uin,
        {"address": "새"},
        reason="m",
        expected_version=1,
        clock=clock,
    )
    registry.get_resident(memory_uow.fresh(), REGISTRAR, uin, reason="why")
    _issue(memory_uow, keys, clock)
    source = MemoryAuditSource(memory_uow)
    return source, verify(source)


def test_the_audit_of_a_clean_log_finds_nothing(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, keys: FakeKeyStore
) -> None:
    _, report = _audited(memory_uow, clock, keys)
    assert report.ok, report.findings
    assert (report.leaves, report.checkpoints) == (12, 1)


def test_the_audit_checks_reasons_subjects_and_checkpoints(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, keys: FakeKeyStore
) -> None:
    source, _ = _audited(memory_uow, clock, keys)
    last = source.leaves_list[-1]
    source.leaves_list[-1] = replace(last, reason="another reason")
    source.leaves_list[0] = replace(source.leaves_list[0], reason="a reason it never had")
    source.subject_list.pop()
    source.subject_list.append(
        StoredSubject(999, 0, "resident", "ghost", 1, b"\x00" * 32, b"\x00" * 32)
    )
    checkpoint = source.store.ledger.checkpoints[0]
    source.store.ledger.checkpoints.append(replace(checkpoint, key_kid=b"\x01" * 8))
    source.store.ledger.checkpoints.append(replace(checkpoint, size=checkpoint.size - 1))
    findings = {(f.where, f.what.split(" (")[0]) for f in verify(source).findings}
    assert ("leaf 11", "commits to 1 records, 0 stored") in findings
    assert ("leaf 11", "the stored reason does not match the leaf's commitment") in findings
    assert ("leaf 0", "a reason is stored but the leaf commits to none") in findings
    assert ("leaf 999", "subject rows beyond the last stored leaf") in findings
    assert ("checkpoint #2 (size 12)", "signed by a key the log does not know") in findings
    assert (
        "checkpoint #3 (size 11)",
        "the stored size or root differs from the signed note",
    ) in findings
    assert ("resident ghost", "a leaf records it but the row is gone") in findings
    assert str(verify(source).findings[0]).count(": ") >= 1


def test_the_audit_finds_leaves_out_of_order_and_nodes_missing(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, keys: FakeKeyStore
) -> None:
    source, _ = _audited(memory_uow, clock, keys)
    source.leaves_list.insert(3, source.leaves_list[2])
    source.store.ledger.nodes._nodes.pop(next(iter(source.store.ledger.nodes._nodes)))
    wheres = {f.where for f in verify(source).findings}
    assert "leaf 3" in wheres
    assert "node table" in wheres
    assert any(w.startswith("node (") for w in wheres)
