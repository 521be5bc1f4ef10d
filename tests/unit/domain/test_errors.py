"""The exception tree: stable codes, documented classes, reprs without personal data."""

from __future__ import annotations

import inspect
import re

import pytest

from carnet.domain import errors
from carnet.domain.errors import (
    AuthenticationError,
    CarnetError,
    CheckpointError,
    ConflictError,
    CredentialError,
    CredentialExpiredError,
    CredentialRevokedError,
    DecodeError,
    ForkError,
    IllegalTransitionError,
    InfrastructureError,
    LedgerError,
    LinkageError,
    NotFoundError,
    PermissionDeniedError,
    ProofError,
    RollbackError,
    SignatureInvalidError,
    StaleVersionError,
    UinInvalidError,
    ValidationError,
    redact,
)

pytestmark = pytest.mark.unit

ALL_ERRORS: list[type[CarnetError]] = [
    obj
    for name in errors.__all__
    if inspect.isclass(obj := getattr(errors, name)) and issubclass(obj, CarnetError)
]


def _documented_tree() -> dict[str, str]:
    """Parse the tree drawn in the module docstring into {class name: parent name}."""
    parents: dict[str, str] = {}
    lineage: list[str] = []
    root_indent = 0
    for line in (errors.__doc__ or "").splitlines():
        if line.strip() == "CarnetError":
            lineage, root_indent = ["CarnetError"], line.index("C")
            continue
        match = re.search(r"[├└]── (\w+)", line)
        if match and lineage:
            depth = (match.start() - root_indent) // 4 + 1
            del lineage[depth:]
            parents[match.group(1)] = lineage[-1]
            lineage.append(match.group(1))
    return parents


TREE = _documented_tree()


def test_the_documented_tree_is_complete() -> None:
    assert len(TREE) >= 25  # the parser found the drawing
    assert set(TREE) | {"CarnetError"} == {cls.__name__ for cls in ALL_ERRORS}


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_each_error_has_its_documented_parent(cls: type[CarnetError]) -> None:
    (base,) = cls.__bases__
    expected = TREE.get(cls.__name__, "Exception")
    assert base.__name__ == expected


def test_the_main_branches_are_where_style_puts_them() -> None:
    assert issubclass(UinInvalidError, ValidationError)
    assert issubclass(StaleVersionError, ConflictError)
    assert issubclass(IllegalTransitionError, ConflictError)
    assert issubclass(AuthenticationError, PermissionDeniedError)
    for cls in (SignatureInvalidError, CredentialExpiredError, CredentialRevokedError):
        assert issubclass(cls, CredentialError)
    assert issubclass(RollbackError, CheckpointError)
    assert issubclass(ForkError, CheckpointError)
    assert issubclass(CheckpointError, LedgerError)
    for other in (NotFoundError, LinkageError, InfrastructureError, DecodeError, ProofError):
        assert issubclass(other, CarnetError)


def _make(cls: type[CarnetError], message: str = "something went wrong") -> CarnetError:
    if cls in (RollbackError, ForkError):
        return cls(message, old_size=10, new_size=7)
    return cls(message, field="uin")


def test_codes_are_distinct() -> None:
    codes = [cls.code for cls in ALL_ERRORS]
    assert len(codes) == len(set(codes)), codes


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_each_error_defines_its_own_snake_case_code(cls: type[CarnetError]) -> None:
    assert "code" in vars(cls), "a subclass must not inherit its parent's code"
    assert cls.code.replace("_", "").isalpha()
    assert cls.code == cls.code.lower()


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_each_error_documents_when_it_is_raised(cls: type[CarnetError]) -> None:
    doc = inspect.getdoc(cls) or ""
    assert doc
    assert cls.__doc__ is not None
    assert "__doc__" in vars(cls)


def test_well_known_codes_are_stable() -> None:
    # These are part of the API's problem JSON; changing one breaks clients.
    assert ValidationError.code == "validation_error"
    assert NotFoundError.code == "not_found"
    assert ConflictError.code == "conflict"
    assert PermissionDeniedError.code == "permission_denied"
    assert UinInvalidError.code == "uin_invalid"
    assert StaleVersionError.code == "stale_version"


def test_credential_errors_carry_a_verdict_reason() -> None:
    reasons = {
        cls: cls.reason
        for cls in ALL_ERRORS
        if issubclass(cls, CredentialError) and cls is not CredentialError
    }
    assert reasons[CredentialExpiredError] == "expired"
    assert reasons[CredentialRevokedError] == "revoked"
    assert reasons[SignatureInvalidError] == "bad_signature"
    assert all(reason for reason in reasons.values())


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_message_and_field_are_kept(cls: type[CarnetError]) -> None:
    err = _make(cls)
    assert err.message == "something went wrong"
    assert str(err) == "something went wrong"
    assert err.args == ("something went wrong",)
    assert isinstance(err, CarnetError)


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_repr_names_the_class_and_the_message_only(cls: type[CarnetError]) -> None:
    text = repr(_make(cls))
    assert text.startswith(f"{cls.__name__}('something went wrong'")
    assert text.endswith(")")


def test_repr_shows_the_field_when_there_is_one() -> None:
    assert repr(ValidationError("bad date", field="date_of_birth")) == (
        "ValidationError('bad date', field='date_of_birth')"
    )
    assert repr(NotFoundError("no such resident")) == "NotFoundError('no such resident')"
    assert NotFoundError("no such resident").field is None


@pytest.mark.parametrize("cls", [RollbackError, ForkError])
def test_checkpoint_size_errors_carry_both_sizes(cls: type[RollbackError | ForkError]) -> None:
    err = cls("the log went back", old_size=10, new_size=7)
    assert (err.old_size, err.new_size) == (10, 7)
    assert err.field is None
    assert repr(err) == f"{cls.__name__}('the log went back', old_size=10, new_size=7)"


def test_errors_can_be_caught_by_branch() -> None:
    with pytest.raises(ConflictError):
        raise StaleVersionError("someone wrote first", field="version")
    with pytest.raises(PermissionDeniedError):
        raise AuthenticationError("no")
    with pytest.raises(LedgerError):
        raise ForkError("split view", old_size=3, new_size=3)


# --------------------------------------------------------------------------- redact


@pytest.mark.parametrize(
    ("identifier", "keep", "expected"),
    [
        ("370473083690", 3, "*********690"),
        ("370473083690", 4, "********3690"),
        ("370473083690", 12, "************"),
        ("abcd", 3, "*bcd"),
        ("abc", 3, "***"),
        ("ab", 3, "**"),
        ("", 3, ""),
    ],
)
def test_redact_masks_all_but_the_last_characters(
    identifier: str, keep: int, expected: str
) -> None:
    assert redact(identifier, keep) == expected


def test_redact_keeps_three_by_default() -> None:
    assert redact("370473083690") == "*********690"


def test_redact_never_reveals_more_than_it_keeps() -> None:
    for n in range(10):
        masked = redact("7" * n)
        assert len(masked) == n
        assert masked.count("7") == (3 if n > 3 else 0)


def test_redact_with_keep_zero_masks_everything() -> None:
    assert redact("370473083690", keep=0) == "*" * 12
