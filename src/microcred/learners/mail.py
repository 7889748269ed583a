"""The e-mails a learner gets: a sign-in link and an address-verification link, in the
learner's UI language, as plain text and HTML.

The strings are kept here, per language, rather than in the web pages' catalogues: jobs run
below the web layer. The link is the only value put into a message; it is escaped in the HTML
part all the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from html import escape

from microcred.notifications.compose import two_part_message

SIGN_IN = "sign_in"
ADD_EMAIL = "add_email"
LANGUAGES = ("en", "de", "fr", "es")


@dataclass(frozen=True)
class _Strings:
    subject: str
    intro: str
    button: str
    expiry: str
    ignore: str


_TEXTS: dict[str, dict[str, _Strings]] = {
    SIGN_IN: {
        "en": _Strings(
            "Your microcred sign-in link",
            "Someone (hopefully you) asked to sign in to microcred with this address.",
            "Sign in",
            "The link works once, within 15 minutes.",
            "If it was not you, ignore this message: nothing happens without the link.",
        ),
        "de": _Strings(
            "Ihr Anmeldelink für microcred",
            "Jemand (hoffentlich Sie) möchte sich mit dieser Adresse bei microcred anmelden.",
            "Anmelden",
            "Der Link funktioniert einmal, innerhalb von 15 Minuten.",
            "Falls Sie das nicht waren, ignorieren Sie diese Nachricht: ohne den Link geschieht "
            "nichts.",
        ),
        "fr": _Strings(
            "Votre lien de connexion microcred",
            "Quelqu’un (vous, espérons-le) a demandé à se connecter à microcred avec cette "
            "adresse.",
            "Se connecter",
            "Le lien fonctionne une seule fois, pendant 15 minutes.",
            "Si ce n’était pas vous, ignorez ce message : rien ne se passe sans le lien.",
        ),
        "es": _Strings(
            "Su enlace de acceso a microcred",
            "Alguien (esperamos que usted) ha pedido iniciar sesión en microcred con esta "
            "dirección.",
            "Iniciar sesión",
            "El enlace funciona una sola vez, durante 15 minutos.",
            "Si no fue usted, ignore este mensaje: sin el enlace no ocurre nada.",
        ),
    },
    ADD_EMAIL: {
        "en": _Strings(
            "Confirm your address for microcred",
            "Someone (hopefully you) asked to add this address to a microcred account.",
            "Confirm this address",
            "The link works once, within 15 minutes.",
            "If it was not you, ignore this message: the address is not added without the link.",
        ),
        "de": _Strings(
            "Bestätigen Sie Ihre Adresse für microcred",
            "Jemand (hoffentlich Sie) möchte diese Adresse zu einem microcred-Konto hinzufügen.",
            "Adresse bestätigen",
            "Der Link funktioniert einmal, innerhalb von 15 Minuten.",
            "Falls Sie das nicht waren, ignorieren Sie diese Nachricht: ohne den Link wird die "
            "Adresse nicht hinzugefügt.",
        ),
        "fr": _Strings(
            "Confirmez votre adresse pour microcred",
            "Quelqu’un (vous, espérons-le) a demandé à ajouter cette adresse à un compte "
            "microcred.",
            "Confirmer cette adresse",
            "Le lien fonctionne une seule fois, pendant 15 minutes.",
            "Si ce n’était pas vous, ignorez ce message : l’adresse n’est pas ajoutée sans le "
            "lien.",
        ),
        "es": _Strings(
            "Confirme su dirección para microcred",
            "Alguien (esperamos que usted) ha pedido añadir esta dirección a una cuenta de "
            "microcred.",
            "Confirmar esta dirección",
            "El enlace funciona una sola vez, durante 15 minutos.",
            "Si no fue usted, ignore este mensaje: sin el enlace la dirección no se añade.",
        ),
    },
}


def link_message(*, purpose: str, language: str, link: str, to: str, sender: str) -> EmailMessage:
    """The message carrying ``link`` to ``to`` (English when the language is not offered)."""
    strings = _TEXTS[purpose].get(language) or _TEXTS[purpose]["en"]
    lang = language if language in LANGUAGES else "en"
    text = f"{strings.intro}\n\n{strings.button}:\n{link}\n\n{strings.expiry}\n{strings.ignore}\n"
    body_html = (
        f"<p>{escape(strings.intro)}</p>\n"
        f'<p><a href="{escape(link)}">{escape(strings.button)}</a></p>\n'
        f"<p>{escape(strings.expiry)}</p>\n"
        f'<p style="color: #555; font-size: 0.9em;">{escape(strings.ignore)}</p>\n'
    )
    return two_part_message(
        subject=strings.subject, sender=sender, to=to, language=lang, text=text, body_html=body_html
    )


__all__ = ["ADD_EMAIL", "LANGUAGES", "SIGN_IN", "link_message"]
