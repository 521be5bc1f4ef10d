"""``carnet keys|pki|status|credential|bundle|verify`` through Typer's runner, in temp dirs.

Each test gets its own key directory and issuer workspace through ``CARNET_*``
variables; the cached settings are cleared around it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from carnet.bootstrap import bootstrap
from carnet.config import get_settings
from carnet.credentials.qr import read_qr
from carnet.domain.actions import RecordKind
from carnet.entrypoints.cli.main import app
from tests.integration.keys.conftest import softhsm_token  # noqa: F401 - the fixture

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from typer.testing import Result

    from tests.integration.keys.conftest import SoftHsmToken

pytestmark = pytest.mark.functional

IDENTITY = {
    "full_name": "HAN SORA",
    "given_name": "SORA",
    "family_name": "HAN",
    "date_of_birth": "2001-09-17",
    "gender": "female",
    "uin": "010917445566",
}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    monkeypatch.setenv("CARNET_ENVIRONMENT", "test")
    monkeypatch.setenv("CARNET_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CARNET_KEY_PASSPHRASE", "functional-test-passphrase-0123456789")
    monkeypatch.setenv("CARNET_ISSUER_DIR", str(tmp_path / "issuer"))
    for name in ("CARNET_PKCS11_MODULE", "CARNET_PKCS11_TOKEN", "CARNET_PKCS11_PIN"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield Cli(CliRunner(), tmp_path)
    get_settings.cache_clear()


class Cli:
    def __init__(self, runner: CliRunner, home: Path) -> None:
        self.runner = runner
        self.home = home

    def __call__(self, *args: str, code: int = 0) -> Result:
        result = self.runner.invoke(app, list(args))
        assert result.exit_code == code, (args, result.output)
        return result

    def issuer(self) -> None:
        self("pki", "init", "--country", "KR", "--authority", "Ministry of the Interior")
        self("status", "create")
        identity = self.home / "identity.json"
        identity.write_text(json.dumps(IDENTITY), encoding="utf-8")

    def issue(self, document_type: str, *extra: str) -> tuple[str, str, int]:
        result = self(
            "credential",
            "issue",
            str(self.home / "identity.json"),
            "--document-type",
            document_type,
            "--document-number",
            "N0000001",
            *extra,
        )
        _, uri, idx = result.stderr.split()
        return result.stdout.strip(), uri, int(idx)

    def bundle(self, *extra: str) -> str:
        path = self.home / "checkpoint.bundle"
        self("bundle", "export", "--out", str(path), *extra)
        return str(path)

    def verdict(self, source: str, purpose: str, *extra: str, code: int = 0) -> dict[str, object]:
        result = self(
            "verify",
            source,
            "--bundle",
            str(self.home / "checkpoint.bundle"),
            "--purpose",
            purpose,
            "--json",
            *extra,
            code=code,
        )
        verdict: dict[str, object] = json.loads(result.stdout)
        return verdict


# ------------------------------------------------------------------------ keys


def test_keys_are_created_and_listed(cli: Cli) -> None:
    es256 = cli("keys", "create", "gate-1").stdout.strip()
    eddsa = cli("keys", "create", "gate-2", "--alg", "EdDSA").stdout.strip()
    assert len(es256) == len(eddsa) == 16
    listing = cli("keys", "list").stdout
    assert listing.splitlines() == [f"{es256}  ES256", f"{eddsa}  EDDSA"]


def test_a_key_label_is_taken_once(cli: Cli) -> None:
    cli("keys", "create", "gate")
    assert "conflict" in cli("keys", "create", "gate", code=4).stderr


def test_an_unknown_algorithm_is_refused(cli: Cli) -> None:
    assert "ES256 or EdDSA" in cli("keys", "create", "k", "--alg", "RS256", code=2).stderr


def test_hsm_keys_need_the_pkcs11_module(cli: Cli) -> None:
    assert "CARNET_PKCS11_MODULE" in cli("keys", "create", "k", "--hsm", code=2).stderr


@pytest.mark.hsm
def test_hsm_keys_are_created_and_listed_in_the_token(
    cli: Cli,
    softhsm_token: SoftHsmToken,  # noqa: F811 - the imported fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CARNET_PKCS11_MODULE", softhsm_token.module_path)
    monkeypatch.setenv("CARNET_PKCS11_TOKEN", softhsm_token.label)
    monkeypatch.setenv("CARNET_PKCS11_PIN", softhsm_token.pin)
    get_settings.cache_clear()
    kid = cli("keys", "create", "hsm-root", "--hsm", "--alg", "EdDSA").stdout.strip()
    assert cli("keys", "list", "--hsm").stdout.splitlines() == [f"{kid}  EDDSA"]
    # The root and the document signers in the token; the workspace finds them later.
    cli("pki", "init", "--hsm", "--root-kid", kid)
    signer = cli(
        "pki", "add-signer", "--authority", "A", "--document-type", "passport", "--hsm"
    ).stdout.strip()
    cli("status", "create")
    (cli.home / "identity.json").write_text(json.dumps(IDENTITY), encoding="utf-8")
    text, _, _ = cli.issue("passport")
    cli.bundle()
    assert cli.verdict(text, "boarding")["result"] == "valid"
    assert signer in cli("keys", "list", "--hsm").stdout
    assert cli("keys", "list").stdout == ""  # nothing went to the key files


# ------------------------------------------------------------------ pki, status


def test_the_whole_flow_from_init_to_a_valid_verdict(cli: Cli) -> None:
    cli.issuer()
    kid = cli(
        "pki", "add-signer", "--authority", "Civil Registry", "--document-type", "national_id_card"
    ).stdout.strip()
    png = cli.home / "qr.png"
    text, uri, idx = cli.issue("national_id_card", "--png", str(png))
    assert read_qr(png) == text
    assert uri == "https://s.example/1"
    assert 0 <= idx < 131_072
    assert "wrote" in cli("bundle", "export", "--out", str(cli.home / "checkpoint.bundle")).stdout
    verdict = cli.verdict(text, "age_check")
    assert verdict["result"] == "valid"
    assert verdict["disclosed"] == {"over_18": True}
    assert verdict["authority"] == "Civil Registry"
    listing = cli("pki", "list").stdout
    assert f"{kid}  national_id_card  Civil Registry  active" in listing
    assert "checkpoint_bundle" in listing
    assert "status_list" in listing


def test_human_output_lists_the_disclosed_attributes(cli: Cli) -> None:
    cli.issuer()
    cli("pki", "add-signer", "--authority", "Zone Office", "--document-type", "zone_permit")
    text, _, _ = cli.issue("zone_permit", "--zone", "NORTH-GATE", "--valid-days", "30")
    bundle = cli.bundle()
    result = cli(
        "verify", text, "--bundle", bundle, "--purpose", "zone_entry", "--zone", "NORTH-GATE"
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "VALID  valid  zone_permit  (Zone Office)  purpose=zone_entry"
    assert "  name: HAN SORA" in lines
    assert "  permit_zone: NORTH-GATE" in lines
    assert not any("uin" in line or "2001" in line for line in lines)


def test_photos_print_as_their_size(cli: Cli) -> None:
    cli.issuer()
    cli("pki", "add-signer", "--authority", "A", "--document-type", "passport")
    with_photo = {**IDENTITY, "photo": "iVBORw0KGgo=", "photo_format": "png"}
    (cli.home / "identity.json").write_text(json.dumps(with_photo), encoding="utf-8")
    text, _, _ = cli.issue("passport")
    bundle = cli.bundle()
    out = cli("verify", text, "--bundle", bundle, "--purpose", "identity_check").stdout
    assert "  photo: <8 bytes>" in out.splitlines()


def test_status_changes_reach_the_checkpoint_with_the_next_bundle(cli: Cli) -> None:
    cli.issuer()
    cli("pki", "add-signer", "--authority", "A", "--document-type", "passport")
    text, uri, idx = cli.issue("passport")
    cli("status", "set", uri, str(idx), "suspended")
    cli.bundle()
    assert cli.verdict(text, "boarding", code=10)["reasons"] == ["suspended"]
    cli("status", "set", uri, str(idx), "INVALID")
    cli.bundle()
    assert cli.verdict(text, "boarding", code=10)["reasons"] == ["revoked"]
    cli("status", "set", uri, str(idx), "valid")
    cli.bundle()
    assert cli.verdict(text, "boarding")["result"] == "valid"


def test_rotation_and_revocation_of_signers(cli: Cli) -> None:
    cli.issuer()
    old = cli("pki", "add-signer", "--authority", "A", "--document-type", "passport").stdout
    before, _, _ = cli.issue("passport")
    cli("pki", "add-signer", "--authority", "A", "--document-type", "passport", "--alg", "EdDSA")
    after, _, _ = cli.issue("passport")
    cli.bundle()
    assert cli.verdict(before, "boarding")["result"] == "valid"
    assert cli.verdict(after, "boarding")["result"] == "valid"
    assert "revoked" in cli("pki", "revoke-signer", old.strip()).stdout
    cli.bundle()
    assert cli.verdict(before, "boarding", code=10)["reasons"] == ["signer_revoked"]
    assert cli.verdict(after, "boarding")["result"] == "valid"
    assert f"{old.strip()}  passport  A  revoked" in cli("pki", "list").stdout


def test_stale_bundles_give_unknown_status(cli: Cli) -> None:
    cli.issuer()
    cli("pki", "add-signer", "--authority", "A", "--document-type", "passport")
    text, _, _ = cli.issue("passport")
    cli.bundle("--max-age", "1s")
    import time  # noqa: PLC0415 - only this test waits

    time.sleep(2.1)
    assert cli.verdict(text, "boarding", code=10)["reasons"] == ["status_unknown"]


# ------------------------------------------------------------------ verify


def test_verify_reads_standard_input_and_image_files(cli: Cli) -> None:
    cli.issuer()
    cli("pki", "add-signer", "--authority", "A", "--document-type", "passport")
    png = cli.home / "qr.png"
    text, _, _ = cli.issue("passport", "--png", str(png))
    bundle = cli.bundle()
    result = cli.runner.invoke(
        app, ["verify", "-", "--bundle", bundle, "--purpose", "boarding"], input=text + "\n"
    )
    assert result.exit_code == 0, result.output
    assert cli.verdict(str(png), "boarding")["result"] == "valid"


def test_an_image_without_a_code_is_malformed(cli: Cli) -> None:
    cli.issuer()
    cli.bundle()
    blank = cli.home / "blank.png"
    blank.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    verdict = cli.verdict(str(blank), "boarding", code=10)
    assert verdict["reasons"] == ["malformed"]


def test_verify_exit_codes(cli: Cli) -> None:
    cli.issuer()
    cli("pki", "add-signer", "--authority", "A", "--document-type", "passport")
    text, _, _ = cli.issue("passport")
    cli.bundle()
    assert cli.verdict(text, "boarding")["result"] == "valid"
    assert cli.verdict("NOT A CODE", "boarding", code=10)["reasons"] == ["malformed"]
    assert cli.verdict(text, "zone_entry", "--zone", "Z", code=11)["result"] == "refused"
    refused = cli.verdict(text, "emergency_services", code=11)
    assert refused["reasons"] == ["no_document_may_be_demanded"]
    bundle = str(cli.home / "checkpoint.bundle")
    assert "[purpose]" in cli("verify", text, "--bundle", bundle, "--purpose", "x", code=2).stderr
    zone_entry = ("--purpose", "zone_entry")
    assert "[zone]" in cli("verify", text, "--bundle", bundle, *zone_entry, code=2).stderr


def test_verify_checks_the_bundle_against_the_pinned_root(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory
) -> None:
    cli.issuer()
    bundle = cli.bundle()
    other = tmp_path_factory.mktemp("other")
    cli("pki", "init", "--workspace", str(other / "issuer"))
    root = str(other / "issuer" / "root.pem")
    boarding = ("verify", "X", "--bundle", bundle, "--purpose", "boarding")
    assert "unknown_signer" in cli(*boarding, "--root", root, code=6).stderr
    der = other / "root.der"
    der.write_bytes(b"\x30\x03\x02\x01\x01")
    assert "[root]" in cli(*boarding, "--root", str(der), code=2).stderr
    assert "could not be read" in cli(*boarding, "--root", str(other), code=8).stderr


def test_verify_takes_a_der_root(cli: Cli) -> None:
    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

    cli.issuer()
    cli.bundle()
    pem = (cli.home / "issuer" / "root.pem").read_bytes()
    der = cli.home / "root.der"
    der.write_bytes(x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER))
    verdict = cli.verdict("X", "boarding", "--root", str(der), code=10)
    assert verdict["reasons"] == ["malformed"]


def test_a_very_long_argument_is_taken_as_text(cli: Cli) -> None:
    cli.issuer()
    cli.bundle()
    assert cli.verdict("A" * 5000, "boarding", code=10)["reasons"] == ["malformed"]


# ------------------------------------------------------------------- errors


def test_commands_need_an_initialised_workspace(cli: Cli) -> None:
    result = cli("status", "create", code=3)
    assert "pki init" in result.stderr
    assert "not_found" in cli("pki", "list", code=3).stderr


def test_init_runs_once(cli: Cli) -> None:
    cli("pki", "init")
    assert "conflict" in cli("pki", "init", code=4).stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["pki", "revoke-signer", "zz"], 2, "[kid]"),
        (["pki", "revoke-signer", "00"], 2, "[kid]"),
        (["pki", "revoke-signer", "0011223344556677"], 3, "[kid]"),
        (["status", "set", "https://x.example/1", "1", "gone"], 2, "[status]"),
        (["status", "set", "https://x.example/1", "1", "valid"], 3, "[uri]"),
        (["bundle", "export", "--out", "b", "--max-age", "1 week"], 2, "[max_age]"),
        (["bundle", "export", "--out", "b", "--max-age", "90d"], 2, "[max_age]"),
    ],
)
def test_bad_arguments_get_clear_errors(cli: Cli, args: list[str], code: int, message: str) -> None:
    cli.issuer()
    assert message in cli(*args, code=code).stderr


def test_issue_refuses_a_bad_identity_file(cli: Cli) -> None:
    cli.issuer()
    cli("pki", "add-signer", "--authority", "A", "--document-type", "passport")
    bad = cli.home / "bad.json"
    for content, message in (("{not json", "readable JSON"), ("[1]", "an object")):
        bad.write_text(content, encoding="utf-8")
        result = cli(
            "credential",
            "issue",
            str(bad),
            "--document-type",
            "passport",
            "--document-number",
            "1",
            code=2,
        )
        assert message in result.stderr
    no_signer = cli(
        "credential",
        "issue",
        str(cli.home / "identity.json"),
        "--document-type",
        "visa",
        "--document-number",
        "1",
        code=3,
    )
    assert "no unrevoked signer" in no_signer.stderr


def test_writing_outside_a_writable_place_is_an_infrastructure_error(cli: Cli) -> None:
    cli.issuer()
    blocker = cli.home / "file"
    blocker.write_text("x", encoding="utf-8")
    result = cli("bundle", "export", "--out", str(blocker / "b.bundle"), code=8)
    assert "could not be written" in result.stderr


def test_a_bad_country_code_is_a_validation_error(cli: Cli) -> None:
    assert "[country]" in cli("pki", "init", "--country", "KOR", code=2).stderr


def test_corrupt_workspace_files_are_reported_not_trusted(cli: Cli) -> None:
    cli.issuer()
    status_file = next((cli.home / "issuer" / "status").glob("*.cbor"))
    status_file.write_bytes(b"\xa0")
    assert "corrupt" in cli("status", "create", code=8).stderr
    state = cli.home / "issuer" / "workspace.json"
    state.write_text("{", encoding="utf-8")
    assert "corrupt" in cli("pki", "list", code=8).stderr
    state.write_text('{"format": 2}', encoding="utf-8")
    assert "another format" in cli("pki", "list", code=8).stderr


def test_service_signers_rotate_like_document_signers(cli: Cli) -> None:
    cli.issuer()
    cli("pki", "add-signer", "--authority", "A", "--document-type", "passport")
    text, _, _ = cli.issue("passport")
    old = {
        line.split()[1]: line.split()[0]
        for line in cli("pki", "list").stdout.splitlines()
        if "checkpoint_bundle" in line or "status_list" in line
    }
    for kind in ("checkpoint_bundle", "status_list"):
        cli("pki", "add-signer", "--authority", "Ops", "--document-type", kind)
        cli("pki", "revoke-signer", old[kind])
    cli.bundle()
    assert cli.verdict(text, "boarding")["result"] == "valid"
    refused = cli(
        "credential",
        "issue",
        str(cli.home / "identity.json"),
        "--document-type",
        "status_list",
        "--document-number",
        "1",
        code=2,
    )
    assert "[document_type]" in refused.stderr


def test_pki_changes_are_logged_as_the_operator(cli: Cli) -> None:
    cli.issuer()
    kid = cli("pki", "add-signer", "--authority", "A", "--document-type", "passport").stdout.strip()
    cli("pki", "revoke-signer", kid)
    box = bootstrap(get_settings())
    try:
        with box.uow() as uow:
            actions = uow.ledger.actions_on(RecordKind.SIGNER.value, kid)
    finally:
        box.close()
    assert [a.action_type for a in actions] == ["signer_creation", "signer_revocation"]
    assert all(a.official_id is None for a in actions)  # the operator, not an official
