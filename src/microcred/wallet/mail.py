"""The e-mail that tells a learner what re-verification found in their wallet: credentials
revoked, suspended, about to expire or expired, in the learner's language, as plain text and
HTML, with a link to the wallet.

The strings are kept here per language, like the learner account's mails (jobs run below the
web layer). Credential names come from issuers and imports: escaped in the HTML part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from html import escape

from microcred.notifications.compose import two_part_message

LANGUAGES = ("en", "de", "fr", "es")
WHATS = ("revoked", "suspended", "expiring", "expired")


@dataclass(frozen=True)
class _Strings:
    subject: str
    intro: str
    unnamed: str
    what: dict[str, str]
    button: str
    outro: str


_TEXTS: dict[str, _Strings] = {
    "en": _Strings(
        "News about credentials in your microcred wallet",
        "We checked the credentials in your wallet again. Some have changed:",
        "A credential without a name",
        {
            "revoked": "revoked by its issuer",
            "suspended": "suspended by its issuer",
            "expiring": "expires within 30 days",
            "expired": "has expired",
        },
        "Open your wallet",
        "You get this message once for each change. You can hide a notice in your wallet.",
    ),
    "de": _Strings(
        "Neuigkeiten zu Nachweisen in Ihrer microcred-Wallet",
        "Wir haben die Nachweise in Ihrer Wallet erneut geprüft. Einige haben sich geändert:",
        "Ein Nachweis ohne Namen",
        {
            "revoked": "vom Aussteller widerrufen",
            "suspended": "vom Aussteller ausgesetzt",
            "expiring": "läuft in den nächsten 30 Tagen ab",
            "expired": "ist abgelaufen",
        },
        "Wallet öffnen",
        "Sie erhalten diese Nachricht einmal je Änderung. In Ihrer Wallet können Sie einen "
        "Hinweis ausblenden.",
    ),
    "fr": _Strings(
        "Du nouveau sur les certifications de votre portefeuille microcred",
        "Nous avons vérifié à nouveau les certifications de votre portefeuille. Certaines ont "
        "changé :",
        "Une certification sans nom",
        {
            "revoked": "révoquée par son émetteur",
            "suspended": "suspendue par son émetteur",
            "expiring": "expire dans les 30 jours",
            "expired": "a expiré",
        },
        "Ouvrir mon portefeuille",
        "Vous recevez ce message une seule fois par changement. Vous pouvez masquer un avis "
        "dans votre portefeuille.",
    ),
    "es": _Strings(
        "Novedades sobre las credenciales de su cartera microcred",
        "Hemos vuelto a comprobar las credenciales de su cartera. Algunas han cambiado:",
        "Una credencial sin nombre",
        {
            "revoked": "revocada por su emisor",
            "suspended": "suspendida por su emisor",
            "expiring": "caduca en los próximos 30 días",
            "expired": "ha caducado",
        },
        "Abrir mi cartera",
        "Recibe este mensaje una sola vez por cada cambio. Puede ocultar un aviso en su cartera.",
    ),
}


def notice_message(
    *,
    language: str,
    notices: Sequence[tuple[str, str | None]],
    link: str,
    to: str,
    sender: str,
) -> EmailMessage:
    """One message listing ``notices`` (what, credential name) to ``to``, linking to the
    wallet (English when the language is not offered)."""
    lang = language if language in LANGUAGES else "en"
    strings = _TEXTS[lang]
    # A name is the issuer's text: one line of it, whatever it carries.
    lines = [
        f"{' '.join((name or '').split()) or strings.unnamed}: {strings.what[what]}"
        for what, name in notices
    ]
    text = (
        f"{strings.intro}\n\n"
        + "".join(f"- {line}\n" for line in lines)
        + f"\n{strings.button}:\n{link}\n\n{strings.outro}\n"
    )
    body_html = (
        f"<p>{escape(strings.intro)}</p>\n<ul>\n"
        + "".join(f"<li>{escape(line)}</li>\n" for line in lines)
        + "</ul>\n"
        f'<p><a href="{escape(link)}">{escape(strings.button)}</a></p>\n'
        f'<p style="color: #555; font-size: 0.9em;">{escape(strings.outro)}</p>\n'
    )
    return two_part_message(
        subject=strings.subject, sender=sender, to=to, language=lang, text=text, body_html=body_html
    )


__all__ = ["LANGUAGES", "WHATS", "notice_message"]
