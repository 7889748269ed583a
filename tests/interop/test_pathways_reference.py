"""A micro-degree and its CLR, made by the platform, verified by Digital Bazaar's reference stack
(offline: the issuers' did:web documents and the status list credentials are handed to it as
files)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from microcred.accounts.actor import SYSTEM
from microcred.runtime import Runtime
from microcred.settings import Settings
from microcred.store.tables import CredentialRow, PathwayAwardRow
from tests.interop.reference_stack import JS_DIR, node_or_skip
from tests.platform.conftest import make_issuer
from tests.platform.pathways_support import issue, make_achievement, two_part_pathway

NODE = node_or_skip()
pytestmark = pytest.mark.interop


def js_verify(
    document: dict[str, Any],
    tmp: Path,
    did_documents: list[Path],
    status_lists: Sequence[Path] = (),
) -> dict[str, Any]:
    path = tmp / "doc.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    flags = [arg for doc in did_documents for arg in ("--did-document", str(doc))]
    flags += [arg for doc in status_lists for arg in ("--status-list", str(doc))]
    done = subprocess.run(
        [NODE, str(JS_DIR / "verify.mjs"), *flags, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=JS_DIR,
    )
    assert done.returncode in (0, 1), done.stderr
    verdict: dict[str, Any] = json.loads(done.stdout)
    return verdict


def status_list_files(runtime: Runtime, document: dict[str, Any], tmp: Path) -> list[Path]:
    """The current signed status list credential of each of the document's status entries, as
    the server publishes it, written to a file for the harness."""
    files = []
    for n, entry in enumerate(document["credentialStatus"]):
        address = runtime.urls.status_list_address(entry["statusListCredential"])
        assert address is not None, entry
        path = tmp / f"status-{n}.json"
        listed = runtime.status_lists.signed_list(address.slug, address.purpose, address.seq)
        path.write_text(json.dumps(listed), encoding="utf-8")
        files.append(path)
    return files


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'microcred.db'}",
        public_url="https://badges.example.org",
        queue_immediate=True,
    )
    rt = Runtime(settings)
    yield rt
    rt.close()


def test_the_micro_degree_and_its_clr_verify_in_the_reference(
    runtime: Runtime, tmp_path: Path
) -> None:
    issuer, other_issuer = make_issuer(runtime, "alpha"), make_issuer(runtime, "beta")
    a = make_achievement(runtime, issuer, "Statistics", credits=5, eqf=6)
    b = make_achievement(runtime, other_issuer, "Databases", credits=4, eqf=5)
    two_part_pathway(runtime, issuer, [a, b])
    issue(runtime, issuer, a)
    part_b = issue(runtime, other_issuer, b)
    with runtime.sessions() as session:
        award = session.scalars(select(PathwayAwardRow)).one()
        degree = session.get(CredentialRow, award.credential_id)
        assert degree is not None
    dids = []
    for fixture in (issuer, other_issuer):
        path = tmp_path / f"{fixture.slug}-did.json"
        path.write_text(json.dumps(runtime.issuers.did_document(fixture.slug)), encoding="utf-8")
        dids.append(path)

    # The micro-degree: verified in full, its status lists (revocation and suspension, fetched
    # from the server as published) checked by the reference status list library.
    verdict = js_verify(degree.document, tmp_path, dids)
    assert verdict["proofVerified"] is True, verdict
    assert [e for e in verdict["errors"] if "credentialStatus" not in e] == [], verdict
    lists = status_list_files(runtime, degree.document, tmp_path)
    assert len(lists) == 2
    verdict = js_verify(degree.document, tmp_path, dids, lists)
    assert verdict == {
        "verified": True,
        "errors": [],
        "proofVerified": True,
        "proofErrors": [],
    }, verdict

    # The CLR has no status of its own: verified in full, and each part's proof too.
    clr = runtime.pathways.clr(degree.id)
    verdict = js_verify(clr, tmp_path, dids)
    assert verdict["verified"] is True, verdict
    for part in clr["credentialSubject"]["verifiableCredential"]:
        assert js_verify(part, tmp_path, dids)["proofVerified"] is True

    # An endorsement of the pathway by the other issuer: its proof verifies there too.
    (view,) = runtime.pathways.all(state="active")
    endorsement = runtime.endorsements.endorse(SYSTEM, other_issuer.id, view.row.id, "Trusted.")
    verdict = js_verify(endorsement.document, tmp_path, dids)
    assert verdict["proofVerified"] is True, verdict
    assert [e for e in verdict["errors"] if "credentialStatus" not in e] == [], verdict

    # A part revoked: the cascade suspends the micro-degree, and the reference, reading the
    # suspension list as now published, refuses it for that reason alone.
    runtime.lifecycle.revoke(SYSTEM, other_issuer.id, part_b.id, "issued in error")
    lists = status_list_files(runtime, degree.document, tmp_path)
    verdict = js_verify(degree.document, tmp_path, dids, lists)
    assert verdict["verified"] is False, verdict
    assert verdict["proofVerified"] is True, verdict
    assert verdict["errors"] == ["credentialStatus: status bit set (suspension)"], verdict
