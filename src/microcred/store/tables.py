"""The database schema (SQLAlchemy 2.0). Rows are persistence only: no behaviour lives here.

Every issuer-owned row carries ``issuer_id`` and every query the repositories make filters on
it, which is how one issuer's data stays invisible to another. Datetimes are timezone-aware
UTC on both SQLite and PostgreSQL (see :class:`UtcDateTime`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic migrations can name what they alter on both dialects.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; gives back aware UTC datetimes (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: microcred stores aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """The usual processor, remembering its last answer: a bulk chunk's rows carry the
        same moment (one datetime object) in several columns each, and SQLite's DATETIME
        processor formats it as text every time. Keyed by identity: a datetime is immutable.
        The (value, answer) pair is replaced whole, so threads sharing it stay consistent."""
        process = super().bind_processor(dialect)
        if process is None:
            return None
        last: list[tuple[object, Any]] = [(None, None)]

        def remembering(value: Any) -> Any:
            seen, answer = last[0]
            if value is seen and value is not None:
                return answer
            answer = process(value)
            last[0] = (value, answer)
            return answer

        return remembering


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        datetime: UtcDateTime,
        dict[str, Any]: Json,
        list[Any]: Json,
        bytes: LargeBinary,
    }


# --------------------------------------------------------------------------------------------
# Issuers, their keys and the people and programs acting for them


class IssuerRow(Base):
    __tablename__ = "issuers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    email: Mapped[str | None] = mapped_column(String(320))
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[dict[str, Any] | None]
    country: Mapped[str | None] = mapped_column(String(2))
    logo: Mapped[bytes | None]
    logo_media_type: Mapped[str | None] = mapped_column(String(40))
    # The issuer's LinkedIn company page id (digits), for the add-to-profile link.
    linkedin_organization_id: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IssuerKeyRow(Base):
    """A signing key. ``purpose`` is ``assertion`` (credentials), ``log`` (checkpoints) or
    ``didkey`` (an issuer's did:key for the VC-API, not in its DID document).

    Retired keys stay listed in the issuer's DID document so old credentials keep verifying.
    """

    __tablename__ = "issuer_keys"
    __table_args__ = (UniqueConstraint("issuer_id", "fragment"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # NULL for the server's own keys (the transparency log's checkpoint key).
    issuer_id: Mapped[str | None] = mapped_column(ForeignKey("issuers.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    fragment: Mapped[str] = mapped_column(String(100))
    algorithm: Mapped[str] = mapped_column(String(16))
    public_multibase: Mapped[str] = mapped_column(String(200))
    sealed_secret: Mapped[bytes]
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class ApiKeyRow(Base):
    """An issuer-scoped API key. Only a SHA-256 of the secret is kept (the secret is random)."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # The staff user who made it (None: made by the operator or with another key); revoked when
    # that person is removed from the staff. Not a foreign key: the person's row goes, this stays.
    created_by: Mapped[str | None] = mapped_column(String(36), index=True, default=None)


class StaffUserRow(Base):
    """A person signing in to the console for one issuer; passwords are argon2 hashes."""

    __tablename__ = "staff_users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]


# --------------------------------------------------------------------------------------------
# Achievements


class AchievementRow(Base):
    """An achievement definition. ``definition`` is the OB 3.0 Achievement JSON without its id.

    Issued credentials embed the achievement as it was, so edits only bump ``version``.
    """

    __tablename__ = "achievements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    definition: Mapped[dict[str, Any]]
    # BCP 47 tag -> {"name", "description", "criteria", "learningOutcomes"}; the credential
    # carries them as language maps (see achievements/texts.py). None: no translations.
    translations: Mapped[dict[str, Any] | None]
    validity_months: Mapped[int | None]
    image: Mapped[bytes | None]
    image_media_type: Mapped[str | None] = mapped_column(String(40))
    # The badge designer's parameters when ``image`` was drawn from them (None: uploaded or the
    # default badge); only so the editor can reopen the design, the image is what is served.
    badge_design: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


# --------------------------------------------------------------------------------------------
# Credentials and their status


class CredentialRow(Base):
    """An issued credential, stored exactly as signed (``document``).

    ``idempotency_key`` makes re-submitted work (a CSV row, an API retry) issue nothing twice.
    The recipient's e-mail is kept for notification and the issuer's own search; the credential
    itself carries only its salted hash.
    """

    __tablename__ = "credentials"
    __table_args__ = (
        UniqueConstraint("issuer_id", "idempotency_key"),
        Index("ix_credentials_issuer_issued", "issuer_id", "issued_at"),
        Index("ix_credentials_recipient_email", "recipient_email"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"))
    # None for a credential issued through the VC-API: signed as sent, of no achievement here.
    achievement_id: Mapped[str | None] = mapped_column(ForeignKey("achievements.id"), index=True)
    achievement_version: Mapped[int | None]
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batches.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    recipient_name: Mapped[str | None] = mapped_column(String(300))
    recipient_email: Mapped[str | None] = mapped_column(String(320))
    recipient_did: Mapped[str | None] = mapped_column(String(2000))
    state: Mapped[str] = mapped_column(String(16), default="active")
    state_reason: Mapped[str | None] = mapped_column(Text)
    status_list_seq: Mapped[int]
    status_index: Mapped[int]
    issued_at: Mapped[datetime]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    suite: Mapped[str] = mapped_column(String(32))
    # JSON, not JSONB: PostgreSQL keeps the text as signed (JSONB would reorder the keys).
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The recipient's choice, made through their private link: may the public page, its
    # Open Graph tags, the certificate and the embed card show their name? (Hidden unless so.)
    name_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class StatusListRow(Base):
    """One bitstring of an issuer. A credential's index points into the revocation and the
    suspension list with the same ``seq``; ``allocated`` counts the indices handed out."""

    __tablename__ = "status_lists"
    __table_args__ = (UniqueConstraint("issuer_id", "purpose", "seq"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int]
    length: Mapped[int]
    bits: Mapped[bytes]
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime]
    signed: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    signed_at: Mapped[datetime | None]


class StatusIndexRow(Base):
    """An index handed out in list ``seq``; the unique constraint makes allocation race-free."""

    __tablename__ = "status_indices"
    __table_args__ = (UniqueConstraint("issuer_id", "seq", "status_index"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"))
    seq: Mapped[int]
    status_index: Mapped[int]


# --------------------------------------------------------------------------------------------
# Bulk issuance


class BatchRow(Base):
    """One uploaded CSV. ``state``: queued, running, done or failed (``error`` says why).

    ``report`` holds the bad rows found by validation (line and reason, capped); ``issued_rows``
    counts rows that have their credential, ``new_rows`` those whose credential this batch
    created (a re-uploaded file counts its rows as issued but not new). ``updated_at`` moves
    with every finished chunk, so a batch that stops moving can be told from a slow one.
    """

    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    achievement_id: Mapped[str] = mapped_column(ForeignKey("achievements.id"))
    filename: Mapped[str | None] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    total_rows: Mapped[int]
    valid_rows: Mapped[int]
    invalid_rows: Mapped[int]
    issued_rows: Mapped[int] = mapped_column(Integer, default=0)
    new_rows: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[list[Any]]
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class BatchRowRow(Base):
    """One valid CSV row waiting to be issued; ``credential_id`` is set when it is."""

    __tablename__ = "batch_rows"
    __table_args__ = (
        UniqueConstraint("batch_id", "line"),
        # A chunk task reads its rows by (batch, chunk); recovery looks for unissued ones.
        Index("ix_batch_rows_batch_chunk", "batch_id", "chunk"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"))
    line: Mapped[int]
    chunk: Mapped[int]
    idempotency_key: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]]
    credential_id: Mapped[str | None] = mapped_column(String(36))


class StagedUploadRow(Base):
    """A CSV checked in the console and waiting to be started (``web/pages/bulk.py``).

    In the database, not on one web worker's disk, so any worker can start it; ``started_at``
    is set by one conditional UPDATE, so two concurrent starts create one batch.
    """

    __tablename__ = "staged_uploads"

    token: Mapped[str] = mapped_column(String(40), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    achievement_id: Mapped[str] = mapped_column(ForeignKey("achievements.id"))
    filename: Mapped[str] = mapped_column(String(500))
    encoding: Mapped[str | None] = mapped_column(String(16))
    content: Mapped[bytes]
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    batch_id: Mapped[str | None] = mapped_column(String(36))


# --------------------------------------------------------------------------------------------
# Counters of a credential's public life


class CredentialEventRow(Base):
    """How many times one credential was ``claimed`` (the recipient first opened their private
    link; once per credential, by the partial unique index), ``shared`` (a share link of the
    public page was followed; ``channel`` says which) or ``verified`` (this server's verifier
    checked its proof) on one day: one row per (credential, kind, channel, day), counted up
    in place, so the table grows with days of activity, not with requests. ``first_at`` is
    the first time that day.

    Deliberately no IP address, user agent or anything else about the person.
    """

    __tablename__ = "credential_events"
    __table_args__ = (
        Index("ix_credential_events_issuer_kind_day", "issuer_id", "kind", "day"),
        Index(
            "uq_credential_events_claimed",
            "credential_id",
            unique=True,
            sqlite_where=text("kind = 'claimed'"),
            postgresql_where=text("kind = 'claimed'"),
        ),
    )

    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" for none
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"))
    achievement_id: Mapped[str] = mapped_column(ForeignKey("achievements.id"))
    count: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime]


# --------------------------------------------------------------------------------------------
# Notifications and audit


class NotificationRow(Base):
    """One e-mail per credential (the unique constraint is the "never twice" guarantee).

    ``state``: pending -> sending -> sent, or back to pending after a temporary failure, or
    failed. ``changed_at`` is when the state last changed; the sweep finds lost work by it.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_state_changed", "state", "changed_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), unique=True)
    recipient: Mapped[str] = mapped_column(String(320))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    changed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class AuditEventRow(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_issuer_at", "issuer_id", "at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    issuer_id: Mapped[str | None] = mapped_column(ForeignKey("issuers.id"))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(2000))
    details: Mapped[dict[str, Any]]
    at: Mapped[datetime]


# --------------------------------------------------------------------------------------------
# Transparency log (issue 5): leaves, the frontier of perfect subtrees, signed checkpoints


class LogLeafRow(Base):
    __tablename__ = "log_leaves"

    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf_hash: Mapped[bytes]
    entry: Mapped[bytes]
    credential_id: Mapped[str | None] = mapped_column(String(36), index=True)
    at: Mapped[datetime]


class LogNodeRow(Base):
    """Roots of perfect subtrees (level, index), kept so proofs never rehash the whole tree."""

    __tablename__ = "log_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes]


class LogCheckpointRow(Base):
    __tablename__ = "log_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes]
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    anchor: Mapped[dict[str, Any] | None]


# --------------------------------------------------------------------------------------------
# Learners (migration 0003, microcred.learners): people who collect credentials from any issuer.
# Not issuer-owned: a learner's rows are keyed by ``learner_id`` and only the learner reads them.


class LearnerRow(Base):
    """A learner account. Personal data lives here and in the rows that point here, so
    deleting the account is deleting these rows; issued credentials are the issuers' records
    and stay as signed (see docs/design/learners.md)."""

    __tablename__ = "learners"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(300))
    # The public profile's address (/learners/<slug>); None until the learner makes one.
    profile_slug: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The learner's own did:key for presentations, its private key sealed like issuer keys.
    did: Mapped[str | None] = mapped_column(String(200))
    did_key_sealed: Mapped[bytes | None]
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class LearnerEmailRow(Base):
    """A verified e-mail address of a learner: a row exists only once the address is proven
    (its link was followed), so credentials issued to it are the learner's."""

    __tablename__ = "learner_emails"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)  # normalize_email()
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), index=True)
    verified_at: Mapped[datetime]


# Learner sign-in tokens and sessions: microcred.learners (migration 0003). Tokens are kept as
# SHA-256 digests only; rows past ``expires_at`` are deleted as new ones are made.


class LearnerTokenRow(Base):
    """A link sent by e-mail: ``sign_in`` (to ``email``, account made on first use) or
    ``add_email`` (``email`` becomes one of ``learner_id``'s addresses). Single use."""

    __tablename__ = "learner_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(320))
    learner_id: Mapped[str | None] = mapped_column(ForeignKey("learners.id"), index=True)
    next_path: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class LearnerSessionRow(Base):
    """A signed-in browser: the cookie holds the token, this row its digest."""

    __tablename__ = "learner_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LearnerRateRow(Base):
    """One fixed-window counter (sign-in links per address or per client, per hour), in the
    database so every worker counts against the same limit. ``key`` holds digests only."""

    __tablename__ = "learner_rate_limits"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    count: Mapped[int]
    window_ends_at: Mapped[datetime] = mapped_column(index=True)


class LearnerPasskeyRow(Base):
    """A passkey (WebAuthn credential) a signed-in learner registered: its public key, never a
    secret. ``credential_id`` is the authenticator's id, base64url."""

    __tablename__ = "learner_passkeys"

    credential_id: Mapped[str] = mapped_column(String(1400), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), index=True)
    public_key: Mapped[bytes]
    sign_count: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]


