"""The world the authorization matrix runs in, and one valid request per operation.

``test_authorization_matrix`` holds the specification (``EXPECTED``); this module
holds the callers (one official per role and scope, no token, a bad token, a
signed-in resident) and a builder per operation that makes a *valid* request: real path parameters,
well-formed bodies, fresh targets for requests that change state. Each builder
also says how to recognise success and how to see that a refused request
changed nothing.
"""

from __future__ import annotations

import gc
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyotp
from sqlalchemy import text

from carnet.adapters.db.engine import build_engine
from carnet.adapters.db.tables import Base
from carnet.domain.messages import Channel
from carnet.domain.officials import Principal, Role, Scope
from carnet.services import auth, exports, registry, residents_portal, two_person
from tests.factories import COUNTY_A, COUNTY_B, TOWN_A, create_official, principal, resident_data
from tests.functional.api.support import PASSWORD, bearer, sign_in

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import httpx2 as httpx

    from carnet.bootstrap import Container
    from tests.fakes import FakeClock
    from tests.functional.api.matrix_documents import Papers
    from tests.functional.api.support import TestClient

__all__ = [
    "ANONYMOUS",
    "BAD_TOKEN",
    "BUILDERS",
    "CALLERS",
    "OUT_OF_SCOPE",
    "RESIDENT",
    "SCOPES",
    "TARGET_FAMILY_NAME",
    "Call",
    "World",
    "truncate",
    "username_of",
]

# Where an official may act. The target resident lives in TOWN_A, inside county A,
# where station ST-A stands; county B and its station ST-B are elsewhere.
SCOPES: dict[str, Scope] = {
    "county_a": Scope(regions=frozenset({COUNTY_A})),
    "county_b": Scope(regions=frozenset({COUNTY_B})),
    "station_a": Scope(stations=frozenset({"ST-A"})),
    "station_b": Scope(stations=frozenset({"ST-B"})),
    "national": Scope(national=True),
}
OUT_OF_SCOPE = frozenset({"county_b", "station_b"})
# Besides officials: no token, a token nobody issued, and a signed-in resident.
ANONYMOUS, BAD_TOKEN, RESIDENT = "anonymous", "bad_token", "resident"
CALLERS: tuple[str, ...] = (
    *(f"{role.value}@{scope}" for role in Role for scope in SCOPES),
    ANONYMOUS,
    BAD_TOKEN,
    RESIDENT,
)


def username_of(caller: str) -> str:
    """The account behind ``role@scope``: ``registrar.county-a``."""
    return caller.replace("@", ".").replace("_", "-")


# --------------------------------------------------------------------------- the world


def truncate(url: str) -> None:
    """Empty every table of a PostgreSQL database (as the shared conftest does)."""
    engine = build_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@dataclass
