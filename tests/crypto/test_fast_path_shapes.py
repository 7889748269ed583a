"""Credentials of other issuers' shapes take the template fast path, and it writes the same
canonical N-Quads as the general path, byte for byte.

"Takes the fast path" is observed, not assumed: after the first credential of a shape, a second
one of that shape with other values must be canonicalized without JSON-LD to RDF (counted by
wrapping the function that runs it).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from microcred.crypto import canon
from microcred.crypto.canon import canonicalize, clear_fast_path_cache
from microcred.errors import CanonicalizationError

VC2 = "https://www.w3.org/ns/credentials/v2"
VC1 = "https://www.w3.org/2018/credentials/v1"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB301 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json"
DI = "https://w3id.org/security/data-integrity/v2"
KEY = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


@pytest.fixture
def expansions(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times JSON-LD to RDF runs (the general path's cost, and a template's build)."""
    calls = [0]
    original = canon._nquads_with_number_slots

    def counted(doc: Any, limits: Any) -> Any:
        calls[0] += 1
        return original(doc, limits)

    monkeypatch.setattr(canon, "_nquads_with_number_slots", counted)
    clear_fast_path_cache()
    yield calls
    clear_fast_path_cache()


def credential(n: int, **extra: Any) -> dict[str, Any]:
    """An OB 3.0 credential from another issuer: string issuer, values that depend on ``n``."""
    doc: dict[str, Any] = {
        "@context": [VC2, OB],
        "id": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": KEY,
        "validFrom": f"2025-0{1 + n % 9}-1{n % 10}T08:00:00Z",
        "name": f"Course {n}",
        "credentialSubject": {
            "id": f"did:example:learner-{n}",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": f"https://other.example/achievements/{n}",
                "type": ["Achievement"],
                "name": f"Achievement {n}",
                "criteria": {"narrative": f"Did task {n}."},
            },
        },
    }
    for path, value in extra.items():
        *parents, last = path.split(".")
        node = doc
        for parent in parents:
            node = node[parent]
        node[last] = value
    return doc


def assert_fast_and_identical(docs: list[dict[str, Any]], expansions: list[int]) -> None:
    """The first document builds the shape's template; every later one takes it, and each
    comes out as the general path writes it."""
    general = [canonicalize(copy.deepcopy(d), use_fast_path=False) for d in docs]
    clear_fast_path_cache()
    first = canonicalize(docs[0])
    assert first == general[0]
    built = expansions[0]
    assert built > 0
    for doc, expected in zip(docs[1:], general[1:], strict=True):
        assert canonicalize(doc) == expected
    assert expansions[0] == built, "a later document of the shape left the fast path"


def series(build: Any, count: int = 4) -> list[dict[str, Any]]:
    return [build(n) for n in range(1, count + 1)]


SUBJECT = "credentialSubject"
ACHIEVEMENT = f"{SUBJECT}.achievement"


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda n: credential(n), id="string issuer"),
        pytest.param(
            lambda n: credential(
                n,
                **{
                    "@context": [VC1, OB301, DI],
                    "issuanceDate": "2025-01-01T00:00:00Z",
                    "expirationDate": f"2030-01-0{1 + n % 9}T00:00:00Z",
                },
            ),
            id="VC 1.1",
        ),
        pytest.param(
            lambda n: credential(
                n,
                **{
                    f"{ACHIEVEMENT}.resultDescription": [
                        {
                            "id": f"https://other.example/rd/{n}",
                            "type": ["ResultDescription"],
                            "name": "Grade",
                            "resultType": "LetterGrade",
                            "allowedValue": [f"A{n}", "B", f"C{n}", "B"],  # an @list, repeats
                        }
                    ]
                },
            ),
            id="list",
        ),
        pytest.param(
            lambda n: credential(
                n,
                name={"@value": f"Cours {n}", "@language": "fr"},
                description=[
                    {"@value": f"Réussi {n}", "@language": "fr"},
                    {"@value": f"Passed {n}", "@language": "en-GB"},
                ],
            ),
            id="language values",
        ),
        pytest.param(
            lambda n: credential(
                n,
                name={"@value": f"شهادة {n}", "@direction": "rtl"},
                description={"@value": f"نص {n}", "@language": "AR", "@direction": "rtl"},
            ),
            id="direction values",
        ),
        pytest.param(
            lambda n: credential(
                n, **{f"{ACHIEVEMENT}.description": f'"q{n}"\\\n\t\x00\x7f\u2028 é 😀 %s %%'}
            ),
            id="escaped text",
        ),
        pytest.param(
            lambda n: credential(
                n,
                **{
                    f"{ACHIEVEMENT}.alignment": [
                        {
                            "type": ["Alignment"],
                            "targetName": f"Skill {n % 2}",
                            "targetUrl": "https://skills.example/1",
                        },
                        {
                            "type": ["Alignment"],
                            "targetName": f"Skill {n % 2}",
                            "targetUrl": "https://skills.example/1",
                        },
                    ]
                },
            ),
            id="look-alike blank nodes",
        ),
    ],
)
def test_other_issuers_shapes_take_the_fast_path_with_identical_output(
    build: Any, expansions: list[int]
) -> None:
    assert_fast_and_identical(series(build), expansions)


