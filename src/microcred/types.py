"""Names for encoded strings, so signatures say what a ``str`` holds."""

from __future__ import annotations

from typing import Any, NewType

Did = NewType("Did", str)
"""A decentralized identifier, e.g. ``did:key:z6Mk...`` or ``did:web:example.org``."""

Multibase = NewType("Multibase", str)
"""A multibase-encoded value; microcred writes base58btc (``z`` prefix)."""

Iri = NewType("Iri", str)
"""An absolute IRI."""

JsonObject = dict[str, Any]
"""A decoded JSON object, e.g. a credential before it is parsed into the model."""
