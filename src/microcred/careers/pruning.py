"""Cutting the catalogue to what a plan can use, in numpy: the achievements that teach at least
one gap skill (an inverted index skill -> achievements, built once per catalogue), less those
another one dominates (it teaches the same gap skills or more for no more cost).

Dropping a dominated candidate leaves some optimum of the set cover in place, so the ILP's
answer is unchanged and the greedy one no worse. Candidates are ranked by (cost, more gap skills
first, id); a candidate is dropped when a better-ranked one teaches all its gap skills. The rank
is a strict order, so of a chain of dominations the first survives.

A plan touches thousands of achievements of the catalogue; a Python loop over them was most of
the time a plan took, so every step here works on arrays. Pure: no SQL.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from numpy.typing import NDArray

SUBSETS_UP_TO = 8
"""A candidate teaching more gap skills than this is kept unexamined (and dominates only
through the single skills it teaches): its 2^k subsets are not enumerated."""

Ints = NDArray[np.int64]


class SkillIndex:
    """Which candidates teach each skill, as one array of candidate numbers per skill."""

    def __init__(self, ids: Sequence[str], skills: Sequence[frozenset[str]]) -> None:
        self.ids = list(ids)
        self.skills = list(skills)
        teaching: dict[str, list[int]] = {}
        for n, taught in enumerate(self.skills):
            for skill in taught:
                teaching.setdefault(skill, []).append(n)
        self.column = {skill: i for i, skill in enumerate(teaching)}
        sizes = [len(rows) for rows in teaching.values()]
        self.starts: Ints = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=self.starts[1:])
        self.rows: Ints = np.fromiter(
            (n for rows in teaching.values() for n in rows), dtype=np.int64, count=sum(sizes)
        )
        order = sorted(range(len(self.ids)), key=self.ids.__getitem__)
        self.id_rank: Ints = np.empty(len(self.ids), dtype=np.int64)
        self.id_rank[order] = np.arange(len(self.ids), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    def teaches(self, skill: str) -> bool:
        return skill in self.column


@dataclass(frozen=True)
class Useful:
    """The candidates a plan chooses among: their numbers in the index, and for each the gap
    skills it teaches (as positions in ``skills``)."""

    skills: tuple[str, ...]
    """The gap skills some candidate teaches."""
    numbers: Ints
    taught: tuple[Ints, ...]
    touching: int
    """How many candidates taught at least one gap skill (before dominance)."""


def useful(index: SkillIndex, gap: Sequence[str], costs: NDArray[np.float64]) -> Useful:
    """The undominated candidates teaching at least one of ``gap`` (``costs`` per candidate,
    in the index's order; negative ones count as 0)."""
    skills = tuple(dict.fromkeys(s for s in gap if s in index.column))
    if not skills:
        return Useful((), np.zeros(0, dtype=np.int64), (), 0)
    columns = [index.column[s] for s in skills]
    parts = [index.rows[index.starts[c] : index.starts[c + 1]] for c in columns]
    rows = np.concatenate(parts)
    labels = np.repeat(np.arange(len(skills), dtype=np.int64), [len(p) for p in parts])
    # Single int64 keys and counting instead of np.unique / np.lexsort: this runs over every
    # (achievement, gap skill) pair, 100,000s of them in a large catalogue.
    per_entry = np.bincount(rows, minlength=len(index))
    touched = np.flatnonzero(per_entry)
    position = np.zeros(len(index), dtype=np.int64)
    position[touched] = np.arange(len(touched), dtype=np.int64)
    local = position[rows]
    count = per_entry[touched].astype(np.int64)
    cost = np.maximum(costs[touched], 0.0)
    rank = np.empty(len(touched), dtype=np.int64)
    rank[np.lexsort((index.id_rank[touched], -count, cost))] = np.arange(len(touched))

    # (candidate, skill) pairs grouped by candidate, skills ascending within each.
    order = np.argsort(local * len(skills) + labels, kind="stable")
    pair_row, pair_label = local[order], labels[order]
    row_start = np.zeros(len(touched) + 1, dtype=np.int64)
    np.cumsum(count, out=row_start[1:])

    keep = count > SUBSETS_UP_TO
    # One gap skill: only the best-ranked candidate teaching that skill survives.
    by_skill = np.argsort(labels * len(touched) + rank[local], kind="stable")
    first = np.ones(len(by_skill), dtype=bool)
    first[1:] = labels[by_skill][1:] != labels[by_skill][:-1]
    best = local[by_skill][first]
    keep[best[count[best] == 1]] = True
    # k gap skills: the best-ranked candidate teaching each k-set, over every candidate's
    # k-subsets; a set's key packs its (ascending) skill positions in base len(skills).
    base = len(skills)
    largest = min(SUBSETS_UP_TO, max(1, int(62 / math.log2(base + 1))))
    keep |= (count > largest) & (count <= SUBSETS_UP_TO)  # keys would overflow: unexamined
    sets = {
        size: (
            pair_row[count[pair_row] == size][::size],
            pair_label[count[pair_row] == size].reshape(-1, size),
        )
        for size in range(2, SUBSETS_UP_TO + 1)
    }
    for k in range(2, largest + 1):
        own_rows, own_labels = sets[k]
        if not len(own_rows):
            continue
        powers = base ** np.arange(k - 1, -1, -1, dtype=np.int64)
        keys, ranks = [own_labels @ powers], [rank[own_rows]]
        for size in range(k + 1, SUBSETS_UP_TO + 1):
            rows_of, labels_of = sets[size]
            if len(rows_of):
                picks = np.array(list(combinations(range(size), k)), dtype=np.int64)
                keys.append((labels_of[:, picks] @ powers).ravel())
                ranks.append(np.repeat(rank[rows_of], len(picks)))
        all_keys, all_ranks = np.concatenate(keys), np.concatenate(ranks)
        by_key = np.lexsort((all_ranks, all_keys))
        sorted_keys = all_keys[by_key]
        head = np.ones(len(by_key), dtype=bool)
        head[1:] = sorted_keys[1:] != sorted_keys[:-1]
        unique_keys, best_ranks = sorted_keys[head], all_ranks[by_key][head]
        found = np.searchsorted(unique_keys, keys[0])
        keep[own_rows[best_ranks[found] == ranks[0]]] = True

    survivors = np.flatnonzero(keep)
    survivors = survivors[np.argsort(index.id_rank[touched[survivors]], kind="stable")]
    taught = tuple(pair_label[row_start[r] : row_start[r + 1]] for r in survivors.tolist())
    return Useful(skills, touched[survivors], taught, len(touched))