def test_blank_node_ids_and_text_that_looks_like_them_agree(expansions: list[int]) -> None:
    # A blank node id in an IRI position is pinned (one template per value), and text that
    # reads "_:b0" is a literal: both paths write the same bytes either way.
    for n in range(4):
        doc = credential(n, issuer={"id": KEY, "type": ["Profile"], "name": "_:b0"})
        doc["credentialSubject"]["id"] = "_:b0" if n % 2 else "_:b1"
        assert canonicalize(doc) == canonicalize(doc, use_fast_path=False)
    assert expansions[0] <= 2 * 2 + 4  # two templates; the general path's own runs


NUMBERS: list[int | float] = [
    5,
    2.5,
    3.0,  # integral float: an xsd:integer literal unless coerced to double
    0,
    -0.0,
    -17,
    1e20,  # integral below 1e21: still an integer literal
    1e21,  # a double
    2**53 + 1,  # beyond doubles' integers: read as a double, as JavaScript does
    1.7976931348623157e308,
    5e-324,
    0.1 + 0.2,
    123456789.123,
]


def test_numbers_are_slots_of_one_template(expansions: list[int]) -> None:
    """Numbers that differ per credential (credits, a numeric status index) no longer make each
    credential a shape of its own; coerced (xsd:float) and uncoerced numbers alike."""
    docs = [
        credential(
            n,
            **{
                f"{ACHIEVEMENT}.creditsAvailable": value,  # coerced to xsd:float
                f"{SUBJECT}.creditsEarned": NUMBERS[(n + 3) % len(NUMBERS)],
                "credentialStatus": {  # the status index as a JSON number
                    "id": f"https://other.example/status/1#{n}",
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "revocation",
                    "statusListIndex": NUMBERS[(n + 7) % len(NUMBERS)],
                    "statusListCredential": "https://other.example/status/1",
                },
            },
        )
        for n, value in enumerate(NUMBERS)
    ]
    assert_fast_and_identical(docs, expansions)


def test_numbers_in_value_objects_and_lists_agree(expansions: list[int]) -> None:
    docs = [
        credential(
            n,
            **{
                f"{ACHIEVEMENT}.resultDescription": [
                    {
                        "id": f"https://other.example/rd/{n}",
                        "type": ["ResultDescription"],
                        "name": "Score",
                        "resultType": "ext:Points",
                        "allowedValue": [NUMBERS[n], str(NUMBERS[n]), NUMBERS[-n]],
                    }
                ],
                f"{SUBJECT}.creditsEarned": {
                    "@value": NUMBERS[-1 - n],
                    "@type": "http://www.w3.org/2001/XMLSchema#decimal",
                },
            },
        )
        for n in range(len(NUMBERS))
    ]
    assert_fast_and_identical(docs, expansions)


def test_a_number_equal_to_a_string_of_the_shape_stays_distinct(expansions: list[int]) -> None:
    # "5" and 5 give different literals; equal strings or numbers may merge quads, which the
    # template hands over to the generic route (still no new expansion).
    docs = [
        credential(n, **{f"{ACHIEVEMENT}.creditsAvailable": 5, f"{ACHIEVEMENT}.name": "5"})
        for n in range(3)
    ] + [credential(9, **{f"{ACHIEVEMENT}.creditsAvailable": 6, f"{ACHIEVEMENT}.name": "6"})]
    assert_fast_and_identical(docs, expansions)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_numbers_json_cannot_carry_are_refused_on_both_paths(bad: float) -> None:
    clear_fast_path_cache()
    canonicalize(credential(1, **{f"{SUBJECT}.creditsEarned": 2.0}))  # the shape's template
    doc = credential(2, **{f"{SUBJECT}.creditsEarned": bad})
    for fast in (True, False):
        with pytest.raises(CanonicalizationError):
            canonicalize(doc, use_fast_path=fast)


def test_a_number_inside_a_json_literal_is_refused_on_both_paths() -> None:
    schema = {"id": "https://other.example/schema.json", "type": "JsonSchema"}
    doc = credential(1, credentialSchema=[{**schema, "jsonSchema": {"n": 1, "s": "x"}}])
    clear_fast_path_cache()
    for fast in (True, False):
        with pytest.raises(CanonicalizationError):
            canonicalize(doc, use_fast_path=fast)


def test_template_cache_stays_bounded_under_many_shapes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(canon, "_CACHE_SIZE", 8)
    clear_fast_path_cache()
    for n in range(30):  # 30 shapes: n tags each
        doc = credential(n, **{f"{ACHIEVEMENT}.tag": [f"t{i}" for i in range(n + 1)]})
        assert canonicalize(doc) == canonicalize(doc, use_fast_path=False)
        assert len(canon._templates) <= 8
    clear_fast_path_cache()
