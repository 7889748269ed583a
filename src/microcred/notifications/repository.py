"""The e-mail rows' SQL: pending rows written with their credentials, claimed a slice at a time,
settled, swept.

Repositories take the caller's session and never commit: the service owns the unit of work.
These are the statements bench/smtp_bench.py and bench/bulk_bench.py measure (see
docs/design/notifications.md): rows are written, claimed and settled one statement per slice,
never one per row, and the hot ones are Core statements on the tables, without the ORM's
per-object tracking or its statement compilation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Row,
    bindparam,
    insert,
    or_,
    select,
    update,
)

from microcred.store.repository import Repository
from microcred.store.tables import (
    AchievementRow,
    Base,
    CredentialRow,
    IssuerRow,
    LearnerEmailRow,
    LearnerRow,
    NotificationRow,
)

_TABLE = Base.metadata.tables["notifications"]  # Core: executemany without the ORM's tracking
_CREDENTIALS = Base.metadata.tables["credentials"]
_MAIL_COLUMNS = (
    _CREDENTIALS.c.id,
    _CREDENTIALS.c.issuer_id,
    _CREDENTIALS.c.achievement_id,
    _CREDENTIALS.c.recipient_name,
    _CREDENTIALS.c.recipient_email,
)
# The names as each credential states them (they may predate a rename), read in SQL as JSON
# fragments (SQLite's json_extract, PostgreSQL's #>): decoding the whole document for two
# strings was a tenth of an e-mail job. The caller keeps only strings (a language map, a
# number or nothing means the stored name).
_STATED = (
    _CREDENTIALS.c.document[("credentialSubject", "achievement", "name")].label("achievement_name"),
    _CREDENTIALS.c.document[("issuer", "name")].label("issuer_name"),
)


_LEARNER_EMAILS = Base.metadata.tables["learner_emails"]
_LEARNERS = Base.metadata.tables["learners"]
MailFields = Row[Any, Any, Any, Any, Any, Any, Any, Any]
"""A credential's columns that its message needs (:meth:`NotificationRepository.mail_fields`)."""


