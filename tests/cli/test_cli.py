"""The command line: a stable interface other tools call. Exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microcred.cli.main import app
from microcred.crypto.baking import default_badge_png, unbake
from microcred.samples import sample_credential

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "key.json"
    code, _, _ = run("keys", "new", "--out", str(path))
    assert code == 0
    return path


@pytest.fixture
def unsigned(tmp_path: Path) -> Path:
    document = sample_credential(issuer_id="placeholder")
    del document["issuer"]  # the signer's DID becomes the issuer
    path = tmp_path / "unsigned.json"
    path.write_text(json.dumps(document))
    return path


def test_keys_new_writes_a_did_key_file_and_refuses_to_overwrite(key: Path) -> None:
    data = json.loads(key.read_text())
    assert data["did"].startswith("did:key:z6Mk")
    assert data["publicKeyMultibase"] == data["did"].removeprefix("did:key:")
    assert data["secretKeyMultibase"].startswith("z")
    code, _, err = run("keys", "new", "--out", str(key))
    assert code == 2
    assert "refusing to overwrite" in err


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jwt"])
def test_sign_then_verify(tmp_path: Path, key: Path, unsigned: Path, suite: str) -> None:
    code, out, _ = run("sign", "--key", str(key), "--suite", suite, str(unsigned))
    assert code == 0
    did = json.loads(key.read_text())["did"]
    if suite == "vc-jwt":
        assert out.count(".") == 2
    else:
        signed = json.loads(out)
        assert signed["issuer"] == did
        assert signed["proof"]["cryptosuite"] == suite
    path = tmp_path / "signed.txt"
    path.write_text(out)
    code, out, _ = run("verify", str(path), "--json")
    report = json.loads(out)
    assert code == 0, report
    assert report["verified"] is True
    assert {c["name"] for c in report["checks"]} >= {"proof", "issuer", "validity", "status"}


def test_issuer_that_is_not_the_key_is_an_error(tmp_path: Path, key: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(
        json.dumps(
            sample_credential(issuer_id="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
        )
    )
    code, out, err = run("sign", "--key", str(key), str(path))
    assert code == 2
    assert out == ""
    assert "issuer is not the signing key's DID" in err


def test_verify_exit_codes(tmp_path: Path, key: Path, unsigned: Path) -> None:
    _, out, _ = run("sign", "--key", str(key), str(unsigned))
    tampered = json.loads(out)
    tampered["name"] = "Something else"
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(tampered))
    code, out, _ = run("verify", str(path))
    assert code == 1
    assert "NOT VERIFIED" in out
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00\x01not a credential")
    assert run("verify", str(garbage))[0] == 2
    assert run("verify", str(tmp_path / "missing.json"))[0] == 2


def test_bake_png_and_verify_the_image(tmp_path: Path, key: Path, unsigned: Path) -> None:
    _, out, _ = run("sign", "--key", str(key), str(unsigned))
    credential = tmp_path / "signed.json"
    credential.write_text(out)
    image = tmp_path / "badge.png"
    image.write_bytes(default_badge_png())
    baked = tmp_path / "baked.png"
    code, _, _ = run(
        "bake", "--credential", str(credential), "--image", str(image), "--out", str(baked)
    )
    assert code == 0
    assert json.loads(unbake(baked.read_bytes()).text) == json.loads(out)
    code, out, _ = run("verify", str(baked))
    assert code == 0
    assert "VERIFIED" in out


def test_verify_uses_status_lists_given_on_the_command_line(tmp_path: Path) -> None:
    code, out, _ = run("demo", "--out", str(tmp_path / "demo"))
    assert code == 0, out
    baked = tmp_path / "demo" / "badge.png"
    status_list = tmp_path / "demo" / "status-list.json"
    assert run("verify", str(baked))[0] == 1  # offline, the status cannot be checked
    code, out, _ = run("verify", str(baked), "--status-list", str(status_list), "--json")
    assert code == 0
    assert next(c for c in json.loads(out)["checks"] if c["name"] == "status")["status"] == "passed"


def test_error_messages_print_brackets_as_they_are(tmp_path: Path) -> None:
    # Rich would read "[bold]" in a path or an echoed value as markup and drop it.
    missing = tmp_path / "no[bold]such[/bold].json"
    code, _out, err = run("verify", str(missing))
    assert code == 2
    assert "no[bold]such[/bold].json" in "".join(err.split())  # rich wraps long lines


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        (9007199254740993, "beyond 2^53"),
        (0.30000000000000004, "17 significant digits"),
        (1e-7, "without a decimal point"),
    ],
)
def test_sign_refuses_a_number_other_verifiers_would_read_otherwise(
    tmp_path: Path, key: Path, unsigned: Path, number: float, problem: str
) -> None:
    document = json.loads(unsigned.read_text())
    document["credentialSubject"]["achievement"]["creditsAvailable"] = number
    path = tmp_path / "numbers.json"
    path.write_text(json.dumps(document))
    code, out, err = run("sign", "--key", str(key), str(path))
    said = " ".join(err.split())  # the console wraps long lines
    assert code == 2
    assert out == ""
    assert "credentialSubject.achievement.creditsAvailable" in said
    assert problem in said
    assert repr(number) in said
