"""The learner's wallet: our credentials issued to their verified addresses or claimed through
the recipient's link (read where they are, never copied), and credentials they imported, each
verified on the way in with the verifier's explained result kept beside it."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from sqlalchemy.orm import Session, sessionmaker

from microcred.crypto import jose
from microcred.crypto.baking import unbake
from microcred.crypto.did import Fetcher, no_network
from microcred.errors import ConflictError, InputError, MicrocredError, NotFoundError, short
from microcred.issuing.recipients import RecipientService
from microcred.status.expiry import effective_state, is_expired
from microcred.store.db import transaction
from microcred.store.tables import CredentialRow, WalletItemRow
from microcred.types import JsonObject
from microcred.urls import PublicUrls
from microcred.verification.service import VerificationService
from microcred.verify import messages as m
from microcred.verify.result import Status, VerificationResult
from microcred.wallet.notice_repository import NoticeRepository
from microcred.wallet.repository import WalletRepository
from microcred.wallet.states import credential_name, state_of

MAX_IMPORT_BYTES = 5 * 1024 * 1024
"""The largest file or fetched document the wallet reads (a baked badge is far smaller)."""
MAX_PARTS = 1000
"""The most credentials a CLR may bring in at once."""

HeldDocument = JsonObject | str


@dataclass(frozen=True)
class WalletItem:
    """One held credential. ``kind``: ``ours`` (issued here) or ``imported``; ``document``:
    the credential as issued (JSON object or compact JWS), None for an unreadable picture."""

    id: str
    kind: str
    document: HeldDocument | None
    format: str | None
    name: str | None
    issuer_name: str | None
    state: str
    valid_until: datetime | None
    source: str
    verification: JsonObject | None
    parent_id: str | None = None
    added_at: datetime | None = None
    """When it came into the wallet (ours: when it was issued)."""
    image: str | None = None
    """The badge image: our own image URL, or an imported credential's ``data:`` image (an
    imported credential's remote image is not loaded: it would tell its server who looks)."""


