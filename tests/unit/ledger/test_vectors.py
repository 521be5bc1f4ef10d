"""The transparency-dev/merkle proof vectors, read at run time from ../shared/vectors.

Every JSON case is one test: happy paths must verify, ``wantErr`` cases must
raise ProofError. Happy paths over the RFC 6962 test tree also pin down proof
*generation*: the proof the library builds must be byte-identical to the
vector's proof.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from carnet.domain.errors import ProofError
from carnet.ledger.hashing import leaf_hash
from carnet.ledger.proofs import (
    verify_consistency,
    verify_inclusion,
    verify_subtree_consistency,
    verify_subtree_inclusion,
)
from carnet.ledger.store import InMemoryHashStore
from carnet.ledger.tree import MerkleTree, TreeAppender
from tests.unit.ledger import reference

pytestmark = pytest.mark.unit

VECTORS = (
    Path(__file__).resolve().parents[3] / ".." / "shared" / "vectors" / "transparency-dev-merkle"
).resolve() / "testdata"
KINDS = ("inclusion", "consistency", "subtreeinclusion", "subtreeconsistency")


def _files(kind: str) -> list[Path]:
    return sorted((VECTORS / kind).rglob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return case


def _b(value: str | None) -> bytes:
    # Go's encoding/json decodes a null []byte to nil, i.e. empty.
    return base64.b64decode(value) if value else b""


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b(p) for p in case["proof"] or []]


def _test_tree_roots() -> dict[bytes, int]:
    leaves = reference.RFC6962_TEST_LEAVES
    return {reference.mth(leaves[:n]): n for n in range(1, len(leaves) + 1)}


def _on_test_tree(kind: str, case: dict[str, Any]) -> bool:
    if case["wantErr"]:
        return False
    leaves = reference.RFC6962_TEST_LEAVES
    if kind == "subtreeinclusion":
        start: int = case["start"]
        end: int = case["end"]
        return end <= len(leaves) and reference.mth(leaves[start:end]) == _b(case["root"])
    root = _b(case.get("root") or case.get("root2"))
    size: int = next(case[key] for key in ("treeSize", "size2", "size") if key in case)
    # Empty subtrees carry no proof to compare.
    non_empty = kind != "subtreeconsistency" or case["start"] < case["end"]
    return _test_tree_roots().get(root) == size and non_empty


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for kind in KINDS:
        if f"{kind}_case" in metafunc.fixturenames:
            files = _files(kind)
            ids = [str(f.relative_to(VECTORS / kind)) for f in files]
            metafunc.parametrize(f"{kind}_case", files, ids=ids)
    if "generation_case" in metafunc.fixturenames:
        cases = [(k, f) for k in KINDS for f in _files(k) if _on_test_tree(k, _load(f))]
        ids = [f"{k}/{f.relative_to(VECTORS / k)}" for k, f in cases]
        metafunc.parametrize("generation_case", cases, ids=ids)


def _check(case: dict[str, Any], verify: Any, *args: Any, **kwargs: Any) -> None:
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify(*args, **kwargs)
    else:
        verify(*args, **kwargs)


def test_vector_folder_holds_every_kind() -> None:
    # A missing or moved folder must fail loudly, not collect zero cases.
    counts = {kind: len(_files(kind)) for kind in KINDS}
    assert all(count >= 90 for count in counts.values()), counts


def test_inclusion_vector(inclusion_case: Path) -> None:
    c = _load(inclusion_case)
    _check(
        c,
        verify_inclusion,
        _b(c["leafHash"]),
        c["leafIdx"],
        c["treeSize"],
        _proof(c),
        _b(c["root"]),
    )


def test_consistency_vector(consistency_case: Path) -> None:
    c = _load(consistency_case)
    _check(c, verify_consistency, c["size1"], c["size2"], _proof(c), _b(c["root1"]), _b(c["root2"]))


def test_subtree_inclusion_vector(subtreeinclusion_case: Path) -> None:
    c = _load(subtreeinclusion_case)
    _check(
        c,
        verify_subtree_inclusion,
        _b(c["leafHash"]),
        c["leafIdx"],
        _proof(c),
        _b(c["root"]),
        start=c["start"],
        end=c["end"],
    )


def test_subtree_consistency_vector(subtreeconsistency_case: Path) -> None:
    c = _load(subtreeconsistency_case)
    _check(
        c,
        verify_subtree_consistency,
        c["size"],
        _proof(c),
        _b(c["root1"]),
        _b(c["root2"]),
        start=c["start"],
        end=c["end"],
    )


@pytest.fixture(scope="module")
def test_tree() -> MerkleTree:
    store = InMemoryHashStore()
    TreeAppender(store).append_entries(reference.RFC6962_TEST_LEAVES)
    return MerkleTree(store)


def test_enough_vectors_cross_check_generation() -> None:
    kinds = [k for k in KINDS for f in _files(k) if _on_test_tree(k, _load(f))]
    assert all(kinds.count(k) >= 4 for k in KINDS), kinds


def test_generated_proof_equals_vector(
    generation_case: tuple[str, Path], test_tree: MerkleTree
) -> None:
    kind, path = generation_case
    c = _load(path)
    if kind == "inclusion":
        assert leaf_hash(reference.RFC6962_TEST_LEAVES[c["leafIdx"]]) == _b(c["leafHash"])
        built = test_tree.inclusion_proof(c["leafIdx"], c["treeSize"])
    elif kind == "consistency":
        built = test_tree.consistency_proof(c["size1"], c["size2"])
    elif kind == "subtreeinclusion":
        built = test_tree.subtree_inclusion_proof(c["leafIdx"], start=c["start"], end=c["end"])
    else:
        built = test_tree.subtree_consistency_proof(c["size"], start=c["start"], end=c["end"])
    assert built == _proof(c)