class LearnerChallengeRow(Base):
    """A WebAuthn challenge handed out (its SHA-256): single use, a few minutes long."""

    __tablename__ = "learner_challenges"

    challenge_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    learner_id: Mapped[str | None] = mapped_column(ForeignKey("learners.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


# --------------------------------------------------------------------------------------------
# Wallet (migration 0004, microcred.wallet): what a learner holds, collects and shows.
# Credentials this server issued to a learner's verified address are not copied here: the
# wallet joins ``credentials.recipient_email`` to ``learner_emails`` (see docs/design/wallet.md).


class WalletClaimRow(Base):
    """One of our credentials the learner claimed through its recipient's private link."""

    __tablename__ = "wallet_claims"

    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), primary_key=True)
    claimed_at: Mapped[datetime]


class WalletItemRow(Base):
    """A credential the learner imported (file, URL, an app through the OB 3.0 API), kept as
    received with the verifier's explained result. A CLR's parts point at it by ``parent_id``."""

    __tablename__ = "wallet_items"
    __table_args__ = (
        UniqueConstraint("learner_id", "digest"),
        Index("ix_wallet_items_learner_added", "learner_id", "added_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("wallet_items.id"), index=True)
    source: Mapped[str] = mapped_column(String(300))
    format: Mapped[str | None] = mapped_column(String(100))
    # SHA-256 (hex) of the credential as issued: the same credential twice is a duplicate.
    digest: Mapped[str] = mapped_column(String(64))
    # The credential's own id, when it has one (our own credentials are recognised by it).
    credential_key: Mapped[str | None] = mapped_column(String(2000))
    # The credential as issued: JSON text or a compact JWS; None for a picture we could not open.
    document: Mapped[str | None] = mapped_column(Text)
    original: Mapped[bytes | None]  # the uploaded picture, when the input was one
    name: Mapped[str | None] = mapped_column(String(500))
    issuer_name: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16))
    valid_until: Mapped[datetime | None]
    verification: Mapped[dict[str, Any]] = mapped_column(JSON)
    added_at: Mapped[datetime]
    checked_at: Mapped[datetime]


