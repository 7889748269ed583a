"""Verifiable Presentations against Digital Bazaar's reference stack (interop/js).

Both directions, with a verifier's challenge and domain: a presentation microcred signs for a
learner is verified by the reference (``vc.verify``), and one the reference signs
(``vc.signPresentation``) is verified by :func:`microcred.wallet.presentation.verify_presentation`.
Each side must also refuse the other's presentation for another challenge or domain, so a pass
cannot come from a check that is not made.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from microcred.crypto.keys import KeyFile, SigningKey
from microcred.samples import sample_credential
from microcred.signing import sign_credential
from microcred.types import JsonObject
from microcred.verify import Status, Verifier
from microcred.wallet.presentation import build_presentation, present, verify_presentation
from tests.interop.reference_stack import JS_DIR, ROOT, node_or_skip

NODE = node_or_skip()
TIMEOUT_S = 120
CHALLENGE = "3f1c2a9e-5d1b-4c57-9f07-6a2b8e0d4c11"
DOMAIN = "hiring.example"

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def issuer() -> KeyFile:
    return KeyFile.for_did_key(SigningKey.generate())


@pytest.fixture(scope="module")
def learner() -> KeyFile:
    return KeyFile.for_did_key(SigningKey.generate())


@pytest.fixture(scope="module")
def credential(issuer: KeyFile) -> JsonObject:
    signed = sign_credential(sample_credential(issuer_id=issuer.controller), issuer)
    assert isinstance(signed, dict)
    return signed


@pytest.fixture(scope="module")
def jwt_credential(issuer: KeyFile) -> str:
    name = "Statistik für Einsteiger · Στατιστική · 統計学"
    unsigned = sample_credential(issuer_id=issuer.controller)
    unsigned["name"] = unsigned["credentialSubject"]["achievement"]["name"] = name
    token = sign_credential(unsigned, issuer, suite="vc-jwt")
    assert isinstance(token, str)
    return token


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _node(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NODE, str(JS_DIR / args[0]), *(str(a) for a in args[1:])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT_S,
        check=False,
    )


def _reference_verify(
    tmp_path: Path, vp: JsonObject, *, challenge: str, domain: str | None = None
) -> dict[str, Any]:
    args: list[str | Path] = ["presentation.mjs", "verify", "--challenge", challenge]
    if domain is not None:
        args += ["--domain", domain]
    proc = _node(*args, _write(tmp_path / "vp.json", vp))
    assert proc.returncode in (0, 1), proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    assert (proc.returncode == 0) == result["verified"]
    return result


def _reference_sign(tmp_path: Path, unsigned: JsonObject, key: KeyFile) -> JsonObject:
    key_path = _write(tmp_path / "holder-key.json", key.to_json())
    proc = _node(
        "presentation.mjs",
        "sign",
        "--key",
        key_path,
        "--challenge",
        CHALLENGE,
        "--domain",
        DOMAIN,
        _write(tmp_path / "unsigned-vp.json", unsigned),
    )
    assert proc.returncode == 0, proc.stderr
    signed: JsonObject = json.loads(proc.stdout)
    return signed


# ---- microcred signs, the reference verifies -----------------------------------------------


def test_the_reference_verifies_a_presentation_we_sign(
    tmp_path: Path, learner: KeyFile, credential: JsonObject
) -> None:
    vp = present([credential], learner, challenge=CHALLENGE, domain=DOMAIN)
    result = _reference_verify(tmp_path, vp, challenge=CHALLENGE, domain=DOMAIN)
    assert result["presentationVerified"], result["presentationErrors"]
    assert result["verified"], result["errors"]
    assert [r["verified"] for r in result["credentialResults"]] == [True]


def test_the_reference_refuses_our_presentation_for_another_challenge_or_domain(
    tmp_path: Path, learner: KeyFile, credential: JsonObject
) -> None:
    vp = present([credential], learner, challenge=CHALLENGE, domain=DOMAIN)
    other_challenge = _reference_verify(tmp_path, vp, challenge="another", domain=DOMAIN)
    assert not other_challenge["presentationVerified"]
    assert any("challenge is not as expected" in e for e in other_challenge["presentationErrors"])
    other_domain = _reference_verify(tmp_path, vp, challenge=CHALLENGE, domain="elsewhere.example")
    assert not other_domain["presentationVerified"]
    assert any("domain is not as expected" in e for e in other_domain["presentationErrors"])


def test_the_reference_refuses_our_presentation_once_altered(
    tmp_path: Path, learner: KeyFile, credential: JsonObject
) -> None:
    vp = present([credential], learner, challenge=CHALLENGE, domain=DOMAIN)
    altered = copy.deepcopy(vp)
    altered["verifiableCredential"][0]["credentialSubject"]["name"] = "Someone Else"
    result = _reference_verify(tmp_path, altered, challenge=CHALLENGE, domain=DOMAIN)
    assert not result["presentationVerified"]
    assert not result["verified"]
    assert [r["verified"] for r in result["credentialResults"]] == [False]


def test_the_holders_proof_over_an_enveloped_vc_jwt_verifies_in_the_reference(
    tmp_path: Path, learner: KeyFile, credential: JsonObject, jwt_credential: str
) -> None:
    vp = present([credential, jwt_credential], learner, challenge=CHALLENGE, domain=DOMAIN)
    envelope = vp["verifiableCredential"][1]
    assert envelope["type"] == "EnvelopedVerifiableCredential"
    assert envelope["id"] == "data:application/vc+jwt," + jwt_credential
    result = _reference_verify(tmp_path, vp, challenge=CHALLENGE, domain=DOMAIN)
    # The holder's signature covers the envelope: both sides hash the same statements.
    assert result["presentationVerified"], result["presentationErrors"]
    # This version of the reference reads no envelope, so it cannot judge the JWT inside;
    # ours does.
    assert [r["verified"] for r in result["credentialResults"]] == [True, False]
    ours = verify_presentation(vp, challenge=CHALLENGE, domain=DOMAIN, verifier=Verifier())
    assert ours.verified, ours.failures
    assert [r.verified for r in ours.credentials] == [True, True]


# ---- the reference signs, microcred verifies -----------------------------------------------


@pytest.fixture(scope="module")
def reference_credential(tmp_path_factory: pytest.TempPathFactory, issuer: KeyFile) -> JsonObject:
    """A credential issued by the reference itself (sign.mjs), for the reference's own VP."""
    folder = tmp_path_factory.mktemp("reference-credential")
    unsigned = sample_credential(issuer_id=issuer.controller)
    proc = _node(
        "sign.mjs",
        "--key",
        _write(folder / "issuer-key.json", issuer.to_json()),
        _write(folder / "unsigned.json", unsigned),
    )
    assert proc.returncode == 0, proc.stderr
    signed: JsonObject = json.loads(proc.stdout)
    return signed


