"""Offline proof: ``carnet verify`` answers ``valid`` with every socket disabled.

The issuer's workspace, the credential and the bundle are made through the real
command line with keys in encrypted files; then sockets are switched off for the
process with pytest-socket's ``disable_socket(allow_unix_socket=False)``, which
blocks creating any socket, Unix ones included, and name resolution (the global
``--disable-socket`` flag of the suite only blocks non-local connections, and
allows Unix sockets); then the checkpoint verifies the
QR text, a PNG of the code and a degraded "photo" of it (rotated, scaled,
blurred, JPEG).
"""

from __future__ import annotations

import io
import json
import socket
from typing import TYPE_CHECKING

import pytest
from PIL import Image, ImageFilter
from pytest_socket import SocketBlockedError, disable_socket
from typer.testing import CliRunner

from carnet.config import get_settings
from carnet.credentials.qr import qr_png
from carnet.entrypoints.cli.main import app

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.integration

IDENTITY = {
    "full_name": "CHOI YUNA",
    "given_name": "YUNA",
    "family_name": "CHOI",
    "date_of_birth": "1990-03-04",
    "gender": "female",
    "uin": "900304112233",
}


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CARNET_ENVIRONMENT", "test")
    monkeypatch.setenv("CARNET_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("CARNET_KEY_PASSPHRASE", "offline-test-passphrase-0123456789")
    monkeypatch.setenv("CARNET_ISSUER_DIR", str(tmp_path / "issuer"))
    monkeypatch.delenv("CARNET_PKCS11_MODULE", raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def offline() -> None:
    """No socket of any family and no name resolution until the test ends.

    pytest-socket's teardown hook (``_remove_restrictions``) restores sockets.
    """
    disable_socket(allow_unix_socket=False)


def _run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _issue(runner: CliRunner, tmp_path: Path) -> tuple[str, Path]:
    _run(runner, "pki", "init")
    _run(
        runner, "pki", "add-signer", "--authority", "Civil Registry", "--document-type", "passport"
    )
    _run(runner, "status", "create")
    identity = tmp_path / "identity.json"
    identity.write_text(json.dumps(IDENTITY), encoding="utf-8")
    qr_text = _run(
        runner,
        "credential",
        "issue",
        str(identity),
        "--document-type",
        "passport",
        "--document-number",
        "P1234567",
    ).strip()
    bundle = tmp_path / "checkpoint.bundle"
    _run(runner, "bundle", "export", "--out", str(bundle), "--max-age", "24h")
    return qr_text, bundle


def _photo_of(png: bytes) -> bytes:
    """A phone's picture of the printed code: tilted, rescaled, out of focus, JPEG."""
    image = Image.open(io.BytesIO(png)).convert("L")
    image = image.rotate(9, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    image = image.resize(
        (image.width * 13 // 10, image.height * 13 // 10), Image.Resampling.BICUBIC
    )
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    return out.getvalue()


def test_sockets_are_really_off(offline: None) -> None:
    del offline
    with pytest.raises((SocketBlockedError, UserWarning)):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises((SocketBlockedError, UserWarning)):
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with pytest.raises((SocketBlockedError, UserWarning)):
        socket.getaddrinfo("localhost", 80)


def test_verify_needs_no_network(runner: CliRunner, tmp_path: Path, offline: None) -> None:
    del offline
    qr_text, bundle = _issue(runner, tmp_path)
    png = tmp_path / "code.png"
    png.write_bytes(qr_png(qr_text, scale=5))
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(_photo_of(qr_png(qr_text, scale=6)))
    for source in (qr_text, str(png), str(photo)):
        out = _run(
            runner,
            "verify",
            source,
            "--bundle",
            str(bundle),
            "--purpose",
            "boarding",
            "--json",
        )
        verdict = json.loads(out)
        assert verdict["result"] == "valid", (source[:20], verdict)
        assert verdict["disclosed"] == {"name": "CHOI YUNA", "document_number": "P1234567"}


def test_an_offline_checkpoint_still_says_no(
    runner: CliRunner, tmp_path: Path, offline: None
) -> None:
    del offline
    qr_text, bundle = _issue(runner, tmp_path)
    result = runner.invoke(
        app, ["verify", qr_text[:-5], "--bundle", str(bundle), "--purpose", "boarding"]
    )
    assert result.exit_code == 10
    assert "INVALID" in result.stdout
    result = runner.invoke(app, ["verify", qr_text, "--bundle", str(bundle), "--purpose", "voting"])
    assert result.exit_code == 11
    assert "no_document_may_be_demanded" in result.stdout
