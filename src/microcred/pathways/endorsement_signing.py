"""What every endorsement this server signs shares, whatever it endorses (a pathway, an
achievement, an issuer): the comment's bound, the OB 3.0 ``EndorsementCredential`` signed by the
endorser's key with an entry on its revocation list, and the withdrawal (that entry's bit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from microcred.crypto.statuslist import status_entry
from microcred.errors import ConflictError, InputError
from microcred.model import OB_V3_CONTEXT, VC_V2_CONTEXT, parse_credential
from microcred.signing import sign_credential
from microcred.status.allocation import allocate_indices
from microcred.store.tables import IssuerRow
from microcred.types import JsonObject
from microcred.urls import PublicUrls

if TYPE_CHECKING:
    from microcred.issuers.service import IssuerService
    from microcred.status.lifecycle import LifecycleService

MAX_COMMENT = 2000
CONTEXTS = [VC_V2_CONTEXT, OB_V3_CONTEXT]


def checked_comment(comment: str | None) -> str | None:
    """The endorsement's comment, trimmed; None for none; too long is the caller's error."""
    text = (comment or "").strip() or None
    if text is not None and len(text) > MAX_COMMENT:
        raise InputError(
            "the endorsement's comment is too long",
            expected=f"at most {MAX_COMMENT} characters",
            found=str(len(text)),
        )
    return text


@dataclass(frozen=True)
class SignedEndorsement:
    document: JsonObject
    status_list_seq: int
    status_index: int


def sign_endorsement(
    session: Session,
    *,
    issuers: IssuerService,
    urls: PublicUrls,
    endorser: IssuerRow,
    endorsement_url: str,
    subject_url: str,
    subject_name: str,
    comment: str | None,
    now: datetime,
    status_list_length: int,
) -> SignedEndorsement:
    """Allocate the endorsement's index on the endorser's revocation list and sign it, in the
    caller's transaction (the row that keeps it is the caller's)."""
    ((seq, index),) = allocate_indices(session, endorser.id, 1, length=status_list_length, now=now)
    subject: JsonObject = {"id": subject_url, "type": ["EndorsementSubject"]}
    if comment is not None:
        subject["endorsementComment"] = comment
    unsigned: JsonObject = {
        "@context": CONTEXTS,
        "id": endorsement_url,
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": f"{endorser.name} endorses {subject_name}"[:500],
        "issuer": issuers.profile(endorser),
        "validFrom": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": subject,
        "credentialStatus": [
            status_entry(
                list_url=urls.status_list(endorser.slug, "revocation", seq),
                index=index,
                purpose="revocation",
            )
        ],
    }
    parse_credential(unsigned)  # the model's checks, as for every credential we sign
    signed = sign_credential(unsigned, issuers.signing_key(session, endorser.id), created=now)
    assert isinstance(signed, dict)
    return SignedEndorsement(signed, seq, index)


def withdraw_endorsement(
    session: Session,
    lifecycle: Callable[[], LifecycleService],
    *,
    issuer_id: str,
    status_list_seq: int,
    status_index: int,
    withdrawn_at: datetime | None,
    now: datetime,
) -> None:
    """Set the endorsement's revocation bit; withdrawing twice is a conflict."""
    if withdrawn_at is not None:
        raise ConflictError(
            "the endorsement was withdrawn already", expected="a standing endorsement"
        )
    lifecycle().set_status_bit(
        session,
        issuer_id=issuer_id,
        seq=status_list_seq,
        index=status_index,
        purpose="revocation",
        value=True,
        now=now,
    )


__all__ = [
    "CONTEXTS",
    "MAX_COMMENT",
    "SignedEndorsement",
    "checked_comment",
    "sign_endorsement",
    "withdraw_endorsement",
]
