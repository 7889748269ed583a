"""The employers' search index in process memory: per skill, the learners showing it (numpy
arrays of learner numbers), so a search of any number of skills sums weights over those arrays
in a few milliseconds instead of the database aggregating 400,000 to 1,000,000 rows of
``skill_learners`` for an occupation.

Exact on every search, across processes: ``skill_learners`` is the truth, and every
transaction that changes it numbers the change in ``skill_index_log`` (see
``SkillIndexHeadRow``: numbers commit in order, with no gap). A search reads the head number
first, in its own session, then the learners changed since the index's number, then those
learners' rows: a share or a withdrawal committed before the search began is in the answer.
A bulk rebuild (new epoch) or a log pruned past the index's number builds it anew.

Ranking as the SQL path of ``EmployersRepository.rank_learners``: the summed weight (integer
thousandths) of the distinct searched skills a learner shows, heaviest first, then by learner
id (code point order, as SQLite compares; PostgreSQL's collation gives the same order for the
UUID ids), the page after a keyset cursor (score, learner id).
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_right, insort
from collections.abc import Mapping
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from microcred.careers.repository import EmployersRepository

_SCALE = 1000
"""Weights in thousandths, as the SQL path: integer scores compare and page exactly."""
_ORDER = 1 << 31
"""Sort key = score * _ORDER + (_ORDER - 1 - rank of the learner's id): one int64 orders by
score descending, then id ascending. Learner numbers stay below it."""
_MAX_SCORE = (1 << 62) // _ORDER
_READ_ROWS = 50_000
_CHANGED_PER_READ = 1000

_Array = np.ndarray[Any, np.dtype[Any]]
_EMPTY: _Array = np.zeros(0, dtype=np.int32)


class SkillIndex:
    """One per process (per engine); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._head: tuple[int, int] | None = None
        self.builds = 0  # for tests and the bench: how often the whole index was read
        self._clear()

    def _clear(self) -> None:
        self._ids: list[str] = []  # learner number -> id
        self._number: dict[str, int] = {}
        self._sorted: list[str] = []  # every id, in order
        self._rank: _Array = np.zeros(0, dtype=np.int64)  # learner number -> place in _sorted
        self._skill: dict[str, int] = {}
        self._postings: list[_Array] = []  # skill number -> learner numbers (int32)
        # Learner number -> skill numbers: as read whole (one array, sliced at _starts), or
        # as changed since (numpy arrays, not Python sets: a tenth of the memory).
        self._starts: _Array = np.zeros(1, dtype=np.int64)
        self._shown: _Array = _EMPTY
        self._changed: dict[int, _Array] = {}

    # ---- keeping up -----------------------------------------------------------------------

    def _catch_up(self, repo: EmployersRepository) -> None:
        head = repo.index_head()  # first: what it guards is read after it
        if head == self._head:
            return
        changed = None
        if self._head is not None and head[0] == self._head[0] and head[1] > self._head[1]:
            changed = repo.changed_since(self._head[1], head[1])
        if changed is None:
            self._build(repo.session)
        else:
            for start in range(0, len(changed), _CHANGED_PER_READ):
                part = changed[start : start + _CHANGED_PER_READ]
                shown: dict[str, set[str]] = {learner: set() for learner in part}
                for learner, skill in repo.skills_of_learners(part):
                    shown[learner].add(skill)
                for learner, skills in shown.items():
                    self._replace(learner, skills)
        self._head = head

    def _build(self, session: Session) -> None:
        self._clear()
        self.builds += 1
        learners = array("i")  # 4 bytes a row while reading, not a Python int's 36
        skills = array("i")
        numbers = self._skill
        last, slot = "", -1
        for learner, skill in EmployersRepository(session).every_learner_skill(chunk=_READ_ROWS):
            if learner != last:
                last, slot = learner, len(self._ids)
                self._ids.append(learner)
            number = numbers.get(skill)
            if number is None:
                number = numbers[skill] = len(numbers)
            learners.append(slot)
            skills.append(number)
        by_learner = np.frombuffer(learners, dtype=np.int32).copy()
        by_skill = np.frombuffer(skills, dtype=np.int32).copy()
        del learners, skills
        self._number = {learner: n for n, learner in enumerate(self._ids)}
        self._sorted = sorted(self._ids)
        place = {learner: n for n, learner in enumerate(self._sorted)}
        self._rank = np.fromiter((place[i] for i in self._ids), np.int64, len(self._ids))
        order = np.argsort(by_skill, kind="stable")
        bounds = np.searchsorted(by_skill[order], np.arange(len(numbers) + 1))
        self._postings = [by_learner[order[bounds[n] : bounds[n + 1]]] for n in range(len(numbers))]
        self._starts = np.searchsorted(by_learner, np.arange(len(self._ids) + 1))
        self._shown = by_skill

    def _held(self, slot: int) -> set[int]:
        changed = self._changed.get(slot)
        if changed is None:
            if slot + 1 >= len(self._starts):
                return set()  # came after the index was read whole
            changed = self._shown[self._starts[slot] : self._starts[slot + 1]]
        return set(changed.tolist())

    def _replace(self, learner: str, skills: set[str]) -> None:
        """This learner's skills are now ``skills`` (none: she shows nothing any more)."""
        slot = self._number.get(learner)
        if slot is None:
            if not skills:
                return
            slot = self._number[learner] = len(self._ids)
            self._ids.append(learner)
            place = bisect_right(self._sorted, learner)
            insort(self._sorted, learner)
            self._rank[self._rank >= place] += 1
            self._rank = np.append(self._rank, np.int64(place))
        wanted: set[int] = set()
        for skill in skills:
            number = self._skill.get(skill)
            if number is None:
                number = self._skill[skill] = len(self._postings)
                self._postings.append(_EMPTY)
            wanted.add(number)
        held = self._held(slot)
        for number in held - wanted:
            posting = self._postings[number]
            self._postings[number] = posting[posting != slot]
        for number in wanted - held:
            self._postings[number] = np.append(self._postings[number], np.int32(slot))
        self._changed[slot] = np.asarray(sorted(wanted), dtype=np.int32)

    def warm(self, session: Session) -> None:
        """Read the index now (a server's start), so no employer's first search waits for it."""
        with self._lock:
            self._catch_up(EmployersRepository(session))

    # ---- ranking --------------------------------------------------------------------------

    def rank_learners(
        self,
        session: Session,
        weights: Mapping[str, float],
        *,
        after: tuple[float, str] | None = None,
        limit: int,
    ) -> list[tuple[str, float]]:
        """As ``EmployersRepository.rank_learners``, from the index brought up to date on
        ``session`` first."""
        scaled = {s: round(w * _SCALE) for s, w in weights.items() if w > 0}
        if not scaled or limit <= 0:
            return []
        repo = EmployersRepository(session)
        if sum(scaled.values()) >= _MAX_SCORE:  # no taxonomy weighs this much: the database
            return repo.rank_learners(weights, after=after, limit=limit)
        with self._lock:
            self._catch_up(repo)
            found = self._page(scaled, after, limit)
        return [(learner, score / _SCALE) for learner, score in found]

    def _page(
        self, scaled: Mapping[str, int], after: tuple[float, str] | None, limit: int
    ) -> list[tuple[str, int]]:
        scores = np.zeros(len(self._ids), dtype=np.int64)
        for skill, weight in scaled.items():
            number = self._skill.get(skill)
            if number is not None:
                scores[self._postings[number]] += weight  # a learner is once in a posting
        keys = np.where(scores > 0, scores * _ORDER + (_ORDER - 1 - self._rank), -1)
        if after is not None:
            # After (score, id): a lower score, or the same and a later id.
            place = bisect_right(self._sorted, after[1])
            keys[keys >= round(after[0] * _SCALE) * _ORDER + (_ORDER - place)] = -1
        candidates = np.flatnonzero(keys >= 0)
        if len(candidates) > limit:
            best = np.argpartition(-keys[candidates], limit - 1)[:limit]
            candidates = candidates[best]
        candidates = candidates[np.argsort(-keys[candidates], kind="stable")]
        return [(self._ids[n], int(scores[n])) for n in candidates.tolist()]
