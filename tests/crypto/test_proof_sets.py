"""Proof sets and chains (W3C Data Integrity 4.3, 4.5): each proof verified on its own, a
chained proof over the proofs it names; a missing or altered link fails that proof only."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from microcred.crypto import proofs
from microcred.crypto.did import DidResolver
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.errors import ProofError
from microcred.samples import sample_credential

ISSUER = KeyFile.for_did_key(SigningKey.generate())
WITNESS = KeyFile.for_did_key(SigningKey.generate())


def unsigned() -> dict[str, Any]:
    return sample_credential(issuer_id=ISSUER.controller)


def add(document: dict[str, Any], key: KeyFile, **options: Any) -> dict[str, Any]:
    return proofs.add_proof(
        document, key.key, verification_method=key.verification_method, **options
    )


def test_a_proof_set_verifies_each_proof() -> None:
    secured = add(add(unsigned(), ISSUER, proof_id="urn:p1"), WITNESS, cryptosuite="eddsa-jcs-2022")
    outcomes = proofs.verify_each(secured, DidResolver())
    assert [o.label for o in outcomes] == ["urn:p1", "#2"]
    assert all(o.verified is not None for o in outcomes)
    assert outcomes[0].verified.method.controller == ISSUER.controller  # type: ignore[union-attr]
    assert outcomes[1].verified.cryptosuite == "eddsa-jcs-2022"  # type: ignore[union-attr]


def test_one_bad_proof_in_a_set_is_named_and_the_other_still_verifies() -> None:
    secured = add(add(unsigned(), ISSUER), WITNESS)
    secured["proof"][1]["proofValue"] = secured["proof"][0]["proofValue"]
    first, second = proofs.verify_each(secured, DidResolver())
    assert first.verified is not None
    assert second.verified is None
    assert second.error is not None
    assert "signature does not match" in second.error.message


def test_a_chain_signs_over_the_previous_proof() -> None:
    first = add(unsigned(), ISSUER, proof_id="urn:issuer")
    chained = add(first, WITNESS, proof_id="urn:witness", previous_proof="urn:issuer")
    outcomes = proofs.verify_each(chained, DidResolver())
    assert all(o.verified is not None for o in outcomes)
    # The chained proof covers the first: altering the first breaks both.
    altered = copy.deepcopy(chained)
    altered["proof"][0]["created"] = "2020-01-01T00:00:00Z"
    assert [o.verified is None for o in proofs.verify_each(altered, DidResolver())] == [True, True]
    # A chained proof is not a set member: verified over the bare document it fails.
    loose = copy.deepcopy(chained)
    del loose["proof"][1]["previousProof"]
    assert proofs.verify_each(loose, DidResolver())[1].verified is None


def test_a_chain_whose_previous_proof_is_gone_fails_that_proof() -> None:
    first = add(unsigned(), ISSUER, proof_id="urn:issuer")
    chained = add(first, WITNESS, previous_proof="urn:issuer")
    chained["proof"] = [chained["proof"][1]]
    chained["proof"].append(add(unsigned(), ISSUER)["proof"][0])
    outcome = proofs.verify_each(chained, DidResolver())[0]
    assert outcome.error is not None
    assert "previous proof" in outcome.error.message
    assert outcome.error.expected == "a proof with id urn:issuer"


def test_a_chain_needs_the_previous_proof_when_signing() -> None:
    with pytest.raises(ProofError, match="previous proof"):
        add(add(unsigned(), ISSUER), WITNESS, previous_proof="urn:none")


def test_single_proof_verify_still_refuses_a_set() -> None:
    secured = add(add(unsigned(), ISSUER), WITNESS)
    with pytest.raises(ProofError, match="only a single proof"):
        proofs.verify(secured, DidResolver())
    assert proofs.verify(add(unsigned(), ISSUER), DidResolver()).method.id == (
        ISSUER.verification_method
    )
