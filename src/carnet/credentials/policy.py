"""Purpose policy: which documents a purpose accepts, and what its verifier may see.

A checkpoint verifies *for a purpose* (``zone_entry``, ``boarding``, ...). The
policy names, per purpose, the document types it accepts and the attributes it
reveals; the verifier discloses exactly those and nothing else (DESIGN.md,
principle 2). Some purposes must never demand an identity document at all
(DESIGN.md, "Purposes"): for them the verifier refuses before it reads the QR.

The policy is data, not code. It is written in YAML (``policies/default.yaml``
is Carnet's default), carried inside the signed checkpoint bundle as
deterministic CBOR (RFC 8949 §4.2.1) of the same mapping, and validated on every
load. The mapping is::

    version: 1                        # positive integer; a change is a new version
    document_types: [passport, ...]   # every type a purpose may accept
    purposes:
      <name>:
        description: <text>           # optional
        accepts: [<document type>, ...]
        reveals: [<attribute>, ...]   # see ATTRIBUTES, plus over_<N>
        zone_bound: true              # optional: the credential must name the zone
      <name>:
        description: <text>
        no_document_may_be_demanded: true

Names are lowercase ``[a-z][a-z0-9_]*``. Unknown keys, duplicate keys, YAML
aliases, a purpose that both demands and forbids documents, and any policy that
would let one of :data:`NO_DOCUMENT_PURPOSES` demand a document are refused with
a :class:`ValidationError` that names the offending field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, cast

import yaml

from carnet.credentials.cbor import decode_cbor, encode_deterministic
from carnet.domain.errors import DecodeError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = [
    "ATTRIBUTES",
    "MAX_POLICY_SIZE",
    "NO_DOCUMENT_PURPOSES",
    "Policy",
    "Purpose",
    "default_policy",
    "default_policy_text",
    "load_policy",
    "load_strict_yaml",
    "over_age",
]

#: Purposes for which no identity document may ever be demanded (DESIGN.md,
#: "Purposes"). The verifier refuses them even if a policy omits them, and a
#: policy that lets one of them accept a document does not load.
NO_DOCUMENT_PURPOSES: Final = frozenset(
    {
        "hospital_care",
        "clinic_care",
        "voting",
        "court",
        "emergency_services",
        "benefits_access",
    }
)

#: Attributes a purpose may reveal, besides the derived ``over_<N>``.
ATTRIBUTES: Final = frozenset(
    {
        "name",  # the Latin-script full name (as printed in the MRZ)
        "name_native",  # the full name in the native script
        "uin",
        "date_of_birth",
        "gender",
        "nationality",
        "address",
        "photo",  # the face image, with its format
        "document_number",
        "issuer",
        "valid_from",
        "valid_until",
        "permit_zone",
    }
)

#: Largest policy text (YAML) or CBOR encoding accepted.
MAX_POLICY_SIZE: Final = 64 * 1024

_MAX_AGE: Final = 150
_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,63}", re.ASCII)
_OVER: Final = re.compile(r"over_([1-9][0-9]{0,2})", re.ASCII)
_MAX_DESCRIPTION: Final = 500
_MAX_DEPTH: Final = 6
_TOP_KEYS: Final = frozenset({"version", "document_types", "purposes"})
_DEMAND_KEYS: Final = frozenset({"description", "accepts", "reveals", "zone_bound"})
_NO_DEMAND_KEYS: Final = frozenset({"description", "no_document_may_be_demanded"})
_NO_DEMAND: Final = "no_document_may_be_demanded"


def over_age(attribute: str) -> int | None:
    """Return ``N`` for a derived ``over_<N>`` attribute (1 to 150), else ``None``."""
    match = _OVER.fullmatch(attribute)
    if match is None or int(match[1]) > _MAX_AGE:
        return None
    return int(match[1])


@dataclass(frozen=True, slots=True)
class Purpose:
    """One purpose of the policy.

    Attributes:
        name: the purpose's name, e.g. ``zone_entry``.
        description: a sentence for people.
        accepts: the document types acceptable for it (empty when no document
            may be demanded).
        reveals: the attributes disclosed, in display order.
        zone_bound: whether the credential must name the checkpoint's zone.
        no_document_may_be_demanded: whether nobody may be asked for a document.
    """

    name: str
    description: str = ""
    accepts: frozenset[str] = frozenset()
    reveals: tuple[str, ...] = ()
    zone_bound: bool = False
    no_document_may_be_demanded: bool = False

    def to_mapping(self) -> dict[str, object]:
        """Return the purpose's entry of the policy mapping."""
        out: dict[str, object] = {}
        if self.description:
            out["description"] = self.description
        if self.no_document_may_be_demanded:
            out[_NO_DEMAND] = True
            return out
        out["accepts"] = sorted(self.accepts)
        out["reveals"] = list(self.reveals)
        if self.zone_bound:
            out["zone_bound"] = True
        return out


