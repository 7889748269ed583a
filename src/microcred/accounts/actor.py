"""Who is acting, for which issuer, with which role; every service call is checked against it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from microcred.errors import InputError, NotFoundError, PermissionDeniedError, short

Role = Literal["owner", "issuer", "viewer"]
ROLES: tuple[Role, ...] = ("owner", "issuer", "viewer")
RANK: dict[str, int] = {"viewer": 0, "issuer": 1, "owner": 2}


def parse_role(value: str) -> Role:
    for role in ROLES:
        if value == role:
            return role
    raise InputError("unknown role", expected=" | ".join(ROLES), found=short(value))


@dataclass(frozen=True)
class Actor:
    """``name`` goes into the audit log: ``api-key:<prefix>``, ``staff:<email>``, ``system``.
    ``user_id`` is the staff user's id when a person signed in to the console acts (so what
    they create, such as API keys, can be tied to them and revoked with them)."""

    issuer_id: str | None
    name: str
    role: Role
    user_id: str | None = None

    def require(self, issuer_id: str, role: Role) -> None:
        """Refuse unless the actor acts for ``issuer_id`` with at least ``role``.

        Another issuer's things are reported as not found, so their existence does not leak.
        """
        if self.issuer_id is not None and self.issuer_id != issuer_id:
            raise NotFoundError("no such issuer", found=issuer_id)
        if RANK[self.role] < RANK[role]:
            raise PermissionDeniedError(
                f"this needs the {role} role", expected=role, found=self.role
            )


SYSTEM = Actor(issuer_id=None, name="system", role="owner")
"""The operator (CLI, demo setup, jobs): may act for any issuer."""
