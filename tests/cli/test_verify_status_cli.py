"""``microcred verify --status-list``: lists matched by the URL the credential names, in any form
(a status list credential, a VC-JWT one, a 1EdTech revocation list given as URL=FILE)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from microcred.cli.main import app
from microcred.crypto import jose, proofs
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.crypto.statuslist import BitstringStatusList, status_entry, status_list_credential
from microcred.samples import sample_credential

KEY = KeyFile.for_did_key(SigningKey.generate())
LIST_URL = "https://issuer.example/status/7"
OTHER_URL = "https://issuer.example/status/8"
REVOCATIONS_URL = "https://issuer.example/api/revocations"
EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def sign(document: dict[str, Any]) -> dict[str, Any]:
    return proofs.sign(document, KEY.key, verification_method=KEY.verification_method)


def status_of(out: str) -> dict[str, Any]:
    return next(c for c in json.loads(out)["checks"] if c["name"] == "status")


def write(path: Path, content: Any) -> str:
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def jwt_list(url: str, revoked: int | None) -> str:
    bits = BitstringStatusList()
    if revoked is not None:
        bits.set(revoked, True)
    unsigned = status_list_credential(
        id=url,
        issuer=KEY.controller,
        status_purpose="revocation",
        status_list=bits,
        valid_from=datetime.now(UTC) - timedelta(days=1),
    )
    return jose.sign_jwt(unsigned, KEY.key, kid=KEY.verification_method)


def credential_at(url: str, index: int) -> dict[str, Any]:
    entry = status_entry(list_url=url, index=index, purpose="revocation")
    return sign(sample_credential(issuer_id=KEY.controller, status=entry))


def test_vc_jwt_lists_are_matched_by_the_url_the_credential_names(tmp_path: Path) -> None:
    revoking = write(tmp_path / "seven.jwt", jwt_list(LIST_URL, revoked=3))
    clean = write(tmp_path / "eight.jwt", jwt_list(OTHER_URL, revoked=None))
    revoked = write(tmp_path / "revoked.json", credential_at(LIST_URL, 3))
    kept = write(tmp_path / "kept.json", credential_at(OTHER_URL, 3))
    lists = ["--status-list", clean, "--status-list", revoking]
    code, out, _ = run("verify", revoked, *lists, "--json")
    assert code == 1
    assert status_of(out)["message"] == "the issuer has revoked this credential"
    code, out, _ = run("verify", kept, *lists, "--json")
    assert code == 0, out
    assert status_of(out)["status"] == "passed"


def test_a_credential_naming_a_list_not_given_is_told_which_were(tmp_path: Path) -> None:
    given = write(tmp_path / "eight.jwt", jwt_list(OTHER_URL, revoked=None))
    credential = write(tmp_path / "c.json", credential_at(LIST_URL, 3))
    code, out, _ = run("verify", credential, "--status-list", given, "--json")
    assert code == 1
    message = status_of(out)["message"]
    assert LIST_URL in message
    assert f"given: {OTHER_URL}" in message


def test_a_1edtech_revocation_list_is_given_as_url_equals_file(tmp_path: Path) -> None:
    document = sample_credential(issuer_id=KEY.controller, credential_id="urn:uuid:gone")
    document["@context"] = [*document["@context"], EXTENSIONS]
    document["credentialStatus"] = {"id": REVOCATIONS_URL, "type": "1EdTechRevocationList"}
    credential = write(tmp_path / "c.json", sign(document))
    listing = {
        "id": REVOCATIONS_URL,
        "issuer": KEY.controller,
        "revokedCredentials": [{"id": "urn:uuid:gone", "revocationReason": "duplicate"}],
    }
    saved = write(tmp_path / "revocations.json", listing)
    code, out, _ = run(
        "verify", credential, "--status-list", f"{REVOCATIONS_URL}={saved}", "--json"
    )
    assert code == 1
    assert status_of(out)["message"] == "the issuer has revoked this credential: duplicate"


def test_bad_status_list_arguments_are_refused_with_a_reason(tmp_path: Path) -> None:
    credential = write(tmp_path / "c.json", credential_at(LIST_URL, 3))
    no_id = write(tmp_path / "no-id.json", {"type": "BitstringStatusListCredential"})
    code, _, err = run("verify", credential, "--status-list", no_id)
    err = " ".join(err.split())  # rich wraps long lines
    assert code == 2
    assert "has no 'id'" in err
    garbage = write(tmp_path / "garbage.txt", "not a list")
    code, _, err = run("verify", credential, "--status-list", garbage)
    err = " ".join(err.split())
    assert code == 2
    assert "neither JSON nor a VC-JWT" in err
    twice = write(tmp_path / "seven.jwt", jwt_list(LIST_URL, revoked=None))
    code, _, err = run("verify", credential, "--status-list", twice, "--status-list", twice)
    err = " ".join(err.split())
    assert code == 2
    assert "two --status-list files" in err
