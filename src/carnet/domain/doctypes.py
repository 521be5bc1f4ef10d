"""Document types as data: what each type needs, how long it is valid, who approves it.

The catalogue is a versioned configuration file (``documents/types.yaml``), read
and validated once at start-up by :func:`parse_catalogue`. Each type declares:

- ``attributes``: the facts an application must give (a zone, travel dates, a
  sponsoring organisation...), each with a kind and rules such as
  ``required_when: {travel: official}``;
- ``validity``: a fixed term (``years``/``days``), or the dates of two
  attributes (``from``/``until``) no more than ``max_days`` apart;
- ``approvals``: how many distinct officials must approve (0, 1 or 2);
- ``fee``: an amount in minor units and its currency, recorded with a receipt;
- ``mrz``: the ICAO 9303 format (``td1``/``td3``) and document code;
- ``purposes``: the verifier purposes that accept it (checked against the
  purpose policy at start-up, so the two never disagree);
- lifecycle rules: ``single_valid`` (a holder has one valid document of this
  type, so a new one *replaces* the old), ``zone_attribute`` (the attribute the
  QR names as its zone), ``residence_bound`` (revoked when the holder's
  residence leaves the zone; needs ``zone_attribute``), ``collection_days``
  (uncollected after this many days ready: destroyed and revoked) and
  ``escalate`` (a service level after which a waiting application is escalated).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, TypeVar

from carnet.domain.errors import ValidationError
from carnet.domain.printing import Layout
from carnet.domain.text import clean_text

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "AttributeKind",
    "AttributeSpec",
    "Catalogue",
    "DocumentType",
    "Escalation",
    "Fee",
    "MrzFormat",
    "Validity",
    "parse_catalogue",
]

_E = TypeVar("_E", bound=StrEnum)

_CODE: Final = re.compile(r"[a-z][a-z0-9_]{1,39}")
_MRZ_CODE: Final = {"td1": re.compile(r"[ACI][A-Z<]?"), "td3": re.compile(r"P[A-Z<]?")}
_STATE: Final = re.compile(r"[A-Z]{3}")
_NUMBER_PREFIX: Final = re.compile(r"[A-Z]{1,2}")
_DIGITS: Final = re.compile(r"[0-9]{1,12}")
_MAX_TEXT: Final = 200
_MAX_VALIDITY_DAYS: Final = 20 * 366


class MrzFormat(StrEnum):
    """The ICAO 9303 machine-readable zone a type carries."""

    TD1 = "td1"
    TD3 = "td3"


class AttributeKind(StrEnum):
    """How an application attribute is validated."""

    TEXT = "text"
    DATE = "date"
    CHOICE = "choice"
    BOOLEAN = "boolean"
    REGION = "region"
    """A region code of the registry (checked against the region tree by the service)."""
    COUNTRY = "country"
    """An ICAO 9303 three-letter state code."""
    COUNT = "count"
    """A whole number of at least 1."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AttributeSpec:
    """One attribute of a document type."""

    name: str
    kind: AttributeKind
    label: str
    required: bool = False
    choices: tuple[str, ...] = ()
    default: str | None = None
    required_when: tuple[tuple[str, str], ...] = ()
    max_value: int | None = None

    def is_required(self, values: Mapping[str, str]) -> bool:
        """Whether the attribute is needed, given the other values."""
        if self.required:
            return True
        return any(values.get(name) == value for name, value in self.required_when)

    def clean(self, raw: object) -> str:
        """Return the canonical text of one value.

        Raises:
            ValidationError: a value of the wrong kind; ``field`` names the attribute.
        """
        field_name = f"attributes.{self.name}"
        if isinstance(raw, bool) and self.kind is AttributeKind.BOOLEAN:
            return "true" if raw else "false"
        if isinstance(raw, int) and not isinstance(raw, bool) and self.kind is AttributeKind.COUNT:
            raw = str(raw)
        if not isinstance(raw, str):
            raise ValidationError("must be text", field=field_name)
        text = clean_text(raw, field_name, max_length=_MAX_TEXT)
        return _CLEANERS[self.kind](self, text, field_name)


def _clean_text(_spec: AttributeSpec, text: str, _field: str) -> str:
    return text


