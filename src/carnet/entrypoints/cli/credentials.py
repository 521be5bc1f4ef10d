"""``carnet keys|pki|status|credential|bundle`` and ``carnet verify``: credentials by hand.

Issuer side, on the workspace of :mod:`carnet.services.issuer_workspace`
(``--workspace``, env ``CARNET_ISSUER_DIR``, default ``var/issuer``)::

    carnet keys create LABEL --alg ES256|EdDSA [--hsm]
    carnet pki init | add-signer | revoke-signer | list
    carnet status create | set URI IDX valid|invalid|suspended
    carnet credential issue IDENTITY.json --document-type T --document-number N [--png FILE]
    carnet bundle export --out FILE [--max-age 24h]   (with the database's status lists)

Checkpoint side, offline::

    carnet verify (QR-TEXT | IMAGE-FILE | -) --bundle FILE --purpose NAME [--zone Z] [--json]

``verify`` exits 0 for a valid credential, 10 for an invalid one and 11 when the
purpose refuses it; errors exit with the codes of :mod:`.context`.

Keys live in encrypted files (settings ``key_dir``, ``key_passphrase``) or, with
``--hsm``, in a PKCS#11 token named by ``CARNET_PKCS11_MODULE``,
``CARNET_PKCS11_TOKEN`` and ``CARNET_PKCS11_PIN``. Keys made in the token are
found again later whenever ``CARNET_PKCS11_MODULE`` is set.
"""

from __future__ import annotations

import json
import re
import secrets
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

import typer
from cryptography import x509

from carnet.adapters.db.migrate import upgrade
from carnet.adapters.keys.chain import ChainedKeyStore
from carnet.adapters.keys.files import FileKeyStore
from carnet.adapters.security import SystemClock
from carnet.credentials.bundle import parse_bundle
from carnet.credentials.qr import qr_png, read_qr
from carnet.credentials.signing import Algorithm
from carnet.credentials.statuslist import Status
from carnet.credentials.verifier import Verdict, verify
from carnet.domain.actions import ActionType
from carnet.domain.errors import (
    DecodeError,
    InfrastructureError,
    ValidationError,
)
from carnet.entrypoints.cli.context import container, handle_errors, settings
from carnet.services.documents import status_lists
from carnet.services.issuer_workspace import (
    DEFAULT_DIRECTORY,
    DEFAULT_STATUS_BASE_URI,
    IssuerWorkspace,
    SignerRecord,
    log_signers,
    write_file_atomically,
)

if TYPE_CHECKING:
    from carnet.services.ports import KeyStore

__all__ = [
    "EXIT_INVALID",
    "EXIT_REFUSED",
    "bundle_app",
    "credential_app",
    "keys_app",
    "pki_app",
    "status_app",
    "verify_command",
]


EXIT_INVALID: Final = 10
EXIT_REFUSED: Final = 11

keys_app = typer.Typer(
    help="Signing keys: encrypted files, or an HSM with --hsm.", no_args_is_help=True
)
pki_app = typer.Typer(help="The issuer's PKI: root and document signers.", no_args_is_help=True)
status_app = typer.Typer(help="Status lists: revocation and suspension.", no_args_is_help=True)
credential_app = typer.Typer(help="Credentials: signed QR codes.", no_args_is_help=True)
bundle_app = typer.Typer(help="Checkpoint bundles for offline verification.", no_args_is_help=True)

_ALGORITHMS: Final = {"ES256": Algorithm.ES256, "EdDSA": Algorithm.EDDSA}
_STATUSES: Final = {"valid": Status.VALID, "invalid": Status.INVALID, "suspended": Status.SUSPENDED}
_DURATION: Final = re.compile(r"([1-9][0-9]{0,6})([smhd])")
_UNITS: Final = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_MAX_PATH: Final = 4096

_WORKSPACE = typer.Option(
    DEFAULT_DIRECTORY, "--workspace", envvar="CARNET_ISSUER_DIR", help="Issuer workspace."
)
_HSM = typer.Option(False, "--hsm", help="Keep the new key in the PKCS#11 token.")
_ALG = typer.Option("ES256", "--alg", help="ES256 or EdDSA.")


