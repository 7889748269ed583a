"""Outbound links a recipient uses to show a credential elsewhere, and the QR code."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlencode

import segno
from markupsafe import Markup

LINKEDIN_ADD = "https://www.linkedin.com/profile/add"
LINKEDIN_SHARE = "https://www.linkedin.com/sharing/share-offsite/"
# The page's share links go through /credentials/{id}/share/{channel}, which counts them.
SHARE_CHANNELS = ("linkedin-add", "linkedin-share")


def linkedin_add_url(
    *,
    name: str,
    organization: str,
    issued: datetime,
    expires: datetime | None,
    url: str,
    credential_id: str,
    organization_id: str | None = None,
) -> str:
    """LinkedIn's "Add licence or certification" form, pre-filled (every value URL-encoded).
    With the issuer's LinkedIn company id, the form links the issuing organisation's page
    (``organizationId``); without it, only the name is filled in."""
    params: dict[str, str | int] = {"startTask": "CERTIFICATION_NAME", "name": name}
    if organization_id is not None and organization_id.isdigit():
        params["organizationId"] = organization_id
    else:
        params["organizationName"] = organization
    params |= {
        "issueYear": issued.year,
        "issueMonth": issued.month,
    }
    if expires is not None:
        params["expirationYear"] = expires.year
        params["expirationMonth"] = expires.month
    params["certUrl"] = url
    params["certId"] = credential_id
    return f"{LINKEDIN_ADD}?{urlencode(params, quote_via=quote)}"


def linkedin_share_url(url: str) -> str:
    return f"{LINKEDIN_SHARE}?{urlencode({'url': url}, quote_via=quote)}"


def qr_svg(url: str, title: str) -> Markup:
    """An inline SVG QR code; segno writes only path data and the escaped title."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=4, title=title, svgclass="qr", lineclass=None, omitsize=False)
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 (generated SVG)


def embed_snippet(embed_url: str, title: str) -> str:
    """HTML a recipient pastes into their own site (escaped again when shown on our page)."""
    safe_title = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return (
        f'<iframe src="{embed_url}" title="{safe_title}" width="360" height="220" '
        'style="border:0" loading="lazy"></iframe>'
    )
