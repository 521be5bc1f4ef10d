"""The generated authorization matrix: every endpoint x role x scope, on both databases.

``EXPECTED`` below is the independent, hand-written specification of the access
policy (from ``carnet.domain.officials`` and the issue):

* an administrator manages officials, regions and stations but reads no resident;
* a registrar enrols, reads, updates and searches residents and reads histories;
* approvers and issuers read residents;
* an auditor reads histories and the list of officials;
* every signed-in official reads regions, stations and their own account;
* a registrar proposes, confirms (as a second official) and downloads exports of
  residents in their scope; only the two officials of an export download it;
* residents sign in with a one-time code and read only their own record and its
  access log; an official's token is no resident token, and the other way round;
* the transparency log's key, checkpoint and proofs are public; auditors read
  leaves; auditors and administrators ask for a checkpoint;
* every signed-in official reads the document-type catalogue; registrars enter
  applications (and record fees), registrars and approvers read them, approvers
  decide them; approvers and auditors read the time-to-decision report;
* registrars, approvers and issuers read documents; issuers print, dispatch and
  (two of them) reprint; registrars receive, transfer, hand over and report
  documents lost at stations; approvers (two of them) revoke;
* residents apply for the types open to them, follow and withdraw their own
  applications, see their own documents and report them lost.

The app's OpenAPI document is the inventory: every operation in it must be in the
table and nothing else, with the same ``x-permission``. Each operation of the
table is then called with a *valid* request (see ``matrix_world``) by one
official per role and scope (own county, other county, the station of the own
county or of the other one, national), without a token, with a bad token and as
a signed-in resident. The answer must be exactly what the table grants: 2xx when
allowed, 401 without valid credentials (an official's token is not a resident's,
nor the other way round), 403 for a role without the permission, and outside the
official's scope: 404 for a resident or any other record (application,
document, station, print run, proposal), 422 for a region given as input, 403
for granting an official or for an export made by others, an empty page for a
search and an empty list for the decision queue and the report. A refused
request must change nothing.

The cases are generated from the table rather than from ``app.openapi()`` at
collection time, so that a broken OpenAPI generator fails one test instead of
the collection of the module; the inventory test ties the two together.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

import pytest

from carnet.bootstrap import bootstrap
from carnet.config import Settings
from carnet.domain.officials import ROLE_PERMISSIONS, Permission, Role
from carnet.entrypoints.api.app import create_app
from tests.factories import load_reference_data
from tests.fakes import FakeClock
from tests.functional.api.matrix_documents import DOCUMENT_BUILDERS, populate_documents
from tests.functional.api.matrix_world import (
    ANONYMOUS,
    BAD_TOKEN,
    BUILDERS,
    CALLERS,
    OUT_OF_SCOPE,
    RESIDENT,
    World,
    truncate,
)
from tests.functional.api.support import TestClient

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [pytest.mark.functional]


# --------------------------------------------------------------------------- the spec


class Scoping(Enum):
    """How an operation is bounded by the caller's region scope."""

    NONE = "not region-scoped"
    RESIDENT = "one resident: outside the scope it does not exist (404)"
    REGION_INPUT = "a region outside the scope is refused as input (422)"
    SEARCH = "search: results outside the scope are left out (200, empty)"
    LIST = "a list: entries outside the scope are left out (200, empty data)"
    RECORD = "another record (application, document, station, run): outside, none (404)"
    GRANT = "official: a place outside the scope cannot be granted (403)"
    TWO_OFFICIALS = "an export's file: only its two officials, who had the scope (403)"


ALL_ROLES = frozenset(Role)
NO_ROLE: frozenset[Role] = frozenset()
PUBLIC = "public"
AUTHENTICATED = "authenticated"
RESIDENT_ONLY = "resident"  # a signed-in resident, not an official


@dataclass(frozen=True)
class Rule:
    """Who may call an operation, where, and what success looks like."""

    permission: str
    roles: frozenset[Role]
    scoping: Scoping = Scoping.NONE
    success: int = 200


ADMIN, REGISTRAR, APPROVER, ISSUER, AUDITOR = (
    Role.ADMIN,
    Role.REGISTRAR,
    Role.APPROVER,
    Role.ISSUER,
    Role.AUDITOR,
)

