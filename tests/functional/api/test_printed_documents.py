"""The printed document is the real thing: scan it, verify it offline, audit its history.

Each document type goes through the API to a print run; the run's PDF is
rasterised (pypdfium2), its QR code decoded (zxing-cpp) and verified offline
against a checkpoint bundle; the MRZ read from the PDF's text passes its check
digits and names the document. Afterwards ``audit verify`` finds the log and
every application, document and print run consistent, and finds a document row
changed behind the log's back.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy import update

from carnet.adapters.db.audit import SqlAlchemyAuditSource
from carnet.adapters.db.tables import DocumentRow
from carnet.credentials.mrz import parse_mrz
from carnet.credentials.qr import read_qr
from carnet.services import audit
from tests.factories import COUNTY_A
from tests.functional.api.documents_support import Desk, Staff, open_desk, zone_permit_attributes

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.fakes import FakeClock

pytestmark = pytest.mark.functional

_MRZ_LINE = re.compile(r"(?<![A-Z0-9<])(?:[A-Z0-9<]{44}|[A-Z0-9<]{30})(?![A-Z0-9<])")


@pytest.fixture
def desk(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Desk]:
    yield from open_desk(database_url, tmp_path, clock)


@pytest.fixture
def staff(desk: Desk) -> Staff:
    return desk.hire_staff()


CASES = [
    pytest.param("national_id_card", {}, None, "boarding", 2, id="national-id"),
    pytest.param("residence_certificate", {"zone": COUNTY_A}, None, "identity_check", 2, id="rc"),
    pytest.param("zone_permit", zone_permit_attributes(), None, "identity_check", 2, id="permit"),
    pytest.param("passport", {}, "RCPT-1", "boarding", 1, id="passport"),
]


@pytest.mark.parametrize(("document_type", "attributes", "receipt", "purpose", "pages"), CASES)
def test_the_printed_document_scans_verifies_and_carries_a_valid_mrz(
    *,
    desk: Desk,
    staff: Staff,
    document_type: str,
    attributes: dict[str, Any],
    receipt: str | None,
    purpose: str,
    pages: int,
) -> None:
    uin = desk.enrol()
    extra = {"fee_receipt": receipt} if receipt else {}
    created = desk.apply(staff["registrar"], uin, document_type, attributes, **extra)
    assert created.status_code == 201, created.text
    answer = desk.approve(staff["approver"], created.json()["id"])
    if answer["state"] != "issued":
        answer = desk.approve(staff["approver2"], created.json()["id"])
    document = desk.document(answer["document_id"])

    run = desk.print_run(staff["issuer"])
    pdf = desk.client.get(f"/print-runs/{run['id']}/pdf", headers=staff["issuer"])
    assert pdf.status_code == 200
    rendered = pdfium.PdfDocument(pdf.content)
    try:
        assert len(rendered) == pages
        qr_page = rendered[pages - 1]  # the card's back, or the passport's only page
        image = qr_page.render(scale=300 / 72).to_pil()
        text = "\n".join(rendered[i].get_textpage().get_text_range() for i in range(pages))
    finally:
        rendered.close()

    scanned = read_qr(image)
    assert scanned == document.qr_text
    if document.valid_from > desk.clock.now():  # a permit for dates ahead: check then
        desk.clock.advance(seconds=(document.valid_from - desk.clock.now()).total_seconds() + 60)
    verdict = desk.checkpoint_verdict(document.id, purpose)
    assert verdict.result == "valid", verdict.reasons

    lines = [m.group(0) for m in _MRZ_LINE.finditer(text.replace("\r", ""))]
    parsed = parse_mrz("\n".join(lines))  # raises unless every check digit is right
    assert parsed.document_number == document.document_number
    assert tuple(lines) == document.mrz


def test_the_audit_checks_every_document_record_and_finds_tampering(
    desk: Desk, staff: Staff
) -> None:
    uin = desk.enrol()
    document_id = desk.collected(staff, uin)
    with SqlAlchemyAuditSource.open(desk.box.engine) as source:
        clean = audit.verify(source)
    assert clean.ok, [str(f) for f in clean.findings]
    assert clean.records > 0

    with desk.box.engine.begin() as conn:  # a change the log never saw
        conn.execute(update(DocumentRow).where(DocumentRow.id == document_id).values(state="ready"))
    with SqlAlchemyAuditSource.open(desk.box.engine) as source:
        tampered = audit.verify(source)
    assert [f.where for f in tampered.findings] == [f"document {document_id}"]