# ------------------------------------------------------------------ key stores


def _file_store() -> FileKeyStore:
    config = settings()
    return FileKeyStore(Path(config.key_dir), config.key_passphrase)


def _hsm_store() -> KeyStore:
    config = settings()
    if not config.pkcs11_module:
        raise ValidationError("set CARNET_PKCS11_MODULE to the PKCS#11 library", field="hsm")
    from carnet.adapters.keys.pkcs11 import Pkcs11KeyStore  # noqa: PLC0415 - only with an HSM

    return Pkcs11KeyStore(config.pkcs11_module, config.pkcs11_token, config.pkcs11_pin)


def _key_store(*, hsm: bool) -> KeyStore:
    """The store new keys go to, backed by the other for look-ups."""
    stores: list[KeyStore] = [_file_store()]
    if hsm:
        stores.insert(0, _hsm_store())
    elif settings().pkcs11_module:
        stores.append(_hsm_store())
    return ChainedKeyStore(stores) if len(stores) > 1 else stores[0]


def _workspace(directory: Path, *, hsm: bool = False) -> IssuerWorkspace:
    return IssuerWorkspace(directory, _key_store(hsm=hsm), rng=secrets.SystemRandom())


def _algorithm(name: str) -> Algorithm:
    try:
        return _ALGORITHMS[name]
    except KeyError as exc:
        raise ValidationError("algorithm must be ES256 or EdDSA", field="alg") from exc


def _kid(text: str) -> bytes:
    try:
        kid = bytes.fromhex(text)
    except ValueError as exc:
        raise ValidationError("a kid is 16 hexadecimal digits", field="kid") from exc
    if len(kid) != 8:  # noqa: PLR2004 - Carnet's kid length (credentials.pki.key_id)
        raise ValidationError("a kid is 16 hexadecimal digits", field="kid")
    return kid


def _duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValidationError("a duration is a number and s, m, h or d (e.g. 24h)", field="max_age")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def _write_file(path: Path, content: bytes) -> None:
    write_file_atomically(path, content)


# ------------------------------------------------------------------------ keys


@keys_app.command("create")
@handle_errors
def keys_create(
    label: str = typer.Argument(..., help="A name for the key (letters, digits, - and _)."),
    alg: str = _ALG,
    hsm: bool = _HSM,
) -> None:
    """Generate a key pair in the key store and print its kid."""
    store = _hsm_store() if hsm else _file_store()
    typer.echo(store.create_key(label, _algorithm(alg)).hex())


@keys_app.command("list")
@handle_errors
def keys_list(hsm: bool = typer.Option(False, "--hsm", help="List the PKCS#11 token.")) -> None:
    """List the keys of the store, oldest first: kid and algorithm."""
    store = _hsm_store() if hsm else _file_store()
    for kid in store.list_kids():
        typer.echo(f"{kid.hex()}  {store.signer(kid).algorithm.name}")


# ------------------------------------------------------------------------- pki


@pki_app.command("init")
@handle_errors
def pki_init(
    workspace: Path = _WORKSPACE,
    alg: str = _ALG,
    hsm: bool = typer.Option(False, "--hsm", help="Make the new keys in the PKCS#11 token."),
    root_kid: str | None = typer.Option(None, help="Use this existing key as the root."),
    country: str = typer.Option("ZZ", help="Two-letter country code of the root."),
    authority: str = typer.Option("Civil Registration Authority", help="The issuing authority."),
    status_base_uri: str = typer.Option(
        DEFAULT_STATUS_BASE_URI,
        help="Base URI of the status lists (keep it short: it is in every QR).",
    ),
) -> None:
    """Create the root, the bundle signer and the status-list signer (logged)."""
    now = SystemClock().now()
    issuer = _workspace(workspace, hsm=hsm)
    kid = issuer.init(
        now=now,
        algorithm=_algorithm(alg),
        root_kid=None if root_kid is None else _kid(root_kid),
        country=country,
        authority=authority,
        status_base_uri=status_base_uri,
    )
    _log_pki(ActionType.SIGNER_CREATION, issuer.signers(), now)
    typer.echo(f"root {kid.hex()}; workspace {workspace}; pin {workspace / 'root.pem'}")


