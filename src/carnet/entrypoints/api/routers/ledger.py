"""Transparency log endpoints: checkpoints, the verifier key, proofs and leaves.

Who may call what (docs/adr/0007-transparency-log-wiring.md):

* the latest checkpoint, the verifier key and inclusion and consistency proofs are
  public: they hold hashes only, and monitors, witnesses and residents' clients
  must reach them without an account;
* a leaf's bytes and decoded fields (action type, official id, roles, station,
  time, commitments) are for auditors (``ledger:read``): no personal data, but
  they show who worked when and where;
* signing a checkpoint on demand needs ``ledger:checkpoint`` (auditors and
  administrators); the worker signs one anyway within a minute of any leaf.

Hashes are standard base64, as in C2SP checkpoints.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from carnet.domain.officials import Permission, Principal
from carnet.entrypoints.api.deps import ContainerDep, require
from carnet.ledger.hashing import leaf_hash
from carnet.services import ledger

__all__ = ["router"]

router = APIRouter(prefix="/ledger", tags=["ledger"])

_MAX = (1 << 63) - 1
_NOTE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/plain": {}}, "description": "A C2SP signed note."}
}


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


class CheckpointPublic(BaseModel):
    """A signed checkpoint: the tree size, root hash and the signed note."""

    size: int
    root_hash: str
    note: str
    created_at: datetime


class InclusionProofPublic(BaseModel):
    """RFC 9162 §2.1.3 inclusion proof of leaf ``index`` in the tree of ``size``."""

    index: int
    size: int
    leaf_hash: str
    hashes: list[str]
    root_hash: str


class ConsistencyProofPublic(BaseModel):
    """RFC 9162 §2.1.4 consistency proof from the tree of ``first`` to that of ``second``."""

    first: int
    second: int
    hashes: list[str]
    first_root: str
    second_root: str


class LeafPublic(BaseModel):
    """A leaf's bytes and its decoded fields: no personal data, only commitments."""

    index: int
    leaf: str
    leaf_hash: str
    action_type: str
    official_id: str | None
    official_role: str
    station: str | None
    at: datetime
    subject_count: int
    subjects_root: str
    reason_commitment: str | None


@router.get("/key", response_class=PlainTextResponse, responses=_NOTE)
def verifier_key(container: ContainerDep) -> PlainTextResponse:
    """The log's note verifier key: ``<origin>+<key id>+<base64 Ed25519 key>``."""
    vkey = ledger.log_verifier_key(
        container.uow(),
        container.key_store(),
        origin=container.settings.log_origin,
        clock=container.clock,
    )
    return PlainTextResponse(vkey + "\n")


@router.get("/checkpoint", response_class=PlainTextResponse, responses=_NOTE)
def latest_checkpoint(container: ContainerDep) -> PlainTextResponse:
    """The latest signed checkpoint (C2SP tlog-checkpoint signed note)."""
    return PlainTextResponse(ledger.latest_checkpoint(container.uow()).note)


@router.post("/checkpoints")
def sign_checkpoint(
    container: ContainerDep,
    _principal: Annotated[Principal, Depends(require(Permission.LEDGER_CHECKPOINT))],
) -> CheckpointPublic:
    """Sign a checkpoint of the current log now (or return the latest if nothing changed)."""
    stored = container.checkpointer().tick()
    return CheckpointPublic(
        size=stored.size,
        root_hash=_b64(stored.root_hash),
        note=stored.note,
        created_at=stored.created_at,
    )


@router.get("/proofs/inclusion")
def inclusion_proof(
    container: ContainerDep,
    index: Annotated[int, Query(ge=0, le=_MAX)],
    size: Annotated[int, Query(ge=1, le=_MAX)],
) -> InclusionProofPublic:
    """Prove that leaf ``index`` is in the tree of ``size`` (e.g. a checkpoint's)."""
    proof = ledger.inclusion_proof(container.uow(), index, size)
    return InclusionProofPublic(
        index=proof.index,
        size=proof.size,
        leaf_hash=_b64(proof.leaf_hash),
        hashes=[_b64(h) for h in proof.hashes],
        root_hash=_b64(proof.root_hash),
    )


@router.get("/proofs/consistency")
def consistency_proof(
    container: ContainerDep,
    first: Annotated[int, Query(ge=1, le=_MAX)],
    second: Annotated[int, Query(ge=1, le=_MAX)],
) -> ConsistencyProofPublic:
    """Prove that the tree of ``first`` leaves is a prefix of the tree of ``second``."""
    proof = ledger.consistency_proof(container.uow(), first, second)
    return ConsistencyProofPublic(
        first=proof.first,
        second=proof.second,
        hashes=[_b64(h) for h in proof.hashes],
        first_root=_b64(proof.first_root),
        second_root=_b64(proof.second_root),
    )


@router.get("/leaves/{index}")
def leaf(
    container: ContainerDep,
    _principal: Annotated[Principal, Depends(require(Permission.LEDGER_READ))],
    index: Annotated[int, Path(ge=0, le=_MAX)],
) -> LeafPublic:
    """One leaf: its bytes and decoded fields (auditors)."""
    entry, fields = ledger.leaf_at(container.uow(), index)
    return LeafPublic(
        index=index,
        leaf=_b64(entry),
        leaf_hash=_b64(leaf_hash(entry)),
        action_type=fields.action_type,
        official_id=fields.official_id,
        official_role=fields.official_role,
        station=fields.station,
        at=fields.at,
        subject_count=fields.subject_count,
        subjects_root=_b64(fields.subjects_root),
        reason_commitment=None
        if fields.reason_commitment is None
        else _b64(fields.reason_commitment),
    )