class WalletShareRow(Base):
    """A held credential the learner made public (private by default: no row, not shown).
    ``ref`` is a credential id (``kind`` ``ours``) or a wallet item id (``imported``)."""

    __tablename__ = "wallet_shares"

    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    ref: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    shared_at: Mapped[datetime]


class WalletCollectionRow(Base):
    """A named group of held credentials (a learner's "Data skills", say), private or public."""

    __tablename__ = "wallet_collections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class WalletCollectionEntryRow(Base):
    """One held credential in a collection (``ref`` and ``kind`` as in :class:`WalletShareRow`)."""

    __tablename__ = "wallet_collection_entries"

    collection_id: Mapped[str] = mapped_column(
        ForeignKey("wallet_collections.id"), primary_key=True
    )
    ref: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime]


class WalletNoticeRow(Base):
    """What re-verification found and the learner has to hear: a held credential revoked,
    suspended or about to expire. One row per (credential, what): the job is idempotent, and
    the learner is told once. ``mailed_at`` is set by the job that sent the e-mail."""

    __tablename__ = "wallet_notices"
    __table_args__ = (UniqueConstraint("learner_id", "ref", "what"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), index=True)
    ref: Mapped[str] = mapped_column(String(36))
    what: Mapped[str] = mapped_column(String(16))  # revoked, suspended, expiring, expired
    name: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    mailed_at: Mapped[datetime | None]
    dismissed_at: Mapped[datetime | None]


