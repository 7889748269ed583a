"""The issuer's public page (``/issuers/<slug>`` asked for by a browser): name, logo,
description, its achievements, and what a verifier needs (its DID and signing keys).

The same address keeps serving the OB 3.0 Profile JSON to programs (content negotiation on
Accept, as for credentials), so the issuer id in every credential still resolves.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response

from microcred.web.pages.core import get_pages, render
from microcred.web.pages.reading import name_in, reader_languages


@dataclass(frozen=True)
class KeyEntry:
    id: str
    kind: str
    public_key: str


def issuer_page(request: Request, slug: str) -> Response:
    runtime = get_pages(request).runtime
    languages = reader_languages(request)
    issuer = runtime.issuers.by_slug(slug)
    document = runtime.issuers.did_document(slug)
    methods = document.get("verificationMethod")
    keys = [
        KeyEntry(
            id=str(method.get("id", "")),
            kind=str(method.get("type", "")),
            public_key=str(method.get("publicKeyMultibase", "")),
        )
        for method in (methods if isinstance(methods, list) else [])
        if isinstance(method, dict)
    ]
    response = render(
        request,
        "issuer.html",
        {
            "issuer": issuer,
            "logo": f"/issuers/{quote(issuer.slug)}/logo" if issuer.logo else None,
            # Each name in the reader's language where the issuer gave one.
            "achievements": [
                (a.id, name_in(a.translated, a.name, a.language, languages))
                for a in runtime.achievements.public_names(issuer.id)
            ],
            "did": runtime.urls.issuer_did(issuer.slug),
            "did_document": f"/issuers/{quote(issuer.slug)}/did.json",
            "profile_json": f"/issuers/{quote(issuer.slug)}?format=json",
            "keys": keys,
            # Its endorsements, ours and external organisations', each with its state.
            "endorsements": [
                {
                    "issuer": e.endorser,
                    "comment": e.comment,
                    "url": e.url,
                    "state": e.state,
                    "external": e.external,
                }
                for e in runtime.endorsement_book.shown("issuer", issuer.id)
            ],
        },
    )
    response.headers["Vary"] = "Accept"
    return response


__all__ = ["issuer_page"]
