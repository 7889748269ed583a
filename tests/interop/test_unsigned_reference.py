"""The reference's verdict on every construct that drops content (issue 2), beside ours.

For each document of tests/crypto/test_unsigned_content.py, jsonld.js + rdf-canonize in safe mode
(interop/js/canon.mjs, the canonicalization eddsa-rdfc-2022 signs) either refuses it, as we do, or
canonicalizes it. Where it canonicalizes, we must produce the same bytes, except for the few
documents listed in DELIBERATE, which we refuse on purpose (each with the reason). The documents
that must keep working are compared byte for byte.
"""

from __future__ import annotations

import copy
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from microcred.crypto.canon import canonicalize, clear_fast_path_cache
from microcred.errors import CanonicalizationError
from tests.crypto.test_unsigned_content import DROPPING, KEPT
from tests.interop.reference_stack import JS_DIR, node_or_skip

NODE = node_or_skip()

pytestmark = pytest.mark.interop

# Documents the reference canonicalizes and we refuse, and why that is the safer side.
DELIBERATE = {
    # jsonld.js only asks an IRI for a scheme and no whitespace; RFC 3987 (and pyoxigraph) forbid
    # these characters, and an N-Quads reader would reject the reference's own output.
    "id with braces": "not an IRI under RFC 3987",
    "id with a control character": "not an IRI under RFC 3987",
    "id with a bad percent escape": "not an IRI under RFC 3987",
    # The reference checks the tags of value objects only; it would write "en us" unchecked.
    "language tag from the context": "not a well-formed language tag",
    # A context's default direction reaches plain strings; pyoxigraph drops it where there is no
    # language, so the direction would not be signed (value objects carry theirs: see KEPT).
    "default base direction in a context": "the direction would not be signed",
    # pyoxigraph flattens a list of lists, so the nesting would not be signed; the reference keeps
    # it (and with an @list container pyoxigraph happens to agree, but one rule is simpler).
    "list of lists": "the nesting would not be signed",
    "list of lists in a list container": "one rule for every list of lists",
    # JSON-LD keeps indexes out of the RDF: the reference signs without them, so they could be
    # changed under a valid proof. A property-valued index (@index in the term) is kept.
    # The reference turns it into a fresh blank node: the value itself is not signed.
    "@vocab-coerced value that is a term mapped to null": "the value would not be signed",
    "@index on a value": "not signed",
    "@index on a node": "not signed",
    "index map keys": "not signed",
    # JSON-LD ignores these keywords where they are written (issue 20, defect 3): the reference
    # signs the document without them, so they could be added or changed under a valid proof.
    "@direction on a node": "not signed",
    "@language on a node": "not signed",
    "@version outside a context": "not signed",
    "@language on the document": "not signed",
    "@vocab outside a context": "not signed",
    "alias of @direction on a node": "not signed",
}


def _reference(document: dict[str, Any], tmp: Path, name: str) -> str | None:
    """The reference's canonical N-Quads, or None when it refuses the document."""
    path = tmp / (name.replace(" ", "_").replace("/", "_") + ".json")
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [NODE, str(JS_DIR / "canon.mjs"), str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    if done.returncode == 1:
        assert (
            "Safe mode validation error" in done.stderr or "canonicalization failed" in done.stderr
        )
        return None
    assert done.returncode == 0, done.stderr
    return done.stdout


def _ours(document: dict[str, Any]) -> list[str | None]:
    results: list[str | None] = []
    for fast in (True, False):
        clear_fast_path_cache()
        try:
            results.append(canonicalize(copy.deepcopy(document), use_fast_path=fast))
        except CanonicalizationError:
            results.append(None)
    return results


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str | None]:
    tmp = tmp_path_factory.mktemp("unsigned")
    cases = {**{n: d for n, (d, _) in DROPPING.items()}, **KEPT}
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = pool.map(lambda item: _reference(item[1], tmp, item[0]), cases.items())
        return dict(zip(cases, answers, strict=True))


@pytest.mark.parametrize("name", sorted(DROPPING))
def test_dropping_construct_refused_by_us_and_the_reference(
    name: str, reference: dict[str, str | None]
) -> None:
    ours = _ours(DROPPING[name][0])
    assert ours == [None, None], f"we canonicalized {name}"
    if name in DELIBERATE:
        assert reference[name] is not None, (
            f"{name}: the reference refuses it now, drop it from DELIBERATE"
        )
    else:
        assert reference[name] is None, f"the reference signs {name}:\n{reference[name]}"


@pytest.mark.parametrize("name", sorted(KEPT))
def test_kept_documents_match_the_reference_byte_for_byte(
    name: str, reference: dict[str, str | None]
) -> None:
    expected = reference[name]
    assert expected is not None, f"the reference refuses {name}"
    assert _ours(KEPT[name]) == [expected, expected]
