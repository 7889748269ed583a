"""The careers feature's SQL: the catalogue (achievements of every issuer, with their offers)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from itertools import combinations
from secrets import randbelow
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, or_, select, union_all, update
from sqlalchemy.orm import aliased

from microcred.store.repository import Repository
from microcred.store.tables import (
    AchievementRow,
    CareerOfferRow,
    EmployerHitRow,
    EmployerRow,
    EmployerSearchRow,
    IssuerRow,
    SkillIndexHeadRow,
    SkillIndexLogRow,
    SkillLearnerCountRow,
    SkillLearnerRow,
    SkillShareRow,
)

_LEVELS_UP_TO = 3
"""Searches for at most this many skills go set by set (2^n - 1 sets), see ``_by_levels``."""
_LEVEL_ROWS = 5000
"""A set of skills is read set by set only while its rarest skill has at most this many
learners."""
_SCALE = 1000
"""Weights are summed in thousandths: integer scores compare and page exactly."""
_CANDIDATE_ROWS = 1000
"""At most this many learner-skill rows of the rarest searched skills give the candidates
(each then scored by an index look-up); past that, or when they do not settle the page, every
share of the searched skills is aggregated."""
_LOG_KEPT = 20_000
"""Changes kept in ``skill_index_log``; a process further behind builds its index anew."""


class CareersRepository(Repository):
    noun = "achievement"

    def catalogue_version(self) -> tuple[int, datetime | None, int, datetime | None]:
        """Changes whenever an achievement or an offer is added or edited."""
        achievements = self.session.execute(
            select(func.count(), func.max(AchievementRow.updated_at))
        ).one()
        offers = self.session.execute(
            select(func.count(), func.max(CareerOfferRow.updated_at))
        ).one()
        return int(achievements[0]), achievements[1], int(offers[0]), offers[1]

    def catalogue(
        self,
    ) -> Iterator[tuple[str, str, str, dict[str, Any], int | None, str | None, int | None]]:
        query = (
            select(
                AchievementRow.id,
                AchievementRow.name,
                IssuerRow.name,
                AchievementRow.definition,
                CareerOfferRow.price_minor,
                CareerOfferRow.currency,
                CareerOfferRow.duration_days,
            )
            .join(IssuerRow, IssuerRow.id == AchievementRow.issuer_id)
            .outerjoin(CareerOfferRow, CareerOfferRow.achievement_id == AchievementRow.id)
            .where(AchievementRow.archived.is_(False))
            .order_by(AchievementRow.id)
        )
        for row in self.session.execute(query):
            yield row[0], row[1], row[2], dict(row[3]), row[4], row[5], row[6]

    def set_offer(
        self,
        achievement_id: str,
        *,
        price_minor: int | None,
        currency: str | None,
        duration_days: int | None,
        at: datetime,
    ) -> None:
        row = self.session.get(CareerOfferRow, achievement_id)
        if row is None:
            row = CareerOfferRow(achievement_id=achievement_id, updated_at=at)
            self.session.add(row)
        row.price_minor = price_minor
        row.currency = currency
        row.duration_days = duration_days
        row.updated_at = at


class EmployersRepository(Repository):
    noun = "employer"

    def add_employer(self, row: EmployerRow) -> None:
        self.session.add(row)

    def employer_by_token(self, token_hash: str) -> EmployerRow | None:
        return self.session.scalar(select(EmployerRow).where(EmployerRow.token_hash == token_hash))

    def replace_share(self, learner_id: str, ref: str, skills: Iterable[str], at: datetime) -> None:
        self._log_change(learner_id)
        self._withdraw(learner_id, ref)
        wanted = sorted(set(skills))
        self.session.add_all(
            SkillShareRow(learner_id=learner_id, ref=ref, skill_id=skill, shared_at=at)
            for skill in wanted
        )
        self.session.flush()
        self._recount(learner_id, wanted)

    def withdraw(self, learner_id: str, ref: str) -> int:
        self._log_change(learner_id)
        return self._withdraw(learner_id, ref)

    def _withdraw(self, learner_id: str, ref: str) -> int:
        skills = list(
            self.session.scalars(
                select(SkillShareRow.skill_id).where(
                    SkillShareRow.learner_id == learner_id, SkillShareRow.ref == ref
                )
            )
        )
        result = self.session.execute(
            delete(SkillShareRow).where(
                SkillShareRow.learner_id == learner_id, SkillShareRow.ref == ref
            )
        )
        self._recount(learner_id, skills)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def _recount(self, learner_id: str, skills: list[str]) -> None:
        """Bring ``skill_learners`` (and the learners per skill) in line with ``skill_shares``
        for these skills of this learner."""
        if not skills:
            return
        query = (
            select(SkillShareRow.skill_id, func.count())
            .where(SkillShareRow.learner_id == learner_id, SkillShareRow.skill_id.in_(skills))
            .group_by(SkillShareRow.skill_id)
        )
        shared: dict[str, int] = dict(self.session.execute(query).all())
        held = {
            row.skill_id: row
            for row in self.session.scalars(
                select(SkillLearnerRow).where(
                    SkillLearnerRow.learner_id == learner_id, SkillLearnerRow.skill_id.in_(skills)
                )
            )
        }
        for skill in skills:
            count, row = shared.get(skill, 0), held.get(skill)
            if count and row is None:
                self.session.add(
                    SkillLearnerRow(skill_id=skill, learner_id=learner_id, credentials=count)
                )
                self._count_learners(skill, +1)
            elif count and row is not None:
                row.credentials = count
            elif row is not None:
                self.session.delete(row)
                self._count_learners(skill, -1)
        self.session.flush()

    def _log_change(self, learner_id: str) -> None:
        """Number a change to the learner's rows (see ``SkillIndexHeadRow``), before making
        it: the UPDATE locks the head row until the transaction ends, so numbers commit in
        order, and a writer takes no other lock first (the learner counts: no cycle)."""
        head = SkillIndexHeadRow.__table__.c
        result = self.session.execute(
            update(SkillIndexHeadRow).where(head.id == 1).values(seq=head.seq + 1)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            self.session.add(SkillIndexHeadRow(id=1, epoch=randbelow(2**62) + 1, seq=1))
            self.session.flush()
        seq = int(self.session.scalar(select(head.seq).where(head.id == 1)) or 0)
        self.session.add(SkillIndexLogRow(seq=seq, learner_id=learner_id))
        if seq % 1000 == 0:
            self.session.execute(
                delete(SkillIndexLogRow).where(SkillIndexLogRow.seq <= seq - _LOG_KEPT)
            )
        self.session.flush()

    def index_head(self) -> tuple[int, int]:
        """(epoch, seq) of the change log; (0, 0) before any change."""
        head = SkillIndexHeadRow.__table__.c
        row = self.session.execute(select(head.epoch, head.seq).where(head.id == 1)).first()
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    def changed_since(self, seq: int, upto: int) -> list[str] | None:
        """The learners whose rows changes ``seq`` + 1 to ``upto`` changed, or None when the
        log no longer holds all of them (pruned, or a bulk rebuild)."""
        log = SkillIndexLogRow.__table__.c
        rows = self.session.execute(
            select(log.seq, log.learner_id).where(log.seq > seq, log.seq <= upto)
        ).all()
        if len(rows) != upto - seq:
            return None
        return sorted({str(learner) for _seq, learner in rows})

    def every_learner_skill(self, *, chunk: int) -> Iterator[tuple[str, str]]:
        """Every (learner, skill) of ``skill_learners``, by learner, streamed ``chunk`` rows
        at a time from the server (the search index's whole read)."""
        rows = SkillLearnerRow.__table__.c
        query = select(rows.learner_id, rows.skill_id).order_by(rows.learner_id)
        result = self.session.execute(query, execution_options={"yield_per": chunk})
        yield from result  # rows unpack as (learner, skill)

    def skills_of_learners(self, learners: list[str]) -> list[tuple[str, str]]:
        """(learner, skill) of these learners in ``skill_learners``."""
        rows = SkillLearnerRow.__table__.c
        query = select(rows.learner_id, rows.skill_id).where(rows.learner_id.in_(learners))
        return [(str(learner), str(skill)) for learner, skill in self.session.execute(query)]

    def _count_learners(self, skill: str, change: int) -> None:
        # One UPDATE (atomic against concurrent shares of the same skill), else the first row.
        result = self.session.execute(
            update(SkillLearnerCountRow)
            .where(SkillLearnerCountRow.skill_id == skill)
            .values(learners=SkillLearnerCountRow.learners + change)
        )
        if not result.rowcount and change > 0:  # type: ignore[attr-defined]
            self.session.add(SkillLearnerCountRow(skill_id=skill, learners=change))
            self.session.flush()

    def rebuild_skill_learners(self) -> None:
        """``skill_learners`` and its counts again from ``skill_shares`` (bulk loads)."""
        self.session.execute(delete(SkillLearnerRow))
        self.session.execute(delete(SkillLearnerCountRow))
        self.session.execute(
            insert(SkillLearnerRow).from_select(
                ["skill_id", "learner_id", "credentials"],
                select(SkillShareRow.skill_id, SkillShareRow.learner_id, func.count()).group_by(
                    SkillShareRow.skill_id, SkillShareRow.learner_id
                ),
            )
        )
        self.session.execute(
            insert(SkillLearnerCountRow).from_select(
                ["skill_id", "learners"],
                select(SkillLearnerRow.skill_id, func.count()).group_by(SkillLearnerRow.skill_id),
            )
        )
        # No log of what changed: a new epoch has every process build its index anew.
        self.session.execute(delete(SkillIndexLogRow))
        self.session.execute(delete(SkillIndexHeadRow))
        self.session.add(SkillIndexHeadRow(id=1, epoch=randbelow(2**62) + 1, seq=0))
        self.session.flush()

    def shares_of(self, learner_id: str) -> list[tuple[str, str]]:
        query = select(SkillShareRow.ref, SkillShareRow.skill_id).where(
            SkillShareRow.learner_id == learner_id
        )
        return [(ref, skill) for ref, skill in self.session.execute(query)]

    def rank_learners(
        self,
        weights: Mapping[str, float],
        *,
        after: tuple[float, str] | None = None,
        limit: int,
    ) -> list[tuple[str, float]]:
        """Learners who shared credentials showing some of the weighted skills, by the summed
        weight of the distinct skills shown, heaviest first, then by id; the page after
        ``after`` (a previous page's last score and learner). The database ranks and limits.

        Exact without reading every share of popular skills where it can be: the rarest
        searched skills (up to 1,000 rows) give the candidates, each scored over all
        searched skills. A learner showing none of them scores at most the weight of the other
        skills; when that is below the page's last score, the page is the answer. Else the
        database aggregates every share of the searched skills (one row per learner and skill
        in ``skill_learners``, read from its primary key alone)."""
        scaled = {s: round(w * _SCALE) for s, w in weights.items() if w > 0}
        if not scaled:
            return []
        cursor = None if after is None else (round(after[0] * _SCALE), after[1])
        known = select(SkillLearnerCountRow.skill_id, SkillLearnerCountRow.learners).where(
            SkillLearnerCountRow.skill_id.in_(list(scaled))
        )
        counts: dict[str, int] = dict(self.session.execute(known).all())
        if len(scaled) <= _LEVELS_UP_TO:
            found, complete = self._by_levels(scaled, counts, cursor, limit)
            if not complete:  # the rest of the page by aggregation, after what was found
                after_found = (found[-1][1], found[-1][0]) if found else cursor
                found += self._scores(scaled, None, after_found, limit - len(found))
            return [(learner, score / _SCALE) for learner, score in found]
        order = sorted(scaled, key=lambda s: (counts.get(s, 0), -scaled[s], s))
        essential, rows = 0, 0
        for skill in order:
            if essential and rows + counts.get(skill, 0) > _CANDIDATE_ROWS:
                break
            essential, rows = essential + 1, rows + counts.get(skill, 0)
        rest = sum(scaled[s] for s in order[essential:])
        if rest:
            page = self._scores(scaled, order[:essential], cursor, limit)
            if len(page) == limit and rest < page[-1][1]:
                return [(learner, score / _SCALE) for learner, score in page]
        page = self._scores(scaled, None, cursor, limit)
        return [(learner, score / _SCALE) for learner, score in page]

    def _by_levels(
        self,
        scaled: Mapping[str, int],
        counts: Mapping[str, int],
        cursor: tuple[int, str] | None,
        limit: int,
    ) -> tuple[list[tuple[str, int]], bool]:
        """A few skills: a learner's score is that of the set of them she shows, so the sets
        are taken heaviest first, and the learners showing exactly one set come in id order
        from the primary key (the rarest skill of the set drives, the others are looked up),
        until the page is full: no aggregation over every share of a popular skill. A set
        short of all the skills whose driving skill has more than ``_LEVEL_ROWS`` learners
        could mean reading them all for a few matches: there it stops, saying the page is not
        complete. (All the skills: their rarest drives; when even that one is that common,
        learners showing all of them are common too.)"""
        skills = sorted(scaled, key=lambda s: (counts.get(s, 0), s))
        levels: dict[int, list[list[str]]] = {}
        for size in range(1, len(skills) + 1):
            for subset in combinations(skills, size):
                levels.setdefault(sum(scaled[s] for s in subset), []).append(list(subset))
        found: list[tuple[str, int]] = []
        for score in sorted(levels, reverse=True):
            if cursor is not None and score > cursor[0]:
                continue
            if any(
                counts.get(shown[0], 0) > _LEVEL_ROWS and len(shown) < len(skills)
                for shown in levels[score]
            ):
                return found, False
            queries = []
            for shown in levels[score]:
                drive = aliased(SkillLearnerRow)
                query = select(drive.learner_id.label("learner_id")).where(
                    drive.skill_id == shown[0]
                )
                for skill in skills:
                    if skill == shown[0]:
                        continue
                    other = aliased(SkillLearnerRow)
                    held = (
                        select(other.learner_id)
                        .where(other.skill_id == skill, other.learner_id == drive.learner_id)
                        .exists()
                    )
                    query = query.where(held if skill in shown else ~held)
                if cursor is not None and score == cursor[0]:
                    query = query.where(drive.learner_id > cursor[1])
                queries.append(query)
            merged = (queries[0] if len(queries) == 1 else union_all(*queries)).subquery()
            page = self.session.scalars(
                select(merged.c.learner_id).order_by(merged.c.learner_id).limit(limit - len(found))
            )
            found.extend((learner, score) for learner in page)
            if len(found) == limit:
                break
        return found, True

    def _scores(
        self,
        scaled: Mapping[str, int],
        essential: list[str] | None,
        cursor: tuple[int, str] | None,
        limit: int,
    ) -> list[tuple[str, int]]:
        """The best ``limit`` learners after ``cursor`` (among those showing an ``essential``
        skill, when given), scored over every searched skill."""
        classes: dict[int, list[str]] = {}
        for skill, weight in scaled.items():
            classes.setdefault(weight, []).append(skill)

        def weighted(skill: Any) -> Any:
            return case(*((skill.in_(group), w) for w, group in classes.items()), else_=0)

        if essential is None:
            ranked = (
                select(
                    SkillLearnerRow.learner_id.label("learner_id"),
                    func.sum(weighted(SkillLearnerRow.skill_id)).label("score"),
                )
                .where(SkillLearnerRow.skill_id.in_(list(scaled)))
                .group_by(SkillLearnerRow.learner_id)
                .subquery()
            )
        else:
            # Each candidate scored through the (learner, skill) index, one learner at a time:
            # a join would read every share of the searched skills again.
            candidates = (
                select(SkillLearnerRow.learner_id.label("learner_id"))
                .where(SkillLearnerRow.skill_id.in_(essential))
                .distinct()
                .subquery()
            )
            other = aliased(SkillLearnerRow)
            score = (
                select(func.sum(weighted(other.skill_id)))
                .where(
                    other.learner_id == candidates.c.learner_id,
                    other.skill_id.in_(list(scaled)),
                )
                .scalar_subquery()
            )
            ranked = select(candidates.c.learner_id, score.label("score")).subquery()
        query = select(ranked.c.learner_id, ranked.c.score)
        if cursor is not None:
            query = query.where(
                or_(
                    ranked.c.score < cursor[0],
                    and_(ranked.c.score == cursor[0], ranked.c.learner_id > cursor[1]),
                )
            )
        query = query.order_by(ranked.c.score.desc(), ranked.c.learner_id).limit(limit)
        return [(learner, int(score)) for learner, score in self.session.execute(query)]

    def shares_of_learners(
        self, learners: Iterable[str], skills: Iterable[str]
    ) -> list[tuple[str, str, str]]:
        """(learner, credential, skill) of these learners' shares showing one of ``skills``."""
        query = select(SkillShareRow.learner_id, SkillShareRow.ref, SkillShareRow.skill_id).where(
            SkillShareRow.learner_id.in_(list(learners)),
            SkillShareRow.skill_id.in_(list(skills)),
        )
        return [(learner, ref, skill) for learner, ref, skill in self.session.execute(query)]

    def searches_since(self, employer_id: str, since: datetime) -> int:
        query = select(func.count()).where(
            EmployerSearchRow.employer_id == employer_id, EmployerSearchRow.at >= since
        )
        return int(self.session.scalar(query) or 0)

    def log_search(self, row: EmployerSearchRow, learners: Iterable[str]) -> None:
        self.session.add(row)
        self.session.flush()
        self.session.add_all(
            EmployerHitRow(search_id=row.id, learner_id=learner) for learner in learners
        )

    def searches_finding(
        self, learner_id: str, limit: int = 100
    ) -> list[tuple[str, str, datetime]]:
        query = (
            select(EmployerRow.name, EmployerSearchRow.query, EmployerSearchRow.at)
            .join(EmployerSearchRow, EmployerSearchRow.employer_id == EmployerRow.id)
            .join(EmployerHitRow, EmployerHitRow.search_id == EmployerSearchRow.id)
            .where(EmployerHitRow.learner_id == learner_id)
            .order_by(EmployerSearchRow.at.desc())
            .limit(limit)
        )
        return [(name, q, at) for name, q, at in self.session.execute(query)]

    def forget_learner(self, learner_id: str) -> None:
        self._log_change(learner_id)
        skills = list(
            self.session.scalars(
                select(SkillLearnerRow.skill_id).where(SkillLearnerRow.learner_id == learner_id)
            )
        )
        self.session.execute(delete(SkillShareRow).where(SkillShareRow.learner_id == learner_id))
        self._recount(learner_id, skills)
        self.session.execute(delete(EmployerHitRow).where(EmployerHitRow.learner_id == learner_id))
