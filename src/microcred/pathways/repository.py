"""Every statement the pathways feature makes. Takes the caller's session, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from microcred.status.expiry import effective_state_sql
from microcred.store.repository import Repository
from microcred.store.tables import (
    AchievementRow,
    CredentialRow,
    EndorsementRow,
    IssuerRow,
    LearnerEmailRow,
    PathwayAwardPartRow,
    PathwayAwardRow,
    PathwayEndorsementRow,
    PathwayIssuerRow,
    PathwayRow,
    PathwayVersionRow,
)


class PathwayRepository(Repository):
    noun = "pathway"

    def add(self, row: PathwayRow, issuers: Sequence[PathwayIssuerRow]) -> None:
        self.session.add(row)
        self.session.flush()
        self.session.add_all(issuers)
        self.session.flush()

    def get(self, pathway_id: str) -> PathwayRow:
        return self.found(self.session.get(PathwayRow, pathway_id), pathway_id)

    def lock(self, pathway_id: str) -> PathwayRow:
        row = self.session.execute(
            select(PathwayRow).where(PathwayRow.id == pathway_id).with_for_update()
        ).scalar_one_or_none()
        return self.found(row, pathway_id)

    def all(self, *, state: str | None = None) -> list[PathwayRow]:
        query = select(PathwayRow).order_by(PathwayRow.created_at, PathwayRow.id)
        if state is not None:
            query = query.where(PathwayRow.state == state)
        return list(self.session.execute(query).scalars())

    def active_versions(self) -> list[tuple[str, int]]:
        rows = self.session.execute(
            select(PathwayRow.id, PathwayRow.version)
            .where(PathwayRow.state == "active")
            .order_by(PathwayRow.id)
        )
        return [(str(ref), int(version)) for ref, version in rows]

    def of_issuer(self, issuer_id: str) -> list[PathwayRow]:
        """Pathways the issuer owns or co-issues."""
        mine = select(PathwayIssuerRow.pathway_id).where(PathwayIssuerRow.issuer_id == issuer_id)
        rows = self.session.execute(
            select(PathwayRow)
            .where(PathwayRow.id.in_(mine))
            .order_by(PathwayRow.created_at, PathwayRow.id)
        )
        return list(rows.scalars())

    def add_version(self, row: PathwayVersionRow) -> None:
        self.session.add(row)
        self.session.flush()

    def version(self, pathway_id: str, version: int) -> PathwayVersionRow | None:
        return self.session.get(PathwayVersionRow, (pathway_id, version))

    def versions(self, pathway_id: str) -> list[PathwayVersionRow]:
        rows = self.session.execute(
            select(PathwayVersionRow)
            .where(PathwayVersionRow.pathway_id == pathway_id)
            .order_by(PathwayVersionRow.version)
        )
        return list(rows.scalars())

    def set_issuers(self, pathway_id: str, rows: Sequence[PathwayIssuerRow]) -> None:
        """The issuers taking part become exactly ``rows`` (those left out are removed)."""
        keep = {row.issuer_id for row in rows}
        for row in self.issuers(pathway_id):
            if row.issuer_id not in keep:
                self.session.delete(row)
        self.session.flush()
        for row in rows:
            self.session.merge(row)
        self.session.flush()

    def issuers(self, pathway_id: str) -> list[PathwayIssuerRow]:
        rows = self.session.execute(
            select(PathwayIssuerRow)
            .where(PathwayIssuerRow.pathway_id == pathway_id)
            .order_by(PathwayIssuerRow.issuer_id)
        )
        return list(rows.scalars())

    # ---- awards -----------------------------------------------------------------------------

    def award(self, pathway_id: str, learner_key: str) -> PathwayAwardRow | None:
        return self.session.execute(
            select(PathwayAwardRow).where(
                PathwayAwardRow.pathway_id == pathway_id,
                PathwayAwardRow.learner_key == learner_key,
            )
        ).scalar_one_or_none()

    def lock_award(self, award_id: str) -> PathwayAwardRow:
        row = self.session.execute(
            select(PathwayAwardRow).where(PathwayAwardRow.id == award_id).with_for_update()
        ).scalar_one_or_none()
        return self.found(row, award_id, noun="award")

    def claim_award(self, row: PathwayAwardRow) -> bool:
        """Insert the award's row; False when another worker's is there (the unique pair)."""
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            return False
        return True

    def awards_of(self, pathway_id: str, learner_keys: Sequence[str]) -> list[PathwayAwardRow]:
        if not learner_keys:
            return []
        rows = self.session.execute(
            select(PathwayAwardRow).where(
                PathwayAwardRow.pathway_id == pathway_id,
                PathwayAwardRow.learner_key.in_(learner_keys),
            )
        )
        return list(rows.scalars())

    def awards_for(self, learner_keys: Sequence[str]) -> list[PathwayAwardRow]:
        rows = self.session.execute(
            select(PathwayAwardRow).where(PathwayAwardRow.learner_key.in_(learner_keys))
        )
        return list(rows.scalars())

    def award_of_credential(self, credential_id: str) -> PathwayAwardRow | None:
        return self.session.execute(
            select(PathwayAwardRow).where(PathwayAwardRow.credential_id == credential_id)
        ).scalar_one_or_none()

    def awards_with_part(
        self, part_ref: str, only: Sequence[str] | None = None
    ) -> list[PathwayAwardRow]:
        """Awards that counted this credential (``only`` these award ids, when given), locked
        (a cascade rewrites ``failing``)."""
        query = (
            select(PathwayAwardRow)
            .join(PathwayAwardPartRow, PathwayAwardPartRow.award_id == PathwayAwardRow.id)
            .where(
                PathwayAwardPartRow.part_ref == part_ref,
                PathwayAwardRow.credential_id.is_not(None),
            )
            .order_by(PathwayAwardRow.id)
            .with_for_update(of=PathwayAwardRow)
        )
        if only is not None:
            query = query.where(PathwayAwardRow.id.in_(list(only)))
        return list(self.session.execute(query).scalars())

    def award_ids_with_part(self, part_ref: str) -> list[str]:
        """The ids of the awards that counted this credential, unlocked (to plan chunks)."""
        rows = self.session.execute(
            select(PathwayAwardRow.id)
            .join(PathwayAwardPartRow, PathwayAwardPartRow.award_id == PathwayAwardRow.id)
            .where(
                PathwayAwardPartRow.part_ref == part_ref,
                PathwayAwardRow.credential_id.is_not(None),
            )
            .order_by(PathwayAwardRow.id)
        )
        return list(rows.scalars())

    def award_count_with_part(self, part_ref: str) -> int:
        return self.award_counts_with_parts([part_ref]).get(part_ref, 0)

    def award_counts_with_parts(self, part_refs: Sequence[str]) -> dict[str, int]:
        """How many awarded micro-degrees counted each of these credentials (those none did
        are left out)."""
        found: dict[str, int] = {}
        for chunk in _chunks(part_refs):
            rows = self.session.execute(
                select(PathwayAwardPartRow.part_ref, func.count())
                .join(PathwayAwardRow, PathwayAwardPartRow.award_id == PathwayAwardRow.id)
                .where(
                    PathwayAwardPartRow.part_ref.in_(chunk),
                    PathwayAwardRow.credential_id.is_not(None),
                )
                .group_by(PathwayAwardPartRow.part_ref)
            )
            found.update((str(ref), int(count)) for ref, count in rows)
        return found

    def counted_parts(self, refs: Sequence[str]) -> set[str]:
        """Which of these credentials some award counted as a part."""
        found: set[str] = set()
        for chunk in _chunks(refs):
            found.update(
                self.session.scalars(
                    select(PathwayAwardPartRow.part_ref)
                    .where(PathwayAwardPartRow.part_ref.in_(chunk))
                    .distinct()
                )
            )
        return found

    def learner_keys_of_credentials(self, credential_ids: Sequence[str]) -> list[str]:
        """The learner keys of the awards whose micro-degrees these are."""
        found: list[str] = []
        for chunk in _chunks(credential_ids):
            found.extend(
                self.session.scalars(
                    select(PathwayAwardRow.learner_key).where(
                        PathwayAwardRow.credential_id.in_(chunk)
                    )
                )
            )
        return found

    def part_rows(self, part_ref: str) -> list[PathwayAwardPartRow]:
        """Every award's row for this part (its name and address as the award saw them)."""
        rows = self.session.execute(
            select(PathwayAwardPartRow).where(PathwayAwardPartRow.part_ref == part_ref)
        )
        return list(rows.scalars())

    def parts(self, award_id: str) -> list[PathwayAwardPartRow]:
        rows = self.session.execute(
            select(PathwayAwardPartRow)
            .where(PathwayAwardPartRow.award_id == award_id)
            .order_by(PathwayAwardPartRow.part_ref)
        )
        return list(rows.scalars())

    def add_parts(self, rows: Sequence[PathwayAwardPartRow]) -> None:
        self.session.add_all(rows)
        self.session.flush()

    # ---- who holds what (read-only lookups of other features' tables) ---------------------------

    def achievement_matches(self, text: str, limit: int) -> list[tuple[str, str, str, str]]:
        """(achievement id, name, issuer id, issuer name) of unarchived achievements of this
        server whose name contains ``text`` (case-insensitive), for a part chooser; a
        pathway's own micro-degree achievements are left out."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        degrees = select(PathwayRow.achievement_id)
        rows = self.session.execute(
            select(AchievementRow.id, AchievementRow.name, IssuerRow.id, IssuerRow.name)
            .join(IssuerRow, IssuerRow.id == AchievementRow.issuer_id)
            .where(
                AchievementRow.archived.is_(False),
                func.lower(AchievementRow.name).like(pattern.lower(), escape="\\"),
                AchievementRow.id.not_in(degrees),
            )
            .order_by(AchievementRow.name, AchievementRow.id)
            .limit(limit)
        )
        return [(str(a), str(n), str(i), str(m)) for a, n, i, m in rows]

    def achievement_names(self, ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(ids):
            rows = self.session.execute(
                select(AchievementRow.id, AchievementRow.name).where(AchievementRow.id.in_(chunk))
            )
            found.update((str(ref), str(name)) for ref, name in rows)
        return found

    def learner_of(self, email: str) -> str | None:
        row = self.session.get(LearnerEmailRow, email)
        return row.learner_id if row is not None else None

    def first_email(self, learner_id: str) -> str | None:
        return self.session.execute(
            select(LearnerEmailRow.email)
            .where(LearnerEmailRow.learner_id == learner_id)
            .order_by(LearnerEmailRow.verified_at, LearnerEmailRow.email)
            .limit(1)
        ).scalar_one_or_none()

    def ours_states(self, email: str, now: datetime) -> list[tuple[str, str]]:
        """(id, effective state) of our credentials issued to an address no learner account
        holds."""
        rows = self.session.execute(
            select(CredentialRow.id, effective_state_sql(now)).where(
                CredentialRow.recipient_email == email
            )
        )
        return [(str(ref), str(state)) for ref, state in rows]

    def credentials(self, ids: Sequence[str]) -> list[CredentialRow]:
        found: list[CredentialRow] = []
        for chunk in _chunks(ids):
            found.extend(
                self.session.scalars(select(CredentialRow).where(CredentialRow.id.in_(chunk)))
            )
        return found

    def credential(self, credential_id: str) -> CredentialRow | None:
        return self.session.get(CredentialRow, credential_id)


def _chunks(items: Sequence[str], size: int = 500) -> list[list[str]]:
    """``items`` (deduplicated, in order) in lists short enough for one IN (...)."""
    unique = list(dict.fromkeys(items))
    return [unique[start : start + size] for start in range(0, len(unique), size)]


class EndorsementRepository(Repository):
    noun = "endorsement"

    def add(self, row: PathwayEndorsementRow) -> None:
        self.session.add(row)
        self.session.flush()

    def of_pathway(self, pathway_id: str) -> list[PathwayEndorsementRow]:
        rows = self.session.execute(
            select(PathwayEndorsementRow)
            .where(PathwayEndorsementRow.pathway_id == pathway_id)
            .order_by(PathwayEndorsementRow.created_at, PathwayEndorsementRow.id)
        )
        return list(rows.scalars())

    def lock(self, issuer_id: str, endorsement_id: str) -> PathwayEndorsementRow:
        """The issuer's endorsement; another issuer's is not found."""
        row = self.session.execute(
            select(PathwayEndorsementRow)
            .where(
                PathwayEndorsementRow.id == endorsement_id,
                PathwayEndorsementRow.issuer_id == issuer_id,
            )
            .with_for_update()
        ).scalar_one_or_none()
        return self.found(row, endorsement_id)

    def get(self, pathway_id: str, endorsement_id: str) -> PathwayEndorsementRow:
        row = self.session.get(PathwayEndorsementRow, endorsement_id)
        if row is not None and row.pathway_id != pathway_id:
            row = None
        return self.found(row, endorsement_id)


class EndorsementBookRepository(Repository):
    """Endorsements of achievements, issuers and pathways (``endorsements``): ours and external."""

    noun = "endorsement"

    def lock_own(self, endorser_issuer_id: str, endorsement_id: str) -> EndorsementRow | None:
        """One of this issuer's own (signed here) endorsements, locked."""
        return self.session.execute(
            select(EndorsementRow)
            .where(
                EndorsementRow.id == endorsement_id,
                EndorsementRow.endorser_issuer_id == endorser_issuer_id,
            )
            .with_for_update()
        ).scalar_one_or_none()

    def standing(self, endorsed_issuer_id: str, subject_id: str, endorser: str) -> str | None:
        """The id of this endorser's standing endorsement of that subject, if any."""
        return self.session.scalar(
            select(EndorsementRow.id).where(
                EndorsementRow.endorsed_issuer_id == endorsed_issuer_id,
                EndorsementRow.subject_id == subject_id,
                EndorsementRow.endorser == endorser,
                EndorsementRow.withdrawn_at.is_(None),
            )
        )

    def of_subject(self, subject_type: str, subject_id: str) -> list[EndorsementRow]:
        rows = self.session.execute(
            select(EndorsementRow)
            .where(
                EndorsementRow.subject_type == subject_type,
                EndorsementRow.subject_id == subject_id,
            )
            .order_by(EndorsementRow.created_at, EndorsementRow.id)
        )
        return list(rows.scalars())

    def pathway_awarding(self, achievement_id: str) -> str | None:
        """The pathway whose micro-degree this achievement is, if any."""
        return self.session.scalar(
            select(PathwayRow.id).where(PathwayRow.achievement_id == achievement_id)
        )


__all__ = ["EndorsementBookRepository", "EndorsementRepository", "PathwayRepository"]