class WalletService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime],
        urls: PublicUrls,
        verification: VerificationService,
        recipients: RecipientService,
        fetcher: Fetcher = no_network,
        on_added: Callable[[str], None] | None = None,
    ) -> None:
        """``fetcher``: other servers' keys and status lists while verifying an import.
        ``on_added``: told the learner's id after an import or a claim committed (pathways
        re-evaluate what the learner now holds)."""
        self.sessions = sessions
        self.clock = clock
        self.urls = urls
        self.verification = verification
        self.recipients = recipients
        self.fetcher = fetcher
        self.on_added = on_added

    # ---- holdings --------------------------------------------------------------------------

    def list_credentials(
        self,
        learner_id: str,
        *,
        offset: int = 0,
        limit: int = 50,
        since: datetime | None = None,
    ) -> tuple[list[WalletItem], int]:
        """One page of what the learner holds, newest first, and how many in all (two queries
        for the page and count, one per kind for its rows: no query per credential).
        ``since``: only what was issued or added after that moment (the OB 3.0 API's filter)."""
        with self.sessions() as session:
            repo = WalletRepository(session)
            page, total = repo.holdings_page(
                learner_id, offset=max(offset, 0), limit=limit, since=since
            )
            ours = repo.credentials([ref for kind, ref in page if kind == "ours"])
            items = repo.items([ref for kind, ref in page if kind == "imported"])
            now = self.clock()
            held = [
                self._ours(ours[ref], now) if kind == "ours" else self._imported(items[ref], now)
                for kind, ref in page
            ]
        return held, total

    def holding_states(self, learner_id: str) -> list[tuple[str, str, str]]:
        """(kind, id, state) of every held credential, states as :meth:`list_credentials`
        gives them, without reading a document (for callers that keep documents' facts)."""
        with self.sessions() as session:
            return WalletRepository(session).holding_states(learner_id, self.clock())

    def get(self, learner_id: str, ref: str) -> WalletItem:
        """One held credential, ours or imported; another learner's is not found."""
        with self.sessions() as session:
            repo = WalletRepository(session)
            if repo.holds(learner_id, ref):
                return self._ours(repo.credentials([ref])[ref], self.clock())
            return self._imported(repo.item(learner_id, ref), self.clock())

    def get_many(self, learner_id: str, refs: Sequence[str]) -> dict[str, WalletItem]:
        """The held credentials among ``refs`` (one query per kind); refs the learner no
        longer holds are left out."""
        with self.sessions() as session:
            repo = WalletRepository(session)
            now = self.clock()
            found = {
                ref: self._imported(row, now)
                for ref, row in repo.items(refs).items()
                if row.learner_id == learner_id
            }
            rest = [ref for ref in refs if ref not in found]
            held = set(repo.held_among(learner_id, rest))
            for ref, row in repo.credentials([ref for ref in rest if ref in held]).items():
                found[ref] = self._ours(row, now)
        return found

    def get_many_by_learner(
        self, refs: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, WalletItem]]:
        """:meth:`get_many` for several learners at once (learner -> refs), in one session and
        one query per kind for all of them (the employers' search checks a page this way)."""
        found: dict[str, dict[str, WalletItem]] = {learner: {} for learner in refs}
        with self.sessions() as session:
            repo = WalletRepository(session)
            now = self.clock()
            wanted = {ref: learner for learner, own in refs.items() for ref in own}
            for ref, row in repo.items(list(wanted)).items():
                if row.learner_id == wanted[ref]:
                    found[row.learner_id][ref] = self._imported(row, now)
            held = [
                (learner, ref)
                for learner, own in refs.items()
                for ref in repo.held_among(learner, [r for r in own if r not in found[learner]])
            ]
            rows = repo.credentials(sorted({ref for _learner, ref in held}))
            for learner, ref in held:
                found[learner][ref] = self._ours(rows[ref], now)
        return found

    def timeline(self, learner_id: str, *, limit: int = 200) -> list[WalletItem]:
        """Held credentials that expire, soonest first (expired ones included)."""
        with self.sessions() as session:
            refs = [
                ref
                for _kind, ref, _until in WalletRepository(session).expiring(
                    learner_id, limit=limit
                )
            ]
        held = self.get_many(learner_id, refs)
        return [held[ref] for ref in refs if ref in held]

    def is_claim_only(self, learner_id: str, ref: str) -> bool:
        """True for one of our credentials held only by its claim (so it can be removed)."""
        with self.sessions() as session:
            repo = WalletRepository(session)
            return repo.claimed(learner_id, ref) and not repo.held_by_address(learner_id, ref)

    def remove(self, learner_id: str, ref: str) -> None:
        """Take an imported credential (a CLR with its parts) or a claimed one out of the
        wallet. One issued to the learner's own address stays: it is theirs by the address."""
        with transaction(self.sessions) as session:
            repo = WalletRepository(session)
            if repo.holds(learner_id, ref):
                if not repo.claimed(learner_id, ref) or repo.held_by_address(learner_id, ref):
                    raise ConflictError(
                        "this credential was issued to one of your addresses and stays",
                        expected="an imported or claimed credential",
                        found="issued to your address",
                    )
                repo.remove_claim(learner_id, ref)
                repo.forget_ref(learner_id, ref)
                return
            row = repo.item(learner_id, ref)
            for part in repo.parts(row.id):
                repo.forget_ref(learner_id, part.id)
            repo.forget_ref(learner_id, row.id)
            repo.delete_item(row.id)

    def parts(self, learner_id: str, item_id: str) -> list[WalletItem]:
        """A CLR's imported parts."""
        with self.sessions() as session:
            repo = WalletRepository(session)
            repo.item(learner_id, item_id)
            return [self._imported(row, self.clock()) for row in repo.parts(item_id)]

    # ---- claiming --------------------------------------------------------------------------

    def claim(self, learner_id: str, credential_id: str, token: str) -> bool:
        """Keep one of our credentials the learner opened by its recipient's private link;
        True when it was not in the wallet before (claiming again changes nothing). One held
        by address already is claimed too, so it stays if that address is removed."""
        if not self.recipients.is_recipient(credential_id, token):
            raise NotFoundError("no such credential", found=short(credential_id))
        with transaction(self.sessions) as session:
            repo = WalletRepository(session)
            if repo.claimed(learner_id, credential_id):
                return False
            held = repo.holds(learner_id, credential_id)
            repo.add_claim(learner_id, credential_id, self.clock())
        if self.on_added is not None:
            self.on_added(learner_id)
        return not held

    # ---- import ----------------------------------------------------------------------------

    def import_stream(
        self, learner_id: str, stream: IO[bytes], *, source: str, fetcher: Fetcher | None = None
    ) -> WalletItem:
        """An upload, read up to the limit and refused past it without reading the rest."""
        data = stream.read(MAX_IMPORT_BYTES + 1)
        return self.import_bytes(learner_id, data, source=source, fetcher=fetcher)

    def import_url(
        self,
        learner_id: str,
        url: str,
        *,
        fetch_document: Fetcher,
        fetcher: Fetcher | None = None,
    ) -> WalletItem:
        """A credential at ``url``: read through ``fetch_document`` (the web layer's SSRF-safe
        fetcher, which refuses private addresses with its own error) and imported."""
        local = self.urls.credential_id(url) if self.urls.is_ours(url) else None
        if local is not None:
            with self.sessions() as session:
                row = WalletRepository(session).credentials([local]).get(local)
            if row is None:
                raise NotFoundError("this server has no such credential", found=short(url))
            data = json.dumps(row.document).encode()
        else:
            data = fetch_document(url)
        return self.import_bytes(learner_id, data, source=f"url:{url[:250]}", fetcher=fetcher)

    def import_bytes(
        self, learner_id: str, data: bytes, *, source: str, fetcher: Fetcher | None = None
    ) -> WalletItem:
        """Verify ``data`` and keep it; a CLR brings in each of its parts too, each verified.
        Not a credential, too large or held already: a clear error and nothing stored. From
        an app (``source`` ``obapi:...``) the same credential again is an update, not an
        error, as the Open Badges API's upsert asks. ``fetcher``: other servers' documents
        for this import (the web layer's guarded client), else the service's own."""
        if len(data) > MAX_IMPORT_BYTES:
            raise InputError(
                "the file is too large to import",
                expected=f"at most {MAX_IMPORT_BYTES // (1024 * 1024)} MB",
                found=f"more than {MAX_IMPORT_BYTES} bytes",
            )
        fetcher = fetcher or self.fetcher
        result = self.verification.verify_bytes(data, fetcher=fetcher)
        document = _document_of(data, result)
        if _not_a_credential(result) or document is None:
            check = result.check("parse") or result.check("input")
            raise InputError(
                "this is not a credential the wallet can read",
                expected="Open Badges 3.0 / 2.0, VC-JWT, a baked PNG or SVG, CLR 2.0, Europass",
                found=check.message if check is not None else "no credential",
            )
        _refuse_malformed_edc(result)
        upsert = source.startswith("obapi:")
        now = self.clock()
        parent = self._row(learner_id, data, document, result, source=source, now=now)
        parts = _clr_parts(result.credential)
        if len(parts) > MAX_PARTS:
            raise InputError(
                "the CLR has too many parts", expected=f"at most {MAX_PARTS}", found=str(len(parts))
            )
        part_rows = []
        for part in parts:
            encoded = part.encode() if isinstance(part, str) else json.dumps(part).encode()
            part_result = self.verification.verify_bytes(encoded, fetcher=fetcher)
            row = self._row(learner_id, encoded, part, part_result, source=source, now=now)
            row.parent_id = parent.id
            part_rows.append(row)
        with transaction(self.sessions) as session:
            repo = WalletRepository(session)
            held = self._already_held(repo, learner_id, parent)
            if held is not None:
                if not upsert:
                    raise ConflictError(
                        "this credential is in the wallet already",
                        expected="a credential the wallet does not hold",
                        found=short(parent.credential_key or parent.digest),
                    )
                return held
            repo.add_items([parent])
            # A part held already (imported alone before) is not stored twice.
            fresh = {parent.digest}
            new_parts = []
            for row in part_rows:
                if row.digest in fresh or self._already_held(repo, learner_id, row) is not None:
                    continue
                fresh.add(row.digest)
                new_parts.append(row)
            repo.add_items(new_parts)
            added = self._imported(parent, now)
        if self.on_added is not None:
            self.on_added(learner_id)
        return added

    def _already_held(
        self, repo: WalletRepository, learner_id: str, row: WalletItemRow
    ) -> WalletItem | None:
        now = self.clock()
        same = repo.item_by_digest(learner_id, row.digest)
        if same is None and row.credential_key is not None:
            same = repo.item_by_key(learner_id, row.credential_key)
        if same is not None:
            return self._imported(same, now)
        key = row.credential_key
        local = self.urls.credential_id(key) if key and self.urls.is_ours(key) else None
        if local is not None and repo.holds(learner_id, local):
            return self._ours(repo.credentials([local])[local], now)
        return None

    def _row(
        self,
        learner_id: str,
        data: bytes,
        document: HeldDocument,
        result: VerificationResult,
        *,
        source: str,
        now: datetime,
    ) -> WalletItemRow:
        text = document if isinstance(document, str) else _canonical(document)
        credential = result.credential or (document if isinstance(document, dict) else {})
        key = credential.get("id")
        picture = data if not _is_text(data) else None
        return WalletItemRow(
            id=str(uuid.uuid4()),
            learner_id=learner_id,
            parent_id=None,
            source=source[:300],
            format=result.format[:100] if result.format else None,
            digest=hashlib.sha256(text.encode()).hexdigest(),
            credential_key=key if isinstance(key, str) and len(key) <= 2000 else None,
            document=text,
            original=picture,
            name=credential_name(credential, result),
            issuer_name=_issuer_name(credential, result),
            state=state_of(result),
            valid_until=_valid_until(credential),
            verification=result.to_record(),
            added_at=now,
            checked_at=now,
        )

    # ---- reading rows ------------------------------------------------------------------------

    def _ours(self, row: CredentialRow, now: datetime) -> WalletItem:
        document: JsonObject = dict(row.document)
        return WalletItem(
            id=row.id,
            kind="ours",
            document=document,
            format="Open Badges 3.0",
            name=credential_name(document, None),
            issuer_name=_issuer_name(document, None),
            state=effective_state(row, now),
            valid_until=row.valid_until,
            source="issued",
            verification=None,
            added_at=row.issued_at,
            image=_image(document, ours=True),
        )

    def _imported(self, row: WalletItemRow, now: datetime) -> WalletItem:
        # The one expiry rule (status.expiry); revoked and suspended, as verified, outrank it.
        expired = row.state == "active" and is_expired(row.valid_until, now)
        state = "expired" if expired else row.state
        document: HeldDocument | None = None
        if row.document is not None:
            document = _parsed(row.document)
        return WalletItem(
            id=row.id,
            kind="imported",
            document=document,
            format=row.format,
            name=row.name,
            issuer_name=row.issuer_name,
            state=state,
            valid_until=row.valid_until,
            source=row.source,
            verification=dict(row.verification),
            parent_id=row.parent_id,
            added_at=row.added_at,
            image=_image(document, ours=False) if isinstance(document, dict) else None,
        )

    # ---- the learner's export and deletion ------------------------------------------------------

    def export(self, session: Session, learner_id: str) -> dict[str, object]:
        repo = WalletRepository(session)
        return {
            "claimed": [row.id for row in repo.all_ours(learner_id)],
            "imported": [
                {
                    "id": row.id,
                    "parent": row.parent_id,
                    "source": row.source,
                    "format": row.format,
                    "document": None if row.document is None else _parsed(row.document),
                    "verification": row.verification,
                    "added_at": row.added_at.isoformat(),
                }
                for row in repo.all_items(learner_id)
            ],
            "public": sorted(repo.shares(learner_id)),
            "collections": [
                {
                    "id": row.id,
                    "name": row.name,
                    "description": row.description,
                    "public": row.public,
                    "credentials": [entry.ref for entry in repo.entries([row.id])],
                    "created_at": row.created_at.isoformat(),
                }
                for row in repo.collections(learner_id)
            ],
            "notices": [
                {
                    "credential": row.ref,
                    "what": row.what,
                    "name": row.name,
                    "created_at": row.created_at.isoformat(),
                    "mailed_at": None if row.mailed_at is None else row.mailed_at.isoformat(),
                    "dismissed_at": (
                        None if row.dismissed_at is None else row.dismissed_at.isoformat()
                    ),
                }
                for row in NoticeRepository(session).all_notices(learner_id)
            ],
        }

    def delete(self, session: Session, learner_id: str) -> None:
        WalletRepository(session).delete_all(learner_id)


