"""The public start page (the address ``serve`` prints): what this server is, the issuers
on it with their achievements, and a box to verify a credential by its address (the verify
page takes files, pasted text and QR photos too)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from microcred.achievements.repository import AchievementName
from microcred.web.pages.core import get_pages, render

router = APIRouter(include_in_schema=False)

SHOWN_ISSUERS = 100
SHOWN_ACHIEVEMENTS = 20  # per issuer; the rest are counted


@dataclass(frozen=True)
class IssuerEntry:
    name: str
    url: str | None  # the issuer's own website
    profile: str  # its public profile on this server
    description: str | None
    logo: str | None
    achievements: tuple[AchievementName, ...]
    more: int  # achievements not listed


@router.get("/")
def home(request: Request) -> Response:
    runtime = get_pages(request).runtime
    entries = []
    issuers = runtime.issuers.all()
    for issuer in issuers[:SHOWN_ISSUERS]:
        achievements = runtime.achievements.public_names(issuer.id)
        entries.append(
            IssuerEntry(
                name=issuer.name,
                url=issuer.url,
                profile=runtime.urls.issuer(issuer.slug),
                description=issuer.description,
                logo=f"/issuers/{quote(issuer.slug)}/logo" if issuer.logo else None,
                achievements=achievements[:SHOWN_ACHIEVEMENTS],
                more=max(0, len(achievements) - SHOWN_ACHIEVEMENTS),
            )
        )
    return render(
        request,
        "home.html",
        {
            "issuers": entries,
            "more_issuers": max(0, len(issuers) - SHOWN_ISSUERS),
        },
    )
