"""From a goal to occupations: BM25 over the taxonomy's titles, alternative titles, descriptions
and technology skills (after the lexicon has put the goal in English), blended with the cosine
similarity of the offline multilingual model where it is installed. Explainable: each match
says which of the goal's terms it matched.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from microcred.careers.goals import checked_goal, english_terms
from microcred.careers.semantic import Embedder, Vectors, shipped_vectors
from microcred.careers.text import stem, words
from microcred.skills.taxonomy import ONET, Occupation, Taxonomy

SEMANTIC_WEIGHT = 0.5
"""The model's share of the blended score (the rest is BM25's); see bench/careers_bench.py."""
_K1, _B = 1.2, 0.75
_GENERIC = ("helpers--", "first-line supervisors", "all other")
"""Titles a goal names only when it says so: "electrician" means Electricians, not their helpers,
supervisors or the catch-all "..., All Other" (their score is scaled by ``_GENERIC_FACTOR``)."""
_GENERIC_FACTOR = 0.85
_SKILL_NOISE = frozenset({"software", "systems", "system"})
"""Words nearly every technology skill's name carries (``Microsoft Office software``): indexed,
they would make "software" a word of every occupation."""
_FIELD_WEIGHTS = {"title": 3, "alt": 2, "description": 1, "skills": 1}


@dataclass(frozen=True)
class Match:
    occupation: Occupation
    score: float
    """0..1, the blend of the two normalised scores."""
    lexical: float
    semantic: float | None
    matched_terms: tuple[str, ...]


def _document(occupation: Occupation, taxonomy: Taxonomy) -> Counter[str]:
    terms: Counter[str] = Counter()
    demanded = [
        taxonomy.skills[link.skill_id].name
        for link in taxonomy.links.get(occupation.id, [])
        if (link.hot or link.in_demand or link.essential) and link.skill_id in taxonomy.skills
    ]
    # "Kindergarten Teachers, Except Special Education": what follows "Except" is what the
    # occupation is not, so it is not indexed.
    title = occupation.title.split(", Except")[0]
    fields = {
        "title": [title],
        "alt": list(occupation.alt_titles),
        "description": [occupation.description],
        "skills": demanded,
    }
    for field, texts in fields.items():
        for text in texts:
            for word in words(text):
                if field == "skills" and word in _SKILL_NOISE:
                    continue
                terms[stem(word)] += _FIELD_WEIGHTS[field]
    return terms


class GoalMatcher:
    """An index over one framework's occupations (O*NET unless told otherwise)."""

    def __init__(
        self, taxonomy: Taxonomy, *, framework: str = ONET, embedder: Embedder | None = None
    ) -> None:
        self.occupations = sorted(
            (o for o in taxonomy.occupations.values() if o.framework == framework),
            key=lambda o: o.id,
        )
        self.postings: dict[str, list[tuple[int, int]]] = {}
        self.lengths = np.zeros(len(self.occupations), dtype=np.float64)
        for n, occupation in enumerate(self.occupations):
            document = _document(occupation, taxonomy)
            self.lengths[n] = sum(document.values())
            for term, count in document.items():
                self.postings.setdefault(term, []).append((n, count))
        self.prior = np.array(
            [
                _GENERIC_FACTOR if any(g in o.title.casefold() for g in _GENERIC) else 1.0
                for o in self.occupations
            ]
        )
        self.average = float(self.lengths.mean()) if len(self.occupations) else 1.0
        self.embedder = embedder
        self.vectors: Vectors | None = None
        shipped = shipped_vectors() if embedder is not None else None
        if shipped is not None:
            ids, matrix = shipped
            row_of = {occupation_id: row for row, occupation_id in enumerate(ids)}
            if all(o.id in row_of for o in self.occupations) and self.occupations:
                self.vectors = matrix[[row_of[o.id] for o in self.occupations]]

    @property
    def semantic(self) -> bool:
        return self.vectors is not None

    def lexical_scores(self, terms: list[str]) -> np.ndarray:
        scores = np.zeros(len(self.occupations), dtype=np.float64)
        total = len(self.occupations)
        for term, weight in Counter(terms).items():
            postings = self.postings.get(term)
            if not postings:
                continue
            idf = math.log(1 + (total - len(postings) + 0.5) / (len(postings) + 0.5))
            for n, count in postings:
                norm = count + _K1 * (1 - _B + _B * self.lengths[n] / self.average)
                scores[n] += weight * idf * count * (_K1 + 1) / norm
        return scores

    def match_semantic_only(self, goal: str, *, limit: int = 5) -> list[Match]:
        """The model's ranking alone (for the benchmark's comparison)."""
        if self.vectors is None or self.embedder is None:
            return []
        cosine = self.vectors @ self.embedder.query(checked_goal(goal))
        order = np.argsort(-cosine, kind="stable")[:limit]
        return [
            Match(self.occupations[int(n)], float(cosine[n]), 0.0, float(cosine[n]), ())
            for n in order
        ]

    def match(self, goal: str, *, limit: int = 5, semantic: bool = True) -> list[Match]:
        text = checked_goal(goal)
        terms = english_terms(text)
        lexical = self.lexical_scores(terms)
        top = float(lexical.max()) if len(lexical) else 0.0
        lexical_norm = lexical / top if top > 0 else lexical
        blended = lexical_norm
        cosine: np.ndarray | None = None
        if semantic and self.vectors is not None and self.embedder is not None:
            cosine = self.vectors @ self.embedder.query(text)
            low, high = float(np.median(cosine)), float(cosine.max())
            spread = np.clip((cosine - low) / (high - low), 0, 1) if high > low else cosine * 0
            weight = SEMANTIC_WEIGHT if top > 0 else 1.0
            blended = weight * spread + (1 - weight) * lexical_norm
        wanted = text.casefold()
        prior = np.where(
            [any(g.split("-")[0].split()[0] in wanted for g in _GENERIC)] * len(self.prior),
            1.0,
            self.prior,
        )
        blended = blended * prior
        order = np.argsort(-blended, kind="stable")[: max(1, min(limit, 50))]
        matches = []
        for n in order:
            if blended[n] <= 0:
                break
            occupation = self.occupations[int(n)]
            own = {
                t
                for t, _ in ((t, 0) for t in terms)
                if any(i == n for i, _ in self.postings.get(t, ()))
            }
            matches.append(
                Match(
                    occupation=occupation,
                    score=round(float(blended[n]), 4),
                    lexical=round(float(lexical_norm[n]), 4),
                    semantic=None if cosine is None else round(float(cosine[n]), 4),
                    matched_terms=tuple(sorted(own)),
                )
            )
        return matches
