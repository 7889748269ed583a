"""Public extras of a credential: a PDF certificate, an Open Graph image, an e-mail signature.

All three are drawn from the public view of the credential (as signed), so they show nothing
the public page does not. The recipient's name appears on the certificate only when the
recipient chose to show it (``CredentialRow.name_public``), as on the page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from microcred.errors import NotFoundError, PageNotFoundError
from microcred.urls import PublicUrls
from microcred.web.pages import i18n
from microcred.web.pages.artwork import card_png
from microcred.web.pages.certificate import (
    CertificateImages,
    CertificateText,
    render_certificate,
)
from microcred.web.pages.core import get_pages, language_of
from microcred.web.pages.credential_view import CredentialView, build_view
from microcred.web.pages.reading import reader_languages

router = APIRouter(include_in_schema=False)

OG_SIZE = (1200, 630)
SIGNATURE_SIZE = (600, 150)  # shown at half size, so it stays sharp on dense screens
CACHE = "public, max-age=300"


def _view(request: Request, credential_id: str) -> CredentialView:
    pages = get_pages(request)
    try:
        row = pages.runtime.credentials.get_public(credential_id)
    except NotFoundError as error:
        raise PageNotFoundError(error.message, found=error.found) from error
    return build_view(
        pages.runtime, row, show_name=row.name_public, languages=reader_languages(request)
    )


# The EU elements as _eu.html lists them; the English labels are the catalogue's message ids.
_EU_FIELDS = (
    ("eqf_level", "EQF level"),
    ("hours", "Volume of learning"),
    ("credits", "Credit points"),
    ("participation", "Form of participation"),
    ("assessment", "Assessment"),
    ("supervision", "Supervision and identity check"),
    ("quality_assurance", "Quality assurance"),
    ("stackability", "Stackability"),
    ("prerequisites", "Prerequisites"),
    ("learning_outcomes", "Learning outcomes"),
    ("further_information", "Further information"),
)
_EU_VALUES = {
    "online": "Online",
    "onsite": "On site",
    "blended": "Blended",
    "volunteering": "Volunteering",
    "work-experience": "Work experience",
    "written-exam": "Written exam",
    "oral-exam": "Oral exam",
    "online-test": "Online test",
    "practical-demonstration": "Practical demonstration",
    "project": "Project",
    "portfolio": "Portfolio",
    "artefact": "Artefact",
    "peer-assessment": "Peer assessment",
    "continuous-assessment": "Continuous assessment",
    "internal": "Internal",
    "external": "External",
    "accreditation": "Accreditation",
    "unsupervised-no-id-verification": "Unsupervised, no identity check",
    "supervised-no-id-verification": "Supervised, no identity check",
    "supervised-online-id-verification": "Supervised, identity checked online",
    "supervised-onsite-id-verification": "Supervised, identity checked on site",
    "stand-alone": "Stand-alone",
    "stackable": "Stackable",
}


def eu_rows(
    eu: dict[str, Any], gettext: Callable[[str], str], language: str
) -> list[tuple[str, str]]:
    """The credential's EU elements as (label, value) lines in the reader's language."""
    rows: list[tuple[str, str]] = []
    for key, label in _EU_FIELDS:
        value = eu.get(key)
        if value is None or value == "" or value == []:
            continue
        if key == "hours":
            text = gettext("%(hours)s hours") % {"hours": i18n.format_number(value, language)}
        elif isinstance(value, list):
            separator = "; " if key == "learning_outcomes" else ", "
            text = separator.join(
                gettext(_EU_VALUES[v]) if v in _EU_VALUES else str(v) for v in value
            )
        else:
            text = gettext(_EU_VALUES[value]) if value in _EU_VALUES else str(value)
        rows.append((gettext(label), text))
    return rows


def _achievement_image(request: Request, credential_id: str) -> tuple[bytes | None, str | None]:
    runtime = get_pages(request).runtime
    row = runtime.credentials.get_public(credential_id)
    if row.achievement_id is None:  # issued through the VC-API: no image of its own
        return None, None
    achievement = runtime.achievements.get_public(row.achievement_id)
    return achievement.image, achievement.image_media_type


@router.get("/credentials/{credential_id}/certificate.pdf")
def certificate(request: Request, credential_id: str) -> Response:
    view = _view(request, credential_id)
    language = language_of(request)
    _ = i18n.translations(language).gettext
    states = {"expired": _("Expired"), "suspended": _("Suspended"), "revoked": _("Revoked")}
    text = CertificateText(
        heading=_("Certificate"),
        achievement=view.name,
        recipient=view.recipient_name,
        awarded_to=_("Awarded to"),
        issuer=view.issuer_name,
        issued_label=_("Issued on"),
        issued=i18n.format_date(view.valid_from, language),
        valid_until=i18n.format_date(view.valid_until, language) if view.valid_until else None,
        description=view.description,
        url=view.url,
        verify_hint=_("Check this certificate: the signed credential is at this address."),
        state=states.get(view.state),
        eu_heading=_("European micro-credential"),
        eu=eu_rows(view.eu, _, language),
    )
    runtime = get_pages(request).runtime
    badge, badge_type = _achievement_image(request, credential_id)
    issuer = runtime.issuers.get_public(runtime.credentials.get_public(credential_id).issuer_id)
    images = CertificateImages(badge, badge_type, issuer.logo, issuer.logo_media_type)
    pdf = render_certificate(text, created=runtime.clock(), images=images)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="certificate-{view.id}.pdf"',
            "Cache-Control": "no-cache",
            "Vary": "Accept-Language, Cookie",
        },
    )


@router.get("/credentials/{credential_id}/og.png")
def open_graph_image(request: Request, credential_id: str) -> Response:
    return _card(request, credential_id, OG_SIZE)


@router.get("/credentials/{credential_id}/signature.png")
def signature_image(request: Request, credential_id: str) -> Response:
    return _card(request, credential_id, SIGNATURE_SIZE)


def _card(request: Request, credential_id: str, size: tuple[int, int]) -> Response:
    view = _view(request, credential_id)
    image, media_type = _achievement_image(request, credential_id)
    # No words to translate: crawlers send no language, the card shows data only.
    line = view.valid_from.date().isoformat()
    if view.state != "active":
        line = f"{line} · {view.state.upper()}"
    if size == OG_SIZE and view.recipient_name:  # only when the recipient chose to show it
        line = f"{view.recipient_name} · {line}"
    png = card_png(
        title=view.name,
        issuer=view.issuer_name,
        line=line,
        image=image,
        media_type=media_type,
        width=size[0],
        height=size[1],
    )
    return Response(png, media_type="image/png", headers={"Cache-Control": CACHE})


def og_image_url(view: CredentialView) -> str:
    """The preview image's address, changing with what the image shows (the name, once the
    recipient shows or hides it; the state), so that no cached copy outlives a choice."""
    shown = f"{view.recipient_name or ''}|{view.state}"
    version = hashlib.sha256(shown.encode()).hexdigest()[:12]
    return f"{view.url}/og.png?v={version}"


def signature_snippet(view: CredentialView, urls: PublicUrls) -> str:
    """HTML for an e-mail signature: the hosted banner, linking to the credential page."""
    alt = escape(f"{view.name} · {view.issuer_name}", quote=True)
    width, height = SIGNATURE_SIZE[0] // 2, SIGNATURE_SIZE[1] // 2
    banner = escape(urls.credential_file(view.id, "signature.png"), quote=True)
    return (
        f'<a href="{escape(view.url, quote=True)}">'
        f'<img src="{banner}" alt="{alt}" width="{width}" height="{height}"></a>'
    )
