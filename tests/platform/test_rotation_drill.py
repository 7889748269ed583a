"""The key-rotation drill (issue 20): issue, rotate the issuer's key and the log's checkpoint
key from the command line, issue again; old and new credentials verify, and the checkpoint
signed before the rotation still verifies after it."""

from __future__ import annotations

import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from typer.testing import CliRunner

from microcred.accounts.actor import SYSTEM
from microcred.cli.main import app
from microcred.crypto.keys import PublicKey
from microcred.issuing.issuance import IssueRequest
from microcred.ledger import verify_checkpoint
from microcred.runtime import Runtime
from microcred.settings import Settings
from tests.platform.conftest import IssuerFixture


def _env(settings: Settings) -> dict[str, str]:
    env = {
        "MICROCRED_DATA_DIR": str(settings.data_dir),
        "MICROCRED_PUBLIC_URL": settings.base_url,
        "MICROCRED_QUEUE_IMMEDIATE": "true",
    }
    if settings.database_url:
        env["MICROCRED_DATABASE_URL"] = settings.database_url
    return env


def _log_key(runtime: Runtime, fragment_index: int) -> Ed25519PublicKey:
    method = runtime.transparency.did_document()["verificationMethod"][fragment_index]
    native = PublicKey.from_multibase(method["publicKeyMultibase"]).native
    assert isinstance(native, Ed25519PublicKey)
    return native


def test_rotation_drill(
    runtime: Runtime, settings: Settings, issuer: IssuerFixture, achievement_id: str
) -> None:
    runner = CliRunner()
    env = _env(settings)
    origin = runtime.urls.log_origin

    (before,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id, email="before@example.org")]
    )
    old_method = before.document["proof"]["verificationMethod"]
    old_checkpoint = runtime.transparency.latest_checkpoint()
    old_log_key = _log_key(runtime, 0)
    old_bundle = runtime.transparency.bundle(before.id)

    rotated = runner.invoke(app, ["issuers", "rotate-key", issuer.slug], env=env)
    assert rotated.exit_code == 0, rotated.output
    new_method = json.loads(rotated.stdout)["verificationMethod"]
    assert new_method != old_method
    assert new_method.startswith(f"{issuer.did}#")
    log_rotated = runner.invoke(app, ["log", "rotate-key"], env=env)
    assert log_rotated.exit_code == 0, log_rotated.output
    new_vkey = log_rotated.stdout.strip()
    assert new_vkey.startswith(f"{origin}+")
    assert runner.invoke(app, ["issuers", "rotate-key", "nobody"], env=env).exit_code == 2

    # This runtime (another process, as far as the CLI was concerned) signs with the new keys.
    (after,) = runtime.issuance.issue(
        SYSTEM, issuer.id, [IssueRequest(achievement_id, email="after@example.org")]
    )
    assert after.document["proof"]["verificationMethod"] == new_method

    # The DID document lists the new key first and keeps the old one.
    did = runtime.issuers.did_document(issuer.slug)
    methods = [m["id"] for m in did["verificationMethod"]]
    assert methods == [new_method, old_method]
    assert did["assertionMethod"][0] == new_method
    assert old_method in did["assertionMethod"]

    for row in (before, after):
        result = runtime.verification.verify_bytes(json.dumps(row.document).encode())
        assert result.verified, result.to_json()
        assert result.check("transparency-log").status.value == "passed"

    # Checkpoints: the old one verifies under the old key (and not the new), the new one under
    # the new key; the server publishes both; the whole log rechecks; old bundles verify.
    vkeys = runtime.transparency.verifier_keys()
    assert vkeys[0] == new_vkey
    assert len(vkeys) == 2
    new_log_key = _log_key(runtime, 0)
    assert _log_key(runtime, 1).public_bytes_raw() == old_log_key.public_bytes_raw()
    verify_checkpoint(
        runtime.transparency.checkpoint(old_checkpoint.size).note, old_log_key, origin=origin
    )
    latest = runtime.transparency.latest_checkpoint()
    assert latest.size > old_checkpoint.size
    verify_checkpoint(latest.note, new_log_key, origin=origin)
    fsck = runner.invoke(app, ["log", "fsck"], env=env)
    assert fsck.exit_code == 0, fsck.output
    credential_file = settings.data_dir / "before.json"
    credential_file.write_text(json.dumps(before.document))
    bundle_file = settings.data_dir / "old-bundle.json"
    bundle_file.write_text(json.dumps(old_bundle))
    args = ["log", "verify-bundle", str(credential_file), str(bundle_file)]
    checked = runner.invoke(app, [*args, "--log-key", vkeys[1]], env=env)
    assert checked.exit_code == 0, checked.output
