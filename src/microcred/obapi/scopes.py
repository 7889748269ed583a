"""The Open Badges API's scopes: one per operation, as the specification names them."""

from __future__ import annotations

from typing import Final

_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
CREDENTIAL_READ: Final = f"{_PREFIX}credential.readonly"
CREDENTIAL_UPSERT: Final = f"{_PREFIX}credential.upsert"
PROFILE_READ: Final = f"{_PREFIX}profile.readonly"
PROFILE_UPDATE: Final = f"{_PREFIX}profile.update"
# Asked for by the specification's own registration example; it grants nothing by itself
# (a client registered for the refresh_token grant gets refresh tokens either way).
OFFLINE_ACCESS: Final = "offline_access"

# What each scope lets a client do, for the service description (the consent screen says
# the same in the learner's language, from its own template).
DESCRIPTIONS: Final[dict[str, str]] = {
    CREDENTIAL_READ: "Permission to read the learner's OpenBadgeCredentials.",
    CREDENTIAL_UPSERT: "Permission to add credentials to the learner's wallet or replace them.",
    PROFILE_READ: "Permission to read the learner's profile.",
    PROFILE_UPDATE: "Permission to update the learner's profile.",
}
SUPPORTED: Final[tuple[str, ...]] = (*DESCRIPTIONS, OFFLINE_ACCESS)


def split(scope: str | None) -> list[str]:
    """A space-separated scope string as a list, in order, without repeats."""
    seen: dict[str, None] = {}
    for item in (scope or "").split():
        seen.setdefault(item, None)
    return list(seen)
