"""Benchmark: issuing a credential (identity → QR text) against a raw signature.

Measures, in one process and interleaved so that both see the same machine load:

* ``issue_credential`` with a :class:`FileKeyStore` signer (CWT claims, Claim 169,
  deterministic CBOR, COSE_Sign1, zlib, Base45), for ES256 and EdDSA;
* a raw ``cryptography`` signature over a message of the same size (the COSE
  Sig_structure a credential signs);
* where each microsecond of an issuance goes;
* the same issuance with keys in a SoftHSM2 token, when the library is present.

Usage: ``python -m bench.sign``. The last line printed is one JSON object.
"""

from __future__ import annotations

import os
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from bench._common import best_us, emit
from carnet.adapters.keys.files import FileKeyStore
from carnet.credentials.claim169 import BirthDate, Gender, Identity169
from carnet.credentials.codec import b45encode, compress
from carnet.credentials.cose import sign1
from carnet.credentials.cwt import CwtClaims
from carnet.credentials.issuing import issue_credential
from carnet.credentials.signing import Algorithm
from carnet.credentials.statuslist import StatusReference

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from carnet.credentials.signing import Signer
    from carnet.services.ports import KeyStore

SOFTHSM_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
POOL = 64
BUDGET_S = 20.0
IDENTITY = Identity169(
    uin="840115203917",
    full_name="KIM MINJUN",
    given_name="MINJUN",
    family_name="KIM",
    secondary_full_name="김민준",
    secondary_language="kor",
    date_of_birth=BirthDate(1984, 1, 15),
    gender=Gender.MALE,
    nationality="KOR",
)


class Interleaved:
    """Times several workloads in alternating rounds; keeps the best and median per call."""

    def __init__(self, workloads: dict[str, Callable[[], int]]) -> None:
        self.workloads = workloads
        self.samples: dict[str, list[float]] = {name: [] for name in workloads}

    def run(self, budget_s: float, *, min_rounds: int = 5) -> int:
        deadline = time.perf_counter() + budget_s
        rounds = 0
        while rounds < min_rounds or time.perf_counter() < deadline:
            for name, workload in self.workloads.items():
                start = time.perf_counter()
                calls = workload()
                self.samples[name].append((time.perf_counter() - start) / calls)
            rounds += 1
        return rounds

    def best_s(self, name: str) -> float:
        return min(self.samples[name])

    def median_s(self, name: str) -> float:
        return statistics.median(self.samples[name])

    def per_s(self, name: str) -> float:
        return round(1 / self.best_s(name), 1)


def softhsm_module() -> str | None:
    """The SoftHSM2 PKCS#11 library, if installed (with ``softhsm2-util``)."""
    override = os.environ.get("CARNET_PKCS11_MODULE")
    found = next((c for c in (override, *SOFTHSM_CANDIDATES) if c and Path(c).is_file()), None)
    return found if found and shutil.which("softhsm2-util") else None


def softhsm_store(directory: Path) -> KeyStore:
    """A :class:`Pkcs11KeyStore` on a throwaway SoftHSM2 token in ``directory``."""
    from carnet.adapters.keys.pkcs11 import Pkcs11KeyStore  # noqa: PLC0415 - only with SoftHSM2

    module = softhsm_module()
    util = shutil.which("softhsm2-util")
    if module is None or util is None:
        msg = "SoftHSM2 is not installed"
        raise RuntimeError(msg)
    tokens = directory / "tokens"
    tokens.mkdir(parents=True)
    config = directory / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n",
        encoding="utf-8",
    )
    os.environ["SOFTHSM2_CONF"] = str(config)  # read when the library is first loaded
    subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [util, "--init-token", "--free", "--label", "bench", "--pin", "1234", "--so-pin", "5678"],
        check=True,
        capture_output=True,
    )
    return Pkcs11KeyStore(module, "bench", "1234")


def references(count: int) -> list[StatusReference]:
    rng = secrets.SystemRandom()
    return [
        StatusReference("https://status.carnet.example/lists/1", rng.randrange(131_072))
        for _ in range(count)
    ]


def issuer(signer: Signer, refs: Sequence[StatusReference]) -> Callable[[], int]:
    """Issue one credential per status reference; return how many."""

    def work() -> int:
        for ref in refs:
            issue_credential(
                IDENTITY,
                document_type="national_id_card",
                document_number="M84011520",
                status=ref,
                valid_from=NOW,
                valid_until=NOW + timedelta(days=3650),
                signer=signer,
                now=NOW,
                issuer="Civil Registry",
            )
        return len(refs)

    return work


def signed_size(signer: Signer) -> int:
    """Bytes a credential's signature covers (its COSE Sig_structure)."""
    sizes: list[int] = []

    class Measuring:
        kid = signer.kid
        algorithm = signer.algorithm

        def sign(self, data: bytes) -> bytes:
            sizes.append(len(data))
            return signer.sign(data)

    issuer(Measuring(), references(1))()
    return sizes[0]


