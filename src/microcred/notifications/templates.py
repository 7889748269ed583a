"""The e-mail telling a recipient about a new credential: subject, plain text and HTML.

The templates live in this module rather than in template files so they ship with the package
without package-data rules. Names (recipient, achievement, issuer) are user content: the HTML
template autoescapes them, and the subject folds them onto one line so they cannot add headers.
An issuer may word the greeting and the announcement itself, per language
(:mod:`microcred.notifications.branding`); the frame (logo, badge image, the "Accept your
badge" button and the links) is always ours. Images are referred to by Content-ID: the
message carries them, so nothing is fetched when it is opened.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from microcred.notifications.branding import IssuerTemplate, Rendered, render

TEXT = """\
{% if custom %}{{ custom.text }}{% else %}{{ greeting }}

{{ issued }}
{% endif %}
{{ s.accept }}:
{{ private_url }}

{{ s.yours }}

{{ s.share }}
{{ credential_url }}

{{ s.signed }}
"""

BUTTON = (
    "display: inline-block; padding: 0.6em 1.2em; background: #1a5fb4; color: #ffffff; "
    "text-decoration: none; border-radius: 4px; font-weight: bold;"
)
QUIET = "color: #555; font-size: 0.9em;"

HTML = """\
<!DOCTYPE html>
<html lang="{{ language }}">
<head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; max-width: 36em;">
{% if logo_cid -%}
<p><img src="cid:{{ logo_cid }}" alt="{{ issuer_name }}" style="max-height: 48px;"></p>
{% endif -%}
{% if custom %}{{ custom.html }}{% else -%}
<p>{{ greeting }}</p>
<p>{{ issued_html }}</p>
{% endif -%}
{% if badge_cid -%}
<p><img src="cid:{{ badge_cid }}" alt="{{ achievement_name }}" width="160" height="160"></p>
{% endif -%}
<p><a href="{{ private_url }}" style="{{ button }}">{{ s.accept }}</a></p>
<p style="{{ quiet }}">{{ s.yours }}</p>
<p>{{ s.share }} {{ credential_url }}</p>
<p style="{{ quiet }}">{{ s.signed }}</p>
</body>
</html>
"""

SUBJECT_LIMIT = 200


@dataclass(frozen=True)
class _Strings:
    subject: str
    hello: str
    hello_name: str
    issued: str
    accept: str
    yours: str
    share: str
    signed: str


STRINGS = {
    "en": _Strings(
        "{issuer} issued you a credential: {achievement}",
        "Hello,",
        "Hello {},",
        "{issuer} has issued you a credential: {achievement}.",
        "Accept your badge",
        "That link is yours alone: it also lets you choose whether your name appears on the "
        "public page.",
        "To share the credential, give its public address:",
        "The credential is a signed Open Badges 3.0 document; anyone you share it with can check "
        "that it is genuine.",
    ),
    "de": _Strings(
        "{issuer} hat Ihnen einen Nachweis ausgestellt: {achievement}",
        "Hallo,",
        "Hallo {},",
        "{issuer} hat Ihnen einen Nachweis ausgestellt: {achievement}.",
        "Abzeichen annehmen",
        "Dieser Link gehört nur Ihnen: Dort wählen Sie auch, ob Ihr Name auf der öffentlichen "
        "Seite erscheint.",
        "Um den Nachweis zu teilen, geben Sie seine öffentliche Adresse weiter:",
        "Der Nachweis ist ein signiertes Open-Badges-3.0-Dokument; wer ihn erhält, kann prüfen, "
        "dass er echt ist.",
    ),
    "fr": _Strings(
        "{issuer} vous a délivré un justificatif : {achievement}",
        "Bonjour,",
        "Bonjour {},",
        "{issuer} vous a délivré un justificatif : {achievement}.",
        "Accepter votre badge",
        "Ce lien n’est qu’à vous : il vous permet aussi de choisir si votre nom figure sur la "
        "page publique.",
        "Pour partager le justificatif, donnez son adresse publique :",
        "Le justificatif est un document Open Badges 3.0 signé ; toute personne qui le reçoit "
        "peut vérifier son authenticité.",
    ),
    "es": _Strings(
        "{issuer} le ha emitido una credencial: {achievement}",
        "Hola:",
        "Hola, {}:",
        "{issuer} le ha emitido una credencial: {achievement}.",
        "Aceptar su insignia",
        "Este enlace es solo suyo: también le permite elegir si su nombre aparece en la página "
        "pública.",
        "Para compartir la credencial, dé su dirección pública:",
        "La credencial es un documento Open Badges 3.0 firmado; quien la reciba puede comprobar "
        "que es auténtica.",
    ),
}

_environment = Environment(
    loader=DictLoader({"credential.txt": TEXT, "credential.html": HTML}),
    autoescape=select_autoescape(enabled_extensions=("html",), default=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class CredentialMail:
    recipient_name: str | None
    achievement_name: str
    issuer_name: str
    credential_url: str  # the public page, to share
    private_url: str  # the same page with the recipient's token, for them alone
    language: str = "en"
    custom: IssuerTemplate | None = None  # the issuer's wording in this language
    badge_cid: str | None = None  # Content-IDs (without <>) of the images the message carries
    logo_cid: str | None = None

    @property
    def strings(self) -> _Strings:
        return STRINGS.get(self.language, STRINGS["en"])

    def _custom(self) -> Rendered | None:
        if self.custom is None:
            return None
        return render(
            self.custom,
            {
                "recipient_name": self.recipient_name or "",
                "achievement_name": self.achievement_name,
                "issuer_name": self.issuer_name,
                "credential_url": self.credential_url,
                "accept_url": self.private_url,
            },
        )

    @property
    def subject(self) -> str:
        custom = self._custom()
        if custom is not None and custom.subject:
            subject = custom.subject
        else:
            subject = self.strings.subject.format(
                issuer=self.issuer_name, achievement=self.achievement_name
            )
        return one_line(subject)[:SUBJECT_LIMIT]

    def render(self) -> tuple[str, str]:
        """The plain-text and the HTML body."""
        if self.custom is not None:
            return self.render_templates()
        # Without the issuer's wording the bodies differ between the recipients of one
        # achievement only in the greeting and the two links: the templates are rendered once
        # per (language, names, images) with markers there, and each message fills them in
        # (escaped for the HTML), as Jinja would have. Rendering both per message was a fifth
        # of an e-mail job's time.
        key = (
            self.language,
            self.achievement_name,
            self.issuer_name,
            self.badge_cid,
            self.logo_cid,
        )
        # One lookup: a worker thread may empty the dict between a test and a read.
        frame = _frames.get(key, _UNSEEN)
        if frame is _UNSEEN:
            if len(_frames) >= FRAMES_KEPT:
                _frames.clear()
            frame = _frames[key] = _Frame.of(self)
        if not isinstance(frame, _Frame):
            return self.render_templates()
        return frame.fill((self._greeting(), self.private_url, self.credential_url))

    def _greeting(self) -> str:
        s = self.strings
        return s.hello_name.format(self.recipient_name) if self.recipient_name else s.hello

    def render_templates(self, slots: tuple[str, str, str] | None = None) -> tuple[str, str]:
        """Both bodies rendered by Jinja; ``slots`` stand in for the greeting and the private
        and public links (see :class:`_Frame`)."""
        s = self.strings
        custom = self._custom()
        greeting, private_url, credential_url = slots or (
            self._greeting(),
            self.private_url,
            self.credential_url,
        )
        values = {
            "recipient_name": self.recipient_name,
            "achievement_name": self.achievement_name,
            "issuer_name": self.issuer_name,
            "credential_url": credential_url,
            "private_url": private_url,
            "subject": self.subject,
            "language": self.language if self.language in STRINGS else "en",
            "s": s,
            "custom": custom,
            "badge_cid": self.badge_cid,
            "logo_cid": self.logo_cid,
            # The names in bold inside a translated sentence: escaped, then marked up.
            "greeting": greeting,
            "issued": s.issued.format(issuer=self.issuer_name, achievement=self.achievement_name),
            "button": BUTTON,
            "quiet": QUIET,
            "issued_html": Markup(s.issued).format(  # noqa: S704 - our own constant
                issuer=Markup("<strong>{}</strong>").format(self.issuer_name),
                achievement=Markup("<strong>{}</strong>").format(self.achievement_name),
            ),
        }
        text = _environment.get_template("credential.txt").render(values)
        html = _environment.get_template("credential.html").render(values)
        return text, html


# Markers for the per-recipient values: letters and digits (no template or escaping changes
# them), random per process so no name can contain one by chance.
_MARK = f"mcslot{secrets.token_hex(8)}"
_MARKS = (f"{_MARK}n0x", f"{_MARK}n1x", f"{_MARK}n2x")
_SPLIT = re.compile(rf"{_MARK}n(\d)x")
FRAMES_KEPT = 256  # (language, names, images) combinations remembered per process


@dataclass(frozen=True)
class _Frame:
    """Both bodies of one kind of message, split at the markers: literal text at even
    positions, a slot number at odd ones."""

    text: tuple[str | int, ...]
    html: tuple[str | int, ...]

    @classmethod
    def of(cls, mail: CredentialMail) -> _Frame | None:
        """None when a name holds the marker (practically impossible, but then no split would
        be right): such messages are rendered by Jinja every time."""
        if any(_MARK in name for name in (mail.achievement_name, mail.issuer_name)):
            return None
        text, html = mail.render_templates(_MARKS)
        return cls(_pieces(text), _pieces(html))

    def fill(self, slots: tuple[str, str, str]) -> tuple[str, str]:
        escaped = tuple(str(escape(value)) for value in slots)
        return _join(self.text, slots), _join(self.html, escaped)


def _pieces(rendered: str) -> tuple[str | int, ...]:
    parts = _SPLIT.split(rendered)
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts))


def _join(pieces: tuple[str | int, ...], slots: tuple[str, ...]) -> str:
    return "".join(slots[piece] if isinstance(piece, int) else piece for piece in pieces)


_frames: dict[tuple[str, str, str, str | None, str | None], _Frame | None] = {}
_UNSEEN = object()


def one_line(value: str) -> str:
    """``value`` with every run of whitespace (line breaks included) as one space."""
    return " ".join(value.split())


__all__ = ["STRINGS", "CredentialMail", "one_line"]
