"""``microcred verify`` on a picture: a QR code holding a credential is verified offline; one
holding a URL is reported (the CLI fetches nothing); OB 2.0 signed assertions are reported as
needing the network, never passed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import segno
from typer.testing import CliRunner

from microcred.cli.main import app
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.samples import sample_credential
from microcred.signing import sign_credential
from tests.verify import ob2_fixtures as ob2
from tests.verify.qr_fixtures import qr_photo, qr_png

runner = CliRunner()


def verify(path: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["verify", str(path), *args])
    return result.exit_code, result.stdout + result.stderr


def test_a_qr_code_holding_a_credential_is_verified(tmp_path: Path) -> None:
    key = KeyFile.for_did_key(SigningKey.generate())
    token = sign_credential(sample_credential(issuer_id=key.controller), key, suite="vc-jwt")
    assert isinstance(token, str)
    out = io.BytesIO()
    segno.make(token, error="l").save(out, kind="png", scale=4, border=4)
    picture = tmp_path / "certificate.png"
    picture.write_bytes(out.getvalue())
    code, text = verify(picture, "--json")
    assert code == 0, text
    answer = json.loads(text)
    assert answer["verified"] is True
    assert answer["qr"] == token
    assert answer["format"] == "VC-JWT"


def test_a_qr_code_holding_a_url_is_reported_not_fetched(tmp_path: Path) -> None:
    url = "https://badges.example.org/credentials/1"
    for name, data in (("code.png", qr_png(url)), ("photo.jpg", qr_photo(url))):
        picture = tmp_path / name
        picture.write_bytes(data)
        code, text = verify(picture)
        assert code == 2, text
        assert url in text
        assert "works offline" in text


def test_pictures_without_credential_or_code(tmp_path: Path) -> None:
    from PIL import Image

    plain = tmp_path / "plain.png"
    Image.new("RGB", (40, 40), "white").save(plain)
    code, text = verify(plain)
    assert code == 2
    assert "nothing is baked into this PNG" in text
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (40, 40), "white").save(photo, format="JPEG")
    code, text = verify(photo)
    assert code == 2
    assert "no QR code was found" in text


def test_ob2_signed_assertion_offline_is_not_verified(tmp_path: Path) -> None:
    baked = tmp_path / "legacy.png"
    baked.write_bytes(ob2.baked_png(ob2.jws(ob2.assertion(), ob2.rsa_key())))
    code, text = verify(baked, "--json")
    assert code == 1, text
    checks = {c["name"]: c for c in json.loads(text)["checks"]}
    assert checks["proof"]["status"] == "skipped"
    assert ob2.KEY in checks["proof"]["message"]
    assert checks["parse"]["status"] == "passed"
