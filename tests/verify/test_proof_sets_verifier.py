"""The verifier on proof sets and chains: a summary ``proof`` check, one check per proof
naming it, the issuer check passing on the issuer's proof."""

from __future__ import annotations

from typing import Any

import pytest

from microcred.crypto import proofs
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.samples import sample_credential
from microcred.verify import Status, Verifier
from microcred.verify import messages as m

ISSUER = KeyFile.for_did_key(SigningKey.generate())
WITNESS = KeyFile.for_did_key(SigningKey.generate())


def add(document: dict[str, Any], key: KeyFile, **options: Any) -> dict[str, Any]:
    return proofs.add_proof(
        document, key.key, verification_method=key.verification_method, **options
    )


def test_every_proof_of_a_set_has_its_check() -> None:
    unsigned = sample_credential(issuer_id=ISSUER.controller)
    secured = add(add(unsigned, WITNESS, proof_id="urn:witness"), ISSUER)
    result = Verifier().verify(secured)
    assert result.verified, result.to_json()
    checks = {c.name: c for c in result.checks}
    assert checks["proof"].message == m.PROOFS_OK.format(count=2)
    assert checks["proof 1"].status == Status.PASSED
    assert checks["proof 1"].message.startswith("proof urn:witness: the eddsa-rdfc-2022")
    assert WITNESS.verification_method in checks["proof 1"].message
    assert checks["proof 2"].message.startswith("proof #2:")
    assert checks["issuer"].status == Status.PASSED  # the second proof is the issuer's


def test_a_failing_proof_fails_the_credential_and_is_named() -> None:
    unsigned = sample_credential(issuer_id=ISSUER.controller)
    chained = add(add(unsigned, ISSUER, proof_id="urn:a"), WITNESS, previous_proof="urn:a")
    chained["proof"][1]["previousProof"] = "urn:missing"
    result = Verifier().verify(chained)
    assert not result.verified
    checks = {c.name: c for c in result.checks}
    assert checks["proof"].status == Status.FAILED
    assert checks["proof"].message == "1 of 2 proofs do not verify: #2"
    assert checks["proof 1"].status == Status.PASSED
    assert checks["proof 2"].status == Status.FAILED
    assert "urn:missing" in checks["proof 2"].message
    # the template is kept for pages in other languages
    assert checks["proof 2"].template == m.PROOF_N_FAILED


def test_a_set_signed_only_by_others_fails_the_issuer_check() -> None:
    unsigned = sample_credential(issuer_id=ISSUER.controller)
    result = Verifier().verify(add(add(unsigned, WITNESS), WITNESS))
    issuer = result.check("issuer")
    assert issuer is not None
    assert issuer.status == Status.FAILED


def suite_shaped(issuer: str) -> dict[str, Any]:
    """A credential shaped as the W3C vc-di-eddsa suite's proof-chain vectors are (issue 13: our
    VC-API refused them): VC 2.0 with its extra terms in a context object that wraps an
    ``@context``, which pyoxigraph refused as a keyword redefinition and jsonld.js reads."""
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            {
                "@context": {
                    "AlumniCredential": "https://www.example.org/AlumniCredential",
                    "alumniOf": "https://www.example.org/alumniOf",
                }
            },
        ],
        "id": "urn:uuid:0b4c1f0e-9a52-4c1d-8f59-3f6c2a1d7e01",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "issuer": issuer,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:alumna", "alumniOf": "Example College"},
    }


def test_the_suites_chain_shape_verifies_with_a_string_or_a_list_previous_proof() -> None:
    first = add(suite_shaped(ISSUER.controller), WITNESS, proof_id="urn:uuid:first-proof")
    for previous in ("urn:uuid:first-proof", ["urn:uuid:first-proof"]):
        chained = add(first, ISSUER, previous_proof=previous)
        result = Verifier().verify(chained)
        assert result.verified, result.to_json()
        assert result.check("proof 2").status == Status.PASSED  # type: ignore[union-attr]
        assert result.check("issuer").status == Status.PASSED  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "previous", ["urn:uuid:missing", ["urn:uuid:first-proof", "urn:uuid:missing"], 456321]
)
def test_the_suites_failing_chains_fail(previous: Any) -> None:
    first = add(suite_shaped(ISSUER.controller), WITNESS, proof_id="urn:uuid:first-proof")
    chained = add(first, ISSUER, previous_proof="urn:uuid:first-proof")
    chained["proof"][1]["previousProof"] = previous
    result = Verifier().verify(chained)
    assert not result.verified
    assert result.check("proof 2").status == Status.FAILED  # type: ignore[union-attr]


def test_a_change_under_the_chain_fails_both_proofs() -> None:
    first = add(suite_shaped(ISSUER.controller), WITNESS, proof_id="urn:uuid:first-proof")
    chained = add(first, ISSUER, previous_proof="urn:uuid:first-proof")
    chained["credentialSubject"]["alumniOf"] = "Another College"
    result = Verifier().verify(chained)
    assert not result.verified
    assert result.check("proof").message == "2 of 2 proofs do not verify: urn:uuid:first-proof, #2"  # type: ignore[union-attr]