@dataclass(frozen=True)
class Policy:
    """A validated purpose policy (see the module docstring for the mapping)."""

    version: int
    document_types: frozenset[str]
    purposes: Mapping[str, Purpose] = field(repr=False)

    def __repr__(self) -> str:
        return f"Policy(version={self.version}, purposes={len(self.purposes)})"

    def purpose(self, name: str) -> Purpose:
        """Return the purpose ``name``.

        Raises:
            ValidationError: the policy has no such purpose (``field="purpose"``).
        """
        found = self.purposes.get(name)
        if found is None:
            raise ValidationError("no such purpose in the policy", field="purpose")
        return found

    def forbids_documents(self, name: str) -> bool:
        """Whether no document may be demanded for purpose ``name``.

        True for :data:`NO_DOCUMENT_PURPOSES` whatever the policy says, and for
        every purpose the policy marks so.
        """
        if name in NO_DOCUMENT_PURPOSES:
            return True
        found = self.purposes.get(name)
        return found is not None and found.no_document_may_be_demanded

    # ---------------------------------------------------------------- encoding

    def to_mapping(self) -> dict[str, object]:
        """Return the policy as the mapping of the module docstring."""
        return {
            "version": self.version,
            "document_types": sorted(self.document_types),
            "purposes": {name: p.to_mapping() for name, p in self.purposes.items()},
        }

    def to_yaml(self) -> str:
        """Return the policy as YAML text that :meth:`from_yaml` reads back."""
        return yaml.safe_dump(self.to_mapping(), sort_keys=False, allow_unicode=True)

    def to_cbor(self) -> bytes:
        """Return the policy mapping as deterministic CBOR (RFC 8949 §4.2.1)."""
        return encode_deterministic(self.to_mapping())

    @classmethod
    def from_mapping(cls, data: object) -> Policy:
        """Validate a policy mapping.

        Raises:
            ValidationError: see the module docstring; ``field`` is the path of
                the offending entry, e.g. ``"purposes.zone_entry.accepts"``.
        """
        top = _mapping(data, "policy", _TOP_KEYS, required=_TOP_KEYS)
        version = top["version"]
        if type(version) is not int or version < 1:
            raise ValidationError("version must be a positive integer", field="version")
        document_types = frozenset(_names(top["document_types"], "document_types"))
        if not document_types:
            raise ValidationError("at least one document type is needed", field="document_types")
        purposes_data = _mapping(top["purposes"], "purposes")
        purposes: dict[str, Purpose] = {}
        for name, entry in purposes_data.items():
            _name(name, "purposes")
            purposes[name] = _purpose(name, entry, document_types)
        return cls(
            version=version,
            document_types=document_types,
            purposes=MappingProxyType(purposes),
        )

    @classmethod
    def from_yaml(cls, text: str | bytes) -> Policy:
        """Read and validate a policy written in YAML.

        Raises:
            ValidationError: larger than :data:`MAX_POLICY_SIZE`, not YAML, YAML
                with aliases or duplicate keys, or an invalid policy.
        """
        if len(text) > MAX_POLICY_SIZE:
            raise ValidationError("policy text is too large", field="policy")
        return cls.from_mapping(load_strict_yaml(text, "policy"))

    @classmethod
    def from_cbor(cls, data: bytes) -> Policy:
        """Read a policy from its CBOR form (as carried in a bundle).

        Raises:
            DecodeError: not well-formed CBOR within :data:`MAX_POLICY_SIZE`, or
                not a valid policy.
        """
        value = decode_cbor(data, max_size=MAX_POLICY_SIZE, max_depth=_MAX_DEPTH)
        try:
            return cls.from_mapping(value)
        except ValidationError as exc:
            raise DecodeError(f"policy is invalid: {exc.message}", field=exc.field) from exc


def load_policy(path: Path) -> Policy:
    """Read and validate the YAML policy file at ``path``.

    Raises:
        ValidationError: the file cannot be read or holds an invalid policy.
    """
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ValidationError("policy file cannot be read", field="policy") from exc
    return Policy.from_yaml(text)


