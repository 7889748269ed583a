"""The bundled JSON-LD contexts: pinned by SHA256SUMS, identical to the shared copies, offline."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import pytest

from microcred.crypto.jsonld import context_index, load_context, verify_bundle
from microcred.errors import ContextError

BUNDLE = resources.files("microcred.contexts")
SHARED = Path(__file__).resolve().parents[3] / "shared" / "contexts"


def test_every_bundled_file_matches_sha256sums() -> None:
    sums = verify_bundle()
    for name in set(context_index().values()):
        assert name in sums, f"{name} is not pinned in SHA256SUMS"
        assert hashlib.sha256(BUNDLE.joinpath(name).read_bytes()).hexdigest() == sums[name]


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/contexts is not beside the checkout")
def test_bundled_copies_are_the_shared_files_byte_for_byte() -> None:
    shared_index = json.loads((SHARED / "index.json").read_text())
    for url, name in shared_index.items():
        assert context_index()[url] == name
        assert BUNDLE.joinpath(name).read_bytes() == (SHARED / name).read_bytes(), name


def test_unknown_context_url_is_named_and_never_fetched() -> None:
    with pytest.raises(ContextError) as info:
        load_context("https://example.org/contexts/v1")
    assert info.value.found == "https://example.org/contexts/v1"
    assert "nothing is fetched" in info.value.message


def test_every_indexed_context_loads() -> None:
    for url in context_index():
        assert "@context" in load_context(url), url
