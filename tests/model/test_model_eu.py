"""EU micro-credential elements: building, parsing, and the extension context's IRIs."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest

import microcred
from microcred.errors import ModelError
from microcred.model import (
    ECTS_IRI,
    ELM_NAMESPACE,
    EU_MC_CONTEXT,
    EU_MC_NAMESPACE,
    Achievement,
    Address,
    AssessmentSupervision,
    AssessmentType,
    BitstringStatusListEntry,
    Criteria,
    EqfLevel,
    LearningOutcome,
    OpenBadgeCredential,
    ParticipationForm,
    Profile,
    QualityAssurance,
    Result,
    Stackability,
    build_credential,
    hashed_email_identity,
    parse_achievement,
    parse_credential,
)

CONTEXTS = Path(microcred.__file__).parent / "contexts"
FIXTURE = Path(__file__).parent.parent / "fixtures" / "model" / "eu-microcredential.json"
UNDEFINED_TERMS = "https://www.w3.org/ns/credentials/undefined-terms/v2"
# Where a term nobody defined ends up: the VC 2.0 issuer-dependent @vocab (drafts of the VC v2
# context), or the undefined-terms context we append so that nothing is silently dropped.
FALLBACK_NAMESPACES = (
    "https://www.w3.org/ns/credentials/issuer-dependent#",
    "https://www.w3.org/ns/credentials/undefined-term#",
)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def eu_achievement() -> Achievement:
    return Achievement(
        id="https://uniz.example/achievements/digital-mc-creation",
        name="Creating digital micro-credentials",
        description="A short online course on issuing micro-credentials that carry Annex I data.",
        criteria=Criteria(narrative="Submit an unsigned micro-credential that passes validation."),
        achievement_type="MicroCredential",
        credits_available=2,
        credit_system=ECTS_IRI,
        volume_of_learning="PT60H",
        eqf_level=EqfLevel.LEVEL_6,
        learning_outcome=[
            LearningOutcome(
                title="Develop digital content",
                related_esco_skill=[
                    "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a"
                ],
            ),
            LearningOutcome(
                id="urn:uuid:4c1d2e8a-5b0f-4f7e-9a51-2f3b6c7d8e90",
                title="Work with others on a shared artefact",
            ),
        ],
        assessment_type=[AssessmentType.ARTEFACT, AssessmentType.PEER_ASSESSMENT],
        participation_form=ParticipationForm.BLENDED,
        quality_assurance=[QualityAssurance.INTERNAL, QualityAssurance.EXTERNAL],
        accreditation="https://uniz.example/quality/accreditation-2023",
        prerequisites="An EU Login account.",
        assessment_supervision=AssessmentSupervision.UNSUPERVISED_NO_ID_VERIFICATION,
        stackability=Stackability.STACKABLE,
        further_information="https://uniz.example/courses/digital-mc-creation",
    )


def eu_issuer() -> Profile:
    return Profile(
        id="did:web:uniz.example",
        name="University of Zed",
        url="https://uniz.example",
        address=Address(
            address_country="Ireland", address_country_code="IE", address_region="Dublin"
        ),
    )


def eu_sample() -> dict[str, Any]:
    return build_credential(
        id="urn:uuid:3ef0ac26-9a1f-41c6-871b-2b82e670907b",
        issuer=eu_issuer(),
        achievement=eu_achievement(),
        subject=hashed_email_identity("ana.andromeda@example.com", salt="e1f0c3d2b4a59687"),
        valid_from=datetime(2023, 6, 7, 9, 0, tzinfo=UTC),
        awarded_date=datetime(2023, 6, 6, 15, 0, tzinfo=UTC),
        result=[Result(value="Pass", status="Completed")],
        credential_status=BitstringStatusListEntry(
            id="https://uniz.example/status/1#1042",
            status_purpose="revocation",
            status_list_index="1042",
            status_list_credential="https://uniz.example/status/1",
        ),
    )


# -- JSON-LD expansion with the bundled contexts (a local stand-in for microcred.crypto.jsonld) --


def _bundled(url: str) -> Any:
    index = json.loads((CONTEXTS / "index.json").read_text(encoding="utf-8"))
    return json.loads((CONTEXTS / index[url]).read_text(encoding="utf-8"))["@context"]


def _inline(context: Any) -> Any:
    """Replace every context URL by its bundled definition, scoped contexts included."""
    if isinstance(context, str):
        return _inline(_bundled(context))
    if isinstance(context, list):
        return [_inline(item) for item in context]
    if isinstance(context, dict):
        return {
            key: _inline(value)
            if key == "@context"
            else {**value, "@context": _inline(value["@context"])}
            if isinstance(value, dict) and "@context" in value
            else value
            for key, value in context.items()
        }
    return context


def expand(document: dict[str, Any]) -> list[pyoxigraph.Quad]:
    """The document's quads, with undefined terms made visible instead of dropped."""
    inlined = dict(document)
    inlined["@context"] = _inline([*document["@context"], UNDEFINED_TERMS])
    return list(pyoxigraph.parse(json.dumps(inlined), pyoxigraph.RdfFormat.JSON_LD))


