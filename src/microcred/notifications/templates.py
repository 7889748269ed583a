"""The e-mail telling a recipient about a new credential: subject, plain text and HTML.

The templates live in this module rather than in template files so they ship with the package
without package-data rules. Names (recipient, achievement, issuer) are user content: the HTML
template autoescapes them, and the subject folds them onto one line so they cannot add headers.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape

TEXT = """\
{% if recipient_name %}Hello {{ recipient_name }},{% else %}Hello,{% endif %}

{{ issuer_name }} has issued you a credential: {{ achievement_name }}.

View and download it here (this link is yours alone: it also lets you choose whether your name
appears on the public page):
{{ private_url }}

To share the credential, give its public address:
{{ credential_url }}

The credential is a signed Open Badges 3.0 document; anyone you share it with can check that it
is genuine.
"""

HTML = """\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5;">
<p>{% if recipient_name %}Hello {{ recipient_name }},{% else %}Hello,{% endif %}</p>
<p><strong>{{ issuer_name }}</strong> has issued you a credential:
<strong>{{ achievement_name }}</strong>.</p>
<p><a href="{{ private_url }}">View and download your credential</a></p>
<p style="color: #555; font-size: 0.9em;">That link is yours alone: it also lets you choose
whether your name appears on the public page.</p>
<p>To share the credential, give its public address: {{ credential_url }}</p>
<p style="color: #555; font-size: 0.9em;">The credential is a signed Open Badges 3.0 document;
anyone you share it with can check that it is genuine.</p>
</body>
</html>
"""

SUBJECT_LIMIT = 200

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

    @property
    def subject(self) -> str:
        subject = one_line(f"{self.issuer_name} issued you a credential: {self.achievement_name}")
        return subject[:SUBJECT_LIMIT]

    def render(self) -> tuple[str, str]:
        """The plain-text and the HTML body."""
        values = {
            "recipient_name": self.recipient_name,
            "achievement_name": self.achievement_name,
            "issuer_name": self.issuer_name,
            "credential_url": self.credential_url,
            "private_url": self.private_url,
            "subject": self.subject,
        }
        text = _environment.get_template("credential.txt").render(values)
        html = _environment.get_template("credential.html").render(values)
        return text, html


def one_line(value: str) -> str:
    """``value`` with every run of whitespace (line breaks included) as one space."""
    return " ".join(value.split())


__all__ = ["CredentialMail", "one_line"]