class World:
    """One database with the region tree, one official per role and scope, residents.

    ``target_uin`` is a resident of TOWN_A; ``resident_uin`` is the signed-in
    resident behind the ``resident`` caller; ``proposer`` and ``confirmer`` are two
    national registrars who make exports that the caller did not make (the
    proposer also enters applications). ``papers`` holds the documents' part of
    the world (:mod:`tests.functional.api.matrix_documents`).
    """

    client: TestClient
    box: Container
    clock: FakeClock
    tokens: dict[str, str] = field(default_factory=dict)
    target_uin: str = ""
    resident_uin: str = ""
    proposer: Principal | None = None
    confirmer: Principal | None = None
    papers: Papers | None = None
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def unique(self) -> int:
        return next(self.counter)

    def headers(self, caller: str, *, fresh: bool = False) -> dict[str, str]:
        """The caller's credentials; ``fresh`` signs in anew for self-mutating calls."""
        if caller == ANONYMOUS:
            return {}
        if caller == BAD_TOKEN:
            return bearer("not-a-token-" + "x" * 32)
        if not fresh:
            return bearer(self.tokens[caller])
        if caller == RESIDENT:
            return bearer(self.resident_session(*self.enrol_with_phone()))
        role, scope = caller.split("@")
        username = f"twin{self.unique()}.{role}"
        self.official(username, (role,), SCOPES[scope])
        return bearer(sign_in(self.client, username))

    def populate(self) -> None:
        """Create the officials and residents the callers and builders need."""
        self.official("matrix.signin", ("approver",), Scope(national=True))
        for caller in CALLERS:
            if "@" in caller:
                role, scope = caller.split("@")
                self.official(username_of(caller), (role,), SCOPES[scope])
                self.tokens[caller] = sign_in(self.client, username_of(caller))
        for name in ("export.proposer", "export.confirmer"):
            self.official(name, ("registrar",), Scope(national=True))
        self.proposer = self.principal_of(sign_in(self.client, "export.proposer"))
        self.confirmer = self.principal_of(sign_in(self.client, "export.confirmer"))
        # An adult: the documents' part of the world issues them an identity card.
        self.target_uin = self.enrol(
            family_name_latin=TARGET_FAMILY_NAME, date_of_birth="1980-02-03"
        )
        self.resident_uin, phone = self.enrol_with_phone()
        self.tokens[RESIDENT] = self.resident_session(self.resident_uin, phone)
        self.box.checkpointer().tick()  # the log holds leaves and a signed checkpoint

    def official(self, username: str, roles: tuple[str, ...], scope: Scope) -> str:
        created = create_official(
            self.box.uow(), self.box.hasher, self.clock, username=username, roles=roles, scope=scope
        )
        return created.id

    def principal_of(self, token: str) -> Principal:
        return auth.authenticate(self.box.uow(), token, clock=self.clock)

    def enrol(self, **overrides: str) -> str:
        """Enrol a resident of TOWN_A through the use case (not through the API)."""
        resident = registry.enrol_resident(
            self.box.uow(),
            NATIONAL_REGISTRAR,
            resident_data(region_code=TOWN_A, **overrides),
            clock=self.clock,
            random_bytes=self.box.random_bytes,
        )
        return resident.uin

    def enrol_with_phone(self) -> tuple[str, str]:
        """Enrol a resident with a phone number of their own; return the UIN and phone."""
        phone = f"+82 10 {self.unique():08d}"
        return self.enrol(phone=phone), phone

    def code_for(self, uin: str, phone: str) -> str:
        """Have a sign-in code sent to the resident and read it from the outbox."""
        residents_portal.request_code(self.box.uow(), uin, channel=Channel.SMS, clock=self.clock)
        with self.box.uow() as uow:
            sent = [m for m in uow.outbox.due(self.clock.now(), 10_000) if m.recipient == phone]
        return sent[-1].params["code"]

    def resident_session(self, uin: str, phone: str) -> str:
        """Sign the resident in through the portal; return the token."""
        body = {"uin": uin, "code": self.code_for(uin, phone)}
        response = self.client.post("/me/token", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def export(self, proposer: Principal) -> str:
        """A confirmed export of TOWN_A proposed by ``proposer``; return its id."""
        assert self.confirmer is not None
        store = self.box.exports()
        proposal = exports.propose_export(
            self.box.uow(), proposer, store, region_code=TOWN_A, reason="matrix", clock=self.clock
        )
        two_person.decide(
            self.box.uow(),
            self.confirmer,
            exports.export_action(store),
            proposal.id,
            confirm=True,
            reason="matrix: agreed",
            clock=self.clock,
        )
        return proposal.id

    def proposal_state(self, proposal_id: str) -> str:
        with self.box.uow() as uow:
            found = uow.proposals.get(proposal_id)
        assert found is not None
        return found.state.value

    def pending_exports(self) -> int:
        with self.box.uow() as uow:
            return len(uow.proposals.pending("export.residents"))


NATIONAL_REGISTRAR = principal(Role.REGISTRAR, national=True)
TARGET_FAMILY_NAME = "Matrixon"  # the target resident's name, and no one else's


# --------------------------------------------------------------------------- requests


@dataclass
class Call:
    """A valid request, what to check on success, and how to see that nothing changed."""

    method: str
    url: str
    headers: dict[str, str]
    json: dict[str, Any] | None = None
    params: dict[str, str] | None = None
    on_success: Callable[[httpx.Response], None] | None = None
    unchanged: Callable[[], bool] | None = None


def _stored(exists: Callable[[], bool]) -> Callable[[httpx.Response], None]:
    def check(_r: httpx.Response) -> None:
        assert exists(), "the request succeeded but nothing was stored"

    return check


def _health(w: World, caller: str) -> Call:
    return Call("GET", "/health", w.headers(caller))


def _sign_in(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert r.json()["access_token"]

    body = {"username": "matrix.signin", "password": PASSWORD}
    return Call("POST", "/auth/token", w.headers(caller), json=body, on_success=check)


def _logout(w: World, caller: str) -> Call:
    headers = w.headers(caller, fresh=True)

    def check(_r: httpx.Response) -> None:
        assert w.client.get("/officials/me", headers=headers).status_code == 401

    return Call("POST", "/auth/logout", headers, on_success=check)


def _me(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert r.json()["username"] == username_of(caller)

    return Call("GET", "/officials/me", w.headers(caller), on_success=check)


def _totp_start(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert pyotp.TOTP(r.json()["secret"]).now()

    return Call("POST", "/officials/me/totp", w.headers(caller), on_success=check)


def _totp_confirm(w: World, caller: str) -> Call:
    headers = w.headers(caller, fresh=True)
    secret = pyotp.random_base32()
    body = {"secret": secret, "code": pyotp.TOTP(secret).at(w.clock.now())}

    def check(_r: httpx.Response) -> None:
        assert w.client.get("/officials/me", headers=headers).json()["has_totp"] is True

    return Call("POST", "/officials/me/totp/confirm", headers, json=body, on_success=check)


def _list_officials(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert "matrix.signin" in {o["username"] for o in r.json()["data"]}

    return Call("GET", "/officials", w.headers(caller), on_success=check)


def _official_exists(w: World, username: str) -> bool:
    with w.box.uow() as uow:
        return uow.officials.get_by_username(username) is not None


def _create_official(w: World, caller: str) -> Call:
    username = f"new{w.unique()}.official"
    body = {
        "username": username,
        "display_name": "New Official",
        "password": PASSWORD,
        "roles": ["approver"],
        "scope_regions": [TOWN_A],
    }
    return Call(
        "POST",
        "/officials",
        w.headers(caller),
        json=body,
        on_success=_stored(lambda: _official_exists(w, username)),
        unchanged=lambda: not _official_exists(w, username),
    )


def _update_official(w: World, caller: str) -> Call:
    official_id = w.official(f"target{w.unique()}.official", ("approver",), SCOPES["county_a"])

    def roles() -> list[str]:
        with w.box.uow() as uow:
            found = uow.officials.get(official_id)
        assert found is not None
        return sorted(found.roles)

    def check(r: httpx.Response) -> None:
        assert r.json()["roles"] == ["issuer"]
        assert roles() == ["issuer"]

    return Call(
        "PATCH",
        f"/officials/{official_id}",
        w.headers(caller),
        json={"roles": ["issuer"]},
        on_success=check,
        unchanged=lambda: roles() == ["approver"],
    )


def _list_regions(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert [region["code"] for region in r.json()] == ["11"]

    return Call("GET", "/regions", w.headers(caller), on_success=check)


def _add_region(w: World, caller: str) -> Call:
    code = f"{COUNTY_A}{w.unique():04d}"
    body = {
        "code": code,
        "parent_code": COUNTY_A,
        "level": "village",
        "settlement": "rural",
        "name_native": "새마을",
        "name_latin": "Saemaeul",
    }

    def exists() -> bool:
        with w.box.uow() as uow:
            return uow.regions.get(code) is not None

    return Call(
        "POST",
        "/regions",
        w.headers(caller),
        json=body,
        on_success=_stored(exists),
        unchanged=lambda: not exists(),
    )


def _list_stations(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert {"ST-A", "ST-B", "MT-B"} <= {s["code"] for s in r.json()}

    return Call("GET", "/stations", w.headers(caller), on_success=check)


def _add_station(w: World, caller: str) -> Call:
    code = f"MX-{w.unique()}"

    def exists() -> bool:
        with w.box.uow() as uow:
            return uow.stations.get(code) is not None

    return Call(
        "POST",
        "/stations",
        w.headers(caller),
        json={"code": code, "name": "Matrix office", "region_code": COUNTY_A},
        on_success=_stored(exists),
        unchanged=lambda: not exists(),
    )


def _enrol(w: World, caller: str) -> Call:
    ref = f"matrix-{w.unique()}"

    def stored() -> bool:
        with w.box.uow() as uow:
            return bool(uow.residents.refs_taken([ref]))

    return Call(
        "POST",
        "/residents",
        w.headers(caller),
        json=resident_data(region_code=TOWN_A, external_ref=ref),
        on_success=_stored(stored),
        unchanged=lambda: not stored(),
    )


def _search(w: World, caller: str) -> Call:
    # By name, so the scope is applied by the search query itself (a search by UIN
    # reads one record and checks its region instead).
    def check(r: httpx.Response) -> None:
        assert [p["uin"] for p in r.json()["data"]] == [w.target_uin]

    params = {"family_name": TARGET_FAMILY_NAME.upper()}
    return Call("GET", "/residents", w.headers(caller), params=params, on_success=check)


def _read(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert r.json()["uin"] == w.target_uin

    return Call("GET", f"/residents/{w.target_uin}", w.headers(caller), on_success=check)


def _update_resident(w: World, caller: str) -> Call:
    uin = w.enrol()
    body = {"address": f"새주소 {w.unique()}", "reason": "matrix: moved house"}

    def version() -> int:
        with w.box.uow() as uow:
            found = uow.residents.get_by_uin(uin)
        assert found is not None
        return found.version

    def check(r: httpx.Response) -> None:
        assert r.json()["address"] == body["address"]
        assert version() == 2

    return Call(
        "PATCH",
        f"/residents/{uin}",
        w.headers(caller),
        json=body,
        on_success=check,
        unchanged=lambda: version() == 1,
    )


def _history(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert r.json() == {"uin": w.target_uin, "data": []}

    return Call("GET", f"/residents/{w.target_uin}/history", w.headers(caller), on_success=check)


# --------------------------------------------------------------------------- exports


def _propose_export(w: World, caller: str) -> Call:
    before = w.pending_exports()

    def check(r: httpx.Response) -> None:
        assert (r.json()["state"], r.json()["params"]) == ("pending", {"region_code": TOWN_A})
        assert w.pending_exports() == before + 1

    return Call(
        "POST",
        "/exports",
        w.headers(caller),
        json={"region_code": TOWN_A, "reason": "matrix: statistics"},
        on_success=check,
        unchanged=lambda: w.pending_exports() == before,
    )


def _decide_export(w: World, caller: str) -> Call:
    assert w.proposer is not None
    proposal = exports.propose_export(
        w.box.uow(), w.proposer, w.box.exports(), region_code=TOWN_A, reason="m", clock=w.clock
    )

    def check(r: httpx.Response) -> None:
        assert r.json()["state"] == "confirmed"
        assert int(r.json()["params"]["rows"]) >= 1
        assert w.proposal_state(proposal.id) == "confirmed"

    return Call(
        "POST",
        f"/exports/{proposal.id}/decision",
        w.headers(caller),
        json={"confirm": True, "reason": "matrix: agreed"},
        on_success=check,
        unchanged=lambda: w.proposal_state(proposal.id) == "pending",
    )


def _download_export(w: World, caller: str) -> Call:
    # The caller's own export when they can make one; otherwise two others made it.
    role, _, scope = caller.partition("@")
    own = role == Role.REGISTRAR.value and scope not in OUT_OF_SCOPE
    assert w.proposer is not None
    proposer = w.principal_of(w.tokens[caller]) if own else w.proposer
    export_id = w.export(proposer)

    def check(r: httpx.Response) -> None:
        assert r.headers["content-type"].startswith("text/csv")
        assert r.text.startswith("uin,")
        assert w.target_uin in r.text
        # The server is done with the download: collect what it dropped now, so that
        # a file it left open would be reported (ResourceWarning) by this very test.
        gc.collect()

    return Call("GET", f"/exports/{export_id}/file", w.headers(caller), on_success=check)


# --------------------------------------------------------------------------- residents' portal


def _request_code(w: World, caller: str) -> Call:
    uin, _phone = w.enrol_with_phone()

    def check(r: httpx.Response) -> None:
        assert r.json() == {"status": "if the UIN has a registered contact, a code is on its way"}

    body = {"uin": uin, "channel": "sms"}
    return Call("POST", "/me/code", w.headers(caller), json=body, on_success=check)


def _resident_sign_in(w: World, caller: str) -> Call:
    uin, phone = w.enrol_with_phone()

    def check(r: httpx.Response) -> None:
        assert r.json()["access_token"]

    body = {"uin": uin, "code": w.code_for(uin, phone)}
    return Call("POST", "/me/token", w.headers(caller), json=body, on_success=check)


def _resident_logout(w: World, caller: str) -> Call:
    headers = w.headers(caller, fresh=True)

    def check(_r: httpx.Response) -> None:
        assert w.client.get("/me/record", headers=headers).status_code == 401

    return Call("POST", "/me/logout", headers, on_success=check)


def _my_record(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert r.json()["uin"] == w.resident_uin

    return Call("GET", "/me/record", w.headers(caller), on_success=check)


def _my_access_log(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert "enrolment" in {entry["action"] for entry in r.json()["data"]}

    return Call("GET", "/me/access-log", w.headers(caller), on_success=check)


# --------------------------------------------------------------------------- transparency log


def _log_key(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert r.text.startswith(w.box.settings.log_origin + "+")

    return Call("GET", "/ledger/key", w.headers(caller), on_success=check)


def _log_checkpoint(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert r.text.startswith(w.box.settings.log_origin + "\n")

    return Call("GET", "/ledger/checkpoint", w.headers(caller), on_success=check)


def _sign_checkpoint(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert r.json()["size"] >= 2

    return Call("POST", "/ledger/checkpoints", w.headers(caller), on_success=check)


def _inclusion_proof(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert (r.json()["index"], r.json()["size"]) == (0, 2)

    params = {"index": "0", "size": "2"}
    return Call(
        "GET", "/ledger/proofs/inclusion", w.headers(caller), params=params, on_success=check
    )


def _consistency_proof(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert (r.json()["first"], r.json()["second"]) == (1, 2)

    params = {"first": "1", "second": "2"}
    return Call(
        "GET", "/ledger/proofs/consistency", w.headers(caller), params=params, on_success=check
    )


def _log_leaf(w: World, caller: str) -> Call:
    def check(r: httpx.Response) -> None:
        assert r.json()["index"] == 0
        assert r.json()["action_type"]

    return Call("GET", "/ledger/leaves/0", w.headers(caller), on_success=check)


BUILDERS: dict[tuple[str, str], Callable[[World, str], Call]] = {
    ("GET", "/health"): _health,
    ("POST", "/auth/token"): _sign_in,
    ("POST", "/auth/logout"): _logout,
    ("GET", "/officials/me"): _me,
    ("POST", "/officials/me/totp"): _totp_start,
    ("POST", "/officials/me/totp/confirm"): _totp_confirm,
    ("GET", "/officials"): _list_officials,
    ("POST", "/officials"): _create_official,
    ("PATCH", "/officials/{official_id}"): _update_official,
    ("GET", "/regions"): _list_regions,
    ("POST", "/regions"): _add_region,
    ("GET", "/stations"): _list_stations,
    ("POST", "/stations"): _add_station,
    ("POST", "/residents"): _enrol,
    ("GET", "/residents"): _search,
    ("GET", "/residents/{uin}"): _read,
    ("PATCH", "/residents/{uin}"): _update_resident,
    ("GET", "/residents/{uin}/history"): _history,
    ("POST", "/exports"): _propose_export,
    ("POST", "/exports/{proposal_id}/decision"): _decide_export,
    ("GET", "/exports/{proposal_id}/file"): _download_export,
    ("POST", "/me/code"): _request_code,
    ("POST", "/me/token"): _resident_sign_in,
    ("POST", "/me/logout"): _resident_logout,
    ("GET", "/me/record"): _my_record,
    ("GET", "/me/access-log"): _my_access_log,
    ("GET", "/ledger/key"): _log_key,
    ("GET", "/ledger/checkpoint"): _log_checkpoint,
    ("POST", "/ledger/checkpoints"): _sign_checkpoint,
    ("GET", "/ledger/proofs/inclusion"): _inclusion_proof,
    ("GET", "/ledger/proofs/consistency"): _consistency_proof,
    ("GET", "/ledger/leaves/{index}"): _log_leaf,
}