def fallback_iris(quads: list[pyoxigraph.Quad]) -> list[str]:
    """Predicates and types that only exist because some term was undefined."""
    iris = [q.predicate.value for q in quads]
    iris += [q.object.value for q in quads if q.predicate.value == RDF_TYPE]
    return [iri for iri in iris if iri.startswith(FALLBACK_NAMESPACES)]


# -- tests --


def test_eu_sample_matches_fixture_and_round_trips() -> None:
    sample = eu_sample()
    assert sample == json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert sample["@context"][-1] == EU_MC_CONTEXT
    assert parse_credential(sample).to_json() == sample


def test_eu_sample_parses_into_annex_i_elements() -> None:
    credential = parse_credential(eu_sample())
    assert isinstance(credential, OpenBadgeCredential)
    achievement = credential.achievement
    assert achievement.is_eu_microcredential
    assert achievement.eqf_level is EqfLevel.LEVEL_6
    assert achievement.participation_form is ParticipationForm.BLENDED
    assert achievement.assessment_type == [AssessmentType.ARTEFACT, AssessmentType.PEER_ASSESSMENT]
    assert achievement.learning_outcome is not None
    assert achievement.learning_outcome[0].title == "Develop digital content"
    assert isinstance(credential.issuer, Profile)
    assert credential.issuer.address is not None
    assert credential.issuer.address.address_country_code == "IE"


def test_every_term_of_the_eu_sample_maps_to_a_defined_iri() -> None:
    quads = expand(eu_sample())
    assert fallback_iris(quads) == []
    predicates = {q.predicate.value for q in quads}
    types = {q.object.value for q in quads if q.predicate.value == RDF_TYPE}
    extension = _bundled(EU_MC_CONTEXT)
    for term, definition in extension.items():
        if term.startswith("@"):
            continue
        iri = definition["@id"]
        assert iri.startswith((ELM_NAMESPACE, EU_MC_NAMESPACE)), term
        # Every term is used by the sample, so each must show up under its own IRI.
        assert iri in (types if term[0].isupper() else predicates), term


def test_eu_values_expand_to_the_expected_iris_and_literals() -> None:
    quads = expand(eu_sample())
    by_predicate = {q.predicate.value: q.object for q in quads}
    assert by_predicate[ELM_NAMESPACE + "EQFLevel"] == pyoxigraph.NamedNode(
        "http://data.europa.eu/snb/eqf/6"
    )
    assert by_predicate[ELM_NAMESPACE + "volumeOfLearning"] == pyoxigraph.Literal(
        "PT60H", datatype=pyoxigraph.NamedNode("http://www.w3.org/2001/XMLSchema#duration")
    )
    assert by_predicate[EU_MC_NAMESPACE + "participationForm"] == pyoxigraph.Literal("blended")
    assert by_predicate["http://purl.org/dc/terms/title"] is not None


def test_the_fallback_check_catches_an_undefined_term() -> None:
    # Control: without this the check above could pass by never seeing anything.
    sample = eu_sample()
    sample["credentialSubject"]["achievement"]["ectsCredits"] = 2
    assert fallback_iris(expand(sample)) == [
        "https://www.w3.org/ns/credentials/undefined-term#ectsCredits"
    ]


def test_the_impl_guide_example_has_no_undefined_terms() -> None:
    fixture = Path(__file__).parent.parent / "fixtures" / "model" / "ob3-impl-guide-unsigned.json"
    assert fallback_iris(expand(json.loads(fixture.read_text(encoding="utf-8")))) == []


