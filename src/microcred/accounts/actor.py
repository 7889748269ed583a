"""Who is acting, for which issuer, with which role; every service call is checked against it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from microcred.errors import InputError, NotFoundError, PermissionDeniedError, short

Role = Literal["owner", "issuer", "viewer"]
ROLES: tuple[Role, ...] = ("owner", "issuer", "viewer")
_RANK = {"viewer": 0, "issuer": 1, "owner": 2}


def parse_role(value: str) -> Role:
    for role in ROLES:
        if value == role:
            return role
    raise InputError("unknown role", expected=" | ".join(ROLES), found=short(value))


@dataclass(frozen=True)
class Actor:
    """``name`` goes into the audit log: ``api-key:<prefix>``, ``staff:<email>``, ``system``."""

    issuer_id: str | None
    name: str
    role: Role

    def require(self, issuer_id: str, role: Role) -> None:
        """Refuse unless the actor acts for ``issuer_id`` with at least ``role``.

        Another issuer's things are reported as not found, so their existence does not leak.
        """
        if self.issuer_id is not None and self.issuer_id != issuer_id:
            raise NotFoundError("no such issuer", found=issuer_id)
        if _RANK[self.role] < _RANK[role]:
            raise PermissionDeniedError(
                f"this needs the {role} role", expected=role, found=self.role
            )


SYSTEM = Actor(issuer_id=None, name="system", role="owner")
"""The operator (CLI, demo setup, jobs): may act for any issuer."""
