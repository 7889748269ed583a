"""Published vectors reproduced exactly: W3C vc-di-eddsa (rdfc, jcs) and the OB 3.0 guide."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
import rfc8785

from microcred.crypto import multibase, proofs
from microcred.crypto.canon import canonicalize
from microcred.crypto.did import DidResolver
from microcred.crypto.keys import PublicKey, SigningKey
from microcred.errors import ProofError
from tests.conftest import VECTORS, load_json

W3C = VECTORS / "w3c-vc-di-eddsa"
JCS = W3C / "eddsa-jcs-2022"
EMPLOY = W3C / "eddsa-rdfc-2022-employ"
OB3 = VECTORS / "ob3-impl-guide"
CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)


def text(path: str) -> str:
    return (W3C / path).read_text(encoding="utf-8")


@pytest.fixture
def vector_key() -> SigningKey:
    pair = load_json(W3C / "keyPair.json")
    return SigningKey.from_multibase(pair["privateKeyMultibase"], pair["publicKeyMultibase"])


@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "general-path"])
def test_rdfc_document_canonical_form_and_hash(fast: bool) -> None:
    canon = canonicalize(load_json(W3C / "unsigned.json"), use_fast_path=fast)
    assert canon == text("canonDocDataInt.txt")
    assert hashlib.sha256(canon.encode()).hexdigest() == text("docHashDataInt.txt").strip()


def test_rdfc_proof_configuration_canonical_form_and_hash() -> None:
    canon = canonicalize(load_json(W3C / "proofConfigDataInt.json"))
    assert canon == text("proofCanonDataInt.txt")
    assert hashlib.sha256(canon.encode()).hexdigest() == text("proofHashDataInt.txt").strip()


def test_rdfc_signature_reproduced(vector_key: SigningKey) -> None:
    unsigned = load_json(W3C / "unsigned.json")
    vm = load_json(W3C / "proofConfigDataInt.json")["verificationMethod"]
    signed = proofs.sign(unsigned, vector_key, verification_method=vm, created=CREATED)
    assert signed["proof"]["proofValue"] == text("sigBTC58DataInt.txt").strip()
    assert signed == load_json(W3C / "signedDataInt.json")


def test_rdfc_signed_vector_verifies() -> None:
    verified = proofs.verify(load_json(W3C / "signedDataInt.json"), DidResolver())
    assert verified.cryptosuite == "eddsa-rdfc-2022"
    assert verified.method.controller == "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def test_jcs_vector_reproduced(vector_key: SigningKey) -> None:
    unsigned = load_json(W3C / "unsigned.json")
    config = load_json(JCS / "proofConfigJCS.json")
    assert rfc8785.dumps(unsigned).decode() == (JCS / "canonDocJCS.txt").read_text().strip()
    assert rfc8785.dumps(config).decode() == (JCS / "proofCanonJCS.txt").read_text().strip()
    signed = proofs.sign(
        unsigned,
        vector_key,
        verification_method=config["verificationMethod"],
        cryptosuite="eddsa-jcs-2022",
        created=CREATED,
    )
    assert signed["proof"]["proofValue"] == (JCS / "sigBTC58JCS.txt").read_text().strip()
    assert signed["proof"] == load_json(JCS / "signedJCS.json")["proof"]
    proofs.verify(load_json(JCS / "signedJCS.json"), DidResolver())


def test_employment_vector_signature_over_published_hashes() -> None:
    # Its documents use a citizenship context we do not bundle, so only the hash-and-sign step
    # can be checked offline: the published hashes of the published canonical forms, signed.
    for name, digest in [
        ("canonDocDataInt.txt", "docHashDataInt.txt"),
        ("proofCanonDataInt.txt", "proofHashDataInt.txt"),
    ]:
        canon = (EMPLOY / name).read_text(encoding="utf-8")
        assert hashlib.sha256(canon.encode()).hexdigest() == (EMPLOY / digest).read_text().strip()
    combined = bytes.fromhex((EMPLOY / "combinedHashDataInt.txt").read_text().strip())
    signed = load_json(EMPLOY / "signedDataInt.json")
    vm = signed["proof"]["verificationMethod"]
    key = PublicKey.from_multibase(vm.split("#")[1])
    signature = multibase.decode_b58btc(signed["proof"]["proofValue"])
    assert signature.hex() == (EMPLOY / "sigHexDataInt.txt").read_text().strip()
    key.verify(signature, combined)
    with pytest.raises(ProofError):
        key.verify(signature, combined[:-1] + bytes([combined[-1] ^ 1]))


def test_ob3_implementation_guide_canonical_forms() -> None:
    unsigned = load_json(OB3 / "unsigned.json")
    assert canonicalize(unsigned) == (OB3 / "document-canon.txt").read_text(encoding="utf-8")
    proof = {k: v for k, v in load_json(OB3 / "signed.json")["proof"].items() if k != "proofValue"}
    proof["@context"] = unsigned["@context"]
    assert canonicalize(proof) == (OB3 / "proof-canon.txt").read_text(encoding="utf-8")


def test_ob3_implementation_guide_signature_verifies_with_its_key() -> None:
    signed = load_json(OB3 / "signed.json")
    proof = signed["proof"]
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = unsigned["@context"]
    data = (
        hashlib.sha256(canonicalize(config).encode()).digest()
        + hashlib.sha256(canonicalize(unsigned).encode()).digest()
    )
    # The verification method is an https URL whose fragment is the Multikey itself.
    key = PublicKey.from_multibase(proof["verificationMethod"].split("#")[1])
    key.verify(multibase.decode_b58btc(proof["proofValue"]), data)
