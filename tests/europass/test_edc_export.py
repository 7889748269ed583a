"""Our EU micro-credential as a European Digital Credential: checked against the Commission's
own SHACL shapes with pyshacl (inference none), its Annex I elements found where ELM puts them,
sealed with a key of ours and verified by our verifier; a violation is named by the shape's
message, the focus node and the path; a changed payload breaks the seal."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import rdflib
from pyshacl import validate

from microcred.crypto.canon import to_nquads
from microcred.crypto.keys import SigningKey
from microcred.errors import InputError
from microcred.europass.export import Learner, build_edc
from microcred.europass.seal import seal, seal_certificate
from microcred.verify import Status, Verifier
from microcred.verify import messages as m
from microcred.verify.result import Outcome
from microcred.verify.shacl import SHAPES_DIR, check_edc

FIXTURES = Path(__file__).parents[1] / "fixtures"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ELM = "http://data.europa.eu/snb/model/elm/"


def eu_credential() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "model" / "eu-microcredential.json").read_text())
    return data


def export(credential: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    return build_edc(
        credential or eu_credential(),
        legal_identifier="IE1234567T",
        learner=Learner("Ana Andromeda"),
        issued=NOW,
        **kwargs,
    )


def graph(document: dict[str, Any]) -> rdflib.Graph:
    return rdflib.Graph().parse(data=to_nquads(document), format="nt")


@pytest.mark.parametrize("shapes", ["EDC-generic-no-cv.ttl", "EDC-generic-full.ttl"])
def test_the_export_conforms_to_the_commissions_shapes(shapes: str) -> None:
    # pyshacl directly, on the Commission's files as bundled (not through our wrapper).
    conforms, _, text = validate(
        graph(export()),
        shacl_graph=rdflib.Graph().parse(SHAPES_DIR / shapes),
        inference="none",
    )
    assert conforms, text


def test_the_same_shapes_refuse_what_they_should() -> None:
    # The check is not vacuous: the Commission's own unsigned sample lacks `issued` and the
    # issuer's legal identifier, and the no-cv shapes say so.
    sample = json.loads((FIXTURES / "edc" / "Sample-MC-Annex1-unsigned.jsonld").read_text())
    paths = {v.path for v in check_edc(sample, ("no-cv",))}
    assert {"cred:issued", "elm:eidasLegalIdentifier"} <= paths


def test_the_annex_one_elements_are_where_elm_puts_them() -> None:
    g = graph(export())
    e = rdflib.Namespace(ELM)
    dc = rdflib.Namespace("http://purl.org/dc/terms/")
    (spec,) = g.subjects(rdflib.RDF.type, e.Qualification)
    assert g.value(spec, e.EQFLevel) == rdflib.URIRef("http://data.europa.eu/snb/eqf/6")
    assert g.value(spec, e.volumeOfLearning) == rdflib.Literal(
        "PT60H", datatype=rdflib.XSD.duration
    )
    credit = g.value(spec, e.creditPoint)
    assert str(g.value(credit, e.point)) == "2"
    assert g.value(credit, e.framework) == rdflib.URIRef(
        "http://data.europa.eu/snb/education-credit/6fcec5c5af"
    )
    outcomes = {str(g.value(o, dc.title)) for o in g.objects(spec, e.learningOutcome)}
    assert outcomes == {"Develop digital content", "Work with others on a shared artefact"}
    titles = [g.value(o, dc.title) for o in g.objects(spec, e.learningOutcome)]
    assert all(t.language == "en" for t in titles)  # type: ignore[union-attr]
    assert g.value(spec, e.mode) == rdflib.URIRef(
        "http://data.europa.eu/snb/learning-assessment/e92d221e4d"  # Blended, the Commission's
    )
    entry = g.value(spec, e.entryRequirement)
    assert str(g.value(entry, e.noteLiteral)) == "An EU Login account."
    notes = {str(g.value(n, e.noteLiteral)) for n in g.objects(spec, e.additionalNote)}
    assert any("Internal quality assurance" in n for n in notes)
    assert any("External quality assurance" in n for n in notes)
    assert any("stackability" in n and "Stackable" in n for n in notes)
    documents = {str(g.value(d, e.contentUrl)) for d in g.objects(spec, e.supplementaryDocument)}
    assert documents == {
        "https://uniz.example/quality/accreditation-2023",
        "https://uniz.example/courses/digital-mc-creation",
    }
    (claim,) = g.subjects(rdflib.RDF.type, e.LearningAchievement)
    assessments = list(g.objects(claim, e.provenBy))
    assert len(assessments) == 2  # artefact and peer assessment, one specification each
    assert all(
        g.value(a, e.idVerification)
        == rdflib.URIRef("http://data.europa.eu/snb/supervision-verification/c598449d64")
        for a in assessments
    )
    cred = rdflib.Namespace("https://www.w3.org/2018/credentials#")
    (edc,) = g.subjects(rdflib.RDF.type, e.EuropeanDigitalCredential)
    issuer = g.value(edc, cred.issuer)
    legal = g.value(issuer, e.eidasLegalIdentifier)
    assert str(g.value(legal, rdflib.URIRef("http://www.w3.org/2004/02/skos/core#notation"))) == (
        "IE1234567T"
    )
    person = g.value(edc, cred.credentialSubject)
    assert str(g.value(person, rdflib.URIRef("http://xmlns.com/foaf/0.1/fullName"))) == (
        "Ana Andromeda"
    )
    assert g.value(person, e.hasClaim) == claim


def test_text_is_tagged_with_the_achievements_language() -> None:
    credential = eu_credential()
    credential["credentialSubject"]["achievement"]["inLanguage"] = "de"
    edc = export(credential)
    claim = edc["credentialSubject"]["hasClaim"]
    assert claim["title"] == {"de": "Creating digital micro-credentials"}
    assert claim["specifiedBy"]["language"]["id"].endswith("/language/DEU")
    assert check_edc(edc) == []


def test_the_same_credential_exports_the_same_graph() -> None:
    assert export() == export()


def test_the_export_without_a_legal_identifier_is_refused() -> None:
    with pytest.raises(InputError, match="legal identifier"):
        build_edc(eu_credential(), legal_identifier=" ", learner=Learner(), issued=NOW)


def test_parts_become_sub_achievements_and_parts_of_the_qualification() -> None:
    main = eu_credential()
    part = copy.deepcopy(main)
    part["id"] = "urn:uuid:2e0e5f9c-0000-4000-8000-000000000001"
    part["credentialSubject"]["achievement"]["id"] = "https://uniz.example/achievements/part"
    part["credentialSubject"]["achievement"]["name"] = "A part"
    edc = export(main, parts=[part])
    claim = edc["credentialSubject"]["hasClaim"]
    assert [sub["title"] for sub in claim["hasPart"]] == [{"en": "A part"}]
    assert claim["specifiedBy"]["hasPart"] == [claim["hasPart"][0]["specifiedBy"]["id"]]
    assert check_edc(edc) == []


# ---- sealing and verifying --------------------------------------------------------------------


def sealed(algorithm: str = "Ed25519") -> dict[str, Any]:
    key = SigningKey.generate(algorithm)  # type: ignore[arg-type]
    certificate = seal_certificate(
        key,
        organisation="University of Zed",
        country="IE",
        legal_identifier="IE1234567T",
        did="did:web:uniz.example",
        now=NOW,
    )
    return seal(export(), key, certificate, now=NOW)


@pytest.mark.parametrize("algorithm", ["Ed25519", "P-256"])
def test_our_seal_verifies_with_our_verifier(algorithm: str) -> None:
    result = Verifier().verify(json.dumps(sealed(algorithm)).encode())
    checks = {c.name: c for c in result.checks}
    assert result.format == m.FORMAT_EDC
    assert checks["proof"].status == Status.PASSED, checks["proof"].message
    assert ("EdDSA" if algorithm == "Ed25519" else "ES256") in checks["proof"].message
    assert "University of Zed" in checks["proof"].message
    assert checks["shapes"].status == Status.PASSED
    assert checks["issuer"].status == Status.WARNING
    assert "EU trusted lists" in checks["issuer"].message
    assert result.outcome == Outcome.ISSUER_NOT_CONFIRMED


def test_a_seal_over_altered_content_fails() -> None:
    document = sealed()
    document["payload"] = document["payload"].replace("IE1234567T", "IE7654321T")
    result = Verifier().verify(json.dumps(document).encode())
    proof = result.check("proof")
    assert proof is not None
    assert proof.status == Status.FAILED
    assert "changed" in proof.message
    assert result.outcome == Outcome.NOT_VERIFIED


def test_a_sealed_edc_that_violates_the_shapes_names_message_focus_and_path() -> None:
    edc = export()
    del edc["issuer"]["eIDASIdentifier"]
    key = SigningKey.generate()
    certificate = seal_certificate(
        key, organisation="U", country="IE", legal_identifier="X1", did="did:web:u.example", now=NOW
    )
    result = Verifier().verify(json.dumps(seal(edc, key, certificate, now=NOW)).encode())
    shapes = result.check("shapes")
    assert shapes is not None
    assert shapes.status == Status.FAILED
    assert "An issuer must have one and only one legal identifier" in shapes.message
    assert "did:web:uniz.example" in shapes.message  # the focus node
    assert "elm:eidasLegalIdentifier" in shapes.message  # the path
    assert result.outcome == Outcome.NOT_VERIFIED


def test_the_commissions_sealed_sample_satisfies_the_shapes_too() -> None:
    result = Verifier().verify((FIXTURES / "edc" / "Sample-MC-Annex1-signed.jsonld").read_bytes())
    shapes = result.check("shapes")
    assert shapes is not None
    assert shapes.status == Status.PASSED


def test_a_part_from_another_awarding_body_in_another_language_conforms() -> None:
    part = eu_credential()
    part["id"] = "urn:uuid:2e0e5f9c-0000-4000-8000-000000000003"
    part["issuer"] = {
        **part["issuer"],
        "id": "did:web:partner.example",
        "name": "Partner Hochschule",
        "address": {"type": ["Address"], "addressCountryCode": "DE"},
    }
    part["credentialSubject"]["achievement"]["inLanguage"] = "de"
    edc = export(parts=[part])
    body = edc["credentialSubject"]["hasClaim"]["hasPart"][0]["awardedBy"]["awardingBody"]
    assert body["legalName"] == {"de": "Partner Hochschule"}
    assert body["location"]["address"]["countryCode"]["id"].endswith("/country/DEU")
    assert check_edc(edc) == []


def test_an_issuer_outside_the_country_table_is_refused_clearly() -> None:
    credential = eu_credential()
    credential["issuer"]["address"]["addressCountryCode"] = "ZZ"
    with pytest.raises(InputError, match="no Europass country concept"):
        export(credential)


def test_a_concept_outside_the_europass_vocabularies_only_warns() -> None:
    # EDC-generic-full's restrictions are vocabulary checks: an EDC from an issuer using its own
    # scheme is still an EDC; the verifier says which concept, and does not fail it.
    edc = export()
    edc["credentialSubject"]["hasClaim"]["specifiedBy"]["eqfLevel"]["inScheme"]["id"] = (
        "https://uniz.example/levels"
    )
    key = SigningKey.generate()
    certificate = seal_certificate(
        key, organisation="U", country="IE", legal_identifier="X1", did="did:web:u.example", now=NOW
    )
    result = Verifier().verify(json.dumps(seal(edc, key, certificate, now=NOW)).encode())
    shapes = result.check("shapes")
    assert shapes is not None
    assert shapes.status == Status.WARNING
    assert "skos:inScheme" in shapes.message
    assert result.outcome == Outcome.ISSUER_NOT_CONFIRMED


def test_a_credential_without_eu_elements_exports_conforming_too() -> None:
    credential = eu_credential()
    achievement = credential["credentialSubject"]["achievement"]
    for name in [
        "creditsAvailable", "eqfLevel", "volumeOfLearning", "creditSystem", "learningOutcome",
        "assessmentType", "participationForm", "qualityAssurance", "accreditation",
        "prerequisites", "assessmentSupervision", "stackability", "furtherInformation",
    ]:  # fmt: skip
        achievement.pop(name)
    credential["@context"] = credential["@context"][:2]
    edc = export(credential)
    assert "provenBy" not in edc["credentialSubject"]["hasClaim"]
    assert check_edc(edc) == []


def test_a_violation_on_a_node_without_an_id_says_so() -> None:
    edc = export()
    spec = edc["credentialSubject"]["hasClaim"]["specifiedBy"]
    spec["learningOutcome"].append({"type": "LearningOutcome"})  # no id, no title
    (violation,) = check_edc(edc, ("no-cv",))
    assert violation.focus == "a node without an id"
    assert violation.path is not None
    assert violation.path.endswith(":title")
    assert violation.shape == "edc:LearningOutcome-dc_title"