def raw_signer(algorithm: Algorithm, size: int) -> Callable[[], int]:
    """Raw ``cryptography`` signatures over ``POOL`` distinct messages of ``size`` bytes."""
    messages = [secrets.token_bytes(size) for _ in range(POOL)]
    if algorithm is Algorithm.ES256:
        key = ec.generate_private_key(ec.SECP256R1())
        ecdsa = ec.ECDSA(hashes.SHA256())

        def work() -> int:
            for message in messages:
                key.sign(message, ecdsa)
            return len(messages)

        return work
    ed_key = ed25519.Ed25519PrivateKey.generate()

    def ed_work() -> int:
        for message in messages:
            ed_key.sign(message)
        return len(messages)

    return ed_work


def breakdown_us(signer: Signer) -> dict[str, float]:
    """Best time per stage of one ES256 issuance, in microseconds."""
    ref = references(1)[0]

    def claims() -> CwtClaims:
        return CwtClaims(
            issuer="Civil Registry",
            issued_at=NOW,
            not_before=NOW,
            expires_at=NOW + timedelta(days=3650),
            identity=IDENTITY,
            status=ref,
            document_type="national_id_card",
            document_number="M84011520",
        )

    built = claims()
    payload = built.to_cbor()
    cose = sign1(payload, signer)
    zipped = compress(cose)
    stages: dict[str, Callable[[], object]] = {
        "claims_object": claims,
        "claims_cbor": built.to_cbor,
        "cose_sign1_with_signature": lambda: sign1(payload, signer),
        "signer_sign": lambda: signer.sign(payload),
        "zlib_compress": lambda: compress(cose),
        "base45_encode": lambda: b45encode(zipped),
    }
    return {name: round(best_us(stage), 2) for name, stage in stages.items()}


def file_signers(directory: Path) -> Iterator[Signer]:
    store = FileKeyStore(directory / "keys", secrets.token_hex(16))
    for algorithm in (Algorithm.ES256, Algorithm.EDDSA):
        yield store.signer(store.create_key(f"bench-{algorithm.name}", algorithm))


def main() -> None:
    started = time.perf_counter()
    figures: dict[str, object] = {"bench": "sign", "pool_size": POOL}
    with tempfile.TemporaryDirectory(prefix="carnet-bench-sign-") as temp:
        es256, eddsa = file_signers(Path(temp))
        refs = references(POOL)
        size = signed_size(es256)
        timing = Interleaved(
            {
                "raw_es256": raw_signer(Algorithm.ES256, size),
                "issue_es256": issuer(es256, refs),
                "raw_eddsa": raw_signer(Algorithm.EDDSA, size),
                "issue_eddsa": issuer(eddsa, refs),
            }
        )
        figures["rounds"] = timing.run(BUDGET_S)
        figures["signed_bytes"] = size
        for alg in ("es256", "eddsa"):
            figures[f"raw_{alg}_sign_per_s"] = timing.per_s(f"raw_{alg}")
            figures[f"issue_{alg}_file_keystore_per_s"] = timing.per_s(f"issue_{alg}")
            figures[f"issue_{alg}_median_us"] = round(timing.median_s(f"issue_{alg}") * 1e6, 1)
        figures["ratio_vs_raw_sign"] = round(
            timing.best_s("raw_es256") / timing.best_s("issue_es256"), 3
        )
        figures["ratio_eddsa_vs_raw_sign"] = round(
            timing.best_s("raw_eddsa") / timing.best_s("issue_eddsa"), 3
        )
        figures["issue_es256_stage_us"] = breakdown_us(es256)
        figures.update(hsm_figures(Path(temp), refs))
    figures["seconds"] = round(time.perf_counter() - started, 1)
    emit(figures)


def hsm_figures(directory: Path, refs: Sequence[StatusReference]) -> dict[str, object]:
    """Issue and raw-sign rates with the key inside a SoftHSM2 token, or why not."""
    if softhsm_module() is None:
        return {
            "hsm_issue_es256_per_s": None,
            "hsm_raw_es256_sign_per_s": None,
            "hsm_note": "SoftHSM2 not installed (apt-get install softhsm2)",
        }
    store = softhsm_store(directory)
    signer = store.signer(store.create_key("bench-hsm", Algorithm.ES256))
    message = secrets.token_bytes(signed_size(signer))

    def raw() -> int:
        for _ in range(len(refs)):
            signer.sign(message)
        return len(refs)

    timing = Interleaved({"raw": raw, "issue": issuer(signer, refs)})
    timing.run(5.0, min_rounds=3)
    return {
        "hsm_issue_es256_per_s": timing.per_s("issue"),
        "hsm_raw_es256_sign_per_s": timing.per_s("raw"),
        "hsm_ratio_vs_raw_sign": round(timing.best_s("raw") / timing.best_s("issue"), 3),
        "hsm_note": "SoftHSM2 via PKCS#11 (CKM_ECDSA over a SHA-256 digest)",
    }


if __name__ == "__main__":
    main()
