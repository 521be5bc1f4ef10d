"""Loading the document-type catalogue at start-up, checked against the purpose policy.

The catalogue (:mod:`carnet.domain.doctypes`) and the verifier's purpose policy
(:mod:`carnet.credentials.policy`) both say which purposes accept which document
types. They must agree, or a checkpoint would refuse documents the issuer meant
for it: :func:`load_catalogue` refuses a catalogue whose ``purposes`` differ from
the policy's ``accepts`` lists.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from carnet.credentials.policy import default_policy, load_strict_yaml
from carnet.domain.doctypes import Catalogue, parse_catalogue
from carnet.domain.errors import ValidationError

if TYPE_CHECKING:
    from pathlib import Path

    from carnet.credentials.policy import Policy

__all__ = ["check_against_policy", "default_catalogue", "default_catalogue_text", "load_catalogue"]

_MAX_SIZE = 256 * 1024


def default_catalogue_text() -> str:
    """Return the YAML text of Carnet's default catalogue (``document_types.yaml``)."""
    return resources.files("carnet.services").joinpath("document_types.yaml").read_text("utf-8")


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """Return the built-in catalogue, checked against the default policy (cached)."""
    return load_catalogue()


def load_catalogue(path: Path | None = None, *, policy: Policy | None = None) -> Catalogue:
    """Read, validate and cross-check the catalogue at ``path`` (default: the built-in one).

    Raises:
        ValidationError: the file cannot be read, is not valid YAML, holds an
            invalid catalogue, or disagrees with the purpose policy.
    """
    if path is None:
        text = default_catalogue_text()
    else:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ValidationError("catalogue file cannot be read", field="catalogue") from exc
        if len(raw) > _MAX_SIZE:
            raise ValidationError("catalogue file is too large", field="catalogue")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError("catalogue file is not UTF-8", field="catalogue") from exc
    data = load_strict_yaml(text, "catalogue")
    if not isinstance(data, dict):
        raise ValidationError("catalogue must be a mapping", field="catalogue")
    catalogue = parse_catalogue(data)
    check_against_policy(catalogue, policy or default_policy())
    return catalogue


def check_against_policy(catalogue: Catalogue, policy: Policy) -> None:
    """Check that every type's purposes are exactly the policy purposes accepting it.

    Raises:
        ValidationError: a type unknown to the policy, or a purpose mismatch.
    """
    for code, doc_type in catalogue.types.items():
        where = f"document_types.{code}.purposes"
        if code not in policy.document_types:
            raise ValidationError("the purpose policy does not know this type", field=where)
        accepting = {name for name, rule in policy.purposes.items() if code in rule.accepts}
        if doc_type.purposes != accepting:
            missing = sorted(accepting - doc_type.purposes)
            extra = sorted(doc_type.purposes - accepting)
            detail = f"missing {missing}" if missing else f"not in the policy {extra}"
            raise ValidationError(f"purposes disagree with the policy: {detail}", field=where)
