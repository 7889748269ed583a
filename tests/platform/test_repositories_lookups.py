"""Get-or-raise through the repositories: one not-found error per kind of row, the same whether
the transparency log, the witness or a status list asks."""

from __future__ import annotations

import pytest

from microcred.accounts.actor import SYSTEM
from microcred.errors import NotFoundError, short
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.status.repository import StatusListRepository
from microcred.transparency.repository import CheckpointRepository
from tests.platform.conftest import IssuerFixture


def test_an_unknown_checkpoint_is_one_error_for_the_log_and_the_witness(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, did="did:example:a")]
    )
    size = runtime.transparency.latest_checkpoint().size
    assert runtime.transparency.checkpoint(size).size == size
    with runtime.sessions() as session:
        assert CheckpointRepository(session).require(size).size == size
    for ask in (runtime.transparency.checkpoint, runtime.witness.verify, runtime.witness._record):
        with pytest.raises(NotFoundError, match="no such checkpoint") as caught:
            ask(size + 1)
        assert caught.value.found == str(size + 1)


def test_an_unknown_status_list_or_issuer_is_no_such_status_list(
    runtime: Runtime, issuer: IssuerFixture, achievement_id: str
) -> None:
    [row] = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id=achievement_id, did="did:example:a")]
    )
    seq = row.status_list_seq
    assert runtime.status_lists.signed_list(issuer.slug, "revocation", seq)["id"]
    for slug, list_seq in ((issuer.slug, seq + 1), ("nobody", seq)):
        with pytest.raises(NotFoundError, match="no such status list") as caught:
            runtime.status_lists.signed_list(slug, "suspension", list_seq)
        assert caught.value.found == short(f"{slug}/suspension/{list_seq}")
    with runtime.sessions() as session:
        lists = StatusListRepository(session)
        assert lists.get(issuer.id, "suspension", seq) is not None
        assert lists.get(issuer.id, "suspension", seq + 1) is None
