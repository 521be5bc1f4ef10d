"""Roles, permissions and scopes of officials."""

from __future__ import annotations

import pytest

from carnet.domain.errors import PermissionDeniedError, ValidationError
from carnet.domain.officials import (
    ROLE_PERMISSIONS,
    Official,
    Permission,
    Principal,
    Role,
    Scope,
    validate_username,
)

pytestmark = pytest.mark.unit

P = Permission
RESIDENT_PERMISSIONS = {
    P.RESIDENT_READ,
    P.RESIDENT_CREATE,
    P.RESIDENT_UPDATE,
    P.RESIDENT_HISTORY,
    P.RESIDENT_IMPORT,
}
LINEAGE_TOWN_A = ("11", "11010", "11010001")
LINEAGE_TOWN_B = ("11", "11020", "11020001")


def _principal(
    *roles: Role, scope: Scope | None = None, stations: frozenset[str] = frozenset()
) -> Principal:
    return Principal(
        official_id="o-1",
        username="kim.registrar",
        roles=frozenset(roles),
        scope=scope or Scope(national=True),
        station_regions=stations,
    )


# --------------------------------------------------------------------------- role table


def test_every_role_has_an_entry() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_permission_values_are_the_stable_names_endpoints_declare() -> None:
    # Endpoints, tokens and audit records store these strings: they must not change.
    assert {p.value for p in Permission} >= {
        "resident:read",
        "resident:create",
        "resident:update",
        "resident:history",
        "resident:import",
        "reference:read",
        "reference:manage",
        "official:read",
        "official:manage",
    }
    for permission in Permission:
        area, _, action = permission.value.partition(":")
        assert area.isalpha()
        assert action.isalpha()
        assert permission.name == f"{area}_{action}".upper()


def test_an_administrator_manages_accounts_and_reference_data_but_sees_no_resident() -> None:
    admin = ROLE_PERMISSIONS[Role.ADMIN]
    assert {P.OFFICIAL_MANAGE, P.OFFICIAL_READ, P.REFERENCE_MANAGE} <= admin
    assert not admin & RESIDENT_PERMISSIONS


def test_an_auditor_reads_histories_but_not_current_records() -> None:
    auditor = ROLE_PERMISSIONS[Role.AUDITOR]
    assert P.RESIDENT_HISTORY in auditor
    assert P.OFFICIAL_READ in auditor
    assert P.RESIDENT_READ not in auditor
    assert not auditor & {P.RESIDENT_CREATE, P.RESIDENT_UPDATE, P.RESIDENT_IMPORT}
    assert not auditor & {P.OFFICIAL_MANAGE, P.REFERENCE_MANAGE}


def test_only_the_registrar_writes_residents() -> None:
    writers = {
        role
        for role, granted in ROLE_PERMISSIONS.items()
        if granted & {P.RESIDENT_CREATE, P.RESIDENT_UPDATE, P.RESIDENT_IMPORT}
    }
    assert writers == {Role.REGISTRAR}


def test_only_the_administrator_manages() -> None:
    managers = {
        role
        for role, granted in ROLE_PERMISSIONS.items()
        if granted & {P.OFFICIAL_MANAGE, P.REFERENCE_MANAGE}
    }
    assert managers == {Role.ADMIN}


@pytest.mark.parametrize("role", [Role.APPROVER, Role.ISSUER])
def test_approvers_and_issuers_read_residents_but_change_nothing(role: Role) -> None:
    granted = ROLE_PERMISSIONS[role]
    assert P.RESIDENT_READ in granted
    assert not granted & {
        P.RESIDENT_CREATE,
        P.RESIDENT_UPDATE,
        P.RESIDENT_IMPORT,
        P.OFFICIAL_MANAGE,
        P.REFERENCE_MANAGE,
    }


def test_every_role_may_read_reference_data() -> None:
    assert all(P.REFERENCE_READ in granted for granted in ROLE_PERMISSIONS.values())


# --------------------------------------------------------------------------- principal


def test_a_principal_holds_the_union_of_its_roles() -> None:
    principal = _principal(Role.ADMIN, Role.AUDITOR)
    assert principal.permissions == ROLE_PERMISSIONS[Role.ADMIN] | ROLE_PERMISSIONS[Role.AUDITOR]
    assert principal.can(P.RESIDENT_HISTORY)
    assert principal.can(P.OFFICIAL_MANAGE)
    assert not principal.can(P.RESIDENT_READ)


def test_a_principal_without_roles_can_do_nothing() -> None:
    principal = _principal()
    assert principal.permissions == frozenset()
    assert not any(principal.can(p) for p in Permission)


def test_require_passes_silently_when_granted() -> None:
    _principal(Role.REGISTRAR).require(P.RESIDENT_CREATE)