EXPECTED: dict[tuple[str, str], Rule] = {
    ("GET", "/health"): Rule(PUBLIC, ALL_ROLES),
    ("POST", "/auth/token"): Rule(PUBLIC, ALL_ROLES),
    ("POST", "/auth/logout"): Rule(AUTHENTICATED, ALL_ROLES, success=204),
    ("GET", "/officials/me"): Rule(AUTHENTICATED, ALL_ROLES),
    ("POST", "/officials/me/totp"): Rule(AUTHENTICATED, ALL_ROLES),
    ("POST", "/officials/me/totp/confirm"): Rule(AUTHENTICATED, ALL_ROLES, success=204),
    ("GET", "/officials"): Rule("official:read", frozenset({ADMIN, AUDITOR})),
    ("POST", "/officials"): Rule("official:manage", frozenset({ADMIN}), Scoping.GRANT, success=201),
    ("PATCH", "/officials/{official_id}"): Rule(
        "official:manage", frozenset({ADMIN}), Scoping.GRANT
    ),
    ("GET", "/regions"): Rule("reference:read", ALL_ROLES),
    ("POST", "/regions"): Rule("reference:manage", frozenset({ADMIN}), success=201),
    ("GET", "/stations"): Rule("reference:read", ALL_ROLES),
    ("POST", "/stations"): Rule("reference:manage", frozenset({ADMIN}), success=201),
    ("POST", "/residents"): Rule(
        "resident:create", frozenset({REGISTRAR}), Scoping.REGION_INPUT, success=201
    ),
    ("GET", "/residents"): Rule(
        "resident:read", frozenset({REGISTRAR, APPROVER, ISSUER}), Scoping.SEARCH
    ),
    ("GET", "/residents/{uin}"): Rule(
        "resident:read", frozenset({REGISTRAR, APPROVER, ISSUER}), Scoping.RESIDENT
    ),
    ("PATCH", "/residents/{uin}"): Rule(
        "resident:update", frozenset({REGISTRAR}), Scoping.RESIDENT
    ),
    ("GET", "/residents/{uin}/history"): Rule(
        "resident:history", frozenset({REGISTRAR, AUDITOR}), Scoping.RESIDENT
    ),
    ("POST", "/exports"): Rule(
        "resident:export", frozenset({REGISTRAR}), Scoping.REGION_INPUT, success=201
    ),
    ("POST", "/exports/{proposal_id}/decision"): Rule(
        "resident:export", frozenset({REGISTRAR}), Scoping.REGION_INPUT
    ),
    ("GET", "/exports/{proposal_id}/file"): Rule(
        "resident:export", frozenset({REGISTRAR}), Scoping.TWO_OFFICIALS
    ),
    ("POST", "/me/code"): Rule(PUBLIC, ALL_ROLES, success=202),
    ("POST", "/me/token"): Rule(PUBLIC, ALL_ROLES),
    ("POST", "/me/logout"): Rule(RESIDENT_ONLY, NO_ROLE, success=204),
    ("GET", "/me/record"): Rule(RESIDENT_ONLY, NO_ROLE),
    ("GET", "/me/access-log"): Rule(RESIDENT_ONLY, NO_ROLE),
    ("GET", "/ledger/key"): Rule(PUBLIC, ALL_ROLES),
    ("GET", "/ledger/checkpoint"): Rule(PUBLIC, ALL_ROLES),
    ("POST", "/ledger/checkpoints"): Rule("ledger:checkpoint", frozenset({ADMIN, AUDITOR})),
    ("GET", "/ledger/proofs/inclusion"): Rule(PUBLIC, ALL_ROLES),
    ("GET", "/ledger/proofs/consistency"): Rule(PUBLIC, ALL_ROLES),
    ("GET", "/ledger/leaves/{index}"): Rule("ledger:read", frozenset({AUDITOR})),
    # Applications and documents (issue #5).
    ("GET", "/document-types"): Rule("reference:read", ALL_ROLES),
    ("POST", "/applications"): Rule(
        "application:create", frozenset({REGISTRAR}), Scoping.RESIDENT, success=201
    ),
    ("GET", "/applications"): Rule(
        "application:read", frozenset({REGISTRAR, APPROVER}), Scoping.LIST
    ),
    ("GET", "/applications/{application_id}"): Rule(
        "application:read", frozenset({REGISTRAR, APPROVER}), Scoping.RECORD
    ),
    ("POST", "/applications/{application_id}/approve"): Rule(
        "application:decide", frozenset({APPROVER}), Scoping.RECORD
    ),
    ("POST", "/applications/{application_id}/reject"): Rule(
        "application:decide", frozenset({APPROVER}), Scoping.RECORD
    ),
    ("POST", "/applications/{application_id}/fee"): Rule(
        "application:create", frozenset({REGISTRAR}), Scoping.RECORD
    ),
    ("GET", "/reports/decision-times"): Rule(
        "report:read", frozenset({APPROVER, AUDITOR}), Scoping.LIST
    ),
    ("GET", "/documents/{document_id}"): Rule(
        "document:read", frozenset({REGISTRAR, APPROVER, ISSUER}), Scoping.RECORD
    ),
    ("GET", "/residents/{uin}/documents"): Rule(
        "document:read", frozenset({REGISTRAR, APPROVER, ISSUER}), Scoping.RESIDENT
    ),
    ("GET", "/documents/{document_id}/custody"): Rule(
        "document:read", frozenset({REGISTRAR, APPROVER, ISSUER}), Scoping.RECORD
    ),
    ("GET", "/stations/{station_code}/awaiting-collection"): Rule(
        "document:read", frozenset({REGISTRAR, APPROVER, ISSUER}), Scoping.RECORD
    ),
    ("POST", "/stations/{station_code}/print-runs"): Rule(
        "document:produce", frozenset({ISSUER}), Scoping.RECORD, success=201
    ),
    ("GET", "/print-runs/{run_id}/pdf"): Rule(
        "document:produce", frozenset({ISSUER}), Scoping.RECORD
    ),
    ("POST", "/print-runs/{run_id}/dispatch"): Rule(
        "document:produce", frozenset({ISSUER}), Scoping.RECORD
    ),
    ("POST", "/documents/{document_id}/receive"): Rule(
        "document:handover", frozenset({REGISTRAR}), Scoping.RECORD
    ),
    ("POST", "/documents/{document_id}/transfer"): Rule(
        "document:handover", frozenset({REGISTRAR}), Scoping.RECORD
    ),
    ("POST", "/documents/{document_id}/collect"): Rule(
        "document:handover", frozenset({REGISTRAR}), Scoping.RECORD
    ),
    ("POST", "/documents/{document_id}/lost"): Rule(
        "document:handover", frozenset({REGISTRAR}), Scoping.RECORD
    ),
    ("POST", "/documents/{document_id}/revocations"): Rule(
        "document:revoke", frozenset({APPROVER}), Scoping.RECORD, success=201
    ),
    ("POST", "/revocations/{proposal_id}/decision"): Rule(
        "document:revoke", frozenset({APPROVER}), Scoping.RECORD
    ),
    ("POST", "/documents/{document_id}/reprints"): Rule(
        "document:produce", frozenset({ISSUER}), Scoping.RECORD, success=201
    ),
    ("POST", "/reprints/{proposal_id}/decision"): Rule(
        "document:produce", frozenset({ISSUER}), Scoping.RECORD
    ),
    ("POST", "/me/applications"): Rule(RESIDENT_ONLY, NO_ROLE, success=201),
    ("GET", "/me/applications"): Rule(RESIDENT_ONLY, NO_ROLE),
    ("POST", "/me/applications/{application_id}/withdraw"): Rule(RESIDENT_ONLY, NO_ROLE),
    ("GET", "/me/documents"): Rule(RESIDENT_ONLY, NO_ROLE),
    ("POST", "/me/documents/{document_id}/lost"): Rule(RESIDENT_ONLY, NO_ROLE),
}


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", marks=pytest.mark.xdist_group("authz-matrix-sqlite")),
        pytest.param(
            "postgresql",
            marks=[pytest.mark.postgres, pytest.mark.xdist_group("authz-matrix-postgresql")],
        ),
    ],
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[World]:
    """Build the database, the app and the officials once per database for this module."""
    if request.param == "sqlite":
        target = tmp_path_factory.mktemp("authz-matrix") / "carnet.db"
        shutil.copy(sqlite_template, target)
        url = f"sqlite:///{target}"
    else:
        url = request.getfixturevalue("postgres_url")
        truncate(url)
    files = tmp_path_factory.mktemp("authz-matrix-files")
    settings = Settings(
        environment="test",
        database_url=url,
        key_dir=str(files / "keys"),
        issuer_dir=str(files / "issuer"),
        export_dir=str(files / "exports"),
        _env_file=None,
    )
    clock = FakeClock()
    box = bootstrap(settings, clock=clock)
    try:
        load_reference_data(box.uow)
        with TestClient(create_app(settings, box)) as client:
            world = World(client=client, box=box, clock=clock)
            world.populate()
            populate_documents(world)
            yield world
    finally:
        box.close()


