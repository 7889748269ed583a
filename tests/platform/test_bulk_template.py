"""The bulk fast path builds exactly what ``build_credential`` builds."""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from microcred.model import Achievement, build_credential, hashed_email_identity, parse_profile
from microcred.model.subject import AchievementSubject
from microcred.model.template import _DID, CredentialTemplate
from tests.platform.conftest import SIMPLE_ACHIEVEMENT

ISSUER = parse_profile(
    {"id": "did:web:badges.example.org:issuers:alpha", "type": ["Profile"], "name": "Alpha"}
)
ACHIEVEMENT = Achievement(
    **{
        **SIMPLE_ACHIEVEMENT,
        "id": "https://badges.example.org/achievements/1",
        "type": ["Achievement"],
    }
)


def slow(**kwargs: object) -> dict[str, object]:
    subject: dict[str, object] = {"achievement": ACHIEVEMENT}
    if kwargs.get("did") is not None:
        subject["id"] = kwargs["did"]
    if kwargs.get("identity") is not None:
        subject["identifier"] = [kwargs["identity"]]
    if kwargs.get("name") is not None:
        subject["name"] = kwargs["name"]
    return build_credential(
        id=kwargs["id"],  # type: ignore[arg-type]
        issuer=ISSUER,
        achievement=ACHIEVEMENT,
        subject=AchievementSubject(**subject),
        valid_from=kwargs["valid_from"],  # type: ignore[arg-type]
        valid_until=kwargs.get("valid_until"),  # type: ignore[arg-type]
    )


SHAPES = [
    shape
    for shape in itertools.product(
        [None, "did:key:z6MkExample"],
        [None, "a@example.org"],
        [None, 'Zoë "Z" Ünal'],
        [None, datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)],
    )
    if shape[0] or shape[1]  # a recipient has a DID or an e-mail address
]


@pytest.mark.parametrize(("did", "email", "name", "until"), SHAPES)
def test_template_equals_slow_path_for_every_shape(
    did: str | None, email: str | None, name: str | None, until: datetime | None
) -> None:
    template = CredentialTemplate(issuer=ISSUER, achievement=ACHIEVEMENT)
    for n in range(3):  # the first call builds the shape, later ones fill it
        kwargs = {
            "id": f"https://badges.example.org/credentials/{n}",
            "did": did,
            "identity": hashed_email_identity(email) if email else None,
            "name": f"{name} {n}" if name else None,
            "valid_from": datetime(2026, 11, 26, 12, 0, n, tzinfo=UTC),
            "valid_until": until,
        }
        fast = template.build(**kwargs)  # type: ignore[arg-type]
        assert json.dumps(fast) == json.dumps(slow(**kwargs))  # same content, same key order


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 5, 1, 10, 0, 0, 250000, tzinfo=UTC),
        datetime(2026, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    ],
)
def test_template_writes_times_as_the_model_does(moment: datetime) -> None:
    template = CredentialTemplate(issuer=ISSUER, achievement=ACHIEVEMENT)
    for n in range(2):  # build the shape, then fill it
        kwargs = {
            "id": f"urn:uuid:{n}",
            "did": "did:key:z6Mk1",
            "valid_from": moment,
            "valid_until": moment + timedelta(days=365),
        }
        assert json.dumps(template.build(**kwargs)) == json.dumps(slow(**kwargs))  # type: ignore[arg-type]


def test_template_documents_do_not_share_what_differs() -> None:
    template = CredentialTemplate(issuer=ISSUER, achievement=ACHIEVEMENT)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    one = template.build(
        id="urn:uuid:1", valid_from=moment, identity=hashed_email_identity("a@x.org")
    )
    snapshot = copy.deepcopy(one)
    template.build(id="urn:uuid:2", valid_from=moment, identity=hashed_email_identity("b@x.org"))
    assert one == snapshot


def test_values_the_template_cannot_vouch_for_take_the_slow_path() -> None:
    template = CredentialTemplate(issuer=ISSUER, achievement=ACHIEVEMENT)
    for kwargs in (
        {"id": "urn:uuid:2", "did": _DID, "valid_from": datetime(2026, 1, 1, tzinfo=UTC)},
    ):
        assert template.build(**kwargs) == slow(**kwargs)  # type: ignore[arg-type]