@pki_app.command("add-signer")
@handle_errors
def pki_add_signer(
    authority: str = typer.Option(..., help="The issuing authority (certificate O)."),
    document_type: str = typer.Option(..., help="The document type (certificate OU)."),
    workspace: Path = _WORKSPACE,
    alg: str = _ALG,
    hsm: bool = _HSM,
    kid: str | None = typer.Option(None, help="Certify this existing key."),
) -> None:
    """Certify a document signer (logged); adding another for the same type is a rotation."""
    now = SystemClock().now()
    record = _workspace(workspace, hsm=hsm).add_signer(
        authority=authority,
        document_type=document_type,
        now=now,
        algorithm=_algorithm(alg),
        kid=None if kid is None else _kid(kid),
    )
    _log_pki(ActionType.SIGNER_CREATION, [record], now)
    typer.echo(record.kid.hex())


@pki_app.command("revoke-signer")
@handle_errors
def pki_revoke_signer(
    kid: str = typer.Argument(..., help="The signer's kid (hex)."),
    workspace: Path = _WORKSPACE,
) -> None:
    """Revoke a signer (logged): a new CRL and trust list; its credentials stop verifying."""
    now = SystemClock().now()
    issuer = _workspace(workspace)
    issuer.revoke_signer(_kid(kid), now=now)
    revoked = [r for r in issuer.signers() if r.kid == _kid(kid)]
    _log_pki(ActionType.SIGNER_REVOCATION, revoked, now)
    typer.echo(f"revoked {kid}")


def _log_pki(action: ActionType, records: list[SignerRecord], now: datetime) -> None:
    """Log a PKI change in the transparency log (the database is migrated first)."""
    with container() as box:
        upgrade(box.engine)
        log_signers(box.uow(), action, records, now=now)


@pki_app.command("list")
@handle_errors
def pki_list(workspace: Path = _WORKSPACE) -> None:
    """List the signers: kid, document type, authority, and whether revoked."""
    for record in _workspace(workspace).signers():
        state = "revoked" if record.revoked else "active"
        typer.echo(f"{record.kid.hex()}  {record.document_type}  {record.authority}  {state}")


# ---------------------------------------------------------------------- status


@status_app.command("create")
@handle_errors
def status_create(
    workspace: Path = _WORKSPACE,
    size: int = typer.Option(131_072, min=131_072, help="Entries (2 bits each)."),
) -> None:
    """Create an all-valid status list and print its URI."""
    typer.echo(_workspace(workspace).create_status_list(size=size))


@status_app.command("set")
@handle_errors
def status_set(
    uri: str = typer.Argument(..., help="The status list's URI."),
    idx: int = typer.Argument(..., min=0, help="The entry's index."),
    status: str = typer.Argument(..., help="valid, invalid or suspended."),
    workspace: Path = _WORKSPACE,
) -> None:
    """Set one entry: valid, invalid (revoked) or suspended."""
    value = _STATUSES.get(status.lower())
    if value is None:
        raise ValidationError("status must be valid, invalid or suspended", field="status")
    _workspace(workspace).set_status(uri, idx, value)
    typer.echo(f"{uri} {idx} {status.lower()}")


# ------------------------------------------------------------------ credential


