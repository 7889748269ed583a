"""Europass on the platform: a credential issued here exports as a sealed European Digital
Credential that satisfies the Commission's shapes and verifies with our verifier (by id, from a
file as issued, with a micro-degree's parts as sub-achievements); refusals say what is missing;
the console and the wallet download it; the wallet imports the Commission's sample and shows its
EU elements, and refuses, storing nothing, an EDC that breaks the shapes."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.errors import InputError, NotFoundError
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.store.tables import WalletItemRow
from microcred.verify import Status, Verifier
from microcred.verify.result import Outcome
from microcred.verify.shacl import check_edc
from microcred.web.app import create_app
from tests.platform import learners_support
from tests.platform.conftest import IssuerFixture
from tests.platform.test_pages import sign_in as staff_sign_in
from tests.platform.test_pages import staff
from tests.platform.wallet_support import make_learner

FIXTURES = Path(__file__).parents[1] / "fixtures"
ADA = "ada@example.org"


def eu_achievement(name: str = "Creating digital micro-credentials") -> dict[str, Any]:
    data = json.loads((FIXTURES / "model" / "eu-microcredential.json").read_text())
    achievement: dict[str, Any] = data["credentialSubject"]["achievement"]
    achievement.pop("id")
    achievement["name"] = name
    return achievement


def issue(
    runtime: Runtime,
    issuer: IssuerFixture,
    name: str = "Creating digital micro-credentials",
    email: str = ADA,
) -> str:
    achievement = runtime.achievements.create(SYSTEM, issuer.id, eu_achievement(name))
    (row,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement.id, email=email, name="Ada Lovelace")]
    )
    return row.id


def payload(sealed: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sealed["payload"])
    return data


def statuses(sealed: dict[str, Any]) -> dict[str, Status]:
    result = Verifier().verify(json.dumps(sealed).encode())
    return {c.name: c.status for c in result.checks}


def test_a_credential_issued_here_exports_sealed_conforming_and_verifying(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    credential_id = issue(runtime, issuer)
    runtime.europass.set_legal_identifier(SYSTEM, issuer.id, "DE123456789")
    sealed = runtime.europass.export(SYSTEM, issuer.id, credential_id)
    edc = payload(sealed)
    assert check_edc(edc) == []
    assert edc["issuer"]["id"] == issuer.did
    assert edc["issuer"]["eIDASIdentifier"]["notation"] == "DE123456789"
    assert edc["credentialSubject"]["fullName"] == {"en": "Ada Lovelace"}
    assert edc["identifier"]["notation"] == runtime.urls.credential(credential_id)
    image = edc["displayParameter"]["individualDisplay"]["displayDetail"]["image"]["content"]
    assert base64.b64decode(image).startswith(b"\x89PNG")
    result = Verifier().verify(json.dumps(sealed).encode())
    checks = {c.name: c for c in result.checks}
    assert checks["proof"].status == Status.PASSED
    assert "Alpha Academy" in checks["proof"].message  # the seal's subject
    assert checks["shapes"].status == Status.PASSED
    assert result.outcome == Outcome.ISSUER_NOT_CONFIRMED


def test_the_seal_is_made_with_the_issuers_current_key(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    from cryptography import x509

    credential_id = issue(runtime, issuer)
    runtime.europass.set_legal_identifier(SYSTEM, issuer.id, "DE123456789")
    sealed = runtime.europass.export_issued(credential_id)
    protected = sealed["signatures"][0]["protected"]
    header = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
    assert header["alg"] == "EdDSA"
    certificate = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    with runtime.sessions() as session:
        key = runtime.issuers.signing_key(session, issuer.id)
    raw = certificate.public_key().public_bytes_raw()  # type: ignore[union-attr]
    assert raw == key.key.native.public_key().public_bytes_raw()  # type: ignore[union-attr]
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.value.get_values_for_type(x509.UniformResourceIdentifier) == [issuer.did]


def test_without_a_legal_identifier_the_export_says_how_to_set_one(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    credential_id = issue(runtime, issuer)
    with pytest.raises(InputError, match="legal identifier") as caught:
        runtime.europass.export(SYSTEM, issuer.id, credential_id)
    assert "microcred europass legal-id" in str(caught.value)
    with pytest.raises(InputError, match="not a legal identifier"):
        runtime.europass.set_legal_identifier(SYSTEM, issuer.id, "<script>")


def test_another_issuers_credential_is_not_found(
    runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    credential_id = issue(runtime, issuer)
    runtime.europass.set_legal_identifier(SYSTEM, issuer.id, "DE123456789")
    from microcred.accounts.actor import Actor

    other = Actor(issuer_id=other_issuer.id, name="beta", role="owner")
    with pytest.raises(NotFoundError):
        runtime.europass.export(other, issuer.id, credential_id)


def test_a_micro_degree_exports_with_its_parts_as_sub_achievements(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    parts = [issue(runtime, issuer, f"Module {n}") for n in (1, 2)]
    degree = issue(runtime, issuer, "Micro-degree in credentials")
    runtime.europass.set_legal_identifier(SYSTEM, issuer.id, "DE123456789")
    sealed = runtime.europass.export(SYSTEM, issuer.id, degree, parts=parts)
    edc = payload(sealed)
    claim = edc["credentialSubject"]["hasClaim"]
    assert claim["title"] == {"en": "Micro-degree in credentials"}
    assert [sub["title"]["en"] for sub in claim["hasPart"]] == ["Module 1", "Module 2"]
    assert len(claim["specifiedBy"]["hasPart"]) == 2
    assert check_edc(edc) == []
    assert statuses(sealed)["proof"] == Status.PASSED
    someone_else = issue(runtime, issuer, "Module 3", email="bob@example.org")
    with pytest.raises(InputError, match="another learner"):
        runtime.europass.export(SYSTEM, issuer.id, degree, parts=[someone_else])
    with pytest.raises(InputError, match="no such part"):
        runtime.europass.export(SYSTEM, issuer.id, degree, parts=["nope"])


def test_a_file_exports_only_as_issued(runtime: Runtime, issuer: IssuerFixture) -> None:
    credential_id = issue(runtime, issuer)
    runtime.europass.set_legal_identifier(SYSTEM, issuer.id, "DE123456789")
    document = runtime.credentials.get_public(credential_id).document
    assert statuses(runtime.europass.export_document(document))["proof"] == Status.PASSED
    changed = json.loads(json.dumps(document))
    changed["credentialSubject"]["achievement"]["name"] = "Something grander"
    with pytest.raises(InputError, match="not the credential as issued"):
        runtime.europass.export_document(changed)
    foreign = {**document, "id": "https://elsewhere.example/credentials/1"}
    with pytest.raises(InputError, match="issued on this server"):
        runtime.europass.export_document(foreign)


# ---- the pages -----------------------------------------------------------------------------------


def test_the_console_downloads_the_edc_and_explains_a_refusal(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    credential_id = issue(runtime, issuer)
    with TestClient(create_app(runtime), base_url="https://testserver") as web:
        staff_sign_in(web, staff(runtime, issuer, "viewer"))
        page = web.get(f"/console/credentials/{credential_id}")
        assert 'id="edc-download"' in page.text
        assert 'id="legal-id-form"' not in page.text  # a viewer cannot set it
        refused = web.get(f"/console/credentials/{credential_id}/edc")
        assert refused.status_code == 409
        assert "legal identifier" in refused.text
    with TestClient(create_app(runtime), base_url="https://testserver") as web:
        staff_sign_in(web, staff(runtime, issuer, "owner"))
        page = web.get(f"/console/credentials/{credential_id}")
        assert 'id="legal-id-form"' in page.text
        token = learners_support.csrf(page.text)
        bad = web.post(
            "/console/europass/legal-identifier",
            data={"csrf_token": token, "credential_id": credential_id, "notation": "<x>"},
            follow_redirects=False,
        )
        assert bad.status_code == 422
        assert "not a legal identifier" in bad.text
        assert runtime.europass.legal_identifier(issuer.id) is None
        saved = web.post(
            "/console/europass/legal-identifier",
            data={"csrf_token": token, "credential_id": credential_id, "notation": "DE123456789"},
            follow_redirects=False,
        )
        assert saved.status_code == 303
        assert saved.headers["location"] == f"/console/credentials/{credential_id}?done=legal-id"
        assert runtime.europass.legal_identifier(issuer.id) == "DE123456789"
        assert 'id="legal-id-form"' not in web.get(saved.headers["location"]).text
        answer = web.get(f"/console/credentials/{credential_id}/edc")
        assert answer.status_code == 200
        assert "attachment" in answer.headers["content-disposition"]
        assert statuses(answer.json())["proof"] == Status.PASSED
        assert web.get("/console/credentials/nope/edc").status_code == 404
        german = web.get(f"/console/credentials/{credential_id}", headers={"Accept-Language": "de"})
        assert "Als europäischen digitalen Nachweis herunterladen" in german.text


def test_the_wallet_downloads_its_own_credential_as_an_edc(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    credential_id = issue(runtime, issuer)
    runtime.europass.set_legal_identifier(SYSTEM, issuer.id, "DE123456789")
    web = learners_support.browser(runtime)
    try:
        learners_support.sign_in(runtime, web, ADA)
        page = web.get(f"/wallet/credentials/{credential_id}")
        assert page.status_code == 200
        assert 'id="edc-download"' in page.text
        assert "EQF level" in page.text  # our EU elements on the wallet page
        assert "<dt>Credit points</dt><dd>2</dd>" in page.text
        answer = web.get(f"/wallet/credentials/{credential_id}/edc")
        assert answer.status_code == 200
        assert statuses(answer.json())["shapes"] == Status.PASSED
        spanish = web.get(f"/wallet/credentials/{credential_id}", headers={"Accept-Language": "es"})
        assert "Descargar como credencial digital europea" in spanish.text
    finally:
        web.close()
    other = learners_support.browser(runtime)
    try:
        learners_support.sign_in(runtime, other, "bob@example.org")
        assert other.get(f"/wallet/credentials/{credential_id}/edc").status_code == 404
    finally:
        other.close()


def test_the_wallet_shows_the_samples_eu_elements_like_ours(runtime: Runtime) -> None:
    web = learners_support.browser(runtime)
    try:
        learners_support.sign_in(runtime, web, ADA)
        learner = runtime.wallet  # the learner id comes from the signed-in account
        from tests.platform.test_learners_account import learner_id

        item = learner.import_bytes(
            learner_id(runtime, ADA),
            (FIXTURES / "edc" / "Sample-MC-Annex1-signed.jsonld").read_bytes(),
            source="upload",
        )
        page = web.get(f"/wallet/credentials/{item.id}")
        assert page.status_code == 200
        text = page.text
        assert "European micro-credential" in text
        assert "Blended" in text
        assert "60 hours" in text
        assert "Developing digital content" in text
        assert 'data-check="shapes" data-status="passed"' in text
        assert "EU trusted lists" in text
        assert 'id="edc-download"' not in text  # not ours to seal
        assert web.get(f"/wallet/credentials/{item.id}/edc").status_code == 404
    finally:
        web.close()


def _items(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.query(WalletItemRow).count()


def test_an_edc_that_breaks_the_shapes_is_refused_and_nothing_is_kept(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    from microcred.europass.seal import seal, seal_certificate

    credential_id = issue(runtime, issuer)
    runtime.europass.set_legal_identifier(SYSTEM, issuer.id, "DE123456789")
    edc = payload(runtime.europass.export_issued(credential_id))
    del edc["issued"]
    with runtime.sessions() as session:
        key = runtime.issuers.signing_key(session, issuer.id).key
    now = runtime.clock()
    certificate = seal_certificate(
        key, organisation="Alpha", country="DE", legal_identifier="X1", did=issuer.did, now=now
    )
    broken = json.dumps(seal(edc, key, certificate, now=now)).encode()
    ada = make_learner(runtime, "someone@example.org")
    before = _items(runtime)
    with pytest.raises(InputError) as caught:
        runtime.wallet.import_bytes(ada, broken, source="upload")
    assert "cred:issued" in str(caught.value)  # the path
    assert "Less than 1 values" in str(caught.value)  # the shape's message
    assert _items(runtime) == before
    # The same upload on the import page: a clear 4xx naming the shape, nothing kept.
    web = learners_support.browser(runtime)
    try:
        learners_support.sign_in(runtime, web, ADA)
        token = learners_support.csrf(web.get("/wallet/import").text)
        answer = web.post(
            "/wallet/import",
            data={"csrf_token": token},
            files={"file": ("edc.json", broken, "application/json")},
        )
        assert 400 <= answer.status_code < 500
        assert "cred:issued" in answer.text
        assert "does not conform" in answer.text
    finally:
        web.close()
    assert _items(runtime) == before


def test_an_edc_with_an_altered_payload_is_held_as_not_verified(
    runtime: Runtime, issuer: IssuerFixture
) -> None:
    credential_id = issue(runtime, issuer)
    runtime.europass.set_legal_identifier(SYSTEM, issuer.id, "DE123456789")
    sealed = runtime.europass.export_issued(credential_id)
    sealed["payload"] = sealed["payload"].replace("Ada Lovelace", "Eve Lovelace")
    ada = make_learner(runtime, "someone@example.org")
    item = runtime.wallet.import_bytes(ada, json.dumps(sealed).encode(), source="upload")
    assert item.state == "unverified"
    assert item.verification is not None
    proof = next(c for c in item.verification["checks"] if c["name"] == "proof")
    assert proof["status"] == "failed"


def test_the_api_sets_the_legal_identifier_and_exports(
    client: TestClient, runtime: Runtime, issuer: IssuerFixture, other_issuer: IssuerFixture
) -> None:
    credential_id = issue(runtime, issuer)
    path = f"/api/v1/issuers/{issuer.id}"
    assert client.get(
        f"{path}/credentials/{credential_id}/edc", headers=issuer.headers
    ).status_code in (400, 422)
    bad = client.put(
        f"{path}/europass/legal-identifier", json={"notation": "<x>"}, headers=issuer.headers
    )
    assert bad.status_code in (400, 422)
    assert "not a legal identifier" in bad.text
    stranger = client.put(
        f"{path}/europass/legal-identifier", json={"notation": "DE1"}, headers=other_issuer.headers
    )
    assert stranger.status_code == 404
    put = client.put(
        f"{path}/europass/legal-identifier",
        json={"notation": "DE123456789"},
        headers=issuer.headers,
    )
    assert put.status_code == 204
    answer = client.get(f"{path}/credentials/{credential_id}/edc", headers=issuer.headers)
    assert answer.status_code == 200
    assert statuses(answer.json())["proof"] == Status.PASSED
    hidden = client.get(
        f"/api/v1/issuers/{other_issuer.id}/credentials/{credential_id}/edc",
        headers=other_issuer.headers,
    )
    assert hidden.status_code == 404
