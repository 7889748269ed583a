"""The learning-platform feature's SQL: rules, LRS keys, statements, progress and awards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from microcred.errors import ConflictError, NotFoundError
from microcred.store.tables import (
    LmsAwardRow,
    LmsLearnerRow,
    LmsProgressRow,
    LmsRuleRow,
    LmsStatementRow,
    LrsKeyRow,
    LrsSourceRow,
)


class LmsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self, table: Any) -> Any:
        dialect = self.session.get_bind().dialect.name
        return (sqlite_insert if dialect == "sqlite" else postgresql_insert)(table)

    # ---- rules -------------------------------------------------------------------------------

    def add(self, row: object) -> None:
        self.session.add(row)
        self.session.flush()

    def rules(self, issuer_id: str, *, enabled_only: bool = False) -> list[LmsRuleRow]:
        query = select(LmsRuleRow).where(LmsRuleRow.issuer_id == issuer_id)
        if enabled_only:
            query = query.where(LmsRuleRow.enabled.is_(True))
        return list(self.session.scalars(query.order_by(LmsRuleRow.created_at, LmsRuleRow.id)))

    def rule(self, issuer_id: str, rule_id: str) -> LmsRuleRow:
        row = self.session.scalar(
            select(LmsRuleRow).where(LmsRuleRow.id == rule_id, LmsRuleRow.issuer_id == issuer_id)
        )
        if row is None:
            raise NotFoundError("no such award rule", found=rule_id)
        return row

    def has_awards(self, rule_id: str) -> bool:
        return (
            self.session.scalar(
                select(LmsAwardRow.id).where(LmsAwardRow.rule_id == rule_id).limit(1)
            )
            is not None
        )

    def delete(self, row: object) -> None:
        self.session.delete(row)

    # ---- LRS keys ----------------------------------------------------------------------------

    def lrs_key(self, key: str) -> LrsKeyRow | None:
        return self.session.scalar(select(LrsKeyRow).where(LrsKeyRow.key == key))

    def lrs_keys(self, issuer_id: str) -> list[LrsKeyRow]:
        query = select(LrsKeyRow).where(LrsKeyRow.issuer_id == issuer_id)
        return list(self.session.scalars(query.order_by(LrsKeyRow.created_at)))

    def lrs_key_of(self, issuer_id: str, key_id: str) -> LrsKeyRow:
        row = self.session.scalar(
            select(LrsKeyRow).where(LrsKeyRow.id == key_id, LrsKeyRow.issuer_id == issuer_id)
        )
        if row is None:
            raise NotFoundError("no such LRS key", found=key_id)
        return row

    def lrs_sources(self, issuer_id: str) -> list[LrsSourceRow]:
        query = select(LrsSourceRow).where(LrsSourceRow.issuer_id == issuer_id)
        return list(self.session.scalars(query.order_by(LrsSourceRow.created_at)))

    def lrs_source_ids(self) -> list[str]:
        return list(self.session.scalars(select(LrsSourceRow.id).order_by(LrsSourceRow.id)))

    # ---- statements --------------------------------------------------------------------------

    def statements(self, issuer_id: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        query = select(LmsStatementRow.id, LmsStatementRow.statement).where(
            LmsStatementRow.issuer_id == issuer_id, LmsStatementRow.id.in_(sorted(set(ids)))
        )
        return {row.id: row.statement for row in self.session.execute(query)}

    def add_statements(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        try:
            self.session.execute(insert(LmsStatementRow), list(rows))
        except IntegrityError as exc:  # the same new id stored by a request running beside
            raise ConflictError(
                "a statement with this id was stored meanwhile; send again",
                found=", ".join(str(row["id"]) for row in rows[:3]),
            ) from exc

    # ---- learners and progress ---------------------------------------------------------------

    def lock_learners(self, issuer_id: str, learners: Sequence[str], now: datetime) -> None:
        """Make each learner's row and lock them all (in one order, so two batches cannot
        deadlock): this transaction judges these learners' rules alone."""
        ordered = sorted(set(learners))
        if not ordered:
            return
        self.session.execute(
            self._insert(LmsLearnerRow).on_conflict_do_nothing(
                index_elements=["issuer_id", "learner"]
            ),
            [
                {"issuer_id": issuer_id, "learner": learner, "first_seen_at": now}
                for learner in ordered
            ],
        )
        self.session.execute(
            select(LmsLearnerRow.learner)
            .where(LmsLearnerRow.issuer_id == issuer_id, LmsLearnerRow.learner.in_(ordered))
            .order_by(LmsLearnerRow.learner)
            .with_for_update()
        ).all()

    def progress(
        self, issuer_id: str, learners: Sequence[str], activity_keys: Sequence[str]
    ) -> list[LmsProgressRow]:
        if not learners or not activity_keys:
            return []
        query = select(LmsProgressRow).where(
            LmsProgressRow.issuer_id == issuer_id,
            LmsProgressRow.learner.in_(sorted(set(learners))),
            LmsProgressRow.activity_key.in_(sorted(set(activity_keys))),
        )
        return list(self.session.scalars(query))

    def add_progress(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(LmsProgressRow), list(rows))

    # ---- awards ------------------------------------------------------------------------------

    def add_awards(self, rows: Sequence[dict[str, Any]]) -> list[str]:
        """Insert the awards not made before (the rule and learner are unique); returns the
        ids of those inserted now (their fresh ids are found; a conflict kept the old one)."""
        if not rows:
            return []
        statement = self._insert(LmsAwardRow).on_conflict_do_nothing(
            index_elements=["rule_id", "learner"]
        )
        self.session.execute(statement, list(rows))
        ids = [row["id"] for row in rows]
        found = set(self.session.scalars(select(LmsAwardRow.id).where(LmsAwardRow.id.in_(ids))))
        return [award_id for award_id in ids if award_id in found]

    def awards_to_issue(
        self, issuer_id: str, award_ids: Sequence[str]
    ) -> list[tuple[LmsAwardRow, LmsRuleRow]]:
        query = (
            select(LmsAwardRow, LmsRuleRow)
            .join(LmsRuleRow, LmsRuleRow.id == LmsAwardRow.rule_id)
            .where(
                LmsAwardRow.issuer_id == issuer_id,
                LmsAwardRow.id.in_(sorted(set(award_ids))),
                LmsAwardRow.credential_id.is_(None),
                LmsAwardRow.error.is_(None),
            )
            .order_by(LmsAwardRow.created_at, LmsAwardRow.id)
        )
        return [(award, rule) for award, rule in self.session.execute(query).all()]

    def award(self, award_id: str) -> LmsAwardRow | None:
        return self.session.get(LmsAwardRow, award_id)

    def awards(self, issuer_id: str, *, limit: int, offset: int = 0) -> list[LmsAwardRow]:
        query = (
            select(LmsAwardRow)
            .where(LmsAwardRow.issuer_id == issuer_id)
            .order_by(LmsAwardRow.created_at.desc(), LmsAwardRow.id)
            .limit(limit)
            .offset(offset)
        )
        return list(self.session.scalars(query))

    def awards_of(self, issuer_id: str, pairs: Sequence[tuple[str, str]]) -> list[LmsAwardRow]:
        if not pairs:
            return []
        query = select(LmsAwardRow).where(
            LmsAwardRow.issuer_id == issuer_id,
            tuple_(LmsAwardRow.rule_id, LmsAwardRow.learner).in_(list(pairs)),
        )
        return list(self.session.scalars(query))

    def stale_awards(self, before: datetime, *, limit: int) -> list[tuple[str, str]]:
        """(issuer, award) of awards still to issue, made before ``before`` (lost jobs)."""
        query = (
            select(LmsAwardRow.issuer_id, LmsAwardRow.id)
            .where(
                LmsAwardRow.credential_id.is_(None),
                LmsAwardRow.error.is_(None),
                LmsAwardRow.created_at < before,
            )
            .order_by(LmsAwardRow.created_at)
            .limit(limit)
        )
        return [(issuer, award) for issuer, award in self.session.execute(query).all()]


__all__ = ["LmsRepository"]
