"""Benchmark: offline verification (QR text → verdict) against a raw signature check.

Measures, in one process and interleaved so that both see the same machine load:

* :func:`carnet.credentials.verifier.verify` over a pool of distinct credentials
  (Base45, zlib, COSE, signer lookup, signature, CWT claims, status list, policy,
  disclosure), for ES256 and EdDSA signers;
* a raw ``cryptography`` verification of a message of the same size (the COSE
  Sig_structure a credential's signature covers), over as many distinct messages;
* where each microsecond of a verification goes;
* credentials whose keys live in a SoftHSM2 token, when the library is present
  (verification itself never touches the HSM).

The issue's target is ``ratio_vs_raw_verify`` (ES256) ≥ 0.8. Usage:
``python -m bench.verify``. The last line printed is one JSON object.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from bench._common import best_us, emit
from bench.sign import POOL, Interleaved, softhsm_module, softhsm_store
from carnet.adapters.keys.files import FileKeyStore
from carnet.credentials.bundle import parse_bundle
from carnet.credentials.codec import decode_qr_text
from carnet.credentials.cose import parse_sign1, verify_sign1
from carnet.credentials.cwt import CwtClaims
from carnet.credentials.signing import Algorithm
from carnet.credentials.verifier import verify
from carnet.services.issuer_workspace import IssuerWorkspace

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from carnet.credentials.bundle import Bundle
    from carnet.services.ports import KeyStore

NOW = datetime.now(UTC)
BUDGET_S = 24.0
IDENTITY = {
    "uin": "840115203917",
    "full_name": "KIM MINJUN",
    "given_name": "MINJUN",
    "family_name": "KIM",
    "secondary_full_name": "김민준",
    "secondary_language": "kor",
    "date_of_birth": "1984-01-15",
    "gender": "male",
    "nationality": "KOR",
}
KINDS = {Algorithm.ES256: "national_id_card", Algorithm.EDDSA: "passport"}


def issuer_world(directory: Path, keys: KeyStore) -> tuple[Bundle, dict[Algorithm, list[str]]]:
    """A workspace with an ES256 and an EdDSA document signer; pools of their credentials."""
    workspace = IssuerWorkspace(directory, keys, rng=secrets.SystemRandom())
    workspace.init(now=NOW)
    for algorithm, kind in KINDS.items():
        workspace.add_signer(
            authority="Civil Registry", document_type=kind, now=NOW, algorithm=algorithm
        )
    workspace.create_status_list()
    pools = {
        algorithm: [
            workspace.issue_test_credential(
                IDENTITY, document_type=kind, document_number=f"M{i:08d}", now=NOW
            ).qr_text
            for i in range(POOL)
        ]
        for algorithm, kind in KINDS.items()
    }
    bundle = parse_bundle(workspace.export_bundle(now=NOW), workspace.root_certificate(), NOW)
    return bundle, pools


def verifier(pool: Sequence[str], bundle: Bundle) -> Callable[[], int]:
    def work() -> int:
        for text in pool:
            verify(text, bundle, "boarding", NOW)
        return len(pool)

    return work


def signed_size(text: str) -> int:
    """Bytes the credential's signature covers: its COSE Sig_structure (RFC 9052 §4.4)."""
    message = parse_sign1(decode_qr_text(text))
    return len(message.protected_bytes) + len(message.payload) + 16


def raw_verifier(algorithm: Algorithm, size: int) -> Callable[[], int]:
    """Raw ``cryptography`` checks of ``POOL`` distinct signed messages of ``size`` bytes."""
    messages = [secrets.token_bytes(size) for _ in range(POOL)]
    if algorithm is Algorithm.ES256:
        key = ec.generate_private_key(ec.SECP256R1())
        public, ecdsa = key.public_key(), ec.ECDSA(hashes.SHA256())
        pairs = [(m, key.sign(m, ecdsa)) for m in messages]

        def work() -> int:
            for message, signature in pairs:
                public.verify(signature, message, ecdsa)
            return len(pairs)

        return work
    ed_key = ed25519.Ed25519PrivateKey.generate()
    ed_public = ed_key.public_key()
    ed_pairs = [(m, ed_key.sign(m)) for m in messages]

    def ed_work() -> int:
        for message, signature in ed_pairs:
            ed_public.verify(signature, message)
        return len(ed_pairs)

    return ed_work


