"""``carnet login|logout|applications|documents`` through Typer's runner, on SQLite and PostgreSQL.

Every official step runs as the official signed in with ``carnet login``, so the
roles, scope, four-eyes and two-person rules are the API's. Each state-changing
command is checked to append its number of log leaves.
"""

from __future__ import annotations

import logging
import stat
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pyotp
import pytest
from cryptography import x509
from sqlalchemy import select, update

from carnet.adapters.db.migrate import upgrade
from carnet.adapters.db.tables import ApplicationRow, AuthTokenRow, DocumentRow, ResidentRow
from carnet.bootstrap import bootstrap
from carnet.config import Settings
from carnet.credentials.bundle import parse_bundle
from carnet.credentials.statuslist import Status
from carnet.domain.officials import Principal, Scope
from carnet.entrypoints.cli.demo import DEMO_RESIDENT_REF, registrar_station
from carnet.entrypoints.cli.sweeps import start_sweeper_thread
from carnet.services import auth
from carnet.services.catalogue import default_catalogue_text
from carnet.services.issuance import status_uri
from tests.factories import TOWN_B, principal_of
from tests.functional.cli.documents_support import (
    PASSWORD,
    Desk,
    days_from_today,
    first_id,
    open_desk,
    point_cli,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [pytest.mark.functional]


@pytest.fixture
def desk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Iterator[Desk]:
    yield from open_desk(monkeypatch, tmp_path, database_url)


def _status(desk: Desk, document_id: str) -> Status:
    """The document's entry in a freshly exported and verified checkpoint bundle."""
    path = desk.home / "checkpoint.bundle"
    desk.run("bundle", "export", "--out", str(path), leaves=0)
    root = x509.load_pem_x509_certificate((desk.home / "issuer" / "root.pem").read_bytes())
    now = datetime.now(UTC)
    bundle = parse_bundle(path.read_bytes(), root, now)
    document = desk.document(document_id)
    uri = status_uri(desk.box.settings.status_base_uri, document.status_list_id)
    return bundle.status.status_of(uri, document.status_idx, now)


# ------------------------------------------------------------------ the whole path


def _enter_all_four(desk: Desk, uin: str) -> dict[str, str]:
    """As registrar.a at ST-A: one application of each type; the passport's fee paid."""
    desk.login("registrar.a", "ST-A")
    entered = {
        "national_id_card": desk.submit(uin, "national_id_card"),
        "residence_certificate": desk.submit(uin, "residence_certificate", "zone=11010"),
        "zone_permit": desk.submit(
            uin,
            "zone_permit",
            f"zone={TOWN_B}",
            f"entry_from={days_from_today(0)}",
            f"entry_until={days_from_today(30)}",
            "purpose=family visit",
        ),
        "passport": desk.submit(uin, "passport"),
    }
    queue = desk.run("applications", "list", leaves=0).stdout
    assert all(a in queue for a in entered.values())
    assert "due" in queue  # the passport's fee
    desk.run("applications", "fee", entered["passport"], "--receipt", "RCPT-1", leaves=1)
    shown = desk.run("applications", "show", entered["zone_permit"], leaves=0).stdout
    assert "attribute purpose" in shown
    assert "family visit" in shown
    return entered


def _approve_all(desk: Desk, entered: dict[str, str]) -> dict[str, str]:
    """Two approvers decide; return the issued documents by type."""
    desk.login("approver.one")
    documents = {t: desk.approve(a) for t, a in entered.items()}
    assert documents["zone_permit"] is None  # two approvals needed
    assert documents["passport"] is None
    again = desk.run(
        "applications", "approve", entered["passport"], "--reason", "again", code=5, leaves=0
    )
    assert "four_eyes" in again.stderr
    desk.login("approver.two")
    documents["zone_permit"] = desk.approve(entered["zone_permit"])
    documents["passport"] = desk.approve(entered["passport"])
    since, until = days_from_today(-1), days_from_today(0)
    report = desk.run("applications", "report", "--since", since, "--until", until, leaves=0)
    assert "ST-A" in report.stdout
    assert "passport" in report.stdout
    issued = {t: d for t, d in documents.items() if d is not None}
    assert len(issued) == 4
    return issued


def _print_and_dispatch_all(desk: Desk) -> None:
    pdf = desk.home / "prints" / "run.pdf"
    desk.login("issuer.a")
    printed = desk.run("documents", "print-run", "ST-A", "--out", str(pdf), leaves=1).stdout
    assert "4 documents" in printed
    assert pdf.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(pdf.stat().st_mode) == 0o600
    run_id = first_id("print run", printed)
    again_pdf = desk.home / "again.pdf"
    desk.run(
        "documents", "print-pdf", run_id, "--out", str(again_pdf), leaves=1
    )  # a read of every document in it
    assert again_pdf.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(again_pdf.stat().st_mode) == 0o600
    dispatched = desk.run("documents", "dispatch", run_id, leaves=1).stdout
    assert "dispatched 4 documents" in dispatched


def _receive_and_collect(desk: Desk, issued: dict[str, str], uin: str) -> None:
    desk.login("registrar.a", "ST-A")
    for document in issued.values():
        desk.run("documents", "receive", document, leaves=1)
    waiting = desk.run("documents", "awaiting", "ST-A", leaves=1).stdout.splitlines()
    assert waiting[0].split() == ["ID", "NUMBER", "TYPE", "DAYS"]
    assert len(waiting) == 5
    assert all(line.split()[-1] == "0" for line in waiting[1:])
    for document in issued.values():
        out = desk.run(
            "documents", "collect", document, "--check", "photo_match", "--uin", uin, leaves=1
        ).stdout
        assert out == f"document {document} collected\n"


def test_every_document_type_goes_from_application_to_collection(desk: Desk) -> None:
    uin = desk.residents[0]
    issued = _approve_all(desk, _enter_all_four(desk, uin))
    _print_and_dispatch_all(desk)
    _receive_and_collect(desk, issued, uin)

    listing = desk.run("documents", "list", "--uin", uin, leaves=1).stdout
    assert listing.count("collected") == 4
    assert uin not in listing
    chain = desk.run("documents", "custody", issued["passport"], leaves=1).stdout
    assert [line.split()[3] for line in chain.splitlines()[1:]] == [
        "dispatch",
        "receive",
        "collect",
    ]
    shown = desk.run("documents", "show", issued["passport"], leaves=1).stdout
    assert "collected" in shown
    assert desk.document(issued["passport"]).document_number in shown
    with desk.box.uow() as uow:  # "ready for collection" notices went to the outbox
        assert uow.outbox.due(datetime.now(UTC) + timedelta(minutes=1), 50)


def test_a_wrong_uin_or_check_at_collection_is_refused_without_echoing_it(desk: Desk) -> None:
    document = desk.make_ready(desk.residents[0])
    wrong = desk.residents[1]
    refused = desk.run(
        "documents", "collect", document, "--check", "photo_match", "--uin", wrong, code=2
    )
    assert wrong not in refused.output
    assert "[presented_uin]" in refused.stderr
    desk.run("documents", "collect", document, "--check", "hunch", "--uin", wrong, code=2, leaves=0)
    assert desk.document(document).state.value == "ready"


def test_submit_refuses_bad_attributes_without_echoing_the_uin(desk: Desk) -> None:
    uin = desk.residents[0]
    desk.login("registrar.a", "ST-A")
    base = ("applications", "submit", "--uin", uin, "--station", "ST-A")
    bad = desk.run(*base, "--type", "zone_permit", "--attr", "zone", code=2, leaves=0)
    assert "[attr]" in bad.stderr
    missing = desk.run(*base, "--type", "zone_permit", "--attr", "zone=11010", code=2, leaves=0)
    assert uin not in missing.output
    unknown = desk.run(*base, "--type", "library_card", code=2, leaves=0)
    assert uin not in unknown.output
    desk.login("registrar.b")
    outside = desk.run(*base, "--type", "national_id_card", code=3, leaves=0)
    assert uin not in outside.output


# ------------------------------------------------------------ two-person rules


def test_revocation_needs_a_second_official_and_reaches_the_bundle(desk: Desk) -> None:
    document = desk.issue(desk.residents[0])
    assert _status(desk, document) is Status.VALID

    desk.login("approver.one")
    out = desk.run("documents", "revoke", document, "--reason", "issued in error", leaves=1)
    proposal = first_id("proposal", out.stdout)
    same = desk.run(
        "documents",
        "decide-revocation",
        proposal,
        "--confirm",
        "--reason",
        "mine",
        code=5,
        leaves=0,
    )
    assert "permission_denied" in same.stderr
    desk.login("registrar.a", "ST-A")  # registrars may not revoke
    desk.run(
        "documents", "decide-revocation", proposal, "--confirm", "--reason", "x", code=5, leaves=0
    )
    desk.login("approver.two")
    decided = desk.run(
        "documents", "decide-revocation", proposal, "--confirm", "--reason", "agreed", leaves=1
    )
    assert f"proposal {proposal} confirmed" in decided.stdout
    assert desk.document(document).state.value == "revoked"
    assert _status(desk, document) is Status.INVALID


def test_a_rejected_revocation_leaves_the_document_valid(desk: Desk) -> None:
    document = desk.issue(desk.residents[0])
    desk.login("approver.one")
    proposal = first_id(
        "proposal", desk.run("documents", "revoke", document, "--reason", "doubt").stdout
    )
    desk.login("approver.two")
    decided = desk.run(
        "documents", "decide-revocation", proposal, "--reject", "--reason", "no grounds", leaves=1
    )
    assert f"proposal {proposal} rejected" in decided.stdout
    assert desk.document(document).state.value == "issued"


def test_a_reprint_needs_a_second_issuer_and_makes_a_new_run(desk: Desk) -> None:
    document = desk.issue(desk.residents[0])
    desk.login("issuer.a")
    desk.run("documents", "print-run", "ST-A", "--out", str(desk.home / "a.pdf"), leaves=1)
    out = desk.run("documents", "reprint", document, "--reason", "smudged", leaves=1)
    proposal = first_id("proposal", out.stdout)
    desk.run(
        "documents", "decide-reprint", proposal, "--confirm", "--reason", "ok", code=5, leaves=0
    )
    desk.login("issuer.two")
    decided = desk.run(
        "documents", "decide-reprint", proposal, "--confirm", "--reason", "seen it", leaves=1
    )
    run_id = first_id("print run", decided.stdout)
    reprinted = desk.home / "reprint.pdf"
    desk.run(
        "documents", "print-pdf", run_id, "--out", str(reprinted), leaves=1
    )  # a read of every document in it
    assert reprinted.read_bytes().startswith(b"%PDF")
    assert desk.document(document).prints == 2


def test_loss_and_transfer(desk: Desk) -> None:
    moved = desk.make_ready(desk.residents[0])
    out = desk.run("documents", "transfer", moved, "--to", "ST-B", "--reason", "moved", leaves=1)
    assert out.stdout == f"document {moved} in transit to ST-B\n"
    stolen = desk.make_ready(desk.residents[1])
    desk.login("registrar.a", "ST-A")
    out = desk.run("documents", "lost", stolen, "--stolen", leaves=1)
    assert out.stdout == f"document {stolen} lost (stolen)\n"
    assert _status(desk, stolen) is Status.INVALID


# ---------------------------------------------------------------------- sweeps


def _age_ready_documents(desk: Desk, days: int) -> None:
    past = datetime.now(UTC) - timedelta(days=days)
    with desk.box.engine.begin() as conn:
        conn.execute(update(DocumentRow).values(state_changed_at=past, ready_at=past))


def test_sweep_destroys_an_uncollected_document_and_escalates(desk: Desk) -> None:
    document = desk.make_ready(desk.residents[0])
    permit = _official_permit(desk, desk.residents[1])
    assert desk.run("documents", "sweep", leaves=0).stdout == (
        "escalated 0  expired 0  destroyed 0\n"
    )
    waited = desk.run("documents", "awaiting", "ST-A").stdout
    assert document in waited

    _age_ready_documents(desk, 91)  # the card is kept for 90 days
    with desk.box.engine.begin() as conn:
        day_ago = datetime.now(UTC) - timedelta(hours=25)
        conn.execute(update(ApplicationRow).values(submitted_at=day_ago))
    out = desk.run("documents", "sweep", leaves=2).stdout
    assert out == "escalated 1  expired 0  destroyed 1\n"
    assert desk.document(document).state.value == "destroyed"
    assert _status(desk, document) is Status.INVALID
    assert (
        desk.run("documents", "sweep", leaves=0).stdout == "escalated 0  expired 0  destroyed 0\n"
    )
    chain = desk.run("documents", "custody", document).stdout.splitlines()
    assert chain[-1].split()[3:] == ["destroy", "ST-A", "system"]
    queue = desk.run("applications", "list", leaves=0).stdout
    assert permit in queue
    assert "yes" in queue


def _official_permit(desk: Desk, uin: str) -> str:
    desk.login("registrar.a", "ST-A")
    return desk.submit(
        uin,
        "zone_permit",
        f"zone={TOWN_B}",
        f"entry_from={days_from_today(1)}",
        f"entry_until={days_from_today(10)}",
        "purpose=inspection",
        "travel=official",
        "sponsor=Ministry",
    )


def test_escalate_is_an_operator_command(desk: Desk) -> None:
    permit = _official_permit(desk, desk.residents[0])
    desk.run("logout")
    assert desk.run("applications", "escalate", leaves=0).stdout == "escalated 0\n"
    with desk.box.engine.begin() as conn:
        day_ago = datetime.now(UTC) - timedelta(hours=25)
        conn.execute(update(ApplicationRow).values(submitted_at=day_ago))
    assert desk.run("applications", "escalate", leaves=1).stdout == "escalated 1\n"
    assert desk.run("applications", "escalate", leaves=0).stdout == "escalated 0\n"
    desk.login("approver.one")
    shown = desk.run("applications", "show", permit).stdout
    assert "escalated  " in shown
    assert "escalated  no" not in shown


def test_reject_is_a_decision_with_a_reason(desk: Desk) -> None:
    desk.login("registrar.a", "ST-A")
    application = desk.submit(desk.residents[2], "national_id_card")
    desk.run("applications", "reject", application, "--reason", "no", code=5, leaves=0)
    desk.login("approver.one")
    out = desk.run("applications", "reject", application, "--reason", "photo unusable", leaves=1)
    assert out.stdout == f"application {application} rejected (approvals 0/1)\n"
    late = desk.run("applications", "approve", application, "--reason", "ok", code=4, leaves=0)
    assert "illegal_transition" in late.stderr
    desk.run("applications", "fee", application, "--receipt", "R-1", code=5, leaves=0)


def test_the_server_sweeper_thread_sweeps_and_survives_errors(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    document = desk.make_ready(desk.residents[0])
    _age_ready_documents(desk, 91)
    caplog.set_level(logging.INFO, logger="carnet.entrypoints.cli.sweeps")
    stop = start_sweeper_thread(desk.box)
    try:
        deadline = time.monotonic() + 20
        while desk.document(document).state.value != "destroyed":
            assert time.monotonic() < deadline, "the sweeper did not run"
            time.sleep(0.1)
    finally:
        stop.set()
    assert "destroyed 1" in caplog.text

    broken = bootstrap(Settings(_env_file=None, database_url=f"sqlite:///{desk.home / 'empty.db'}"))
    stop = start_sweeper_thread(broken)
    try:
        deadline = time.monotonic() + 20
        while "document sweep failed" not in caplog.text:
            assert time.monotonic() < deadline, "the failure was not logged"
            time.sleep(0.1)
        assert any(t.name == "document-sweeper" for t in threading.enumerate())
    finally:
        stop.set()
        time.sleep(0.2)
        broken.close()


# ----------------------------------------------------------------- sessions


def test_official_commands_need_a_session(desk: Desk) -> None:
    result = desk.run("applications", "list", code=5)
    assert "sign in with carnet login" in result.stderr


def test_login_stores_a_private_session_and_logout_revokes_it(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = desk.home / "session" / "cli-session"
    out = desk.run("login", "--user", "approver.one", leaves=1).stdout
    assert out.startswith("signed in as approver.one until ")
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    token = session.read_text(encoding="utf-8")
    desk.run("applications", "list", leaves=0)
    # Signing in again replaces the session and revokes the previous token.
    desk.run("login", "--user", "approver.two", leaves=2)
    assert session.read_text(encoding="utf-8") != token

    assert desk.run("logout", leaves=1).stdout == "signed out\n"
    assert not session.exists()
    assert "sign in with carnet login" in desk.run("applications", "list", code=5).stderr
    assert desk.run("logout", leaves=0).stdout == "not signed in\n"

    desk.run("login", "--user", "approver.one")
    stored = session.read_text(encoding="utf-8")
    token_value = stored.split('"token": "')[1].split('"')[0]
    desk.run("logout")
    monkeypatch.setenv("CARNET_TOKEN", token_value)
    revoked = desk.run("applications", "list", code=5)
    assert "invalid or has expired" in revoked.stderr


def test_an_expired_session_asks_to_sign_in_again(desk: Desk) -> None:
    desk.login("approver.one")
    with desk.box.engine.begin() as conn:
        conn.execute(
            update(AuthTokenRow).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    result = desk.run("applications", "list", code=5)
    assert "sign in with carnet login" in result.stderr


def test_the_token_may_come_from_the_environment(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = auth.login(
        desk.box.uow(),
        desk.box.hasher,
        username="approver.one",
        password=PASSWORD,
        totp_code=None,
        clock=desk.box.clock,
        lifetime=timedelta(minutes=5),
    )
    monkeypatch.setenv("CARNET_TOKEN", issued.token)
    desk.run("applications", "list", leaves=0)


def test_login_failures(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARNET_PASSWORD", "not the password")
    wrong = desk.run("login", "--user", "approver.one", code=5, leaves=0)
    assert "authentication_failed" in wrong.stderr
    monkeypatch.setenv("CARNET_PASSWORD", PASSWORD)
    outside = desk.run("login", "--user", "registrar.a", "--station", "ST-B", code=2, leaves=0)
    assert "[station]" in outside.stderr
    assert not (desk.home / "session" / "cli-session").exists()


def test_login_prompts_for_the_password_and_the_one_time_code(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CARNET_PASSWORD")
    desk.run("login", "--user", "approver.one", stdin=f"{PASSWORD}\n", leaves=1)

    with desk.box.uow() as uow:
        official = uow.officials.get_by_username("approver.two")
    assert official is not None
    secret = pyotp.random_base32()
    now = datetime.now(UTC)
    totp = pyotp.TOTP(secret)
    auth.confirm_totp(
        desk.box.uow(),
        principal_of(official),
        secret=secret,
        code=totp.at(now),
        clock=desk.box.clock,
    )
    later = totp.at(now + timedelta(seconds=30))  # the confirming code is spent
    prompted = desk.run("login", "--user", "approver.two", stdin=f"{PASSWORD}\n{later}\n")
    assert "signed in as approver.two" in prompted.stdout
    desk.run("login", "--user", "approver.two", "--totp", "000000", stdin=f"{PASSWORD}\n", code=5)


# ------------------------------------------------------------------ catalogue


def test_documents_types_lists_the_catalogue(desk: Desk) -> None:
    out = desk.run("documents", "types", leaves=0).stdout.splitlines()
    assert out[1].split()[:3] == ["CODE", "TITLE", "APPROVALS"]
    codes = {line.split()[0] for line in out[2:]}
    assert codes == {"national_id_card", "residence_certificate", "zone_permit", "passport"}


def test_check_types_accepts_a_good_file_and_names_the_bad_field(desk: Desk) -> None:
    good = desk.home / "types.yaml"
    good.write_text(default_catalogue_text(), encoding="utf-8")
    assert desk.run("documents", "check-types", str(good)).stdout == (
        "OK: 4 document types, version 1\n"
    )
    bad = desk.home / "bad.yaml"
    bad.write_text(
        default_catalogue_text().replace(
            "purposes: [age_check, boarding, identity_check]\n",
            "purposes: [age_check, identity_check]\n",
        ),
        encoding="utf-8",
    )
    refused = desk.run("documents", "check-types", str(bad), code=2)
    assert "[document_types.national_id_card.purposes]" in refused.stderr
    binary = desk.home / "binary.yaml"
    binary.write_bytes(b"version: 1\n\xff\xfe\n")
    assert "[catalogue]" in desk.run("documents", "check-types", str(binary), code=2).stderr
    missing = desk.run("documents", "check-types", str(desk.home / "none.yaml"), code=2)
    assert "[catalogue]" in missing.stderr


# ----------------------------------------------------------------------- demo


@pytest.fixture
def demo_desk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Iterator[Desk]:
    """The CLI on an empty database in the local environment (demo data is local only)."""
    point_cli(monkeypatch, tmp_path, database_url, environment="local")
    box = bootstrap(Settings(_env_file=None))
    upgrade(box.engine)
    try:
        yield Desk(box, tmp_path)
    finally:
        box.close()


def test_the_demo_issues_out_of_the_box_and_seeds_once(
    demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = demo_desk
    desk.run("demo", "seed", "--residents", "10")
    workspace = desk.home / "issuer" / "workspace.json"
    state = workspace.read_bytes()
    size = desk.size()
    with desk.box.uow() as uow:
        registrar = uow.officials.get_by_username("registrar")
        admin = uow.officials.get_by_username("admin")
    assert registrar is not None
    assert admin is not None
    station = next(iter(registrar.scope.stations))
    assert registrar_station(desk.box) == station
    signed = {r.document_type for r in desk.box.issuer_workspace().signers()}
    assert set(desk.box.catalogue().types) <= signed

    desk.run("demo", "seed", "--residents", "10", leaves=0)
    assert workspace.read_bytes() == state
    assert desk.size() == size

    # An older demo's registrar had no station: seeding again gives them one.
    auth.update_official(
        desk.box.uow(),
        Principal(official_id=admin.id, username="admin", roles=admin.roles, scope=admin.scope),
        registrar.id,
        scope=Scope(regions=registrar.scope.regions),
        clock=desk.box.clock,
    )
    desk.run("demo", "seed", "--residents", "10", leaves=1)

    with desk.box.engine.connect() as conn:
        uin = conn.execute(
            select(ResidentRow.uin).where(ResidentRow.external_ref == DEMO_RESIDENT_REF)
        ).scalar_one()
        phone = conn.execute(
            select(ResidentRow.phone).where(ResidentRow.external_ref == DEMO_RESIDENT_REF)
        ).scalar_one()
    assert phone
    monkeypatch.setenv("CARNET_PASSWORD", "demo-registrar-password")
    desk.login("registrar", station)
    application = desk.submit(uin, "national_id_card", station=station)
    monkeypatch.setenv("CARNET_PASSWORD", "demo-approver-password")
    desk.login("approver")
    assert desk.approve(application) is not None
