"""Sign-in, bearer tokens, TOTP and the administration of officials' accounts."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

import pyotp
import pytest

from carnet.domain.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from carnet.domain.officials import Official, Role, Scope
from carnet.services.auth import (
    MIN_PASSWORD_LENGTH,
    IssuedToken,
    authenticate,
    confirm_totp,
    create_official,
    hash_token,
    list_officials,
    login,
    logout,
    start_totp,
    update_official,
)
from tests import factories
from tests.factories import COUNTY_A, COUNTY_B, PROVINCE, TOWN_A, TOWN_B
from tests.fakes import FakePasswordHasher

if TYPE_CHECKING:
    from carnet.domain.officials import Principal
    from tests.fakes import FakeClock, InMemoryUnitOfWork

pytestmark = pytest.mark.unit

PASSWORD = "correct horse battery"
LIFETIME = timedelta(hours=8)
NATIONAL = Scope(national=True)


class RecordingHasher(FakePasswordHasher):
    """The fake hasher, counting how often a password is checked."""

    def __init__(self) -> None:
        self.verified = 0

    def verify(self, encoded: str, password: str) -> bool:
        self.verified += 1
        return super().verify(encoded, password)


class UpgradingHasher(FakePasswordHasher):
    """Accepts the old "fake$" hashes but asks for them to be redone as "fake2$"."""

    def hash(self, password: str) -> str:
        return "fake2$" + password[::-1]

    def verify(self, encoded: str, password: str) -> bool:
        return encoded in {"fake$" + password[::-1], self.hash(password)}

    def needs_rehash(self, encoded: str) -> bool:
        return not encoded.startswith("fake2$")


def _official(
    uow: InMemoryUnitOfWork,
    clock: FakeClock,
    username: str = "kim.registrar",
    roles: tuple[str, ...] = ("registrar",),
    scope: Scope = NATIONAL,
) -> Official:
    return factories.create_official(
        uow, FakePasswordHasher(), clock, username=username, roles=roles, scope=scope
    )


def _login(
    uow: InMemoryUnitOfWork,
    clock: FakeClock,
    username: str = "kim.registrar",
    password: str = PASSWORD,
    code: str | None = None,
) -> IssuedToken:
    return login(
        uow,
        FakePasswordHasher(),
        username=username,
        password=password,
        totp_code=code,
        clock=clock,
        lifetime=LIFETIME,
    )


def _principal_of(uow: InMemoryUnitOfWork, clock: FakeClock, username: str) -> Principal:
    return authenticate(uow, _login(uow, clock, username).token, clock=clock)


def _admin(
    uow: InMemoryUnitOfWork, clock: FakeClock, scope: Scope = NATIONAL, name: str = "root.admin"
) -> Principal:
    _official(uow, clock, name, ("admin",), scope)
    return _principal_of(uow, clock, name)


def _create(
    uow: InMemoryUnitOfWork,
    clock: FakeClock,
    by: Principal | None,
    *,
    username: str = "new.official",
    password: str = PASSWORD,
    roles: tuple[str, ...] = ("registrar",),
    scope: Scope = NATIONAL,
    display_name: str = "New Official",
) -> Official:
    return create_official(
        uow,
        FakePasswordHasher(),
        by,
        username=username,
        display_name=display_name,
        password=password,
        roles=roles,
        scope=scope,
        clock=clock,
    )


# --------------------------------------------------------------------------- tokens


def test_hash_token_is_the_hex_sha256_of_the_token() -> None:
    assert hash_token("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # FIPS 180-2 B.1
    )
    assert hash_token("tok") == hashlib.sha256(b"tok").hexdigest()


def test_login_issues_a_token_that_authenticates(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    official = _official(memory_uow, clock, scope=Scope(regions=frozenset({COUNTY_A})))
    issued = _login(memory_uow, clock)
    assert issued.expires_at == clock.now() + LIFETIME
    assert len(issued.token) >= 43  # 32 random bytes, URL-safe base64
    who = authenticate(memory_uow, issued.token, clock=clock)
    assert who.official_id == official.id
    assert who.username == "kim.registrar"
    assert who.roles == {Role.REGISTRAR}
    assert who.scope == Scope(regions=frozenset({COUNTY_A}))
    assert who.station_regions == frozenset()


def test_only_the_token_hash_is_stored(memory_uow: InMemoryUnitOfWork, clock: FakeClock) -> None:
    _official(memory_uow, clock)
    issued = _login(memory_uow, clock)
    assert set(memory_uow.store.tokens) == {hash_token(issued.token)}
    assert issued.token not in repr(memory_uow.store.tokens)
    assert issued.token not in repr(issued)


def test_every_login_issues_a_different_token(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    _official(memory_uow, clock)
    tokens = {_login(memory_uow, clock).token for _ in range(5)}
    assert len(tokens) == 5


def test_a_token_expires_after_its_lifetime(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    _official(memory_uow, clock)
    token = _login(memory_uow, clock).token
    clock.advance(seconds=LIFETIME.total_seconds() - 1)
    authenticate(memory_uow, token, clock=clock)
    clock.advance(seconds=1)
    with pytest.raises(AuthenticationError):
        authenticate(memory_uow, token, clock=clock)


def test_an_unknown_token_is_refused(memory_uow: InMemoryUnitOfWork, clock: FakeClock) -> None:
    with pytest.raises(AuthenticationError):
        authenticate(memory_uow, "made-up", clock=clock)


def test_logout_revokes_the_token_and_is_idempotent(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    _official(memory_uow, clock)
    kept = _login(memory_uow, clock).token
    token = _login(memory_uow, clock).token
    logout(memory_uow, token, clock=clock)
    with pytest.raises(AuthenticationError):
        authenticate(memory_uow, token, clock=clock)
    logout(memory_uow, token, clock=clock)
    logout(memory_uow, "never-issued", clock=clock)
    authenticate(memory_uow, kept, clock=clock)  # other sessions live on


def test_a_token_of_a_deactivated_account_is_refused(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    official = _official(memory_uow, clock)
    token = _login(memory_uow, clock).token
    memory_uow.store.officials[official.id] = replace(official, is_active=False)
    with pytest.raises(AuthenticationError):
        authenticate(memory_uow, token, clock=clock)
    del memory_uow.store.officials[official.id]
    with pytest.raises(AuthenticationError):
        authenticate(memory_uow, token, clock=clock)


def test_station_scopes_resolve_to_their_regions(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    official = _official(memory_uow, clock, scope=Scope(stations=frozenset({"ST-B", "MT-B"})))
    token = _login(memory_uow, clock).token
    assert authenticate(memory_uow, token, clock=clock).station_regions == {COUNTY_B}
    # A station that disappeared from the reference data is simply ignored.
    memory_uow.store.officials[official.id] = replace(
        official, scope=Scope(stations=frozenset({"ST-A", "GONE"}))
    )
    assert authenticate(memory_uow, token, clock=clock).station_regions == {COUNTY_A}


# --------------------------------------------------------------------------- session station


def _login_at(
    uow: InMemoryUnitOfWork, clock: FakeClock, station: str, password: str = PASSWORD
) -> IssuedToken:
    return login(
        uow,
        FakePasswordHasher(),
        username="kim.registrar",
        password=password,
        totp_code=None,
        clock=clock,
        lifetime=LIFETIME,
        station=station,
    )


@pytest.mark.parametrize(
    ("scope", "station"),
    [
        (NATIONAL, "ST-A"),
        (Scope(stations=frozenset({"ST-B"})), "ST-B"),
        (Scope(stations=frozenset({"ST-B"})), "MT-B"),  # another station of the same county
        (Scope(regions=frozenset({COUNTY_A})), "ST-A"),
        (Scope(regions=frozenset({PROVINCE})), "MT-B"),
    ],
)
def test_a_session_may_name_a_station_in_scope(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, scope: Scope, station: str
) -> None:
    _official(memory_uow, clock, scope=scope)
    who = authenticate(memory_uow, _login_at(memory_uow, clock, station).token, clock=clock)
    assert who.station_code == station


@pytest.mark.parametrize(
    ("scope", "station"),
    [
        (Scope(regions=frozenset({COUNTY_A})), "ST-B"),
        (Scope(regions=frozenset({TOWN_A})), "ST-A"),  # the office sits above the town
        (Scope(stations=frozenset({"ST-A"})), "MT-B"),
        (NATIONAL, "NO-SUCH"),
    ],
)
def test_a_station_outside_the_scope_is_refused_after_the_credentials(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, scope: Scope, station: str
) -> None:
    _official(memory_uow, clock, scope=scope)
    with pytest.raises(AuthenticationError):
        _login_at(memory_uow, clock, station, password="wrong horse battery")
    with pytest.raises(ValidationError) as info:
        _login_at(memory_uow, clock, station)
    assert info.value.field == "station"
    assert memory_uow.store.tokens == {}


def test_a_session_without_a_station_has_none(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    _official(memory_uow, clock)
    assert (
        authenticate(memory_uow, _login(memory_uow, clock).token, clock=clock).station_code is None
    )


def test_a_session_ends_when_its_station_leaves_the_scope(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    admin = _admin(memory_uow, clock)
    target = _official(memory_uow, clock, scope=Scope(regions=frozenset({COUNTY_A})))
    token = _login_at(memory_uow, clock, "ST-A").token
    update_official(
        memory_uow, admin, target.id, scope=Scope(regions=frozenset({COUNTY_B})), clock=clock
    )
    with pytest.raises(AuthenticationError):
        authenticate(memory_uow, token, clock=clock)


# --------------------------------------------------------------------------- passwords


def test_a_wrong_password_and_an_unknown_user_fail_alike(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    _official(memory_uow, clock)
    with pytest.raises(AuthenticationError) as wrong_password:
        _login(memory_uow, clock, password="wrong horse battery")
    with pytest.raises(AuthenticationError) as unknown_user:
        _login(memory_uow, clock, username="nobody.here")
    assert repr(wrong_password.value) == repr(unknown_user.value)
    assert "nobody" not in str(unknown_user.value)
    assert memory_uow.store.tokens == {}


def test_an_unknown_user_still_costs_a_password_check(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    hasher = RecordingHasher()
    with pytest.raises(AuthenticationError):
        login(
            memory_uow,
            hasher,
            username="nobody.here",
            password=PASSWORD,
            totp_code=None,
            clock=clock,
            lifetime=LIFETIME,
        )
    assert hasher.verified == 1


def test_an_inactive_account_cannot_sign_in(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    official = _official(memory_uow, clock)
    memory_uow.store.officials[official.id] = replace(official, is_active=False)
    with pytest.raises(AuthenticationError) as inactive:
        _login(memory_uow, clock)
    with pytest.raises(AuthenticationError) as unknown:
        _login(memory_uow, clock, username="nobody.here")
    assert repr(inactive.value) == repr(unknown.value)


def test_an_outdated_hash_is_upgraded_at_sign_in(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    official = _official(memory_uow, clock)
    assert official.password_hash.startswith("fake$")
    hasher = UpgradingHasher()
    login(
        memory_uow,
        hasher,
        username="kim.registrar",
        password=PASSWORD,
        totp_code=None,
        clock=clock,
        lifetime=LIFETIME,
    )
    stored = memory_uow.store.officials[official.id].password_hash
    assert stored == hasher.hash(PASSWORD)
    assert PASSWORD not in stored
    login(
        memory_uow,
        hasher,
        username="kim.registrar",
        password=PASSWORD,
        totp_code=None,
        clock=clock,
        lifetime=LIFETIME,
    )
    assert memory_uow.store.officials[official.id].password_hash == stored


def test_a_current_hash_is_left_alone(memory_uow: InMemoryUnitOfWork, clock: FakeClock) -> None:
    official = _official(memory_uow, clock)
    _login(memory_uow, clock)
    assert memory_uow.store.officials[official.id] == official


# --------------------------------------------------------------------------- TOTP


def _enrol_totp(uow: InMemoryUnitOfWork, clock: FakeClock, who: Principal) -> str:
    enrolment = start_totp(who)
    confirm_totp(
        uow,
        who,
        secret=enrolment.secret,
        code=pyotp.TOTP(enrolment.secret).at(clock.now()),
        clock=clock,
    )
    return enrolment.secret


def test_start_totp_draws_a_fresh_base32_secret(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    _official(memory_uow, clock)
    who = _principal_of(memory_uow, clock, "kim.registrar")
    first, second = start_totp(who), start_totp(who, issuer="Carnet Test")
    assert re.fullmatch(r"[A-Z2-7]{16,}", first.secret)
    assert first.secret != second.secret
    assert first.uri.startswith("otpauth://totp/")
    assert "kim.registrar" in first.uri
    assert "issuer=Carnet" in first.uri
    assert "issuer=Carnet%20Test" in second.uri
    assert first.secret not in repr(first)
    assert memory_uow.store.officials[who.official_id].totp_secret is None  # not yet stored


def test_a_confirmed_secret_makes_the_code_required(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    _official(memory_uow, clock)
    who = _principal_of(memory_uow, clock, "kim.registrar")
    secret = _enrol_totp(memory_uow, clock, who)
    assert memory_uow.store.officials[who.official_id].totp_secret == secret
    clock.advance(seconds=30)  # the confirming code is spent; use the next step's
    totp = pyotp.TOTP(secret)
    with pytest.raises(AuthenticationError):
        _login(memory_uow, clock)
    with pytest.raises(AuthenticationError):
        _login(memory_uow, clock, code="")
    wrong = f"{(int(totp.at(clock.now())) + 1) % 1_000_000:06d}"
    with pytest.raises(AuthenticationError):
        _login(memory_uow, clock, code=wrong)
    with pytest.raises(AuthenticationError):
        _login(memory_uow, clock, code=totp.at(clock.now() - timedelta(minutes=10)))
    with pytest.raises(AuthenticationError):
        _login(memory_uow, clock, password="wrong horse battery", code=totp.at(clock.now()))
    issued = _login(memory_uow, clock, code=totp.at(clock.now()))
    assert authenticate(memory_uow, issued.token, clock=clock).official_id == who.official_id


def test_a_code_from_the_previous_step_is_tolerated(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    _official(memory_uow, clock)
    secret = _enrol_totp(memory_uow, clock, _principal_of(memory_uow, clock, "kim.registrar"))
    clock.advance(seconds=30)  # the confirming code is spent
    code = pyotp.TOTP(secret).at(clock.now())
    clock.advance(seconds=30)  # clock drift of one step (RFC 6238 §6)
    _login(memory_uow, clock, code=code)


def test_the_code_that_confirmed_enrolment_cannot_sign_in(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    _official(memory_uow, clock)
    secret = _enrol_totp(memory_uow, clock, _principal_of(memory_uow, clock, "kim.registrar"))
    with pytest.raises(AuthenticationError):
        _login(memory_uow, clock, code=pyotp.TOTP(secret).at(clock.now()))


def test_a_totp_code_cannot_be_replayed(memory_uow: InMemoryUnitOfWork, clock: FakeClock) -> None:
    _official(memory_uow, clock)
    secret = _enrol_totp(memory_uow, clock, _principal_of(memory_uow, clock, "kim.registrar"))
    clock.advance(seconds=60)
    code = pyotp.TOTP(secret).at(clock.now())
    _login(memory_uow, clock, code=code)
    with pytest.raises(AuthenticationError):
        _login(memory_uow, clock, code=code)


def test_a_wrong_confirmation_code_stores_nothing(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    _official(memory_uow, clock)
    who = _principal_of(memory_uow, clock, "kim.registrar")
    enrolment = start_totp(who)
    other = pyotp.random_base32()
    with pytest.raises(ValidationError) as info:
        confirm_totp(
            memory_uow,
            who,
            secret=enrolment.secret,
            code=pyotp.TOTP(other).at(clock.now() - timedelta(hours=1)),
            clock=clock,
        )
    assert info.value.field == "code"
    assert memory_uow.store.officials[who.official_id].totp_secret is None


@pytest.mark.parametrize("secret", ["not base32!", "ABC", "0189"])
def test_a_malformed_secret_is_refused(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, secret: str
) -> None:
    _official(memory_uow, clock)
    who = _principal_of(memory_uow, clock, "kim.registrar")
    with pytest.raises(ValidationError) as info:
        confirm_totp(memory_uow, who, secret=secret, code="123456", clock=clock)
    assert info.value.field == "secret"
    assert memory_uow.store.officials[who.official_id].totp_secret is None


def test_confirming_for_a_vanished_official_is_not_found(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    ghost = factories.principal(Role.REGISTRAR, national=True)
    secret = pyotp.random_base32()
    with pytest.raises(NotFoundError):
        confirm_totp(
            memory_uow, ghost, secret=secret, code=pyotp.TOTP(secret).at(clock.now()), clock=clock
        )


# --------------------------------------------------------------------------- creating officials


def test_bootstrap_creates_the_first_official(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    official = _create(memory_uow, clock, None, display_name="  New   Official ")
    assert official.username == "new.official"
    assert official.display_name == "New Official"
    assert official.roles == {Role.REGISTRAR}
    assert official.is_active
    assert not official.has_totp
    assert official.created_at == clock.now()
    assert PASSWORD not in official.password_hash
    assert FakePasswordHasher().verify(official.password_hash, PASSWORD)
    assert memory_uow.store.officials[official.id] == official


def test_the_password_has_a_minimum_length(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    assert MIN_PASSWORD_LENGTH == 12
    with pytest.raises(ValidationError) as info:
        _create(memory_uow, clock, None, password="x" * 11)
    assert info.value.field == "password"
    assert _create(memory_uow, clock, None, password="x" * 12).username == "new.official"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"username": "Bad Name"}, "username"),
        ({"display_name": "  "}, "display_name"),
        ({"roles": ("wizard",)}, "roles"),
        ({"roles": ()}, "roles"),
        ({"scope": Scope()}, "scope"),
        ({"scope": Scope(regions=frozenset({"99", COUNTY_A}))}, "scope_regions"),
        ({"scope": Scope(stations=frozenset({"NOPE"}))}, "scope_stations"),
    ],
)
def test_bad_account_data_is_refused(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        _create(memory_uow, clock, None, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert memory_uow.store.officials == {}


def test_a_taken_username_is_refused(memory_uow: InMemoryUnitOfWork, clock: FakeClock) -> None:
    _create(memory_uow, clock, None)
    with pytest.raises(ConflictError) as info:
        _create(memory_uow, clock, None, roles=("auditor",))
    assert info.value.field == "username"
    assert len(memory_uow.store.officials) == 1


def test_only_administrators_create_accounts(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    _official(memory_uow, clock, "kim.auditor", ("auditor",))
    auditor = _principal_of(memory_uow, clock, "kim.auditor")
    with pytest.raises(PermissionDeniedError):
        _create(memory_uow, clock, auditor)
    admin = _admin(memory_uow, clock)
    assert _create(memory_uow, clock, admin).roles == {Role.REGISTRAR}


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        (Scope(regions=frozenset({COUNTY_A})), True),
        (Scope(regions=frozenset({TOWN_A})), True),
        (Scope(stations=frozenset({"ST-A"})), True),
        (Scope(regions=frozenset({TOWN_A}), stations=frozenset({"ST-A"})), True),
        (Scope(national=True), False),
        (Scope(regions=frozenset({PROVINCE})), False),
        (Scope(regions=frozenset({COUNTY_B})), False),
        (Scope(regions=frozenset({TOWN_A, TOWN_B})), False),
        (Scope(stations=frozenset({"ST-B"})), False),
        (Scope(stations=frozenset({"MT-B"})), False),
    ],
)
def test_a_scoped_administrator_grants_only_inside_their_scope(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, scope: Scope, allowed: bool
) -> None:
    admin = _admin(memory_uow, clock, Scope(regions=frozenset({COUNTY_A})))
    if allowed:
        assert _create(memory_uow, clock, admin, scope=scope).scope == scope
    else:
        with pytest.raises(PermissionDeniedError):
            _create(memory_uow, clock, admin, scope=scope)
        assert {o.username for o in memory_uow.store.officials.values()} == {"root.admin"}


def test_a_station_administrator_grants_in_the_station_region(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    admin = _admin(memory_uow, clock, Scope(stations=frozenset({"ST-B"})))
    assert _create(memory_uow, clock, admin, scope=Scope(regions=frozenset({TOWN_B}))).username
    with pytest.raises(PermissionDeniedError):
        _create(
            memory_uow, clock, admin, username="other.one", scope=Scope(regions=frozenset({TOWN_A}))
        )


def test_list_officials_is_sorted_and_for_administrators_and_auditors(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    admin = _admin(memory_uow, clock)
    _official(memory_uow, clock, "b.auditor", ("auditor",))
    _official(memory_uow, clock, "a.registrar", ("registrar",))
    auditor = _principal_of(memory_uow, clock, "b.auditor")
    names = ["a.registrar", "b.auditor", "root.admin"]
    assert [o.username for o in list_officials(memory_uow, admin)] == names
    assert [o.username for o in list_officials(memory_uow, auditor)] == names
    registrar = _principal_of(memory_uow, clock, "a.registrar")
    with pytest.raises(PermissionDeniedError):
        list_officials(memory_uow, registrar)


# --------------------------------------------------------------------------- updating officials


def test_a_role_change_revokes_every_token(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    admin = _admin(memory_uow, clock)
    target = _official(memory_uow, clock)
    tokens = [_login(memory_uow, clock).token for _ in range(2)]
    updated = update_official(memory_uow, admin, target.id, roles=["approver"], clock=clock)
    assert updated.roles == {Role.APPROVER}
    for token in tokens:
        with pytest.raises(AuthenticationError):
            authenticate(memory_uow, token, clock=clock)
    fresh = _login(memory_uow, clock).token
    assert authenticate(memory_uow, fresh, clock=clock).roles == {Role.APPROVER}
    authenticate(memory_uow, _login(memory_uow, clock, "root.admin").token, clock=clock)


def test_deactivation_revokes_tokens_and_blocks_sign_in(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    admin = _admin(memory_uow, clock)
    target = _official(memory_uow, clock)
    token = _login(memory_uow, clock).token
    assert not update_official(memory_uow, admin, target.id, is_active=False, clock=clock).is_active
    assert memory_uow.store.tokens[hash_token(token)].revoked_at == clock.now()
    with pytest.raises(AuthenticationError):
        _login(memory_uow, clock)
    assert update_official(memory_uow, admin, target.id, is_active=True, clock=clock).is_active
    with pytest.raises(AuthenticationError):
        authenticate(memory_uow, token, clock=clock)  # revoked tokens stay revoked
    authenticate(memory_uow, _login(memory_uow, clock).token, clock=clock)


def test_a_scope_change_takes_effect_on_live_tokens(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    admin = _admin(memory_uow, clock)
    target = _official(memory_uow, clock)
    token = _login(memory_uow, clock).token
    narrow = Scope(regions=frozenset({COUNTY_B}))
    update_official(memory_uow, admin, target.id, scope=narrow, clock=clock)
    assert authenticate(memory_uow, token, clock=clock).scope == narrow


def test_an_unchanged_update_keeps_the_account(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    admin = _admin(memory_uow, clock)
    target = _official(memory_uow, clock)
    token = _login(memory_uow, clock).token
    assert update_official(memory_uow, admin, target.id, clock=clock) == target
    authenticate(memory_uow, token, clock=clock)


def test_an_administrator_cannot_change_their_own_account(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    admin = _admin(memory_uow, clock)
    with pytest.raises(PermissionDeniedError):
        update_official(memory_uow, admin, admin.official_id, roles=["registrar"], clock=clock)
    assert memory_uow.store.officials[admin.official_id].roles == {Role.ADMIN}


def test_updating_an_unknown_official_is_not_found(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    admin = _admin(memory_uow, clock)
    with pytest.raises(NotFoundError):
        update_official(memory_uow, admin, "no-such-id", is_active=False, clock=clock)


def test_only_administrators_update_accounts(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    target = _official(memory_uow, clock)
    _official(memory_uow, clock, "kim.auditor", ("auditor",))
    auditor = _principal_of(memory_uow, clock, "kim.auditor")
    with pytest.raises(PermissionDeniedError):
        update_official(memory_uow, auditor, target.id, is_active=False, clock=clock)


@pytest.mark.parametrize(
    ("target_scope", "new_scope", "allowed"),
    [
        (Scope(regions=frozenset({TOWN_A})), Scope(regions=frozenset({COUNTY_A})), True),
        (Scope(regions=frozenset({TOWN_A})), None, True),
        (Scope(regions=frozenset({TOWN_B})), None, False),  # the account lies elsewhere
        (NATIONAL, Scope(regions=frozenset({TOWN_A})), False),  # cannot narrow a national one
        (Scope(regions=frozenset({TOWN_A})), Scope(regions=frozenset({TOWN_B})), False),
        (Scope(regions=frozenset({TOWN_A})), NATIONAL, False),
    ],
)
def test_a_scoped_administrator_changes_only_accounts_inside_their_scope(
    memory_uow: InMemoryUnitOfWork,
    clock: FakeClock,
    target_scope: Scope,
    new_scope: Scope | None,
    allowed: bool,
) -> None:
    admin = _admin(memory_uow, clock, Scope(regions=frozenset({COUNTY_A})))
    target = _official(memory_uow, clock, scope=target_scope)
    if allowed:
        updated = update_official(
            memory_uow, admin, target.id, scope=new_scope, is_active=False, clock=clock
        )
        assert updated.scope == (new_scope or target_scope)
    else:
        with pytest.raises(PermissionDeniedError):
            update_official(
                memory_uow, admin, target.id, scope=new_scope, is_active=False, clock=clock
            )
        assert memory_uow.store.officials[target.id] == target


def test_an_account_tied_to_a_vanished_station_is_out_of_a_scoped_administrators_reach(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock
) -> None:
    admin = _admin(memory_uow, clock, Scope(regions=frozenset({COUNTY_A})))
    target = _official(memory_uow, clock, scope=Scope(stations=frozenset({"ST-A"})))
    del memory_uow.store.stations["ST-A"]
    with pytest.raises(PermissionDeniedError):
        update_official(memory_uow, admin, target.id, is_active=False, clock=clock)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"roles": ["wizard"]}, "roles"),
        ({"roles": []}, "roles"),
        ({"scope": Scope()}, "scope"),
        ({"scope": Scope(regions=frozenset({"99"}))}, "scope_regions"),
    ],
)
def test_bad_updates_are_refused(
    memory_uow: InMemoryUnitOfWork, clock: FakeClock, kwargs: dict[str, object], field: str
) -> None:
    admin = _admin(memory_uow, clock)
    target = _official(memory_uow, clock)
    with pytest.raises(ValidationError) as info:
        update_official(memory_uow, admin, target.id, clock=clock, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert memory_uow.store.officials[target.id] == target


def test_station_lookups_see_the_reference_data(memory_uow: InMemoryUnitOfWork) -> None:
    # Guard for the scope tests above: the factory stations are where they claim.
    stations = memory_uow.store.stations
    assert {code: s.region_code for code, s in stations.items()} == {
        "ST-A": COUNTY_A,
        "ST-B": COUNTY_B,
        "MT-B": COUNTY_B,
    }
