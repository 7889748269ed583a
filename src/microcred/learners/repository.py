"""Every statement the learners feature makes. Repositories take the caller's session and never
commit: the service owns the unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from microcred.store.repository import Repository
from microcred.store.tables import (
    CredentialRow,
    LearnerChallengeRow,
    LearnerEmailRow,
    LearnerPasskeyRow,
    LearnerRateRow,
    LearnerRow,
    LearnerSessionRow,
    LearnerTokenRow,
)


def _rowcount(result: object) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


class LearnerRepository(Repository):
    noun = "learner"

    # ---- learners and their addresses ----------------------------------------------------------

    def get(self, learner_id: str) -> LearnerRow | None:
        return self.session.get(LearnerRow, learner_id)

    def require(self, learner_id: str) -> LearnerRow:
        return self.found(self.get(learner_id), learner_id)

    def lock(self, learner_id: str) -> LearnerRow:
        """The learner's row, locked until the transaction ends (PostgreSQL; SQLite's write
        transaction holds the whole database already)."""
        row = self.session.execute(
            select(LearnerRow).where(LearnerRow.id == learner_id).with_for_update()
        ).scalar_one_or_none()
        return self.found(row, learner_id)

    def add(self, row: LearnerRow) -> None:
        self.session.add(row)
        self.session.flush()

    def owner_of(self, email: str) -> str | None:
        """The id of the learner who verified ``email`` (normalised), if any."""
        return self.session.execute(
            select(LearnerEmailRow.learner_id).where(LearnerEmailRow.email == email)
        ).scalar_one_or_none()

    def emails(self, learner_id: str) -> list[LearnerEmailRow]:
        return list(
            self.session.execute(
                select(LearnerEmailRow)
                .where(LearnerEmailRow.learner_id == learner_id)
                .order_by(LearnerEmailRow.verified_at, LearnerEmailRow.email)
            ).scalars()
        )

    def add_email(self, learner_id: str, email: str, at: datetime) -> bool:
        """Record ``email`` as verified for the learner; False when another learner holds it
        (the primary key decides, so two learners racing for one address cannot both win)."""
        try:
            with self.session.begin_nested():
                self.session.add(
                    LearnerEmailRow(email=email, learner_id=learner_id, verified_at=at)
                )
        except IntegrityError:
            return self.owner_of(email) == learner_id
        return True

    def remove_email(self, learner_id: str, email: str) -> int:
        result = self.session.execute(
            delete(LearnerEmailRow).where(
                LearnerEmailRow.learner_id == learner_id, LearnerEmailRow.email == email
            )
        )
        return _rowcount(result)

    def set_display_name(self, learner_id: str, name: str | None) -> None:
        self.session.execute(
            update(LearnerRow).where(LearnerRow.id == learner_id).values(display_name=name)
        )

    def set_did(self, learner_id: str, did: str, sealed: bytes) -> bool:
        """Give the learner a DID unless they have one (False then: a concurrent request won)."""
        result = self.session.execute(
            update(LearnerRow)
            .where(LearnerRow.id == learner_id, LearnerRow.did.is_(None))
            .values(did=did, did_key_sealed=sealed)
        )
        return _rowcount(result) == 1

    def credentials_to(self, emails: Sequence[str]) -> list[CredentialRow]:
        """Every credential this server issued to one of ``emails`` (normalised), oldest first."""
        if not emails:
            return []
        return list(
            self.session.execute(
                select(CredentialRow)
                .where(func.lower(CredentialRow.recipient_email).in_(list(emails)))
                .order_by(CredentialRow.issued_at, CredentialRow.id)
            ).scalars()
        )

    def delete_learner(self, learner_id: str) -> None:
        """The learner's own rows, children first (other features' hooks have run before)."""
        for table in (LearnerTokenRow, LearnerSessionRow, LearnerPasskeyRow, LearnerChallengeRow):
            self.session.execute(delete(table).where(table.learner_id == learner_id))
        self.session.execute(
            delete(LearnerEmailRow).where(LearnerEmailRow.learner_id == learner_id)
        )
        self.session.execute(delete(LearnerRow).where(LearnerRow.id == learner_id))

    # ---- links sent by e-mail -------------------------------------------------------------------

    def add_token(self, row: LearnerTokenRow) -> None:
        self.session.add(row)
        self.session.flush()

    def token(self, token_hash: str) -> LearnerTokenRow | None:
        return self.session.get(LearnerTokenRow, token_hash)

    def consume_token(self, token_hash: str, purpose: str, now: datetime) -> LearnerTokenRow | None:
        """Mark the token used if it is unused, unexpired and for ``purpose``: one conditional
        UPDATE, so of two concurrent uses exactly one gets the row back."""
        result = self.session.execute(
            update(LearnerTokenRow)
            .where(
                LearnerTokenRow.token_hash == token_hash,
                LearnerTokenRow.purpose == purpose,
                LearnerTokenRow.used_at.is_(None),
                LearnerTokenRow.expires_at > now,
            )
            .values(used_at=now)
        )
        if _rowcount(result) != 1:
            return None
        return self.session.get(LearnerTokenRow, token_hash)

    def delete_expired_tokens(self, now: datetime) -> None:
        self.session.execute(delete(LearnerTokenRow).where(LearnerTokenRow.expires_at <= now))

    # ---- sessions -------------------------------------------------------------------------------

    def add_session(self, row: LearnerSessionRow) -> None:
        self.session.add(row)
        self.session.flush()

    def live_session(self, token_hash: str, now: datetime) -> LearnerSessionRow | None:
        return self.session.execute(
            select(LearnerSessionRow).where(
                LearnerSessionRow.token_hash == token_hash, LearnerSessionRow.expires_at > now
            )
        ).scalar_one_or_none()

    def touch_session(self, token_hash: str, now: datetime, expires_at: datetime) -> None:
        self.session.execute(
            update(LearnerSessionRow)
            .where(LearnerSessionRow.token_hash == token_hash)
            .values(last_seen_at=now, expires_at=expires_at)
        )

    def delete_session(self, token_hash: str) -> int:
        result = self.session.execute(
            delete(LearnerSessionRow).where(LearnerSessionRow.token_hash == token_hash)
        )
        return _rowcount(result)

    def delete_sessions(self, learner_id: str) -> int:
        result = self.session.execute(
            delete(LearnerSessionRow).where(LearnerSessionRow.learner_id == learner_id)
        )
        return _rowcount(result)

    def count_sessions(self, learner_id: str, now: datetime) -> int:
        return int(
            self.session.execute(
                select(func.count())
                .select_from(LearnerSessionRow)
                .where(
                    LearnerSessionRow.learner_id == learner_id, LearnerSessionRow.expires_at > now
                )
            ).scalar_one()
        )

    def delete_expired_sessions(self, now: datetime) -> None:
        self.session.execute(delete(LearnerSessionRow).where(LearnerSessionRow.expires_at <= now))

    # ---- passkeys -------------------------------------------------------------------------------

    def add_challenge(self, row: LearnerChallengeRow, now: datetime) -> None:
        self.session.execute(
            delete(LearnerChallengeRow).where(LearnerChallengeRow.expires_at <= now)
        )
        self.session.add(row)
        self.session.flush()

    def consume_challenge(
        self, challenge_hash: str, purpose: str, learner_id: str | None, now: datetime
    ) -> bool:
        """Spend the challenge if it is live, for ``purpose`` and (when given) the learner: one
        conditional DELETE, so a challenge answers one ceremony only."""
        conditions = [
            LearnerChallengeRow.challenge_hash == challenge_hash,
            LearnerChallengeRow.purpose == purpose,
            LearnerChallengeRow.expires_at > now,
        ]
        if learner_id is not None:
            conditions.append(LearnerChallengeRow.learner_id == learner_id)
        return _rowcount(self.session.execute(delete(LearnerChallengeRow).where(*conditions))) == 1

    def passkeys(self, learner_id: str) -> list[LearnerPasskeyRow]:
        return list(
            self.session.execute(
                select(LearnerPasskeyRow)
                .where(LearnerPasskeyRow.learner_id == learner_id)
                .order_by(LearnerPasskeyRow.created_at)
            ).scalars()
        )

    def passkey(self, credential_id: str) -> LearnerPasskeyRow | None:
        return self.session.get(LearnerPasskeyRow, credential_id)

    def add_passkey(self, row: LearnerPasskeyRow) -> bool:
        """False when the credential is registered already (to anyone)."""
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            return False
        return True

    def use_passkey(
        self, credential_id: str, old_count: int, new_count: int, now: datetime
    ) -> bool:
        """Record a sign-in with the passkey; False if another sign-in moved its counter first."""
        result = self.session.execute(
            update(LearnerPasskeyRow)
            .where(
                LearnerPasskeyRow.credential_id == credential_id,
                LearnerPasskeyRow.sign_count == old_count,
            )
            .values(sign_count=new_count, last_used_at=now)
        )
        return _rowcount(result) == 1

    def remove_passkey(self, learner_id: str, credential_id: str) -> int:
        result = self.session.execute(
            delete(LearnerPasskeyRow).where(
                LearnerPasskeyRow.learner_id == learner_id,
                LearnerPasskeyRow.credential_id == credential_id,
            )
        )
        return _rowcount(result)

    # ---- rate limits ----------------------------------------------------------------------------

    def hit(self, key: str, now: datetime, window: timedelta) -> tuple[int, datetime]:
        """Count one event against ``key``'s current window (a new window once the last one
        ended); the count so far and when the window ends."""
        counter = LearnerRateRow
        # A window that has ended starts again at zero.
        self.session.execute(
            update(counter)
            .where(counter.key == key, counter.window_ends_at <= now)
            .values(count=0, window_ends_at=now + window)
        )
        bumped = self.session.execute(
            update(counter).where(counter.key == key).values(count=counter.count + 1)
        )
        if _rowcount(bumped) == 0:
            try:
                with self.session.begin_nested():
                    self.session.add(counter(key=key, count=1, window_ends_at=now + window))
            except IntegrityError:  # another worker made the row first: count on it
                self.session.execute(
                    update(counter).where(counter.key == key).values(count=counter.count + 1)
                )
        count, ends = self.session.execute(
            select(counter.count, counter.window_ends_at).where(counter.key == key)
        ).one()
        return int(count), ends

    def delete_ended_windows(self, now: datetime) -> None:
        self.session.execute(delete(LearnerRateRow).where(LearnerRateRow.window_ends_at <= now))


__all__ = ["LearnerRepository"]
