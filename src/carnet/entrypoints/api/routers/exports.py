"""Exports of registry data under the two-person rule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Depends, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from carnet.domain.officials import Permission, Principal
from carnet.entrypoints.api.deps import ContainerDep, require
from carnet.entrypoints.api.schemas import Decision, ProposalPublic
from carnet.services import exports, two_person

__all__ = ["router"]

router = APIRouter(prefix="/exports", tags=["exports"])


class ExportCreate(BaseModel):
    """Propose exporting a region's residents, with a reason."""

    model_config = ConfigDict(extra="forbid")
    region_code: str = Field(max_length=10)
    reason: str = Field(min_length=1, max_length=500)


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    """Stream a file and close it when the response ends (or is abandoned)."""
    with handle:
        yield from iter(lambda: handle.read(64 * 1024), b"")


@router.post("", status_code=status.HTTP_201_CREATED)
def propose_export(
    body: ExportCreate,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.RESIDENT_EXPORT))],
) -> ProposalPublic:
    """Propose an export; a second official must confirm it before any file is written."""
    proposal = exports.propose_export(
        container.uow(),
        principal,
        container.exports(),
        region_code=body.region_code,
        reason=body.reason,
        clock=container.clock,
    )
    return ProposalPublic.of(proposal)


@router.post("/{proposal_id}/decision")
def decide_export(
    proposal_id: str,
    body: Decision,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.RESIDENT_EXPORT))],
) -> ProposalPublic:
    """Confirm (the file is written now) or reject an export proposed by someone else."""
    proposal = two_person.decide(
        container.uow(),
        principal,
        exports.export_action(container.exports()),
        proposal_id,
        confirm=body.confirm,
        reason=body.reason,
        clock=container.clock,
    )
    return ProposalPublic.of(proposal)


@router.get("/{proposal_id}/file")
def download_export(
    proposal_id: str,
    container: ContainerDep,
    principal: Annotated[Principal, Depends(require(Permission.RESIDENT_EXPORT))],
) -> StreamingResponse:
    """The CSV of a confirmed export, for its two officials only."""
    handle = exports.open_export(container.uow(), principal, container.exports(), proposal_id)
    return StreamingResponse(
        _chunks(handle),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="export-{proposal_id}.csv"'},
    )