# ---- reading credentials ---------------------------------------------------------------------


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not data.lstrip().startswith(b"<")  # an SVG is a picture, kept as received


def _document_of(data: bytes, result: VerificationResult) -> HeldDocument | None:
    """The credential as issued: a JWT stays compact, JSON as sent, a picture's as it carries
    it; an OB 2.0 input (a URL or JWS) as its text."""
    text = data.decode("utf-8", errors="replace").strip() if _is_text(data) else None
    if text is None:
        try:
            text = unbake(data, max_bytes=MAX_IMPORT_BYTES).text.strip()
        except MicrocredError:
            text = None
    if text is not None and jose.looks_like_jwt(text):
        return text
    if text is not None and text.startswith("{"):
        try:
            parsed: Any = json.loads(text)
        except ValueError:
            return None
        return dict(parsed) if isinstance(parsed, dict) else None
    if result.credential is not None:
        return dict(result.credential)
    if text and result.readable:
        return text
    return None


def _not_a_credential(result: VerificationResult) -> bool:
    """Unreadable, or read but not a Verifiable Credential at all (a credential whose proof or
    status fails is still kept: the learner sees why)."""
    parse = result.check("parse")
    return not result.readable or (
        parse is not None and parse.status == Status.FAILED and parse.template == m.NOT_VC
    )