class NotificationRepository(Repository):
    noun = "e-mail"

    def add_pending(self, rows: Sequence[dict[str, object]]) -> None:
        """Write these rows (the ``notifications`` columns) in one executemany INSERT."""
        self.session.execute(insert(_TABLE), rows)

    def lock_for_credentials(self, credential_ids: Sequence[str]) -> Sequence[Row[str, str, int]]:
        """(id, state, attempts) of these credentials' rows, row-locked until commit (on SQLite
        the write transaction holds the database lock).

        The rows are found by credential only: with "state = 'pending'" in the WHERE,
        PostgreSQL with statistics from before a big batch chose the (state, changed_at)
        index and read every pending row of the batch for each job."""
        return self.session.execute(
            select(_TABLE.c.id, _TABLE.c.state, _TABLE.c.attempts)
            .where(_TABLE.c.credential_id.in_(credential_ids))
            .with_for_update()
        ).all()

    def start_sending(self, ids: Sequence[str], at: datetime) -> Sequence[Row[str, str, int]]:
        """Move these rows to ``sending``, one attempt more; returns (id, credential id,
        attempt) of each. Call with the rows locked by :meth:`lock_for_credentials`."""
        return self.session.execute(
            update(_TABLE)
            .where(_TABLE.c.id.in_(ids))
            .values(state="sending", attempts=_TABLE.c.attempts + 1, changed_at=at)
            .returning(_TABLE.c.id, _TABLE.c.credential_id, _TABLE.c.attempts)
        ).all()

    def mail_fields(self, credential_ids: Sequence[str]) -> dict[str, MailFields]:
        """By credential id: the columns a message needs (id, issuer, achievement, recipient's
        name and address, the achievement's and issuer's names as the document states them
        when they are strings, and ``learner_settings``), in one query, not ORM objects."""
        # The settings of the learner account holding the address (its UI language), if any:
        # the address is the key of learner_emails, so at most one row each.
        holder = _CREDENTIALS.outerjoin(
            _LEARNER_EMAILS, _LEARNER_EMAILS.c.email == _CREDENTIALS.c.recipient_email
        ).outerjoin(_LEARNERS, _LEARNERS.c.id == _LEARNER_EMAILS.c.learner_id)
        query = (
            select(*_MAIL_COLUMNS, *_STATED, _LEARNERS.c.settings.label("learner_settings"))
            .select_from(holder)
            .where(_CREDENTIALS.c.id.in_(credential_ids))
        )
        return {row.id: row for row in self.session.execute(query)}

    def stored_name(self, table: type[IssuerRow] | type[AchievementRow], row_id: str) -> str:
        """The issuer's or achievement's current name (the foreign keys say it exists)."""
        stored = self.session.scalar(select(table.name).where(table.id == row_id))
        assert stored is not None  # foreign keys
        return stored

    def mark_sent(self, claims: Sequence[tuple[str, int]], at: datetime) -> None:
        """Mark these (id, attempt) rows sent, in one executemany UPDATE. Conditional: a row
        is changed only while it is still that claim, in ``sending``, or ``failed`` (a slow
        send the sweep gave up on did arrive after all). Each row is found by its key: with
        the pairs as one ``(id, attempts) IN`` list PostgreSQL read the state index instead,
        every failed row there is (they are kept) for every slice."""
        self.session.execute(
            update(_TABLE)
            .where(
                _TABLE.c.id == bindparam("b_id"),
                _TABLE.c.attempts == bindparam("b_attempt"),
                or_(_TABLE.c.state == "sending", _TABLE.c.state == "failed"),
            )
            .values(state="sent", sent_at=at, changed_at=at),
            [{"b_id": row_id, "b_attempt": attempt} for row_id, attempt in claims],
        )

    def release(self, outcomes: Sequence[dict[str, object]], at: datetime) -> None:
        """Give each row its outcome (``b_id``, ``b_attempt``, ``b_state``, ``b_error``) in one
        executemany UPDATE; a row changes only while it is still that claim and ``sending``."""
        self.session.execute(
            update(_TABLE)
            .where(
                _TABLE.c.id == bindparam("b_id"),
                _TABLE.c.attempts == bindparam("b_attempt"),
                _TABLE.c.state == "sending",
            )
            .values(state=bindparam("b_state"), last_error=bindparam("b_error"), changed_at=at),
            outcomes,
        )

    def abandon_sending(self, *, since: datetime, error: str, at: datetime) -> Sequence[str]:
        """Fail the rows in ``sending`` that have not changed since ``since``; returns their
        credential ids."""
        return (
            self.session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.state == "sending",
                    NotificationRow.changed_at < since,
                )
                .values(state="failed", last_error=error, changed_at=at)
                .returning(NotificationRow.credential_id)
            )
            .scalars()
            .all()
        )

    def pending_unchanged(self, *, since: datetime, limit: int) -> Sequence[str]:
        """Ids of up to ``limit`` pending rows unchanged since ``since``, oldest first."""
        return self.session.scalars(
            select(NotificationRow.id)
            .where(
                NotificationRow.state == "pending",
                NotificationRow.changed_at < since,
            )
            .order_by(NotificationRow.changed_at)
            .limit(limit)
        ).all()

    def touch_pending(self, ids: Sequence[str], at: datetime) -> Sequence[str]:
        """Set ``changed_at`` of those of these rows still pending; returns their credential
        ids (none for no ids: no statement)."""
        if not ids:
            return []
        return (
            self.session.execute(
                update(NotificationRow)
                .where(NotificationRow.id.in_(ids), NotificationRow.state == "pending")
                .values(changed_at=at)
                .returning(NotificationRow.credential_id)
            )
            .scalars()
            .all()
        )

    def pending_credentials(self) -> Sequence[str]:
        """The credential ids of every pending row, oldest first."""
        return self.session.scalars(
            select(NotificationRow.credential_id)
            .where(NotificationRow.state == "pending")
            .order_by(NotificationRow.created_at)
        ).all()

    def status_mail_fields(self, credential_id: str) -> tuple[CredentialRow, str, str] | None:
        """A credential with its achievement's and issuer's names, for its status e-mail
        (``None`` for no such credential, or one issued without an achievement of ours)."""
        found = self.session.execute(
            select(CredentialRow, AchievementRow.name, IssuerRow.name)
            .join(AchievementRow, AchievementRow.id == CredentialRow.achievement_id)
            .join(IssuerRow, IssuerRow.id == CredentialRow.issuer_id)
            .where(CredentialRow.id == credential_id)
        ).first()
        return None if found is None else (found[0], found[1], found[2])

    def learner_language(self, address: str) -> str | None:
        """The UI language of the learner account that verified ``address``, if there is one."""
        settings = self.session.execute(
            select(LearnerRow.settings)
            .join(LearnerEmailRow, LearnerEmailRow.learner_id == LearnerRow.id)
            .where(LearnerEmailRow.email == address)
        ).scalar_one_or_none()
        language = (settings or {}).get("language")
        return str(language) if language else None

    def learner_languages(self, addresses: Sequence[str]) -> dict[str, str]:
        """The UI language of the learner account holding each address, where there is one
        (one query for a slice, not one per message)."""
        if not addresses:
            return {}
        emails, learners = _LEARNER_EMAILS, _LEARNERS
        found = self.session.execute(
            select(emails.c.email, learners.c.settings)
            .join(learners, emails.c.learner_id == learners.c.id)
            .where(emails.c.email.in_(set(addresses)))
        ).all()
        return {email: str((settings or {}).get("language", "en")) for email, settings in found}


__all__ = ["MailFields", "NotificationRepository"]