# --------------------------------------------------------------------------------------------
# OAuth 2.0 for the Open Badges 3.0 API (migration 0005, microcred.obapi).
# Client secrets, codes and tokens are kept as SHA-256 digests only (hex), never in the clear.


class OAuthClientRow(Base):
    """A client registered through dynamic client registration (RFC 7591)."""

    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    client_name: Mapped[str] = mapped_column(String(300))
    redirect_uris: Mapped[list[Any]]
    scope: Mapped[str] = mapped_column(Text)  # space-separated, as registered
    grant_types: Mapped[list[Any]]
    # Everything the client registered (client_uri, logo_uri, tos_uri, ...), as answered.
    client_metadata: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class OAuthCodeRow(Base):
    """An authorization code a learner's approval made: single use, ten minutes, bound to its
    client, redirect URI and PKCE challenge. ``grant_id`` names the tokens it leads to."""

    __tablename__ = "oauth_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[str] = mapped_column(String(36), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"), index=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), index=True)
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class OAuthTokenRow(Base):
    """An access token and its refresh token, as one token response gave them. Refreshing
    rotates: the row is marked ``rotated_at`` and a new row of the same grant is added."""

    __tablename__ = "oauth_tokens"

    access_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    grant_id: Mapped[str] = mapped_column(String(36), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"), index=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), index=True)
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime]
    access_expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime | None]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


# --------------------------------------------------------------------------------------------
# OpenID for Verifiable Credential Issuance (migration 0006, microcred.oid4vci).
# Codes and tokens are kept as SHA-256 digests only; rows past ``expires_at`` are deleted.


class Oid4vciOfferRow(Base):
    """A credential offer's pre-authorized code: single use, short-lived, for one credential."""

    __tablename__ = "oid4vci_offers"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class Oid4vciTokenRow(Base):
    """An access token a pre-authorized code was exchanged for; spent by one credential."""

    __tablename__ = "oid4vci_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    spent_at: Mapped[datetime | None]


class Oid4vciUsedNonceRow(Base):
    """A ``c_nonce`` a key proof has used (nonces are signed, not stored, until then)."""

    __tablename__ = "oid4vci_used_nonces"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Oid4vciCopyRow(Base):
    """A credential re-issued to a wallet's key (``copy_id``), and the one it copies."""

    __tablename__ = "oid4vci_copies"

    copy_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), primary_key=True)
    original_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    holder_did: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime]


# ---- europass ----------------------------------------------------------------------------------


class EuropassLegalIdentifierRow(Base):
    """An issuer's legal (eIDAS) identifier: a European Digital Credential's issuer must carry
    one, and an Open Badges profile has no field for it."""

    __tablename__ = "europass_legal_identifiers"

    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), primary_key=True)
    notation: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


# --------------------------------------------------------------------------------------------
# Pathways and micro-degrees (migration 0008, microcred.pathways).


