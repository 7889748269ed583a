"""What ``make run`` shows until the server exists: key, credential, baked PNG, verification."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from microcred.crypto import proofs
from microcred.crypto.baking import bake_png, default_badge_png
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.crypto.statuslist import BitstringStatusList, status_entry, status_list_credential
from microcred.samples import sample_credential
from microcred.signing import sign_credential
from microcred.verify import VerificationResult, Verifier

STATUS_LIST_URL = "https://issuer.example/status/revocation/1"


@dataclass(frozen=True)
class DemoReport:
    result: VerificationResult
    baked_png: Path
    files: dict[str, Path]


def run_demo(out_dir: Path) -> DemoReport:
    out_dir.mkdir(parents=True, exist_ok=True)
    key_file = KeyFile.for_did_key(SigningKey.generate())
    key_path = out_dir / "issuer-key.json"
    key_file.save(key_path)

    # A revocation list with room for 131,072 credentials; ours takes a random slot (herd privacy).
    status_list = BitstringStatusList()
    index = secrets.randbelow(status_list.length)
    now = datetime.now(UTC).replace(microsecond=0)
    list_credential = proofs.sign(
        status_list_credential(
            id=STATUS_LIST_URL,
            issuer=key_file.controller,
            status_purpose="revocation",
            status_list=status_list,
            valid_from=now,
        ),
        key_file.key,
        verification_method=key_file.verification_method,
    )
    credential = sample_credential(
        issuer_id=key_file.controller,
        status=status_entry(list_url=STATUS_LIST_URL, index=index, purpose="revocation"),
        valid_from=now,
    )
    signed = sign_credential(credential, key_file)
    assert isinstance(signed, dict)
    text = json.dumps(signed, indent=2, ensure_ascii=False)
    baked = bake_png(
        default_badge_png(), json.dumps(signed, separators=(",", ":"), ensure_ascii=False)
    )

    files = {
        "issuer key (secret)": key_path,
        "status list": out_dir / "status-list.json",
        "signed credential": out_dir / "credential.json",
        "baked badge": out_dir / "badge.png",
        "verification result": out_dir / "verification.json",
    }
    files["status list"].write_text(json.dumps(list_credential, indent=2) + "\n", encoding="utf-8")
    files["signed credential"].write_text(text + "\n", encoding="utf-8")
    files["baked badge"].write_bytes(baked)
    result = Verifier(status_lists={STATUS_LIST_URL: list_credential}).verify(baked)
    files["verification result"].write_text(
        json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8"
    )
    return DemoReport(result, files["baked badge"], files)