def test_we_verify_a_presentation_the_reference_signs(
    tmp_path: Path, learner: KeyFile, reference_credential: JsonObject, jwt_credential: str
) -> None:
    unsigned = build_presentation([reference_credential, jwt_credential], holder=learner.controller)
    vp = _reference_sign(tmp_path, unsigned, learner)
    assert vp["proof"]["challenge"] == CHALLENGE
    assert vp["proof"]["domain"] == DOMAIN
    result = verify_presentation(vp, challenge=CHALLENGE, domain=DOMAIN, verifier=Verifier())
    assert result.verified, result.failures
    assert {c.name: c.status for c in result.checks} == {
        "presentation": Status.PASSED,
        "proof": Status.PASSED,
        "challenge": Status.PASSED,
        "domain": Status.PASSED,
        "holder": Status.PASSED,
        "credentials": Status.PASSED,
    }
    assert len(result.credentials) == 2


# Not strict: whether the look-alike blank nodes tie depends on the fixtures' random keys and
# ids, so the defect shows in most runs, not all (an XPASS once broke a combined run).
@pytest.mark.xfail(
    strict=False,
    reason="RDFC-1.0 differs from the reference when blank nodes in two named graphs look alike "
    "(two credentials with the same alignments): crypto.canon's pyoxigraph path, not this module",
)
def test_two_credentials_with_look_alike_blank_nodes_sign_alike(
    tmp_path: Path, learner: KeyFile, credential: JsonObject, reference_credential: JsonObject
) -> None:
    unsigned = build_presentation([reference_credential, credential], holder=learner.controller)
    vp = _reference_sign(tmp_path, unsigned, learner)
    result = verify_presentation(vp, challenge=CHALLENGE, domain=DOMAIN, verifier=Verifier())
    assert result.verified, result.failures


def test_we_refuse_the_references_presentation_for_another_challenge_domain_or_holder(
    tmp_path: Path, learner: KeyFile, issuer: KeyFile, reference_credential: JsonObject
) -> None:
    vp = _reference_sign(
        tmp_path, build_presentation([reference_credential], holder=learner.controller), learner
    )
    verifier = Verifier()
    other_challenge = verify_presentation(vp, challenge="x", domain=DOMAIN, verifier=verifier)
    assert [f.split(":")[0] for f in other_challenge.failures] == ["challenge"]
    other_domain = verify_presentation(vp, challenge=CHALLENGE, domain="x", verifier=verifier)
    assert [f.split(":")[0] for f in other_domain.failures] == ["domain"]

    # The issuer's key signs a presentation that names the learner as its holder.
    impostor = _reference_sign(
        tmp_path, build_presentation([reference_credential], holder=learner.controller), issuer
    )
    result = verify_presentation(impostor, challenge=CHALLENGE, domain=DOMAIN, verifier=verifier)
    assert result.check("proof").status == Status.PASSED  # type: ignore[union-attr]
    assert [f.split(":")[0] for f in result.failures] == ["holder"]