class PathwayRow(Base):
    """A stackable pathway: its requirement tree (``definition``, as checked on save), the
    owning issuer who awards the micro-degree, and the micro-degree's achievement. ``state``:
    ``pending`` until every co-issuer approved, then ``active``; ``archived`` awards no more
    (``archived_from``: the state it goes back to). ``version`` is the live definition's; a
    change its co-issuers have not all approved yet waits as ``proposed_version``."""

    __tablename__ = "pathways"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    achievement_id: Mapped[str] = mapped_column(ForeignKey("achievements.id"))
    name: Mapped[str] = mapped_column(String(300))
    definition: Mapped[dict[str, Any]]
    policy: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    proposed_version: Mapped[int | None] = mapped_column(Integer)
    archived_from: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PathwayVersionRow(Base):
    """Every definition a pathway has had or has been proposed to have, by version: progress
    and awards name the version they were judged against."""

    __tablename__ = "pathway_versions"

    pathway_id: Mapped[str] = mapped_column(ForeignKey("pathways.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class PathwayIssuerRow(Base):
    """An issuer taking part in a pathway (the owner too); ``approved_at`` once it agreed, to
    the definition ``approved_version``."""

    __tablename__ = "pathway_issuers"

    pathway_id: Mapped[str] = mapped_column(ForeignKey("pathways.id"), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), primary_key=True, index=True)
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_version: Mapped[int | None] = mapped_column(Integer)


class PathwayAwardRow(Base):
    """One learner's micro-degree for one pathway. The unique (pathway, learner) pair is what
    makes the award happen once however many events race; ``credential_id`` is set when the
    credential is issued, ``clr`` holds the signed ClrCredential of its parts, ``failing``
    the part references whose revocation or suspension holds it back."""

    __tablename__ = "pathway_awards"
    __table_args__ = (UniqueConstraint("pathway_id", "learner_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pathway_id: Mapped[str] = mapped_column(ForeignKey("pathways.id"))
    learner_key: Mapped[str] = mapped_column(String(400))
    email: Mapped[str] = mapped_column(String(320))
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"), unique=True)
    clr: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    failing: Mapped[list[Any]]
    version: Mapped[int | None] = mapped_column(Integer)
    """The pathway's definition version the learner was judged complete against."""
    created_at: Mapped[datetime]


class PathwayAwardPartRow(Base):
    """A credential an award counted (ours by credential id, imports by wallet item id)."""

    __tablename__ = "pathway_award_parts"

    award_id: Mapped[str] = mapped_column(ForeignKey("pathway_awards.id"), primary_key=True)
    part_ref: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(2000))
    name: Mapped[str | None] = mapped_column(String(500))
    digest: Mapped[str] = mapped_column(String(100))


class PathwayEndorsementRow(Base):
    """An issuer's OB 3.0 EndorsementCredential of a pathway, as signed; withdrawn by its
    revocation bit (``status_list_seq``, ``status_index``), ``withdrawn_at`` set then."""

    __tablename__ = "pathway_endorsements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pathway_id: Mapped[str] = mapped_column(ForeignKey("pathways.id"), index=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    status_list_seq: Mapped[int] = mapped_column(Integer)
    status_index: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]


# --------------------------------------------------------------------------------------------
# Skills and careers (migration 0009, microcred.skills and microcred.careers): the O*NET and
# ESCO taxonomies (occupations, skills, their weighted links) and what the planner needs to know
# about an achievement that the Open Badges definition does not carry (price, duration).


class SkillOccupationRow(Base):
    """An occupation: ``onet:<O*NET-SOC code>`` or an ESCO concept URI."""

    __tablename__ = "skill_occupations"

    id: Mapped[str] = mapped_column(String(300), primary_key=True)
    framework: Mapped[str] = mapped_column(String(10), index=True)
    code: Mapped[str] = mapped_column(String(300), index=True)
    title: Mapped[str] = mapped_column(String(500))
    alt_titles: Mapped[str] = mapped_column(Text)  # one per line
    description: Mapped[str] = mapped_column(Text)
    job_zone: Mapped[int | None]


class SkillRow(Base):
    """A skill: ``onet:<normalised name>`` (an O*NET technology skill) or an ESCO concept URI."""

    __tablename__ = "skills"

    id: Mapped[str] = mapped_column(String(300), primary_key=True)
    framework: Mapped[str] = mapped_column(String(10), index=True)
    name: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(300))
    alt_names: Mapped[str] = mapped_column(Text)  # one per line


class SkillLinkRow(Base):
    """An occupation's skill, with the signals that weigh it in a gap."""

    __tablename__ = "skill_links"

    occupation_id: Mapped[str] = mapped_column(ForeignKey("skill_occupations.id"), primary_key=True)
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.id"), primary_key=True, index=True)
    hot: Mapped[bool] = mapped_column(Boolean, default=False)
    in_demand: Mapped[bool] = mapped_column(Boolean, default=False)
    essential: Mapped[bool] = mapped_column(Boolean, default=False)


class CareerOfferRow(Base):
    """What taking an achievement costs, for the planner's cheapest and fastest paths.
    ``price_minor`` is in the currency's minor unit (cents)."""

    __tablename__ = "career_offers"

    achievement_id: Mapped[str] = mapped_column(ForeignKey("achievements.id"), primary_key=True)
    price_minor: Mapped[int | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    duration_days: Mapped[int | None]
    updated_at: Mapped[datetime]


class EmployerRow(Base):
    """An organisation that searches learners who opted in; its API token is kept as SHA-256."""

    __tablename__ = "employers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    domain: Mapped[str | None] = mapped_column(String(253), default=None)
    """Where the employer verifies presentations (their proofs' ``domain``); None: its urn:uuid."""


class SkillShareRow(Base):
    """A credential the learner lets employers find, one row per skill it shows (deleted when
    the learner withdraws it). ``ref``: a credential id (``ours``) or wallet item id."""

    __tablename__ = "skill_shares"

    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    ref: Mapped[str] = mapped_column(String(36), primary_key=True)
    skill_id: Mapped[str] = mapped_column(String(300), primary_key=True, index=True)
    shared_at: Mapped[datetime]


class SkillLearnerRow(Base):
    """One row per learner and skill that some credential she shared shows: what the
    employers' search ranks by, so a search reads one row per learner and skill instead of
    de-duplicating shares. Kept beside ``skill_shares`` by the careers repository in the same
    transaction (share, withdraw, the learner's deletion). ``credentials``: how many shared
    credentials show the skill."""

    __tablename__ = "skill_learners"
    __table_args__ = (Index("ix_skill_learners_learner_skill", "learner_id", "skill_id"),)

    skill_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), primary_key=True)
    credentials: Mapped[int]


