"""100,000 random mutations of valid QR codes: none of them may come out ``valid``.

The mutations hit each layer of the transport (ISO/IEC 18004 text, RFC 9285
Base45, RFC 1950 zlib, RFC 9052 COSE): Base45 character substitutions,
insertions and deletions in the text; bit flips, byte insertions, deletions and
truncations of the compressed bytes; and the same on the COSE message itself,
re-compressed so that the damage reaches the COSE, CWT and signature checks.
Every mutation must get a verdict (no exception escapes), none may be ``valid``,
and the verifier's "unexpected error" path must never be taken. The random seed
is fixed (the keys are not, so signatures differ from run to run).

One kind of change is not a mutation of the credential: zlib ignores the padding
bits of the last deflate byte (RFC 1951 §3.2.3), so flipping one gives another
QR text for the very same COSE bytes, which rightly verifies. Such texts are
counted apart and must decode to the original COSE message byte for byte.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from typing import TYPE_CHECKING

import pytest

from carnet.credentials.codec import b45decode, b45encode, compress, decode_qr_text
from carnet.credentials.signing import Algorithm
from carnet.credentials.verifier import verify
from tests.unit.credentials.test_bundle import NOW, World

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MUTATIONS = 100_000
SEED = 20_261_123
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _bytes_mutation(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    kind = rng.randrange(4)
    if kind == 0:  # flip one to three bits
        for _ in range(rng.randint(1, 3)):
            position = rng.randrange(len(out))
            out[position] ^= 1 << rng.randrange(8)
    elif kind == 1:  # insert bytes
        position = rng.randrange(len(out) + 1)
        out[position:position] = rng.randbytes(rng.randint(1, 3))
    elif kind == 2:  # delete bytes
        position = rng.randrange(len(out))
        del out[position : position + rng.randint(1, 3)]
    else:  # truncate
        del out[rng.randrange(len(out)) :]
    if bytes(out) == data:  # a flip that flipped back, an insert of nothing
        out.append(rng.randrange(256))
    return bytes(out)


def _text_mutation(rng: random.Random, text: str) -> str:
    chars = list(text)
    kind = rng.randrange(3)
    if kind == 0:  # substitute one to three Base45 characters
        for _ in range(rng.randint(1, 3)):
            position = rng.randrange(len(chars))
            chars[position] = rng.choice(ALPHABET.replace(chars[position], ""))
    elif kind == 1:
        chars.insert(rng.randrange(len(chars) + 1), rng.choice(ALPHABET))
    else:
        del chars[rng.randrange(len(chars))]
    return "".join(chars)


def test_no_mutation_of_a_valid_qr_is_valid(caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(SEED)
    world = World()
    world.add_signer("passport", algorithm=Algorithm.EDDSA)  # one EdDSA signer as well
    kinds = ["national_id_card", "passport", "zone_permit", "residence_certificate"]
    originals = [world.issue(kind, zone="ZONE-A", idx=idx) for idx, kind in enumerate(kinds)]
    bundle = world.bundle()
    for text in originals:
        assert verify(text, bundle, "identity_check", NOW).is_valid
    layers: list[Callable[[str], str]] = [
        lambda text: _text_mutation(rng, text),
        lambda text: b45encode(_bytes_mutation(rng, b45decode(text))),
        lambda text: b45encode(compress(_bytes_mutation(rng, decode_qr_text(text)))),
    ]
    reasons: Counter[str] = Counter()
    with caplog.at_level(logging.ERROR, logger="carnet.credentials.verifier"):
        for i in range(MUTATIONS):
            original = originals[i % len(originals)]
            mutated = rng.choice(layers)(original)
            verdict = verify(mutated, bundle, "identity_check", NOW, zone="ZONE-A")
            if verdict.result == "valid":
                # Only another encoding of the same signed bytes may verify.
                assert decode_qr_text(mutated) == decode_qr_text(original), (i, mutated)
                reasons["same_cose_bytes"] += 1
                continue
            reasons.update(verdict.reasons)
    assert not caplog.records, caplog.messages
    assert sum(reasons.values()) == MUTATIONS
    # The COSE-level mutations reach past the transport: the signature check sees them.
    assert reasons["malformed"] > MUTATIONS // 2
    assert reasons["bad_signature"] > 0
    assert reasons["same_cose_bytes"] < MUTATIONS // 1000
