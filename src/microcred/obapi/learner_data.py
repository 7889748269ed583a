"""The OAuth server's part of a learner's data export and account deletion (the learners
feature's ``LearnerDataHook``): which apps the learner let in, and when; deleting the account
deletes every code and token of the learner (registered clients are not the learner's data)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from microcred.obapi.repository import OAuthRepository


class OAuthLearnerData:
    def export(self, session: Session, learner_id: str) -> dict[str, object]:
        repository = OAuthRepository(session)
        tokens = repository.tokens_of(learner_id)
        clients = repository.clients(sorted({row.client_id for row in tokens}))
        grants: dict[str, dict[str, object]] = {}
        for row in tokens:
            client = clients[row.client_id]
            grant = grants.setdefault(
                row.grant_id,
                {
                    "client_id": client.client_id,
                    "client_name": client.client_name,
                    "client_uri": client.client_metadata.get("client_uri"),
                    "scope": row.scope,
                    "granted_at": row.issued_at.isoformat(),
                    "last_refreshed_at": None,
                    "revoked_at": None,
                },
            )
            if row.issued_at.isoformat() != grant["granted_at"]:
                grant["last_refreshed_at"] = row.issued_at.isoformat()
            if row.revoked_at is not None:
                grant["revoked_at"] = row.revoked_at.isoformat()
        # Tokens themselves are never exported: only their digests are kept, and they are
        # secrets of the apps, not facts about the learner.
        return {"authorised_apps": list(grants.values())}

    def delete(self, session: Session, learner_id: str) -> None:
        OAuthRepository(session).delete_learner(learner_id)