class SkillLearnerCountRow(Base):
    """How many learners show each skill in ``skill_learners``: the search reads the rarest
    searched skills first. Only an ordering hint: no answer depends on it being exact."""

    __tablename__ = "skill_learner_counts"

    skill_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    learners: Mapped[int]


class SkillIndexHeadRow(Base):
    """The number of the last change to ``skill_learners`` (one row). Every transaction that
    changes it raises ``seq`` by one and keeps the row locked until it commits, so changes
    commit in ``seq`` order with no gap: a process that read ``seq`` knows every change up to
    it is in ``skill_index_log``. ``epoch``: drawn anew by a bulk rebuild (no log then)."""

    __tablename__ = "skill_index_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)


class SkillIndexLogRow(Base):
    """Whose rows of ``skill_learners`` change ``seq`` changed: the in-process search index
    reads these learners' rows again (careers/skill_index.py). Old entries are pruned; a
    process further behind builds its index again."""

    __tablename__ = "skill_index_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    learner_id: Mapped[str] = mapped_column(String(36))


class EmployerSearchRow(Base):
    """A search an employer made (rate limits count these; learners see those that found
    them through ``employer_hits``)."""

    __tablename__ = "employer_searches"
    __table_args__ = (Index("ix_employer_searches_employer_at", "employer_id", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    employer_id: Mapped[str] = mapped_column(ForeignKey("employers.id"))
    query: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime]


class EmployerHitRow(Base):
    """A learner a search found (what the learner's log of who looked shows)."""

    __tablename__ = "employer_hits"

    search_id: Mapped[str] = mapped_column(ForeignKey("employer_searches.id"), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), primary_key=True, index=True)


class EmployerStaffRow(Base):
    """A person at an employer with a token of their own (kept as SHA-256): what they do is
    theirs, and revoking it ends their console sessions without touching anyone else's."""

    __tablename__ = "employer_staff"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    employer_id: Mapped[str] = mapped_column(ForeignKey("employers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class EmployerSessionRow(Base):
    """A sign-in to the employers' console, so signing out ends it on the server (a copied
    cookie stops working too). The cookie carries the id; only its SHA-256 is kept."""

    __tablename__ = "employer_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    employer_id: Mapped[str] = mapped_column(ForeignKey("employers.id"), index=True)
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("employer_staff.id"), default=None)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class EmployerHandleRow(Base):
    """A learner an employer's search found, under the handle that employer sees (how a
    contact request names the learner: only learners found can be asked)."""

    __tablename__ = "employer_handles"

    employer_id: Mapped[str] = mapped_column(ForeignKey("employers.id"), primary_key=True)
    handle: Mapped[str] = mapped_column(String(40), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), index=True)
    found_at: Mapped[datetime]


class ContactRequestRow(Base):
    """An employer asks to contact a learner it found; the learner accepts (and chooses the
    address given) or declines. One request per employer and learner."""

    __tablename__ = "employer_contact_requests"
    __table_args__ = (UniqueConstraint("employer_id", "learner_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    employer_id: Mapped[str] = mapped_column(ForeignKey("employers.id"), index=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id"), index=True)
    handle: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    """pending, accepted or declined"""
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    contact_email: Mapped[str | None] = mapped_column(String(320), default=None)
    contact_name: Mapped[str | None] = mapped_column(String(200), default=None)
    asked_by: Mapped[str | None] = mapped_column(String(200), default=None)
    """The staff member's name (None: the organisation's own token)."""


# --- instance settings (issue 20, defect 4: the public URL is kept with the data) -----------------


class InstanceSettingRow(Base):
    """A setting that belongs to the data rather than to one process's configuration: the public
    URL every stored name (DIDs, credential ids, the log's origin) is built on."""

    __tablename__ = "instance_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


# --------------------------------------------------------------------------------------------
# Webhooks out (migration 0010, microcred.webhooks): an issuer's subscriptions, each message
# to each subscription (one row, retried in place) and every attempt at it. The signing
# secret must be recovered to sign, so it is sealed like a key (bound to the subscription id).