def test_extension_context_is_protected_and_registered() -> None:
    definition = json.loads((CONTEXTS / "microcred-eu-mc-v1.jsonld").read_text(encoding="utf-8"))
    assert definition["@context"]["@protected"] is True
    index = json.loads((CONTEXTS / "index.json").read_text(encoding="utf-8"))
    assert index[EU_MC_CONTEXT] == "microcred-eu-mc-v1.jsonld"
    sums = dict(
        reversed(line.split("  ", 1))
        for line in (CONTEXTS / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
        if line
    )
    for name in ("microcred-eu-mc-v1.jsonld", "index.json"):
        assert sums[name] == hashlib.sha256((CONTEXTS / name).read_bytes()).hexdigest(), name


@pytest.mark.parametrize("level", range(1, 9))
def test_eqf_levels_one_to_eight_are_accepted(level: int) -> None:
    achievement = eu_achievement().to_json()
    achievement["eqfLevel"] = f"http://data.europa.eu/snb/eqf/{level}"
    assert parse_achievement(achievement).eqf_level == level


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("http://data.europa.eu/snb/eqf/0", "eqf/0"),
        ("http://data.europa.eu/snb/eqf/9", "eqf/9"),
        (6, "6"),
        ("6", "'6'"),
        ("http://example.org/eqf/6", "example.org"),
    ],
)
def test_bad_eqf_levels_are_refused(value: object, found: str) -> None:
    achievement = eu_achievement().to_json()
    achievement["eqfLevel"] = value
    with pytest.raises(ModelError) as caught:
        parse_achievement(achievement)
    assert caught.value.field == "eqfLevel"
    assert caught.value.expected is not None
    assert "http://data.europa.eu/snb/eqf/1" in caught.value.expected
    assert caught.value.found is not None
    assert found in caught.value.found


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("participationForm", "hybrid"),
        ("assessmentType", ["multiple-choice"]),
        ("qualityAssurance", ["iso-9001"]),
        ("assessmentSupervision", "proctored"),
        ("stackability", "sometimes"),
    ],
)
def test_controlled_values_are_enforced(field: str, value: object) -> None:
    achievement = eu_achievement().to_json()
    achievement[field] = value
    with pytest.raises(ModelError) as caught:
        parse_achievement(achievement)
    assert caught.value.field.startswith(field)
    assert caught.value.expected is not None
    assert caught.value.found is not None


@pytest.mark.parametrize(
    ("remove", "field"),
    [
        ("learningOutcome", "learningOutcome"),
        ("assessmentType", "assessmentType"),
        ("participationForm", "participationForm"),
        ("qualityAssurance", "qualityAssurance"),
        ("creditSystem", "creditSystem"),
    ],
)
def test_mandatory_annex_i_elements_are_required_together(remove: str, field: str) -> None:
    achievement = eu_achievement().to_json()
    del achievement[remove]
    with pytest.raises(ModelError) as caught:
        parse_achievement(achievement)
    assert caught.value.field == field
    assert "Annex I" in (caught.value.expected or "") or "creditSystem" in (
        caught.value.expected or ""
    )


def test_workload_needs_credits_or_volume_of_learning() -> None:
    achievement = eu_achievement().to_json()
    del achievement["creditsAvailable"]
    del achievement["creditSystem"]
    assert parse_achievement(achievement).volume_of_learning == "PT60H"
    del achievement["volumeOfLearning"]
    with pytest.raises(ModelError) as caught:
        parse_achievement(achievement)
    assert caught.value.field == "creditsAvailable"
    assert "volumeOfLearning" in (caught.value.expected or "")


def test_eu_credential_needs_the_extension_context() -> None:
    sample = eu_sample()
    sample["@context"].remove(EU_MC_CONTEXT)
    with pytest.raises(ModelError) as caught:
        parse_credential(sample)
    assert caught.value.field == "@context"
    assert EU_MC_CONTEXT in (caught.value.expected or "")


def test_eu_credential_needs_the_awarding_body_country() -> None:
    sample = eu_sample()
    del sample["issuer"]["address"]
    with pytest.raises(ModelError) as caught:
        parse_credential(sample)
    assert caught.value.field == "issuer.address"


def test_eu_credential_needs_an_inline_named_issuer() -> None:
    sample = eu_sample()
    sample["issuer"] = "did:web:uniz.example"
    with pytest.raises(ModelError) as caught:
        parse_credential(sample)
    assert caught.value.field == "issuer"
    assert caught.value.found == "'did:web:uniz.example'"


def test_plain_badge_gets_no_eu_context() -> None:
    eu = eu_achievement()
    plain = Achievement(id=eu.id, name=eu.name, description=eu.description, criteria=eu.criteria)
    assert not plain.is_eu_microcredential
    document = build_credential(
        id="urn:uuid:0d6f1b9e-3a8c-4f5d-b2e7-1c9a8d7e6f50",
        issuer=eu_issuer(),
        achievement=plain,
        subject="did:example:learner",
        valid_from=datetime(2024, 1, 1, tzinfo=UTC),
    )
    assert EU_MC_CONTEXT not in document["@context"]