def default_policy_text() -> str:
    """Return the YAML text of Carnet's default policy, comments included."""
    resource = resources.files("carnet.credentials.policies").joinpath("default.yaml")
    return resource.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    """Return Carnet's default policy (``policies/default.yaml``)."""
    return Policy.from_yaml(default_policy_text())


# ------------------------------------------------------------------ helpers


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, minus aliases, plus a refusal of duplicate keys.

    PyYAML keeps the last of two equal keys silently; aliases let a small text
    stand for a very large structure. A policy needs neither.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: ANN401 - PyYAML's API
        if self.check_event(yaml.AliasEvent):
            mark = cast("Any", self).peek_event().start_mark  # untyped in types-PyYAML
            raise yaml.composer.ComposerError(None, None, "aliases are not allowed", mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: let PyYAML report it
                break
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_strict_yaml(text: str | bytes, what: str) -> object:
    """Parse YAML safely, refusing aliases and duplicate keys (for configuration files).

    Raises:
        ValidationError: the text is not valid YAML; the message names ``what``.
    """
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ValidationError(f"{what} is not valid YAML ({_yaml_problem(exc)})") from exc


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark is not None else ""
    return f"{problem or type(exc).__name__}{where}"


def _mapping(
    value: object,
    where: str,
    allowed: frozenset[str] | None = None,
    *,
    required: frozenset[str] = frozenset(),
) -> dict[str, object]:
    if not isinstance(value, dict) or not all(type(key) is str for key in value):
        raise ValidationError("must be a mapping with text keys", field=where)
    if allowed is not None:
        unknown = set(value) - allowed
        if unknown:
            raise ValidationError(f"unknown key {min(unknown)!r}", field=where)
    missing = required - set(value)
    if missing:
        raise ValidationError(f"missing key {min(missing)!r}", field=where)
    return value


def _name(value: object, where: str) -> str:
    if type(value) is not str or not _NAME.fullmatch(value):
        raise ValidationError("names are lowercase [a-z][a-z0-9_]*, 1-64 characters", field=where)
    return value


def _names(value: object, where: str) -> list[str]:
    if not isinstance(value, list):
        raise ValidationError("must be a list", field=where)
    names = [_name(item, where) for item in value]
    if len(set(names)) != len(names):
        raise ValidationError("lists a name twice", field=where)
    return names


def _purpose(name: str, entry: object, document_types: frozenset[str]) -> Purpose:
    where = f"purposes.{name}"
    if isinstance(entry, dict) and _NO_DEMAND in entry:
        data = _mapping(entry, where, _NO_DEMAND_KEYS)
        if data[_NO_DEMAND] is not True:
            raise ValidationError(f"{_NO_DEMAND} may only be true", field=f"{where}.{_NO_DEMAND}")
        return Purpose(name, _description(data, where), no_document_may_be_demanded=True)
    if name in NO_DOCUMENT_PURPOSES:
        raise ValidationError(
            "no identity document may ever be demanded for this purpose", field=where
        )
    data = _mapping(entry, where, _DEMAND_KEYS, required=frozenset({"accepts", "reveals"}))
    accepts = _names(data["accepts"], f"{where}.accepts")
    if not accepts:
        raise ValidationError("accepts no document type", field=f"{where}.accepts")
    unknown = [kind for kind in accepts if kind not in document_types]
    if unknown:
        raise ValidationError(
            f"document type {unknown[0]!r} is not in document_types", field=f"{where}.accepts"
        )
    reveals = _names(data["reveals"], f"{where}.reveals")
    if not reveals:
        raise ValidationError("reveals nothing", field=f"{where}.reveals")
    for attribute in reveals:
        if attribute not in ATTRIBUTES and over_age(attribute) is None:
            raise ValidationError(f"unknown attribute {attribute!r}", field=f"{where}.reveals")
    zone_bound = data.get("zone_bound", False)
    if type(zone_bound) is not bool:
        raise ValidationError("must be true or false", field=f"{where}.zone_bound")
    return Purpose(
        name,
        _description(data, where),
        accepts=frozenset(accepts),
        reveals=tuple(reveals),
        zone_bound=zone_bound,
    )


def _description(data: dict[str, object], where: str) -> str:
    description = data.get("description", "")
    if type(description) is not str or len(description) > _MAX_DESCRIPTION:
        raise ValidationError(
            f"must be text of at most {_MAX_DESCRIPTION} characters",
            field=f"{where}.description",
        )
    return description