class WebhookSubscriptionRow(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[Any]]
    description: Mapped[str | None] = mapped_column(String(300))
    sealed_secret: Mapped[bytes]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Failed attempts in a row (any delivery); a success sets it back to 0.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookDeliveryRow(Base):
    """One message to one subscription. ``state``: pending -> delivered, or failed after the
    last attempt, or cancelled (its subscription was disabled or deleted)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_state_next", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_subscription_created", "subscription_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class WebhookAttemptRow(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    at: Mapped[datetime]
    status: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int]


class WebhookExpiryRow(Base):
    """A credential whose ``credential.expired`` event was emitted (expiry is not a stored
    state, so the sweep needs to know which it has told about already)."""

    __tablename__ = "webhook_expiries"

    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), primary_key=True)
    at: Mapped[datetime]


# --------------------------------------------------------------------------------------------
# Learning platforms (migration 0010, microcred.lms): award rules, the learning records that
# feed them (xAPI statements, LTI launches), each learner's progress per activity, and the
# awards made. LRS key secrets are kept as SHA-256 digests only. Activity ids can be long
# IRIs, so rows are keyed by their SHA-256 (``activity_key``) and keep the id beside it.


class LmsRuleRow(Base):
    """``kind``: completed (one activity), score (one activity, ``min_score`` scaled 0-1),
    modules (every activity completed), launched (one activity, an LTI launch)."""

    __tablename__ = "lms_rules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    achievement_id: Mapped[str] = mapped_column(ForeignKey("achievements.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    activities: Mapped[list[Any]]
    min_score: Mapped[float | None]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class LrsKeyRow(Base):
    """An issuer's key for sending xAPI statements (HTTP Basic: ``key`` and a secret)."""

    __tablename__ = "lms_lrs_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(40), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LmsStatementRow(Base):
    """An xAPI statement as received (with the ``stored`` and ``authority`` we set)."""

    __tablename__ = "lms_statements"

    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    lrs_key_id: Mapped[str] = mapped_column(ForeignKey("lms_lrs_keys.id"), index=True)
    version: Mapped[str] = mapped_column(String(16))
    learner: Mapped[str | None] = mapped_column(String(320))
    verb: Mapped[str] = mapped_column(String(2000))
    activity_id: Mapped[str | None] = mapped_column(String(2000))
    statement: Mapped[dict[str, Any]] = mapped_column(JSON)
    stored_at: Mapped[datetime]


class LmsLearnerRow(Base):
    """A learner (normalised e-mail address) seen by an issuer's rules: the row each
    evaluation locks, so two events of one learner are judged one after the other."""

    __tablename__ = "lms_learners"

    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), primary_key=True)
    learner: Mapped[str] = mapped_column(String(320), primary_key=True)
    first_seen_at: Mapped[datetime]


class LmsProgressRow(Base):
    """What a learner did in one activity: completed or not, the best scaled score, and the
    event that first completed it (or set the best score)."""

    __tablename__ = "lms_progress"

    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), primary_key=True)
    learner: Mapped[str] = mapped_column(String(320), primary_key=True)
    activity_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    activity_id: Mapped[str] = mapped_column(String(2000))
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    launched: Mapped[bool] = mapped_column(Boolean, default=False)
    best_score: Mapped[float | None]
    event_id: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]


class LmsAwardRow(Base):
    """A rule met by a learner: once per rule and learner (the unique constraint), whichever
    events arrive twice or race. ``credential_id`` is set once the award job has issued."""

    __tablename__ = "lms_awards"
    __table_args__ = (UniqueConstraint("rule_id", "learner"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    rule_id: Mapped[str] = mapped_column(ForeignKey("lms_rules.id"))
    learner: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(200))
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    awarded_at: Mapped[datetime | None]


# LTI 1.3 (migration 0010, microcred.lms.lti): platforms registered per issuer, the tool's
# keys (private halves sealed like issuer keys), login states and used nonces (single use),
# and the launches accepted.


class LtiPlatformRow(Base):
    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("platform_issuer", "client_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    platform_issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[list[Any]]
    auth_url: Mapped[str] = mapped_column(String(2000))
    token_url: Mapped[str] = mapped_column(String(2000))
    jwks_url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime]


class LtiToolKeyRow(Base):
    __tablename__ = "lti_tool_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_jwk: Mapped[dict[str, Any]]
    sealed_private: Mapped[bytes]
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class LtiStateRow(Base):
    """A login in progress: its state (digest) and the nonce the id_token must carry."""

    __tablename__ = "lti_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("lti_platforms.id"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    target_link_uri: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LtiNonceRow(Base):
    __tablename__ = "lti_used_nonces"

    platform_id: Mapped[str] = mapped_column(ForeignKey("lti_platforms.id"), primary_key=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LtiLaunchRow(Base):
    __tablename__ = "lti_launches"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("lti_platforms.id"), index=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(300))
    deployment_id: Mapped[str] = mapped_column(String(255))
    message_type: Mapped[str] = mapped_column(String(64))
    resource_link_id: Mapped[str | None] = mapped_column(String(255))
    context_id: Mapped[str | None] = mapped_column(String(255))
    activity_id: Mapped[str | None] = mapped_column(String(2000))
    at: Mapped[datetime]


# --------------------------------------------------------------------------------------------
# Operations: job failures counted across every worker process (for /metrics)


class JobFailureRow(Base):
    """Failed job attempts per task, counted by whichever worker process saw them, so one
    scrape of any web process reports the whole platform's (process counters cannot)."""

    __tablename__ = "job_failures"

    task: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime]


