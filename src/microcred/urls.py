"""The public URL scheme: every public address this server names, built and parsed here.

A credential, an issuer and its DID, an achievement and its image, a status list and the log
each have one address under the configured public URL. Everything that writes one of these
into a document, and everything that recognises one of ours when it comes back (the verifier,
the counters, the log), goes through :class:`PublicUrls`, so the scheme can change in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit

from microcred.crypto.did import did_web_from_url
from microcred.types import Did

_SLUG = r"[a-z0-9-]{1,64}"
_CREDENTIAL = re.compile(r"^/credentials/([A-Za-z0-9-]{1,64})(?:/badge\.(?:png|svg))?/?$")
_STATUS_LIST = re.compile(rf"^/status/({_SLUG})/([a-z]{{1,32}})/([1-9][0-9]{{0,9}})$")
_SLUG_ONLY = re.compile(rf"^{_SLUG}$")


class StatusListAddress(NamedTuple):
    slug: str
    purpose: str
    seq: int


@dataclass(frozen=True)
class PublicUrls:
    """Addresses under ``base`` (the public URL, ``https://host[/path]`` without a final slash)."""

    base: str

    # ---- building ------------------------------------------------------------------------------

    def credential(self, credential_id: str) -> str:
        return f"{self.base}/credentials/{credential_id}"

    def credential_file(self, credential_id: str, name: str) -> str:
        """A file served beside the credential's page (``signature.png``, ``badge.png``, ...)."""
        return f"{self.credential(credential_id)}/{quote(name, safe='.')}"

    def credential_with(self, credential_id: str, parameter: str, value: str) -> str:
        """The credential's page with one query parameter (the recipient's private link)."""
        return f"{self.credential(credential_id)}?{parameter}={quote(value, safe='')}"

    def issuer(self, slug: str) -> str:
        return f"{self.base}/issuers/{slug}"

    def issuer_did(self, slug: str) -> Did:
        """``did:web:<host>[:path]:issuers:<slug>``, resolved at :meth:`issuer`'s ``did.json``."""
        return did_web_from_url(self.issuer(slug))

    def pathway(self, pathway_id: str) -> str:
        """A pathway's public page (its JSON at the API's ``/api/v1/pathways/<id>``)."""
        return f"{self.base}/pathways/{pathway_id}"

    def credential_clr(self, credential_id: str) -> str:
        """A micro-degree's CLR 2.0 record of its parts, beside the credential."""
        return f"{self.credential(credential_id)}/clr"

    def achievement(self, achievement_id: str) -> str:
        return f"{self.base}/achievements/{achievement_id}"

    def achievement_image(self, achievement_id: str) -> str:
        return f"{self.achievement(achievement_id)}/image"

    def status_list(self, slug: str, purpose: str, seq: int) -> str:
        return f"{self.base}/status/{slug}/{purpose}/{seq}"

    @cached_property
    def log(self) -> str:
        return f"{self.base}/log"

    @cached_property
    def log_checkpoint(self) -> str:
        return f"{self.log}/checkpoint"

    def log_consistency(self, first: int, second: int) -> str:
        return f"{self.log}/consistency?first={first}&second={second}"

    @cached_property
    def server_did(self) -> Did:
        """The server's own DID (the log key's controller): ``did:web:<host>[:path]``."""
        return did_web_from_url(self.base)

    @cached_property
    def log_origin(self) -> str:
        """The log's name in checkpoints: host and path of the public URL, then ``/log``."""
        parts = urlsplit(self.base)
        return f"{parts.netloc}{parts.path.rstrip('/')}/log"

    @cached_property
    def hostname(self) -> str:
        return urlsplit(self.base).hostname or "localhost"

    # OpenID for Verifiable Credential Issuance: the server is the credential issuer and its
    # own authorization server, both identified by the public URL.

    def well_known(self, name: str) -> str:
        """``/.well-known/<name>`` inserted between host and path, as RFC 8414 and OpenID4VCI
        place metadata (``https://host/.well-known/<name>/path`` for ``https://host/path``)."""
        parts = urlsplit(self.base)
        return f"{parts.scheme}://{parts.netloc}/.well-known/{name}{parts.path.rstrip('/')}"

    @cached_property
    def oid4vci_token(self) -> str:
        return f"{self.base}/oid4vci/token"

    @cached_property
    def oid4vci_nonce(self) -> str:
        return f"{self.base}/oid4vci/nonce"

    @cached_property
    def oid4vci_credential(self) -> str:
        return f"{self.base}/oid4vci/credential"

    # Learner accounts: the links their e-mails carry (the token is the last path segment).

    def learner_sign_in_link(self, token: str) -> str:
        return f"{self.base}/sign-in/{quote(token, safe='')}"

    def learner_sign_in_token(self, url: str) -> str:
        """The token of a link made by :meth:`learner_sign_in_link` (the demo signs its learner
        in with it); :class:`ValueError` for any other URL."""
        prefix = f"{self.base}/sign-in/"
        if not url.startswith(prefix) or "/" in url[len(prefix) :]:
            raise ValueError(f"not a sign-in link of this server: {url!r}")
        return unquote(url[len(prefix) :])

    def learner_email_link(self, token: str) -> str:
        return f"{self.base}/account/emails/verify/{quote(token, safe='')}"

    # The learner's wallet (private) and public profile.

    def wallet(self) -> str:
        return f"{self.base}/wallet"

    def learner_profile(self, slug: str) -> str:
        return f"{self.base}/learners/{quote(slug, safe='')}"

    def learner_public_credential(self, slug: str, ref: str) -> str:
        return f"{self.learner_profile(slug)}/credentials/{quote(ref, safe='')}"

    def lti(self, name: str) -> str:
        """The LTI 1.3 tool's addresses: ``login``, ``launch``, ``jwks``."""
        return f"{self.base}/lti/{name}"

    # The 1EdTech Open Badges 3.0 API and the OAuth 2.0 server that guards it, all under the
    # base path the spec fixes (``{base}/ims/ob/v3p0``).

    @cached_property
    def obapi(self) -> str:
        return f"{self.base}/ims/ob/v3p0"

    def obapi_endpoint(self, name: str) -> str:
        """``discovery``, ``credentials``, ``profile``, or an OAuth endpoint (``oauth/token``)."""
        return f"{self.obapi}/{name}"

    def obapi_credentials_page(self, *, limit: int, offset: int, since: str | None = None) -> str:
        page = f"{self.obapi}/credentials?limit={limit}&offset={offset}"
        return f"{page}&since={quote(since, safe='')}" if since else page

    # ---- parsing -------------------------------------------------------------------------------

    @classmethod
    def of_log_address(cls, url: str) -> PublicUrls:
        """The scheme of the server whose log ``url`` names (its base, its checkpoint, or any
        address under ``/log``): how the CLI reaches another server's log."""
        index = url.find("/log/")
        base = url[:index] if index >= 0 else url.removesuffix("/log")
        return cls(base.rstrip("/"))

    def is_ours(self, url: str) -> bool:
        return url.startswith(self.base + "/")

    def credential_id(self, url: str) -> str | None:
        """The id in one of our credential addresses (its page or its baked badge), or None."""
        if not self.is_ours(url):
            return None
        match = _CREDENTIAL.match(url.removeprefix(self.base).split("?", 1)[0])
        return match.group(1) if match else None

    def status_list_address(self, url: str) -> StatusListAddress | None:
        """Issuer slug, purpose and sequence number of one of our status lists, or None."""
        if not self.is_ours(url):
            return None
        match = _STATUS_LIST.match(url.removeprefix(self.base))
        if match is None:
            return None
        slug, purpose, seq = match.groups()
        return StatusListAddress(slug, purpose, int(seq))

    @cached_property
    def _issuer_did_prefix(self) -> str:
        return did_web_from_url(f"{self.base}/issuers") + ":"

    def is_ours_did(self, did: str) -> bool:
        """Whether ``did`` is under our issuers' ``did:web`` path (a real issuer or not)."""
        return did.split("#", 1)[0].startswith(self._issuer_did_prefix)

    def issuer_slug_of_did(self, did: str) -> str | None:
        """The slug of one of our issuers' DIDs (a fragment is ignored), or None."""
        did = did.split("#", 1)[0]
        if not did.startswith(self._issuer_did_prefix):
            return None
        slug = did.removeprefix(self._issuer_did_prefix)
        return slug if _SLUG_ONLY.match(slug) else None

    def issuer_slug_of_did_document_url(self, url: str) -> str | None:
        """The slug when ``url`` is where did:web resolution reads one of our issuers' DID
        documents (``<base>/issuers/<slug>/did.json``, percent-decoded). The scheme is not
        compared: did:web always asks over https, whatever scheme a local server uses."""
        ours = self.issuer("").split("://", 1)[-1]
        rest = url.split("://", 1)[-1]
        if not (rest.startswith(ours) and rest.endswith("/did.json")):
            return None
        slug = unquote(rest[len(ours) : -len("/did.json")])
        return slug if _SLUG_ONLY.match(slug) else None

    def issuer_slug_of_url(self, url: str) -> str | None:
        """The slug in one of our issuer addresses (``/issuers/<slug>[/...]``), or None."""
        prefix = f"{self.base}/issuers/"
        if not url.startswith(prefix):
            return None
        slug = url.removeprefix(prefix).split("/", 1)[0]
        return slug if _SLUG_ONLY.match(slug) else None


__all__ = ["PublicUrls", "StatusListAddress"]