# --------------------------------------------------------------------------- verdicts


ALL_BUILDERS = {**BUILDERS, **DOCUMENT_BUILDERS}


@dataclass(frozen=True)
class Verdict:
    """The expected answer: a status, the problem code, and for searches or lists nothing."""

    status: int
    code: str | None = None
    empty_page: bool = False
    empty_list: bool = False


OUT_OF_SCOPE_VERDICTS = {
    Scoping.RESIDENT: Verdict(404, "not_found"),
    Scoping.REGION_INPUT: Verdict(422, "validation_error"),
    Scoping.GRANT: Verdict(403, "permission_denied"),
    Scoping.SEARCH: Verdict(200, empty_page=True),
    Scoping.LIST: Verdict(200, empty_list=True),
    Scoping.RECORD: Verdict(404, "not_found"),
    Scoping.TWO_OFFICIALS: Verdict(403, "permission_denied"),
}
UNAUTHENTICATED = Verdict(401, "authentication_failed")


def expected_verdict(rule: Rule, caller: str) -> Verdict:
    """What the policy grants ``caller`` for an operation governed by ``rule``."""
    if rule.permission == PUBLIC:
        return Verdict(rule.success)
    if rule.permission == RESIDENT_ONLY:
        return Verdict(rule.success) if caller == RESIDENT else UNAUTHENTICATED
    if caller in {ANONYMOUS, BAD_TOKEN, RESIDENT}:  # no official behind the request
        return UNAUTHENTICATED
    role, scope = caller.split("@")
    if Role(role) not in rule.roles:
        return Verdict(403, "permission_denied")
    if scope in OUT_OF_SCOPE and rule.scoping is not Scoping.NONE:
        return OUT_OF_SCOPE_VERDICTS[rule.scoping]
    return Verdict(rule.success)


