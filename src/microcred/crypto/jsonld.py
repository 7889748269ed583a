"""The offline JSON-LD document loader: contexts come from the bundle, never from the network.

pyoxigraph has no document-loader hook, so the canonicalizer hands it documents whose ``@context``
URLs have been replaced by the bundled context bodies (``inline_contexts``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from microcred.errors import ContextError, short

_PACKAGE = "microcred.contexts"
_MAX_CONTEXT_DEPTH = 16


@cache
def context_index() -> dict[str, str]:
    """URL -> bundled file name."""
    text = resources.files(_PACKAGE).joinpath("index.json").read_text(encoding="utf-8")
    index: dict[str, str] = json.loads(text)
    return index


@cache  # the bundle does not change while we run, and the fast path asks on every document
def bundled_urls() -> frozenset[str]:
    return frozenset(context_index())


@cache
def load_context(url: str) -> Any:
    """The parsed context document bundled for ``url``. Callers must not mutate it."""
    name = context_index().get(url)
    if name is None:
        raise ContextError(
            f"unknown JSON-LD context {url}: only bundled contexts are loaded, nothing is fetched",
            expected="one of " + ", ".join(sorted(context_index())),
            found=url,
        )
    return json.loads(resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8"))


def verify_bundle() -> dict[str, str]:
    """Check every bundled file against SHA256SUMS; returns name -> digest, raises on mismatch."""
    root = resources.files(_PACKAGE)
    sums: dict[str, str] = {}
    for line in root.joinpath("SHA256SUMS").read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*")] = digest
    for name, digest in sums.items():
        actual = hashlib.sha256(root.joinpath(name).read_bytes()).hexdigest()
        if actual != digest:
            raise ContextError(f"bundled context {name} was altered", expected=digest, found=actual)
    return sums


def inline_contexts(value: Any, _depth: int = 0) -> Any:
    """Replace every context URL in an ``@context`` value (recursively) by its bundled body."""
    if _depth > _MAX_CONTEXT_DEPTH:
        raise ContextError("@context nests too deeply", expected=f"<= {_MAX_CONTEXT_DEPTH} levels")
    if isinstance(value, str):
        body = load_context(value)
        if not isinstance(body, dict) or "@context" not in body:
            raise ContextError(f"bundled context {value} has no @context", found=short(body))
        return inline_contexts(body["@context"], _depth + 1)
    if isinstance(value, list):
        return [inline_contexts(item, _depth + 1) for item in value]
    if isinstance(value, dict) and "@context" in value:
        return inline_contexts(unwrapped_context(value), _depth + 1)
    if isinstance(value, dict):
        return {k: _inline_definition(k, v, _depth) for k, v in value.items()}
    if value is None:
        return None
    raise ContextError(
        "@context entry has the wrong type", expected="URL, object or list", found=short(value)
    )


def unwrapped_context(value: dict[str, Any]) -> dict[str, Any]:
    """The context inside a context object that wraps one (``{"@context": {...}}``), as a
    context document wraps its context. JSON-LD 1.1 reads ``@context`` there as a term (and
    refuses to redefine a keyword); jsonld.js, the reference, takes the inner map and ignores
    any other entry, and the W3C vc-di-eddsa suite's proof-chain vectors are written so. We
    read it as the reference does, and refuse other entries beside it (they would not be
    signed) and an inner value that is not a map (the reference refuses that too)."""
    inner = value["@context"]
    others = sorted(key for key in value if key != "@context")
    if others:
        raise ContextError(
            "a context object wraps an @context and has other entries, which JSON-LD "
            "processors ignore: they would not be covered by the signature",
            expected="{'@context': {...}} alone, or the context's terms directly",
            found=", ".join(others),
        )
    if not isinstance(inner, dict):
        raise ContextError(
            "a context object wraps an @context that is not a map",
            expected="{'@context': {...}}",
            found=short(inner),
        )
    return inner


def _inline_definition(key: str, value: Any, depth: int) -> Any:
    # Scoped contexts sit inside term definitions; @import names another context to merge.
    if key == "@import" and isinstance(value, str):
        raise ContextError("@import in a context is not supported", found=value)
    if isinstance(value, dict) and "@context" in value:
        return {**value, "@context": inline_contexts(value["@context"], depth + 1)}
    return value


def inline_document(doc: Any, _depth: int = 0) -> Any:
    """A copy of ``doc`` whose every ``@context`` (top-level and embedded) is inlined."""
    if _depth > 64:
        raise ContextError("document nests too deeply", expected="<= 64 levels")
    if isinstance(doc, dict):
        return {
            k: inline_contexts(v) if k == "@context" else inline_document(v, _depth + 1)
            for k, v in doc.items()
        }
    if isinstance(doc, list):
        return [inline_document(item, _depth + 1) for item in doc]
    return doc


def _bundled_definitions() -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair in every bundled context, at any depth."""
    stack: list[Any] = [load_context(url) for url in context_index()]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                yield key, value
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


@cache
def all_term_names() -> frozenset[str]:
    """Every term or prefix that any bundled context defines, at any depth.

    An IRI whose scheme is one of these could be read as a compact IRI, so the fast path sends
    such values down the general path.
    """
    return frozenset(key for key, _ in _bundled_definitions() if not key.startswith("@"))


@cache
def keyword_aliases() -> dict[str, str]:
    """Terms the bundled contexts alias to a keyword (``id`` -> ``@id``, ``type`` -> ``@type``)."""
    aliases: dict[str, str] = {}
    for key, value in _bundled_definitions():
        target = value.get("@id") if isinstance(value, dict) else value
        if not key.startswith("@") and isinstance(target, str) and target.startswith("@"):
            aliases[key] = target
    return aliases
