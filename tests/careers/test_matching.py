"""Goal matching over the bundled O*NET taxonomy (no database): four languages, the offline
model and the lexical fallback, and goals that cannot be read."""

from __future__ import annotations

from functools import cache

import pytest

from microcred.careers.goals import english_terms
from microcred.careers.matching import GoalMatcher
from microcred.careers.semantic import default_embedder, passage, shipped_vectors
from microcred.errors import GoalError
from microcred.skills.onet import onet_taxonomy


@cache
def matcher(semantic: bool = True) -> GoalMatcher:
    return GoalMatcher(onet_taxonomy(), embedder=default_embedder() if semantic else None)


GOALS = [
    ("Ich will Elektriker werden", "47-2111.00"),
    ("Softwareentwickler", "15-1252.00"),
    (
        "je veux devenir infirmière",
        "29-1141.00 29-1141.01 29-1141.02 29-1141.03 29-1141.04 29-2061.00",
    ),
    ("devenir développeur web", "15-1254.00"),
    ("quiero ser contable", "13-2011.00"),
    ("trabajar como fontanero", "47-2152.00"),
    ("I want to build machine learning models", "15-2051.00"),
    ("become an electrician", "47-2111.00"),
]


def test_the_bundled_model_loads_offline_and_its_vectors_ship() -> None:
    assert default_embedder() is not None
    shipped = shipped_vectors()
    assert shipped is not None
    ids, vectors = shipped
    assert len(ids) == len(onet_taxonomy().occupations) == vectors.shape[0]
    assert matcher().semantic


def test_shipped_vectors_are_the_models_own() -> None:
    # The file was written by ``python -m microcred.careers.semantic``; a re-embedding of a few
    # passages must give the same vectors (float16 rounding aside).
    embedder = default_embedder()
    assert embedder is not None
    shipped = shipped_vectors()
    assert shipped is not None
    ids, vectors = shipped
    taxonomy = onet_taxonomy()
    for row in (0, 500, len(ids) - 1):
        again = embedder.passages([passage(taxonomy.occupations[ids[row]])])[0]  # type: ignore[attr-defined]
        assert float(again @ vectors[row]) > 0.995


@pytest.mark.parametrize(("goal", "code"), GOALS)
def test_goals_match_their_occupation_in_the_top_three(goal: str, code: str) -> None:
    matches = matcher().match(goal, limit=3)
    assert set(code.split()) & {m.occupation.code for m in matches}
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)


@pytest.mark.parametrize(("goal", "code"), GOALS[:6])
def test_the_lexical_fallback_alone_reads_the_other_languages(goal: str, code: str) -> None:
    matches = matcher(semantic=False).match(goal, limit=3)
    assert set(code.split()) & {m.occupation.code for m in matches}
    assert all(m.semantic is None for m in matches)


def test_the_lexicon_puts_goals_in_english() -> None:
    assert english_terms("Ich will Elektriker werden") == ["electrician"]
    assert english_terms("Softwareentwickler") == ["softwar", "develop"]  # a compound split
    assert english_terms("électriciens") == ["electrician"]  # a plural by its French stem
    assert "python" in english_terms("Python programmieren")


def test_a_match_says_which_terms_it_matched() -> None:
    [best, *_] = matcher().match("Ich will Elektriker werden", limit=3)
    assert best.occupation.title == "Electricians"
    assert best.matched_terms == ("electrician",)


@pytest.mark.parametrize(
    ("goal", "message"),
    [
        ("", "the goal is empty"),
        ("   \n ", "the goal is empty"),
        ("x" * 10_000, "the goal is too long"),
        ("хочу стать электриком", "script this matcher does not read"),
        ("电工", "script this matcher does not read"),
        ("1234 !!!", "the goal has no words"),
    ],
)
def test_goals_that_cannot_be_read_are_refused(goal: str, message: str) -> None:
    with pytest.raises(GoalError, match=message) as caught:
        matcher().match(goal)
    assert caught.value.expected
