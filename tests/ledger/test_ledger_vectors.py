"""Every transparency-dev/merkle proof vector: happy paths verify, every mutation is refused."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from microcred.ledger import LogProofError, verify_consistency, verify_inclusion

VECTORS = Path(__file__).parents[1] / "fixtures" / "merkle" / "testdata"
INCLUSION = sorted((VECTORS / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((VECTORS / "consistency").rglob("*.json"))


def _name(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def _load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text())
    return case


def _hash(text: str) -> bytes:
    return base64.b64decode(text)


def _proof(value: list[str] | None) -> list[bytes]:
    return [_hash(item) for item in value or []]


def test_vectors_are_present() -> None:
    # Guards against a silently empty parametrisation if the fixtures move.
    assert len(INCLUSION) == 98
    assert len(CONSISTENCY) == 98
    assert (VECTORS.parent / "LICENSE").is_file()


@pytest.mark.parametrize("path", INCLUSION, ids=_name)
def test_inclusion_vector(path: Path) -> None:
    case = _load(path)

    def verify() -> None:
        verify_inclusion(
            leaf_hash=_hash(case["leafHash"]),
            index=case["leafIdx"],
            tree_size=case["treeSize"],
            proof=_proof(case["proof"]),
            root=_hash(case["root"]),
        )

    if case["wantErr"]:
        with pytest.raises(LogProofError):
            verify()
    else:
        verify()


@pytest.mark.parametrize("path", CONSISTENCY, ids=_name)
def test_consistency_vector(path: Path) -> None:
    case = _load(path)

    def verify() -> None:
        verify_consistency(
            size1=case["size1"],
            size2=case["size2"],
            proof=_proof(case["proof"]),
            root1=_hash(case["root1"]),
            root2=_hash(case["root2"]),
        )

    if case["wantErr"]:
        with pytest.raises(LogProofError):
            verify()
    else:
        verify()


def test_happy_and_mutated_cases_are_both_covered() -> None:
    cases = [_load(path) for path in INCLUSION + CONSISTENCY]
    assert sum(not case["wantErr"] for case in cases) >= 10
    assert sum(case["wantErr"] for case in cases) >= 150
