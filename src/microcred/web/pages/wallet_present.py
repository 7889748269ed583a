"""What the learner hands over (signed in): a signed presentation of chosen credentials, for
a verifier's challenge and domain, and the PDF of the whole record."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from microcred.runtime import Runtime
from microcred.store.tables import LearnerRow
from microcred.wallet.presentation import present
from microcred.wallet.record_pdf import RecordEntry, RecordLabels, render_record
from microcred.wallet.service import WalletItem
from microcred.web.pages import i18n
from microcred.web.pages.core import get_pages, language_of, render
from microcred.web.pages.learner_session import LearnerRequired, learner_csrf
from microcred.web.pages.wallet import form_field

router = APIRouter(tags=["wallet"], include_in_schema=False)
# A presentation form names up to a hundred credentials.
PresentCsrf = learner_csrf(max_fields=120)


# ---- presenting and printing ---------------------------------------------------------------------


@router.get("/wallet/present")
def present_form(request: Request, learner: LearnerRequired) -> Response:
    runtime = get_pages(request).runtime
    items, total = runtime.wallet.list_credentials(learner.id, limit=100)
    context = {"items": [i for i in items if i.document is not None], "total": total}
    return render(request, "wallet/present.html", context)


@router.post("/wallet/present")
async def present_submit(request: Request, learner: LearnerRow = PresentCsrf) -> Response:
    """A Verifiable Presentation of the chosen credentials, signed with the learner's
    did:key (made on first use) and bound to the verifier's challenge and domain."""
    form = await request.form()
    refs = [r for r in form.getlist("ref") if isinstance(r, str)][:100]
    challenge, domain = form_field(form, "challenge"), form_field(form, "domain")
    runtime = get_pages(request).runtime
    held = runtime.wallet.get_many(learner.id, refs)
    chosen = [held[r].document for r in refs if r in held and held[r].document is not None]
    if not chosen:
        items, total = runtime.wallet.list_credentials(learner.id, limit=100)
        context = {"items": items, "total": total, "problem": "none"}
        return render(request, "wallet/present.html", context, status_code=422)
    runtime.learners.create_did(learner.id)
    key = runtime.learners.signing_key(learner.id)
    signed = present(
        [document for document in chosen if document is not None],
        key,
        challenge=challenge[:500] or None,
        domain=domain[:500] or None,
        clock=runtime.clock,
    )
    return Response(
        json.dumps(signed, ensure_ascii=False, indent=2),
        media_type="application/vp+ld+json",
        headers={
            "Content-Disposition": 'attachment; filename="presentation.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/wallet/record.pdf")
def record_pdf(request: Request, learner: LearnerRequired) -> Response:
    runtime = get_pages(request).runtime
    gettext = i18n.translations(language_of(request)).gettext
    items, _total = runtime.wallet.list_credentials(learner.id, limit=10_000)
    entries = [_record_entry(runtime, item, gettext) for item in items]
    name = learner.display_name or runtime.learners.account(learner.id).emails[0]
    pdf = render_record(
        entries,
        learner_name=name,
        generated=runtime.clock(),
        labels=RecordLabels().translated(gettext),
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'attachment; filename="learning-record.pdf"',
            "Cache-Control": "no-store",
        },
    )


_STATE_WORDS = {
    "active": "Valid",
    "expired": "Expired",
    "suspended": "Suspended",
    "revoked": "Revoked",
    "unverified": "Not verified",
    "unconfirmed": "Issuer not confirmed",
}


def _record_entry(runtime: Runtime, item: WalletItem, gettext: Any) -> RecordEntry:
    document = item.document if isinstance(item.document, dict) else {}
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    achievement = achievement if isinstance(achievement, dict) else {}
    credits = achievement.get("creditsAvailable")
    key = document.get("id")
    url = (
        runtime.urls.credential(item.id)
        if item.kind == "ours"
        else key
        if isinstance(key, str) and key.startswith(("https://", "http://"))
        else runtime.urls.wallet()
    )
    return RecordEntry(
        achievement=item.name or "",
        issuer=item.issuer_name or "",
        issued=item.added_at or runtime.clock(),
        state=gettext(_STATE_WORDS.get(item.state, item.state)),
        verification_url=url,
        valid=item.state == "active",
        valid_until=item.valid_until,
        ects=float(credits) if isinstance(credits, int | float) else None,
    )


__all__ = ["router"]
