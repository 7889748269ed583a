"""A micro-degree awarded by a pathway exports as a European Digital Credential with the part
credentials it was awarded for as sub-achievements, without the caller naming them."""

from __future__ import annotations

from sqlalchemy import select

from microcred.accounts.actor import SYSTEM
from microcred.runtime import Runtime
from microcred.store.tables import PathwayAwardRow
from microcred.verify.shacl import check_edc
from tests.platform.conftest import IssuerFixture
from tests.platform.pathways_support import issue, make_achievement, two_part_pathway
from tests.platform.test_europass import payload


def test_a_micro_degree_exports_with_the_parts_it_was_awarded_for(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    a = make_achievement(runtime, issuer, "Statistics", credits=5, eqf=6)
    b = make_achievement(runtime, issuer, "Databases", credits=4, eqf=5)
    two_part_pathway(runtime, issuer, [runtime.urls.achievement(a), runtime.urls.achievement(b)])
    issue(runtime, issuer, a)
    issue(runtime, issuer, b)
    with runtime.sessions() as session:
        (award,) = session.scalars(select(PathwayAwardRow))
    assert award.credential_id is not None
    runtime.europass.set_legal_identifier(SYSTEM, issuer.id, "DE123456789")

    edc = payload(runtime.europass.export(SYSTEM, issuer.id, award.credential_id))

    claim = edc["credentialSubject"]["hasClaim"]
    assert sorted(sub["title"]["en"] for sub in claim["hasPart"]) == ["Databases", "Statistics"]
    assert check_edc(edc) == []
    # A plain credential has no parts: nothing is added to it.
    part = issue(runtime, issuer, a)
    plain = payload(runtime.europass.export(SYSTEM, issuer.id, part.id))
    assert "hasPart" not in plain["credentialSubject"]["hasClaim"]
