"""The public URL, kept with the data (issue 20, defect 4).

Every name this server writes (issuers' did:web, credential and status-list URLs, the log's
origin in each checkpoint) is built on the public URL, so it is a property of the data, not of
one command's configuration. The first process that opens the data stores the URL it was given
(``MICROCRED_PUBLIC_URL``, or where ``serve`` listens, or the default); afterwards a process
configured with another one refuses to start, and one configured with none uses the stored
one. ``microcred public-url set`` changes it deliberately.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker

from microcred.errors import ConflictError, InputError, short
from microcred.instance.repository import InstanceRepository
from microcred.store.db import transaction

PUBLIC_URL = "public_url"


def normalize_public_url(url: str) -> str:
    """``url`` as stored and compared: http(s), a host, no query or fragment, no final slash."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InputError(
            "the public URL is not a plain http(s) URL",
            expected="https://host[:port][/path]",
            found=short(url),
        )
    return url.strip().rstrip("/")


def bind_public_url(
    sessions: sessionmaker[Session],
    configured: str,
    *,
    explicit: bool,
    now: Callable[[], datetime],
) -> str:
    """The public URL the data is named under: the stored one, or ``configured`` stored now.

    ``explicit``: the process was told ``configured`` (rather than falling back to a default);
    if it differs from the stored URL this raises :class:`ConflictError` saying both.
    """
    configured = normalize_public_url(configured)
    with transaction(sessions) as session:
        stored = InstanceRepository(session).get_or_add(PUBLIC_URL, configured, now())
    if explicit and stored != configured:
        raise _mismatch(stored, configured)
    return stored


def stored_public_url(sessions: sessionmaker[Session]) -> str | None:
    with sessions() as session:
        return InstanceRepository(session).get(PUBLIC_URL)


def set_public_url(sessions: sessionmaker[Session], url: str, now: datetime) -> str:
    """Change the stored URL on purpose. What was named under the old one keeps its names."""
    url = normalize_public_url(url)
    with transaction(sessions) as session:
        InstanceRepository(session).put(PUBLIC_URL, url, now)
    return url


def _mismatch(stored: str, configured: str) -> ConflictError:
    return ConflictError(
        f"this data is named under the public URL {stored}, not {configured}: issuers' DIDs, "
        "credentials and the log's checkpoints would not agree. Use the stored URL (unset "
        f"MICROCRED_PUBLIC_URL or set it to {stored}; `serve` on that port), or change it on "
        "purpose with `microcred public-url set URL` (credentials already issued keep the old "
        "names)",
        expected=stored,
        found=configured,
    )


__all__ = [
    "PUBLIC_URL",
    "bind_public_url",
    "normalize_public_url",
    "set_public_url",
    "stored_public_url",
]
