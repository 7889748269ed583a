"""Where Digital Bazaar's JS reference stack lives, and the skip for machines without it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS_DIR = ROOT / "interop" / "js"


def node_or_skip() -> str:
    """The node executable; skips the calling test module where the stack is not installed."""
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules").is_dir():
        pytest.skip(
            "the JS reference stack is not installed (needs node and interop/js/node_modules): "
            "run `make js`",
            allow_module_level=True,
        )
    return node
