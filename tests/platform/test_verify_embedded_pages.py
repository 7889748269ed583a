"""A CLR and an endorsed badge through the /verify page and the API: each credential inside has
its own result, the associations are shown, and the page speaks the reader's language."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from microcred.runtime import Runtime
from microcred.samples import sample_credential
from microcred.web.app import create_app
from tests.platform.test_pages import csrf
from tests.verify.test_verifier_embedded import (
    COMPANY,
    ENDORSER,
    endorsed,
    endorsement,
    our_clr,
    sign,
    unconfirmed_endorsement,
)


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield client


def clr_with_a_forgery() -> dict[str, object]:
    good = sign(sample_credential(issuer_id=COMPANY.controller), COMPANY)
    forged = copy.deepcopy(good)
    forged["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    return our_clr(good, forged)


def test_the_api_returns_each_embedded_credentials_result(web: TestClient) -> None:
    body = web.post("/api/v1/verify", json={"credential": clr_with_a_forgery()}).json()
    assert body["verified"] is False
    assert [p["verified"] for p in body["parts"]] == [True, False]
    assert body["parts"][1]["path"] == "credentialSubject.verifiableCredential[1]"
    proof = next(c for c in body["parts"][1]["checks"] if c["name"] == "proof")
    assert proof["status"] == "failed"
    assert body["summary"]["associations"][0]["sourceName"] == "Achievement 1"


def test_the_page_shows_the_parts_and_the_associations(web: TestClient) -> None:
    token = csrf(web.get("/verify").text)
    page = web.post(
        "/verify",
        data={"text": json.dumps(clr_with_a_forgery()), "csrf_token": token},
        headers={"Accept-Language": "de"},
    ).text
    assert 'data-part="credentialSubject.verifiableCredential[0]" data-verified="true"' in page
    assert 'data-part="credentialSubject.verifiableCredential[1]" data-verified="false"' in page
    assert "Wie die Leistungen zusammenhängen" in page
    assert "Achievement 1 <code>isParentOf</code> Achievement 2" in page
    assert "Nachweise in dieser Sammlung" in page  # the check's label, in German
    assert "1 der 2 Nachweise in dieser Sammlung sind nicht verifiziert" in page


def test_the_page_shows_an_endorsement_with_its_own_verdict(web: TestClient) -> None:
    good = endorsement(ENDORSER, "https://example.edu/achievements/data-analysis-python")
    token = csrf(web.get("/verify").text)
    page = web.post("/verify", data={"text": json.dumps(endorsed(good)), "csrf_token": token}).text
    assert 'data-part="credentialSubject.achievement.endorsement[0]" data-verified="true"' in page
    assert "Endorsement:" in page
    assert "Verified on its own." in page


@pytest.mark.parametrize(
    ("language", "part_says", "check_says"),
    [
        (
            "en",
            "Its signature is valid, but the endorser could not be confirmed.",
            "but their endorser could not be confirmed",
        ),
        (
            "de",
            "Die Signatur ist gültig, aber der Empfehlende konnte nicht bestätigt werden.",
            "aber ihr Empfehlender konnte nicht bestätigt werden",
        ),
    ],
)
def test_an_unconfirmed_endorser_reads_as_a_warning_not_as_not_verified(
    web: TestClient, language: str, part_says: str, check_says: str
) -> None:
    carried = unconfirmed_endorsement()
    token = csrf(web.get("/verify").text)
    page = web.post(
        "/verify",
        data={"text": json.dumps(endorsed(carried)), "csrf_token": token},
        headers={"Accept-Language": language},
    ).text
    assert 'data-outcome="issuer-not-confirmed"' in page
    assert 'class="part result-unconfirmed"' in page
    assert part_says in page
    assert check_says in page
    assert "Not verified on its own." not in page
    assert "Für sich nicht verifiziert." not in page


def test_each_proof_of_a_set_is_named_in_the_pages_language(web: TestClient) -> None:
    from tests.verify.test_proof_sets_verifier import ISSUER, WITNESS, add

    unsigned = sample_credential(issuer_id=ISSUER.controller)
    secured = add(add(unsigned, WITNESS, proof_id="urn:witness"), ISSUER)
    german = {"Accept-Language": "de"}
    token = csrf(web.get("/verify", headers=german).text)
    page = web.post(
        "/verify", data={"text": json.dumps(secured), "csrf_token": token}, headers=german
    ).text
    assert "Digitale Signatur 1" in page
    assert "Digitale Signatur 2" in page