def _clean_date(_spec: AttributeSpec, text: str, field_name: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise ValidationError("must be a date YYYY-MM-DD", field=field_name) from exc


def _clean_choice(spec: AttributeSpec, text: str, field_name: str) -> str:
    if text not in spec.choices:
        raise ValidationError(f"must be one of {', '.join(spec.choices)}", field=field_name)
    return text


def _clean_boolean(_spec: AttributeSpec, text: str, field_name: str) -> str:
    lowered = text.lower()
    if lowered not in {"true", "false"}:
        raise ValidationError("must be true or false", field=field_name)
    return lowered


def _clean_region(_spec: AttributeSpec, text: str, field_name: str) -> str:
    if not _DIGITS.fullmatch(text):
        raise ValidationError("must be a region code", field=field_name)
    return text


def _clean_country(_spec: AttributeSpec, text: str, field_name: str) -> str:
    upper = text.upper()
    if not _STATE.fullmatch(upper):
        raise ValidationError("must be a three-letter state code", field=field_name)
    return upper


def _clean_count(spec: AttributeSpec, text: str, field_name: str) -> str:
    if not _DIGITS.fullmatch(text) or int(text) < 1:
        raise ValidationError("must be a whole number of at least 1", field=field_name)
    if spec.max_value is not None and int(text) > spec.max_value:
        raise ValidationError(f"must be at most {spec.max_value}", field=field_name)
    return str(int(text))


_CLEANERS: Final = {
    AttributeKind.TEXT: _clean_text,
    AttributeKind.DATE: _clean_date,
    AttributeKind.CHOICE: _clean_choice,
    AttributeKind.BOOLEAN: _clean_boolean,
    AttributeKind.REGION: _clean_region,
    AttributeKind.COUNTRY: _clean_country,
    AttributeKind.COUNT: _clean_count,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Validity:
    """How long a document is valid.

    Either a fixed term from issuance (``years`` and/or ``days``), or the dates
    of two attributes (``from_attribute``, ``until_attribute``; the document is
    valid from the start of the first day to the end of the last) spanning at
    most ``max_days``.
    """

    years: int = 0
    days: int = 0
    from_attribute: str | None = None
    until_attribute: str | None = None
    max_days: int | None = None

    @property
    def from_attributes(self) -> bool:
        """Whether the window comes from the application's dates."""
        return self.from_attribute is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Fee:
    """A fee in minor units of ``currency`` (ISO 4217)."""

    amount: int
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalation:
    """Escalate an application still waiting after ``after`` (when ``when`` matches)."""

    after: timedelta
    when: tuple[tuple[str, str], ...] = ()

    def applies(self, attributes: Mapping[str, str]) -> bool:
        """Whether applications with these attributes are under this service level."""
        return all(attributes.get(name) == value for name, value in self.when)


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentType:
    """One document type of the catalogue."""

    code: str
    title_native: str
    title_latin: str
    layout: Layout
    mrz_format: MrzFormat
    mrz_code: str
    number_prefix: str
    approvals: int
    validity: Validity
    attributes: tuple[AttributeSpec, ...] = ()
    purposes: frozenset[str] = frozenset()
    fee: Fee | None = None
    single_valid: bool = False
    zone_attribute: str | None = None
    residence_bound: bool = False
    """Revoked when the holder's residence leaves the zone (a residence certificate)."""
    min_age_years: int = 0
    collection_days: int = 90
    escalation: Escalation | None = None
    residents_may_apply: bool = False
    printed: tuple[str, ...] = field(default=())
    """Attributes printed on the document, in order."""

    def attribute(self, name: str) -> AttributeSpec | None:
        """Return the attribute ``name`` or ``None``."""
        return next((a for a in self.attributes if a.name == name), None)

    def clean_attributes(self, raw: Mapping[str, object]) -> dict[str, str]:
        """Validate application attributes into canonical text values.

        Unknown names are refused; defaults fill in; conditionally required
        attributes are checked against the other values; a date window is
        checked against ``max_days``.

        Raises:
            ValidationError: the first bad, unknown or missing attribute.
        """
        known = {a.name for a in self.attributes}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValidationError("unknown attribute", field=f"attributes.{unknown[0]}")
        values: dict[str, str] = {}
        for spec in self.attributes:
            value = raw.get(spec.name)
            if value is None or (isinstance(value, str) and not value.strip()):
                if spec.default is not None:
                    values[spec.name] = spec.default
                continue
            values[spec.name] = spec.clean(value)
        for spec in self.attributes:
            if spec.name not in values and spec.is_required(values):
                raise ValidationError("this attribute is required", field=f"attributes.{spec.name}")
        self._check_window(values)
        return values

    def _check_window(self, values: Mapping[str, str]) -> None:
        start_name, end_name = self.validity.from_attribute, self.validity.until_attribute
        if start_name is None or end_name is None:
            return
        start, end = date.fromisoformat(values[start_name]), date.fromisoformat(values[end_name])
        if end < start:
            raise ValidationError(
                "the end date is before the start", field=f"attributes.{end_name}"
            )
        limit = self.validity.max_days
        if limit is not None and (end - start).days + 1 > limit:
            raise ValidationError(
                f"the dates span more than {limit} days", field=f"attributes.{end_name}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Catalogue:
    """The document types in force, with the catalogue's version and issuing state."""

    version: int
    issuing_state: str
    authority: str
    types: Mapping[str, DocumentType]

    def get(self, code: str) -> DocumentType:
        """Return the type ``code``.

        Raises:
            ValidationError: no such type.
        """
        found = self.types.get(code)
        if found is None:
            raise ValidationError("unknown document type", field="document_type")
        return found


# ------------------------------------------------------------------ parsing


def parse_catalogue(data: Mapping[str, Any]) -> Catalogue:
    """Validate a parsed catalogue file.

    Raises:
        ValidationError: the first malformed entry; ``field`` is its path.
    """
    _only(data, {"version", "issuing_state", "authority", "document_types"}, "")
    version = _int(data.get("version"), "version", low=1)
    state = _str(data.get("issuing_state"), "issuing_state")
    if not _STATE.fullmatch(state):
        raise ValidationError("must be a three-letter state code", field="issuing_state")
    authority = _str(data.get("authority"), "authority")
    raw_types = data.get("document_types")
    if not isinstance(raw_types, dict) or not raw_types:
        raise ValidationError("must map type codes to types", field="document_types")
    types = {str(code): _parse_type(str(code), spec) for code, spec in raw_types.items()}
    prefixes = [t.number_prefix for t in types.values()]
    if len(set(prefixes)) != len(prefixes):
        raise ValidationError("number prefixes must differ", field="document_types")
    return Catalogue(version=version, issuing_state=state, authority=authority, types=types)


_TYPE_KEYS: Final = {
    "title",
    "layout",
    "mrz",
    "number_prefix",
    "approvals",
    "validity",
    "attributes",
    "purposes",
    "fee",
    "single_valid",
    "zone_attribute",
    "residence_bound",
    "min_age_years",
    "collection_days",
    "escalate",
    "residents_may_apply",
    "printed",
}


def _parse_type(code: str, spec: object) -> DocumentType:
    where = f"document_types.{code}"
    if not _CODE.fullmatch(code):
        raise ValidationError("type codes are lower-case words", field=where)
    if not isinstance(spec, dict):
        raise ValidationError("must be a mapping", field=where)
    _only(spec, _TYPE_KEYS, where)
    title = spec.get("title")
    if not isinstance(title, dict):
        raise ValidationError("must give native and latin titles", field=f"{where}.title")
    _only(title, {"native", "latin"}, f"{where}.title")
    layout, mrz_format, mrz_code = _parse_form(spec, where)
    prefix = _str(spec.get("number_prefix"), f"{where}.number_prefix")
    if not _NUMBER_PREFIX.fullmatch(prefix):
        raise ValidationError("one or two capital letters", field=f"{where}.number_prefix")
    attributes = tuple(_parse_attributes(spec.get("attributes", {}), where))
    _check_references(spec, where, attributes)
    names = {a.name for a in attributes}
    validity = _parse_validity(spec.get("validity"), f"{where}.validity", attributes)
    return DocumentType(
        code=code,
        title_native=_str(title.get("native"), f"{where}.title.native"),
        title_latin=_str(title.get("latin"), f"{where}.title.latin"),
        layout=layout,
        mrz_format=mrz_format,
        mrz_code=mrz_code,
        number_prefix=prefix,
        approvals=_int(spec.get("approvals"), f"{where}.approvals", low=0, high=2),
        validity=validity,
        attributes=attributes,
        purposes=frozenset(spec.get("purposes", [])),
        fee=_parse_fee(spec.get("fee"), f"{where}.fee"),
        single_valid=_bool(spec.get("single_valid", False), f"{where}.single_valid"),
        zone_attribute=spec.get("zone_attribute"),
        residence_bound=_bool(spec.get("residence_bound", False), f"{where}.residence_bound"),
        min_age_years=_int(spec.get("min_age_years", 0), f"{where}.min_age_years", high=120),
        collection_days=_int(
            spec.get("collection_days", 90), f"{where}.collection_days", low=1, high=3650
        ),
        escalation=_parse_escalation(spec.get("escalate"), f"{where}.escalate", names),
        residents_may_apply=_bool(
            spec.get("residents_may_apply", False), f"{where}.residents_may_apply"
        ),
        printed=tuple(spec.get("printed", ())),
    )


def _parse_form(spec: Mapping[str, Any], where: str) -> tuple[Layout, MrzFormat, str]:
    """The physical form: layout, MRZ format and document code, consistent together."""
    mrz = spec.get("mrz")
    if not isinstance(mrz, dict):
        raise ValidationError("must give format and code", field=f"{where}.mrz")
    _only(mrz, {"format", "code"}, f"{where}.mrz")
    mrz_format = _enum(MrzFormat, mrz.get("format"), f"{where}.mrz.format")
    mrz_code = _str(mrz.get("code"), f"{where}.mrz.code")
    if not _MRZ_CODE[mrz_format.value].fullmatch(mrz_code):
        raise ValidationError("not a document code of this format", field=f"{where}.mrz.code")
    layout = _enum(Layout, spec.get("layout"), f"{where}.layout")
    if (layout is Layout.PASSPORT_DATA_PAGE) != (mrz_format is MrzFormat.TD3):
        raise ValidationError("a TD3 zone goes on a passport data page", field=f"{where}.layout")
    return layout, mrz_format, mrz_code


def _check_references(
    spec: Mapping[str, Any], where: str, attributes: tuple[AttributeSpec, ...]
) -> None:
    """Attribute names used elsewhere in the type must exist and be of the right kind."""
    names = {a.name for a in attributes}
    for attribute in attributes:
        for other, _value in attribute.required_when:
            if other not in names:
                raise ValidationError(
                    "required_when names an unknown attribute",
                    field=f"{where}.attributes.{attribute.name}",
                )
    zone = spec.get("zone_attribute")
    if zone is not None and _kind_of(attributes, zone) is not AttributeKind.REGION:
        raise ValidationError("must name a region attribute", field=f"{where}.zone_attribute")
    if spec.get("residence_bound") and zone is None:
        raise ValidationError("needs a zone_attribute", field=f"{where}.residence_bound")
    printed = spec.get("printed", [])
    if not isinstance(printed, list) or not set(printed) <= names:
        raise ValidationError("must list known attributes", field=f"{where}.printed")
    purposes = spec.get("purposes", [])
    if not isinstance(purposes, list) or not all(isinstance(p, str) for p in purposes):
        raise ValidationError("must be a list of purposes", field=f"{where}.purposes")


def _parse_attributes(raw: object, where: str) -> list[AttributeSpec]:
    if not isinstance(raw, dict):
        raise ValidationError("must map names to attributes", field=f"{where}.attributes")
    keys = {"kind", "label", "required", "choices", "default", "required_when", "max"}
    found: list[AttributeSpec] = []
    for name, spec in raw.items():
        path = f"{where}.attributes.{name}"
        if not isinstance(name, str) or not _CODE.fullmatch(name):
            raise ValidationError("attribute names are lower-case words", field=path)
        if not isinstance(spec, dict):
            raise ValidationError("must be a mapping", field=path)
        _only(spec, keys, path)
        kind = _enum(AttributeKind, spec.get("kind"), f"{path}.kind")
        raw_choices = spec.get("choices", [])
        if not isinstance(raw_choices, list) or not all(isinstance(c, str) for c in raw_choices):
            raise ValidationError("must be a list of texts", field=f"{path}.choices")
        choices = tuple(raw_choices)
        if (kind is AttributeKind.CHOICE) != bool(choices):
            raise ValidationError("choices go with kind choice", field=f"{path}.choices")
        when = spec.get("required_when", {})
        if not isinstance(when, dict) or not all(isinstance(v, str) for v in when.values()):
            raise ValidationError(
                "must map attributes to quoted text values", field=f"{path}.required_when"
            )
        max_value = _parse_max(spec.get("max"), kind, f"{path}.max")
        default = spec.get("default")
        attribute = AttributeSpec(
            name=name,
            kind=kind,
            label=_str(spec.get("label"), f"{path}.label"),
            required=_bool(spec.get("required", False), f"{path}.required"),
            choices=choices,
            default=None,
            required_when=tuple((str(k), str(v)) for k, v in when.items()),
            max_value=max_value,
        )
        if default is not None:
            attribute = _with_default(attribute, default, f"{path}.default")
        found.append(attribute)
    return found


def _parse_max(raw: object, kind: AttributeKind, where: str) -> int | None:
    if raw is None:
        return None
    if kind is not AttributeKind.COUNT:
        raise ValidationError("only a count has a maximum", field=where)
    return _int(raw, where, low=1)


def _with_default(attribute: AttributeSpec, default: object, path: str) -> AttributeSpec:
    try:
        cleaned = attribute.clean(default)
    except ValidationError as exc:
        raise ValidationError(exc.message, field=path) from exc
    return AttributeSpec(
        name=attribute.name,
        kind=attribute.kind,
        label=attribute.label,
        required=attribute.required,
        choices=attribute.choices,
        default=cleaned,
        required_when=attribute.required_when,
        max_value=attribute.max_value,
    )


def _parse_validity(raw: object, where: str, attributes: tuple[AttributeSpec, ...]) -> Validity:
    if not isinstance(raw, dict):
        raise ValidationError("must give a term or two date attributes", field=where)
    _only(raw, {"years", "days", "from", "until", "max_days"}, where)
    start, end = raw.get("from"), raw.get("until")
    if start is not None or end is not None:
        for name, path in ((start, f"{where}.from"), (end, f"{where}.until")):
            if _kind_of(attributes, name) is not AttributeKind.DATE:
                raise ValidationError("must name a date attribute", field=path)
            spec = next(a for a in attributes if a.name == name)
            if not spec.required:
                raise ValidationError("the date attribute must be required", field=path)
        return Validity(
            from_attribute=str(start),
            until_attribute=str(end),
            max_days=_int(raw.get("max_days", 366), f"{where}.max_days", low=1, high=3660),
        )
    years = _int(raw.get("years", 0), f"{where}.years", high=20)
    days = _int(raw.get("days", 0), f"{where}.days", high=_MAX_VALIDITY_DAYS)
    if years * 366 + days <= 0 or years * 366 + days > _MAX_VALIDITY_DAYS:
        raise ValidationError("a term of one day to twenty years", field=where)
    return Validity(years=years, days=days)


def _parse_fee(raw: object, where: str) -> Fee | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValidationError("must give amount and currency", field=where)
    _only(raw, {"amount", "currency"}, where)
    currency = _str(raw.get("currency"), f"{where}.currency")
    if not _STATE.fullmatch(currency):
        raise ValidationError("an ISO 4217 code", field=f"{where}.currency")
    return Fee(amount=_int(raw.get("amount"), f"{where}.amount", low=1), currency=currency)


def _parse_escalation(raw: object, where: str, names: set[str]) -> Escalation | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValidationError("must give after_hours", field=where)
    _only(raw, {"after_hours", "when"}, where)
    when = raw.get("when", {})
    if not isinstance(when, dict) or not set(when) <= names:
        raise ValidationError("must map attributes to values", field=f"{where}.when")
    hours = _int(raw.get("after_hours"), f"{where}.after_hours", low=1, high=24 * 90)
    return Escalation(
        after=timedelta(hours=hours), when=tuple((str(k), str(v)) for k, v in when.items())
    )


def _kind_of(attributes: tuple[AttributeSpec, ...], name: object) -> AttributeKind | None:
    return next((a.kind for a in attributes if a.name == name), None)


def _only(raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(str(k) for k in set(raw) - allowed)
    if extra:
        raise ValidationError("unknown key", field=f"{where}.{extra[0]}".lstrip("."))


def _str(raw: object, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError("must be non-empty text", field=where)
    return raw.strip()


def _int(raw: object, where: str, *, low: int = 0, high: int | None = None) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValidationError("must be a whole number", field=where)
    if raw < low or (high is not None and raw > high):
        raise ValidationError(f"must be between {low} and {high}", field=where)
    return raw


def _bool(raw: object, where: str) -> bool:
    if not isinstance(raw, bool):
        raise ValidationError("must be true or false", field=where)
    return raw


def _enum(kind: type[_E], raw: object, where: str) -> _E:
    try:
        return kind(str(raw))
    except ValueError as exc:
        choices = ", ".join(m.value for m in kind)
        raise ValidationError(f"must be one of {choices}", field=where) from exc
