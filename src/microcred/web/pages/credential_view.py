"""What the public credential page shows, read from the credential exactly as signed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import segno
from markupsafe import Markup

from microcred.errors import ConflictError, PermissionDeniedError
from microcred.runtime import Runtime
from microcred.store.tables import CredentialRow
from microcred.web.pages import links
from microcred.web.pages.reading import Localized, achievement_texts, lang_attrs

EQF_PREFIX = "http://data.europa.eu/snb/eqf/"
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


@dataclass(frozen=True)
class Skill:
    name: str
    url: str | None
    framework: str | None


@dataclass(frozen=True)
class CredentialView:
    id: str
    url: str
    name: str
    description: str
    criteria: str
    image_url: str
    issuer_name: str
    issuer_url: str | None
    issuer_profile: str | None
    recipient_name: str | None
    state: str
    reason: str | None
    issued: datetime
    valid_from: datetime
    valid_until: datetime | None
    skills: list[Skill]
    tags: list[str]
    credits: float | None
    eu: dict[str, Any] = field(default_factory=dict)
    issuer_linkedin_id: str | None = None
    # The language each text is shown in (the reader's, else the default's; None: not stated).
    name_lang: str | None = None
    description_lang: str | None = None
    criteria_lang: str | None = None

    def lang_attrs(self, which: str) -> Markup:
        """` lang=".." dir=".."` for an element holding the text ``which`` (name, ...)."""
        return lang_attrs(Localized("", getattr(self, f"{which}_lang")))

    @property
    def linkedin_add(self) -> str:
        return links.linkedin_add_url(
            name=self.name,
            organization=self.issuer_name,
            issued=self.valid_from,
            expires=self.valid_until,
            url=self.url,
            credential_id=self.id,
            organization_id=self.issuer_linkedin_id,
        )

    @property
    def linkedin_share(self) -> str:
        return links.linkedin_share_url(self.url)


@dataclass(frozen=True)
class WalletOffer:
    """The OpenID4VCI credential offer on the recipient's private page (a fresh code each
    time the page is shown)."""

    uri: str
    minutes: int

    def qr(self, title: str) -> Markup:
        # The offer is long (the whole offer travels by value, so no secret reaches a server
        # log): drawn smaller than the page's own QR code, so it fits a 360 px screen.
        code = segno.make(self.uri, error="m")
        svg = code.svg_inline(scale=3, title=title, svgclass="qr", lineclass=None, omitsize=False)
        return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 (generated SVG)


def wallet_offer(runtime: Runtime, row: CredentialRow, token: str | None) -> WalletOffer | None:
    """An offer for the private link's holder; None for a credential that cannot be offered
    (not active) or a link that is not the recipient's."""
    try:
        offer = runtime.oid4vci.make_offer(row.id, token)
    except (ConflictError, PermissionDeniedError):
        return None
    minutes = round((offer.expires_at - runtime.clock()).total_seconds() / 60)
    return WalletOffer(offer.uri, minutes)


def live_state(runtime: Runtime, row: CredentialRow) -> str:
    """active | expired | suspended | revoked, as the lifecycle service sees it now."""
    return runtime.lifecycle.effective_state(row)


def build_view(
    runtime: Runtime, row: CredentialRow, *, show_name: bool, languages: Sequence[str] = ()
) -> CredentialView:
    """``languages``: the reader's, best first; the achievement's texts are shown in the first
    it is written in (see ``reading``), else in its default language."""
    document = row.document
    subject = _first(document.get("credentialSubject"))
    achievement = _first(subject.get("achievement"))
    texts = achievement_texts(achievement, languages)
    issuer = document.get("issuer")
    issuer_doc: dict[str, Any] = issuer if isinstance(issuer, dict) else {}
    issuer_row = runtime.issuers.get_public(row.issuer_id)
    profile = runtime.urls.issuer(issuer_row.slug)
    credits = achievement.get("creditsAvailable")
    return CredentialView(
        id=row.id,
        url=runtime.urls.credential(row.id),
        name=texts.name.text or str(document.get("name") or ""),
        description=texts.description.text,
        criteria=texts.criteria.text,
        name_lang=texts.name.lang,
        description_lang=texts.description.lang,
        criteria_lang=texts.criteria.lang,
        image_url=runtime.urls.achievement_image(row.achievement_id)
        if row.achievement_id is not None
        else f"{runtime.urls.credential(row.id)}/badge.svg",  # VC-API issued: the default badge
        issuer_name=str(issuer_doc.get("name") or issuer_row.name),
        issuer_url=_http(issuer_doc.get("url")),
        issuer_profile=profile,
        recipient_name=_text(subject.get("name")) if show_name else None,
        state=live_state(runtime, row),
        reason=row.state_reason,
        issued=row.issued_at,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        skills=achievement_skills(achievement),
        tags=[str(t) for t in achievement.get("tag") or []],
        credits=float(credits) if isinstance(credits, int | float) else None,
        eu=eu_elements(achievement, texts.learning_outcomes),
        issuer_linkedin_id=issuer_row.linkedin_organization_id,
    )


def _first(value: object) -> dict[str, Any]:
    value = value[0] if isinstance(value, list) and value else value
    return value if isinstance(value, dict) else {}


def _skill(alignment: dict[str, Any]) -> Skill:
    return Skill(
        name=str(alignment.get("targetName") or alignment.get("targetUrl") or ""),
        url=_http(alignment.get("targetUrl")),
        framework=_text(alignment.get("targetFramework")),
    )


def achievement_skills(achievement: dict[str, Any]) -> list[Skill]:
    """The achievement's alignments as skills to list."""
    return [_skill(a) for a in achievement.get("alignment") or [] if isinstance(a, dict)]


def eu_elements(achievement: dict[str, Any], outcomes: Sequence[object]) -> dict[str, Any]:
    """The EU micro-credential elements present, as plain values for the template
    (``outcomes``: the learning outcomes' titles in the reader's language)."""
    eu: dict[str, Any] = {}
    level = achievement.get("eqfLevel")
    if isinstance(level, str) and level.startswith(EQF_PREFIX):
        eu["eqf_level"] = level.removeprefix(EQF_PREFIX)
    hours = _hours(achievement.get("volumeOfLearning"))
    if hours is not None:
        eu["hours"] = hours
    if outcomes:
        eu["learning_outcomes"] = list(outcomes)
    for key, name in (
        ("assessmentType", "assessment"),
        ("qualityAssurance", "quality_assurance"),
    ):
        values = achievement.get(key)
        if values:
            eu[name] = [str(v) for v in (values if isinstance(values, list) else [values])]
    for key, name in (
        ("participationForm", "participation"),
        ("assessmentSupervision", "supervision"),
        ("stackability", "stackability"),
        ("prerequisites", "prerequisites"),
    ):
        if achievement.get(key):
            eu[name] = str(achievement[key])
    for key, name in (("furtherInformation", "further_information"), ("accreditation", "accr")):
        url = _http(achievement.get(key))
        if url:
            eu[name] = url
    return eu


def _hours(duration: object) -> float | None:
    if not isinstance(duration, str):
        return None
    match = _DURATION.match(duration)
    if not match or not any(match.groups()):
        return None
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return days * 24 + hours + minutes / 60


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _http(value: object) -> str | None:
    """Only http(s) links become hrefs (a javascript: URL in a credential stays text)."""
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return value
    return None
