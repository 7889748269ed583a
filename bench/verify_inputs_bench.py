"""Benchmark of the verifier's other ways in: QR pictures and Open Badges 2.0 signed assertions.

Run standalone: ``.venv/bin/python bench/verify_inputs_bench.py [--rounds N]``.

Each figure is printed next to a floor measured in the same run, on the same input, because
the machine is shared and absolute times wander:

* QR: ``read_qr`` on a clean PNG, a ~1 MP photo-like JPEG, and a 12 MP photo (scaled down
  before decoding) against the floor of merely decoding the picture to grey pixels with Pillow.
* OB 2.0: a full signed verification (split the JWS, parse, key/profile/badge from an
  in-memory fetcher, key ownership, revocation list) against one RSA-2048 PKCS#1 v1.5 verify.
* The OB 2.0 sniff the Verifier runs on every text input, against a VC-JWT's whole
  verification, to show it costs nothing noticeable there.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

import segno
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from PIL import Image, ImageFilter

from microcred.crypto.keys import KeyFile, SigningKey
from microcred.samples import sample_credential
from microcred.signing import sign_credential
from microcred.verify import Verifier
from microcred.verify.ob2 import Ob2Verifier, ob2_input
from microcred.verify.qr import read_qr

URL = "https://badges.example.org/credentials/5a1f2c3d-0000-4000-8000-000000000001"
ORIGIN = "https://old-school.example"
_NOW = datetime(2026, 6, 1, tzinfo=UTC)


def median_ms(action: Callable[[], object], rounds: int) -> float:
    action()  # warm up
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def qr_png() -> bytes:
    out = io.BytesIO()
    segno.make(URL, error="m").save(out, kind="png", scale=6, border=4)
    return out.getvalue()


def photo(width: int, height: int) -> bytes:
    code = Image.open(io.BytesIO(qr_png())).convert("L")
    side = min(width, height) // 3
    code = code.resize((side, side)).rotate(7, expand=True, fillcolor=255)
    noise = Image.effect_noise((width, height), 40).point(lambda v: 90 + v // 3)
    picture = Image.merge("RGB", (noise, noise, noise))
    picture.paste(code.convert("RGB"), (width // 3, height // 3))
    out = io.BytesIO()
    picture.filter(ImageFilter.GaussianBlur(0.8)).save(out, format="JPEG", quality=85)
    return out.getvalue()


def grey_floor(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as picture:
        picture.convert("L").load()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ob2_case() -> tuple[str, Callable[[str], bytes], Callable[[], None]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    documents = {
        f"{ORIGIN}/issuer": {
            "id": f"{ORIGIN}/issuer",
            "type": "Profile",
            "name": "Old School",
            "publicKey": [f"{ORIGIN}/key"],
            "revocationList": f"{ORIGIN}/revoked",
        },
        f"{ORIGIN}/key": {
            "id": f"{ORIGIN}/key",
            "type": "CryptographicKey",
            "owner": f"{ORIGIN}/issuer",
            "publicKeyPem": pem,
        },
        f"{ORIGIN}/badge": {"id": f"{ORIGIN}/badge", "name": "B", "issuer": f"{ORIGIN}/issuer"},
        f"{ORIGIN}/revoked": {
            "id": f"{ORIGIN}/revoked",
            "revokedAssertions": [f"urn:uuid:{i}" for i in range(1000)],
        },
    }
    bodies = {url: json.dumps(doc).encode() for url, doc in documents.items()}
    assertion = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": "urn:uuid:assertion",
        "recipient": {"type": "email", "hashed": False, "identity": "ada@example.org"},
        "badge": f"{ORIGIN}/badge",
        "verification": {"type": "SignedBadge", "creator": f"{ORIGIN}/key"},
        "issuedOn": "2024-01-01T00:00:00Z",
    }
    header = b64(json.dumps({"alg": "RS256"}).encode())
    signing_input = f"{header}.{b64(json.dumps(assertion).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    public_key = key.public_key()

    def rsa_floor() -> None:
        public_key.verify(signature, signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())

    return f"{signing_input}.{b64(signature)}", bodies.__getitem__, rsa_floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds

    print("QR pictures (median ms; floor = Pillow decoding the picture to grey)")
    for name, data in (
        ("clean PNG 306 px", qr_png()),
        ("photo JPEG 1280x960", photo(1280, 960)),
        ("photo JPEG 4000x3000", photo(4000, 3000)),
    ):
        assert read_qr(data) == URL
        figure = median_ms(lambda d=data: read_qr(d), rounds)
        floor = median_ms(lambda d=data: grey_floor(d), rounds)
        print(f"  {name:22} {figure:8.2f}   floor {floor:7.2f}   ratio {figure / floor:5.1f}x")

    token, fetch, rsa_floor = ob2_case()

    def ob2() -> None:
        result = Ob2Verifier(fetcher=fetch, clock=lambda: _NOW).verify(token)
        assert result.verified, result.to_json()

    figure, floor = median_ms(ob2, rounds * 10), median_ms(rsa_floor, rounds * 10)
    print("Open Badges 2.0 signed assertion (median ms; floor = one RSA-2048 verify)")
    label = "full verification"
    print(f"  {label:22} {figure:8.3f}   floor {floor:7.3f}   ratio {figure / floor:5.1f}x")

    key = KeyFile.for_did_key(SigningKey.generate())
    jwt = sign_credential(sample_credential(issuer_id=key.controller), key, suite="vc-jwt")
    assert isinstance(jwt, str)
    verifier = Verifier(clock=lambda: _NOW)
    sniff = median_ms(lambda: ob2_input(jwt), rounds * 30)
    whole = median_ms(lambda: verifier.verify(jwt), rounds * 10)
    print("OB 2.0 sniff on a VC-JWT (median ms; floor = the VC-JWT's whole verification)")
    print(f"  {'ob2_input':22} {sniff:8.4f}   floor {whole:7.3f}   ratio {sniff / whole:6.3f}x")


if __name__ == "__main__":
    main()
