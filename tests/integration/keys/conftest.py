"""A throwaway SoftHSM2 token per test, for the PKCS#11 key store.

SoftHSM2 reads ``SOFTHSM2_CONF`` when the library is initialised, so each test gets
its own token directory and configuration, and the (process-wide) PKCS#11 library
is re-initialised to pick it up. Without SoftHSM2 the tests skip with the install
command, unless ``CARNET_REQUIRE_ALL=1``, when they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pkcs11
import pytest

from carnet.adapters.keys.pkcs11 import Pkcs11KeyStore

if TYPE_CHECKING:
    from collections.abc import Iterator

MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)
INSTALL = "apt-get install softhsm2 (or: bash scripts/system-deps.sh)"
TOKEN_LABEL = "carnet-test"
PIN = "123456"
SO_PIN = "12345678"


def _missing(what: str) -> NoReturn:
    message = f"SoftHSM2 is not installed ({what} not found); install it with: {INSTALL}"
    if os.environ.get("CARNET_REQUIRE_ALL") == "1":
        pytest.fail(message)
    pytest.skip(message)


def softhsm_module() -> str:
    """Return the SoftHSM2 PKCS#11 library, or skip (fail under CARNET_REQUIRE_ALL=1)."""
    override = os.environ.get("CARNET_PKCS11_MODULE")
    for candidate in (override, *MODULE_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return candidate
    _missing("libsofthsm2.so")


@dataclass(frozen=True)
class SoftHsmToken:
    """An initialised token with a user PIN, in its own token directory."""

    module_path: str
    label: str
    pin: str

    def store(self) -> Pkcs11KeyStore:
        return Pkcs11KeyStore(self.module_path, self.label, self.pin)

    @contextmanager
    def session(self) -> Iterator[pkcs11.Session]:
        """A raw PKCS#11 session, to inspect or tamper with the token in tests."""
        token = pkcs11.lib(self.module_path).get_token(token_label=self.label)
        try:
            session = token.open(rw=True, user_pin=self.pin)
        except pkcs11.exceptions.UserAlreadyLoggedIn:
            session = token.open(rw=True)
        try:
            yield session
        finally:
            session.close()


@pytest.fixture
def softhsm_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftHsmToken:
    module = softhsm_module()
    util = shutil.which("softhsm2-util") or _missing("softhsm2-util")
    token_dir = tmp_path / "tokens"
    token_dir.mkdir()
    config = tmp_path / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {token_dir}\nobjectstore.backend = file\nlog.level = ERROR\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SOFTHSM2_CONF", str(config))
    subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [util, "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", PIN, "--so-pin", SO_PIN],
        check=True,
        capture_output=True,
    )
    # The library is loaded once per process: make it re-read SOFTHSM2_CONF.
    pkcs11.lib(module).reinitialize()
    return SoftHsmToken(module, TOKEN_LABEL, PIN)
