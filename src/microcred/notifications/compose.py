"""Writing a two-part e-mail (plain text and HTML) in one language.

The learner-facing mails (sign-in links, wallet notices, lifecycle notices) share the frame:
the HTML skeleton, the Message-ID on the sender's domain, and the Content-Language header.
Each caller writes its own words; the HTML body it passes is already escaped.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from html import escape


def two_part_message(
    *, subject: str, sender: str, to: str, language: str, text: str, body_html: str
) -> EmailMessage:
    """A message to ``to`` whose HTML part wraps ``body_html`` (escaped by the caller) in a
    page titled ``subject`` in ``language``."""
    html = (
        f'<!DOCTYPE html>\n<html lang="{escape(language)}">\n<head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head>\n"
        '<body style="font-family: sans-serif; line-height: 1.5;">\n'
        f"{body_html}"
        "</body>\n</html>\n"
    )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Message-ID"] = make_msgid(domain=domain_of(sender))
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = language  # after the body: set_content drops Content-* headers
    return message


def domain_of(sender: str) -> str:
    """The domain of the address in ``sender`` (``Name <a@b>`` or ``a@b``), for Message-IDs."""
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return address.rpartition("@")[2] or "localhost"


__all__ = ["domain_of", "two_part_message"]