def test_require_raises_permission_denied_naming_the_permission() -> None:
    with pytest.raises(PermissionDeniedError) as info:
        _principal(Role.ADMIN).require(P.RESIDENT_READ)
    assert "resident:read" in info.value.message


def test_a_principal_covers_through_its_scope_and_its_stations_regions() -> None:
    by_station = _principal(
        Role.REGISTRAR, scope=Scope(stations=frozenset({"ST-B"})), stations=frozenset({"11020"})
    )
    assert by_station.covers(LINEAGE_TOWN_B)
    assert not by_station.covers(LINEAGE_TOWN_A)


# --------------------------------------------------------------------------- scope


def test_a_national_scope_covers_everything() -> None:
    scope = Scope(national=True)
    assert scope.covers(LINEAGE_TOWN_A)
    assert scope.covers(())
    assert not scope.is_empty


def test_a_regional_scope_covers_the_region_and_everything_below() -> None:
    scope = Scope(regions=frozenset({"11010"}))
    assert scope.covers(("11", "11010"))
    assert scope.covers(LINEAGE_TOWN_A)
    assert not scope.covers(("11",))  # not the parent
    assert not scope.covers(LINEAGE_TOWN_B)  # not a sibling's subtree
    assert not scope.covers(())


def test_a_scope_at_the_leaf_covers_only_the_leaf() -> None:
    scope = Scope(regions=frozenset({"11010001"}))
    assert scope.covers(LINEAGE_TOWN_A)
    assert not scope.covers(("11", "11010", "11010002"))


def test_station_regions_extend_a_scope() -> None:
    scope = Scope(stations=frozenset({"ST-B"}))
    assert not scope.covers(LINEAGE_TOWN_B)
    assert scope.covers(LINEAGE_TOWN_B, ["11020"])
    assert scope.covers(iter(LINEAGE_TOWN_B), iter(["11020"]))
    assert not scope.covers(LINEAGE_TOWN_A, ["11020"])


def test_an_empty_scope_covers_nothing() -> None:
    scope = Scope()
    assert scope.is_empty
    assert not scope.covers(LINEAGE_TOWN_A)


@pytest.mark.parametrize(
    "scope", [Scope(regions=frozenset({"11"})), Scope(stations=frozenset({"ST-A"}))]
)
def test_a_scope_naming_a_place_is_not_empty(scope: Scope) -> None:
    assert not scope.is_empty


def test_a_national_scope_includes_any_scope() -> None:
    national = Scope(national=True)
    assert national.includes(Scope(national=True))
    assert national.includes(Scope(regions=frozenset({"11"}), stations=frozenset({"ST-A"})))
    assert national.includes(Scope())


def test_a_regional_scope_never_includes_a_national_one() -> None:
    assert not Scope(regions=frozenset({"11"})).includes(Scope(national=True))


def test_includes_compares_the_places_named() -> None:
    held = Scope(regions=frozenset({"11010", "11020"}), stations=frozenset({"ST-A"}))
    assert held.includes(Scope(regions=frozenset({"11010"})))
    assert held.includes(Scope(stations=frozenset({"ST-A"})))
    assert held.includes(held)
    assert held.includes(Scope())
    assert not held.includes(Scope(regions=frozenset({"11030"})))
    assert not held.includes(Scope(stations=frozenset({"ST-B"})))
    assert not held.includes(Scope(regions=frozenset({"11010", "11"})))


# --------------------------------------------------------------------------- officials


def test_an_official_shows_no_secret_in_its_repr() -> None:
    official = Official(
        id="o-1",
        username="kim.admin",
        display_name="Kim Admin",
        roles=frozenset({Role.ADMIN}),
        scope=Scope(national=True),
        password_hash="argon2id$v=19$hash-material",
        totp_secret="JBSWY3DPEHPK3PXP",
    )
    text = repr(official)
    assert "hash-material" not in text
    assert "JBSWY3DPEHPK3PXP" not in text
    assert "kim.admin" in text
    assert official.has_totp
    assert official.is_active


def test_has_totp_is_false_without_a_secret() -> None:
    official = Official(
        id="o-2",
        username="lee.registrar",
        display_name="Lee",
        roles=frozenset({Role.REGISTRAR}),
        scope=Scope(regions=frozenset({"11"})),
        password_hash="x",
    )
    assert not official.has_totp


@pytest.mark.parametrize(
    "name", ["kim", "kim.admin", "lee_2", "park-ji.woo", "a" * 64, "x00", "a.b"]
)
def test_valid_usernames(name: str) -> None:
    assert validate_username(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "ki",
        "a" * 65,
        "Kim",
        "kIm",
        "1kim",
        ".kim",
        "_kim",
        "kim admin",
        "kim@example",
        "kím",
        "김철수",
        "kim/../x",
    ],
)
def test_invalid_usernames(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_username(name)
    assert info.value.field == "username"


def test_a_username_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(ValidationError):
        validate_username("alice\n")