def breakdown_us(text: str, bundle: Bundle) -> dict[str, float]:
    """Best time per stage of one ES256 verification, in microseconds."""
    cose = decode_qr_text(text)
    message = parse_sign1(cose)
    assert message.kid is not None  # noqa: S101 - a credential from our own workspace
    kid = message.kid
    signer = bundle.signer_for(kid, NOW)
    claims = CwtClaims.from_cbor(message.payload)
    status = claims.status
    assert status is not None  # noqa: S101 - issued with a status reference
    stages: dict[str, Callable[[], object]] = {
        "base45_and_inflate": lambda: decode_qr_text(text),
        "cose_parse": lambda: parse_sign1(cose),
        "signer_lookup_cached": lambda: bundle.signer_for(kid, NOW),
        "cose_verify_with_signature": lambda: verify_sign1(message, signer.public_key),
        "cwt_claims_decode": lambda: CwtClaims.from_cbor(message.payload),
        "exp_nbf_check": lambda: claims.check_validity(NOW),
        "status_lookup": lambda: bundle.status.status_of(status.uri, status.idx, NOW),
        "whole_verify": lambda: verify(text, bundle, "boarding", NOW),
    }
    return {name: round(best_us(stage), 2) for name, stage in stages.items()}


def main() -> None:
    started = time.perf_counter()
    figures: dict[str, object] = {"bench": "verify", "pool_size": POOL, "purpose": "boarding"}
    with tempfile.TemporaryDirectory(prefix="carnet-bench-verify-") as temp:
        keys = FileKeyStore(Path(temp) / "keys", secrets.token_hex(16))
        bundle, pools = issuer_world(Path(temp) / "issuer", keys)
        for pool in pools.values():
            assert all(verify(t, bundle, "boarding", NOW).is_valid for t in pool)  # noqa: S101
        sample = pools[Algorithm.ES256][0]
        size = signed_size(sample)
        timing = Interleaved(
            {
                "raw_es256": raw_verifier(Algorithm.ES256, size),
                "verify_es256": verifier(pools[Algorithm.ES256], bundle),
                "raw_eddsa": raw_verifier(Algorithm.EDDSA, size),
                "verify_eddsa": verifier(pools[Algorithm.EDDSA], bundle),
            }
        )
        figures["rounds"] = timing.run(BUDGET_S)
        figures["signed_bytes"] = size
        figures["qr_text_chars"] = len(sample)
        for alg in ("es256", "eddsa"):
            figures[f"raw_{alg}_verify_per_s"] = timing.per_s(f"raw_{alg}")
            figures[f"verify_{alg}_per_s"] = timing.per_s(f"verify_{alg}")
            figures[f"verify_{alg}_median_us"] = round(timing.median_s(f"verify_{alg}") * 1e6, 1)
        figures["ratio_vs_raw_verify"] = round(
            timing.best_s("raw_es256") / timing.best_s("verify_es256"), 3
        )
        figures["ratio_eddsa_vs_raw_verify"] = round(
            timing.best_s("raw_eddsa") / timing.best_s("verify_eddsa"), 3
        )
        figures["verify_es256_stage_us"] = breakdown_us(sample, bundle)
        figures.update(hsm_figures(Path(temp)))
    figures["seconds"] = round(time.perf_counter() - started, 1)
    emit(figures)


def hsm_figures(directory: Path) -> dict[str, object]:
    """Verification rate of credentials and a bundle signed inside SoftHSM2, or why not."""
    if softhsm_module() is None:
        return {
            "hsm_signed_verify_es256_per_s": None,
            "hsm_note": "SoftHSM2 not installed (apt-get install softhsm2)",
        }
    keys = softhsm_store(directory / "hsm")
    bundle, pools = issuer_world(directory / "hsm-issuer", keys)
    timing = Interleaved({"verify": verifier(pools[Algorithm.ES256], bundle)})
    timing.run(3.0, min_rounds=3)
    return {
        "hsm_signed_verify_es256_per_s": timing.per_s("verify"),
        "hsm_note": "root, bundle, status-list and document keys in SoftHSM2; "
        "verification itself is offline and never touches the HSM",
    }


if __name__ == "__main__":
    main()