def _refuse_malformed_edc(result: VerificationResult) -> None:
    """A European Digital Credential that breaks the Commission's shapes is not one: refused
    with the shape's message, focus node and path (a broken seal is kept, shown as failed)."""
    shapes = result.check("shapes")
    if result.format == m.FORMAT_EDC and shapes is not None and shapes.status == Status.FAILED:
        raise InputError(
            "this European Digital Credential does not conform to the European Commission's "
            "shapes, so the wallet does not keep it",
            expected="a credential satisfying EDC-generic-no-cv",
            found=shapes.message,
        )


def _clr_parts(credential: JsonObject | None) -> list[HeldDocument]:
    if credential is None or "ClrCredential" not in _types(credential):
        return []
    subject = credential.get("credentialSubject")
    parts = subject.get("verifiableCredential") if isinstance(subject, dict) else None
    if not isinstance(parts, list):
        return []
    return [part for part in parts if isinstance(part, dict | str)]


def _types(document: JsonObject) -> list[str]:
    kind = document.get("type")
    return [kind] if isinstance(kind, str) else [t for t in kind or [] if isinstance(t, str)]


def _canonical(document: JsonObject) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _parsed(text: str) -> HeldDocument:
    if text.startswith("{"):
        parsed: Any = json.loads(text)
        return dict(parsed)
    return text


def _issuer_name(credential: JsonObject, result: VerificationResult | None) -> str | None:
    issuer = credential.get("issuer")
    for value in (
        issuer.get("name") if isinstance(issuer, dict) else None,
        (result.summary.get("issuer") if result is not None else None),
        issuer if isinstance(issuer, str) else None,
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()[:500]
    return None


_DATA_IMAGE = re.compile(r"^data:image/(?:png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$")
MAX_DATA_IMAGE = 512 * 1024


def _image(credential: JsonObject, *, ours: bool) -> str | None:
    subject = credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    image = achievement.get("image") if isinstance(achievement, dict) else None
    url = image.get("id") if isinstance(image, dict) else image
    if not isinstance(url, str):
        return None
    if ours and url.startswith(("https://", "http://")):
        return url
    if len(url) <= MAX_DATA_IMAGE and _DATA_IMAGE.match(url):
        return url
    return None


def _valid_until(credential: JsonObject) -> datetime | None:
    for field in ("validUntil", "expirationDate", "expires"):
        value = credential.get(field)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return None
    return None


__all__ = ["MAX_IMPORT_BYTES", "WalletItem", "WalletService"]