def _cases() -> list[Any]:
    return [
        pytest.param(
            method,
            path,
            caller,
            id=f"{method} {path} | {caller}",
        )
        for method, path in sorted(EXPECTED)
        for caller in CALLERS
    ]


@pytest.mark.parametrize(("method", "path", "caller"), _cases())
def test_access_is_exactly_what_the_policy_grants(
    world: World, method: str, path: str, caller: str
) -> None:
    rule = EXPECTED[method, path]
    call = ALL_BUILDERS[method, path](world, caller)
    verdict = expected_verdict(rule, caller)

    response = world.client.request(
        call.method, call.url, headers=call.headers, json=call.json, params=call.params
    )

    assert response.status_code == verdict.status, response.text
    if verdict.code is not None:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == verdict.code
        if verdict.status == 401:
            assert response.headers["www-authenticate"] == "Bearer"
        if verdict.status == 422:  # a region outside the scope
            assert response.json()["field"] == "region_code"
        if call.unchanged is not None:
            assert call.unchanged(), "a refused request left a change behind"
    elif verdict.empty_page:
        assert response.json() == {"data": [], "next_cursor": None}
    elif verdict.empty_list:
        assert response.json()["data"] == []
    elif call.on_success is not None:
        call.on_success(response)


# --------------------------------------------------------------------------- the table itself


def _published_operations() -> dict[tuple[str, str], str | None]:
    """Every operation of the app's OpenAPI document and its ``x-permission``."""
    settings = Settings(environment="test", database_url="sqlite://", _env_file=None)
    box = bootstrap(settings)
    try:
        paths = create_app(settings, box).openapi()["paths"]
    finally:
        box.close()
    return {
        (method.upper(), path): operation.get("x-permission")
        for path, operations in paths.items()
        for method, operation in operations.items()
    }


def test_openapi_lists_exactly_the_operations_of_the_table() -> None:
    # The generated document is the inventory: an operation missing from EXPECTED,
    # or one in EXPECTED that is no longer served, fails here.
    published = set(_published_operations())
    assert sorted(published - set(EXPECTED)) == [], "served but missing from EXPECTED"
    assert sorted(set(EXPECTED) - published) == [], "in EXPECTED but not served"


def test_openapi_publishes_the_permission_of_the_table_for_each_operation() -> None:
    published = _published_operations()
    assert published == {op: rule.permission for op, rule in EXPECTED.items()}


@pytest.mark.parametrize(
    "operation", sorted(op for op, rule in EXPECTED.items() if ":" in rule.permission)
)
def test_role_permission_policy_grants_each_permission_to_the_roles_of_the_table(
    operation: tuple[str, str],
) -> None:
    rule = EXPECTED[operation]
    granted = {
        role for role, perms in ROLE_PERMISSIONS.items() if Permission(rule.permission) in perms
    }
    assert granted == set(rule.roles)
