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

from dataclasses import dataclass

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape
from markupsafe import Markup

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
        s = self.strings
        custom = self._custom()
        values = {
            "recipient_name": self.recipient_name,
            "achievement_name": self.achievement_name,
            "issuer_name": self.issuer_name,
            "credential_url": self.credential_url,
            "private_url": self.private_url,
            "subject": self.subject,
            "language": self.language if self.language in STRINGS else "en",
            "s": s,
            "custom": custom,
            "badge_cid": self.badge_cid,
            "logo_cid": self.logo_cid,
            # The names in bold inside a translated sentence: escaped, then marked up.
            "greeting": s.hello_name.format(self.recipient_name)
            if self.recipient_name
            else s.hello,
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


def one_line(value: str) -> str:
    """``value`` with every run of whitespace (line breaks included) as one space."""
    return " ".join(value.split())


__all__ = ["STRINGS", "CredentialMail", "one_line"]