class LtiLineItemRow(Base):
    """An Assignment and Grade Services line item a launch named (``lineitem`` of the AGS
    endpoint claim): its results are read on a schedule and judged as scores."""

    __tablename__ = "lti_line_items"
    __table_args__ = (UniqueConstraint("platform_id", "url_hash"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("lti_platforms.id"), index=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    url_hash: Mapped[str] = mapped_column(String(64))
    activity_id: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime]
    pulled_at: Mapped[datetime | None]


class LtiRegistrationRow(Base):
    """A dynamic registration link an issuer's owner made: single use, short-lived; only its
    SHA-256 is kept. The platform that opens it is registered for that issuer."""

    __tablename__ = "lti_registrations"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    platform_id: Mapped[str | None] = mapped_column(ForeignKey("lti_platforms.id"))


class LtiContextRow(Base):
    """A course a launch came from, with its Names and Role Provisioning memberships URL
    when the platform offered one (the roster an issuer can award to at once)."""

    __tablename__ = "lti_contexts"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("lti_platforms.id"), index=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(300))
    memberships_url: Mapped[str | None] = mapped_column(String(2000))
    updated_at: Mapped[datetime]


# --- staff sessions and sign-in limits (issue 20, defect 7) ---------------------------------------


class StaffSessionRow(Base):
    """A console session, so signing out ends it on the server. The cookie carries the id; only
    its SHA-256 is kept."""

    __tablename__ = "staff_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SignInLimitRow(Base):
    """Failed console sign-ins in a window, per client address and per (account, client); keys
    are digests, never addresses."""

    __tablename__ = "sign_in_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    window_ends_at: Mapped[datetime] = mapped_column(index=True)


# --- endorsements of achievements, issuers and pathways (issue 15; migration 0016b) ---------------


class EndorsementRow(Base):
    """An OB 3.0 EndorsementCredential of an achievement, an issuer or a pathway (``subject_type``,
    ``subject_id``): signed here by one of our issuers (``endorser_issuer_id``, withdrawn by its
    revocation bit), or signed elsewhere by ``endorser`` (a DID) and submitted by the endorsed
    issuer, verified on the way in; ``state`` is the last check's verdict (``verified``,
    ``withdrawn``, ``not_verified``) at ``checked_at``."""

    __tablename__ = "endorsements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(36), index=True)
    endorsed_issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    endorser_issuer_id: Mapped[str | None] = mapped_column(ForeignKey("issuers.id"), index=True)
    endorser: Mapped[str] = mapped_column(String(2000))
    endorser_name: Mapped[str] = mapped_column(String(500))
    comment: Mapped[str | None] = mapped_column(Text)
    status_list_seq: Mapped[int | None] = mapped_column(Integer)
    status_index: Mapped[int | None] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime]
    created_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]


# --- issuer mail settings and expiry reminders (issue 19) -----------------------------------


class IssuerMailSettingsRow(Base):
    """How an issuer's e-mails name their sender. The envelope and From address stay the
    server's (SPF and DKIM hold); only the display name and the Reply-To are the issuer's."""

    __tablename__ = "issuer_mail_settings"

    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), primary_key=True)
    sender_name: Mapped[str | None] = mapped_column(String(200))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[datetime]


class IssuerMailTemplateRow(Base):
    """An issuer's own wording of the credential e-mail in one language (Jinja2, sandboxed)."""

    __tablename__ = "issuer_mail_templates"

    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class AchievementRenewalRow(Base):
    """Where a recipient renews a credential of this achievement (told in expiry reminders)."""

    __tablename__ = "achievement_renewals"

    achievement_id: Mapped[str] = mapped_column(ForeignKey("achievements.id"), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))


class ExpiryReminderRow(Base):
    """One reminder per credential: the primary key is the "once" guarantee."""

    __tablename__ = "expiry_reminders"

    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), primary_key=True)
    sent_at: Mapped[datetime]


# --- LRS pull (migration 0018, microcred.lms.lrs_pull): existing LRSs an issuer reads xAPI
# statements from on a schedule. Credentials are sealed (bound to the source's id); ``since``
# is the LRS's own ``stored`` time of the last statement of the last page stored.


class LrsSourceRow(Base):
    """An LRS to pull statements from; what it yields is stored under ``key_id``, a key of
    its own whose secret nobody holds (so the statements name where they came from)."""

    __tablename__ = "lms_lrs_sources"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"), index=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("lms_lrs_keys.id"))
    name: Mapped[str] = mapped_column(String(200))
    endpoint: Mapped[str] = mapped_column(String(2000))
    version: Mapped[str] = mapped_column(String(16))
    sealed_credentials: Mapped[bytes]
    since: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    last_pulled_at: Mapped[datetime | None]
    last_stored: Mapped[int] = mapped_column(Integer, default=0)
    last_refused: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


# --- change stamps (migration 0019, microcred.store.stamps): one stamp per table, drawn anew in
# the transaction that writes the table, so every process can tell whether what it cached from
# that table is still current with one small read.


class ChangeStampRow(Base):
    """A random stamp of the last committed write to the table ``name`` (a table not written
    since the migration has no row: read as 0)."""

    __tablename__ = "change_stamps"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