@credential_app.command("issue")
@handle_errors
def credential_issue(
    identity: Path = typer.Argument(..., exists=True, dir_okay=False, help="Identity JSON."),
    document_type: str = typer.Option(..., help="e.g. national_id_card, zone_permit."),
    document_number: str = typer.Option(...),
    zone: str | None = typer.Option(None, help="The permit zone."),
    valid_days: int = typer.Option(365 * 5, min=1, max=365 * 20, help="Validity in days."),
    authority: str | None = typer.Option(None, help="Sign with this authority's signer."),
    png: Path | None = typer.Option(None, help="Also write the QR code as a PNG image."),
    workspace: Path = _WORKSPACE,
) -> None:
    """Issue a test credential and print its QR text (the status entry goes to stderr)."""
    try:
        data = json.loads(identity.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError("identity file is not readable JSON", field="identity") from exc
    if not isinstance(data, dict):
        raise ValidationError("identity JSON must be an object", field="identity")
    now = SystemClock().now()
    issued = _workspace(workspace).issue_test_credential(
        data,
        document_type=document_type,
        document_number=document_number,
        now=now,
        valid_until=now + timedelta(days=valid_days),
        zone=zone,
        authority=authority,
    )
    if png is not None:
        _write_file(png, qr_png(issued.qr_text))
    typer.echo(issued.qr_text)
    typer.echo(f"status {issued.status.uri} {issued.status.idx}", err=True)


# ---------------------------------------------------------------------- bundle


@bundle_app.command("export")
@handle_errors
def bundle_export(
    out: Path = typer.Option(..., help="Where to write the bundle."),
    max_age: str = typer.Option("24h", help="How long its status lists count: 30m, 24h, 2d."),
    workspace: Path = _WORKSPACE,
) -> None:
    """Sign a checkpoint bundle: trust list, the registry's status lists and policy.

    The database is brought to the current schema first (as ``carnet serve``
    does), so its status lists can be read.
    """
    period = _duration(max_age)
    with container() as box:
        upgrade(box.engine)
        registry_lists = status_lists(box.uow())
    data = _workspace(workspace).export_bundle(
        now=SystemClock().now(), max_age=period, status_lists=registry_lists
    )
    _write_file(out, data)
    typer.echo(f"wrote {out} ({len(data):,} bytes; {len(registry_lists)} registry status lists)")


# ---------------------------------------------------------------------- verify


@handle_errors
def verify_command(
    source: str = typer.Argument(..., help="QR text, an image file, or - for standard input."),
    bundle: Path = typer.Option(..., exists=True, dir_okay=False, help="Checkpoint bundle."),
    purpose: str = typer.Option(..., help="e.g. zone_entry, age_check, boarding."),
    zone: str | None = typer.Option(None, help="The zone this checkpoint guards."),
    root: Path | None = typer.Option(
        None, help="Pinned root certificate (default: the workspace's root.pem)."
    ),
    workspace: Path = _WORKSPACE,
    as_json: bool = typer.Option(False, "--json", help="Print the verdict as JSON."),
) -> None:
    """Verify a credential offline; exit 0 if valid, 10 if invalid, 11 if refused."""
    now = SystemClock().now()
    pinned = _load_root(root or workspace / "root.pem")
    loaded = parse_bundle(_read(bundle), pinned, now)
    try:
        text = _qr_text(source)
    except DecodeError as exc:
        verdict = Verdict("invalid", (exc.reason,), purpose=purpose, detail=exc.message)
    else:
        verdict = verify(text, loaded, purpose, now, zone=zone)
    if as_json:
        typer.echo(json.dumps(verdict.to_json(), ensure_ascii=False, sort_keys=True))
    else:
        _print_verdict(verdict)
    if verdict.result == "refused":
        raise typer.Exit(EXIT_REFUSED)
    if verdict.result != "valid":
        raise typer.Exit(EXIT_INVALID)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InfrastructureError(f"{path.name} could not be read") from exc


def _load_root(path: Path) -> x509.Certificate:
    data = _read(path)
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise ValidationError("root is not a certificate", field="root") from exc


def _qr_text(source: str) -> str:
    """The QR text given directly, in an image file, or on standard input."""
    if source == "-":
        return sys.stdin.read().strip("\r\n")
    if len(source) < _MAX_PATH:
        path = Path(source)
        try:
            is_file = path.is_file()
        except OSError:
            is_file = False
        if is_file:
            return read_qr(path)
    return source.strip("\r\n")


def _print_verdict(verdict: Verdict) -> None:
    head = verdict.result.upper()
    reasons = ", ".join(verdict.reasons)
    kind = f"  {verdict.document_type}" if verdict.document_type else ""
    by = f"  ({verdict.authority})" if verdict.authority else ""
    typer.echo(f"{head}  {reasons}{kind}{by}  purpose={verdict.purpose}")
    if verdict.detail:
        typer.echo(f"  {verdict.detail}")
    for key, value in verdict.disclosed.items():
        shown = f"<{len(value):,} bytes>" if isinstance(value, bytes) else value
        typer.echo(f"  {key}: {shown}")
