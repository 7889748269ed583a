"""Verification of other issuers' credentials: a stream of 20 shapes, beside the JS reference.

Run standalone: ``.venv/bin/python bench/verify_shapes_bench.py [--count 2000] [--seconds 3]``.

Twenty issuers (one did:key each) sign eddsa-rdfc-2022 Open Badges 3.0 credentials of twenty
different shapes: different sets of fields, achievements, alignments, results, evidence, a VC 1.1
one, language and direction values, text that N-Quads must escape; no endorsements, no status.
The stream holds ``--count`` credentials where each shape recurs every 20, each credential with
values of its own (ids, names, dates, proof creation time), as a wallet or a verification
service receiving credentials from many issuers sees them.

``microcred.verify.Verifier`` (offline, no status) verifies the stream in order; the figure is
credentials per CPU second of this process, each pass over the stream from empty caches. One
shape carries numbers that differ per credential (credits earned and available). The JS
reference (Digital Bazaar's vc.verifyCredential, interop/js) verifies the same stream in the
same run, and the ratio is printed; that column is skipped without Node.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from microcred.crypto import canon, proofs
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.samples import sample_credential
from microcred.signing import sign_credential
from microcred.verify import Verifier

ROOT = Path(__file__).resolve().parent.parent
JS_DIR = ROOT / "interop" / "js"
SHAPES = 20
VC2 = "https://www.w3.org/ns/credentials/v2"
VC1 = "https://www.w3.org/2018/credentials/v1"
OB303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB301 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json"
DATA_INTEGRITY = "https://w3id.org/security/data-integrity/v2"
ESCO = "http://data.europa.eu/esco/skill/"
START = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)  # every credential is valid then
FIRST = ["Ada", "Grace", "Alan", "Noor", "Mei", "Olu", "Ines", "Kofi", "Sven", "Yara", "Luis"]
LAST = ["Lovelace", "Hopper", "Turing", "Haddad", "Chen", "Adeyemi", "Ruiz", "Mensah", "Berg"]
SKILLS = ["Statistics", "SQL", "Data visualisation", "Machine learning", "Project management"]

Credential = dict[str, Any]


class Values:
    """The values of one credential: what differs between two credentials of one shape."""

    def __init__(self, shape: int, n: int, issuer: str, rng: random.Random) -> None:
        self.n = n
        self.issuer = issuer
        self.host = f"https://issuer-{shape}.example"
        self.id = f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        self.learner = f"did:example:learner-{rng.getrandbits(48):012x}"
        self.person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        self.skill = rng.choice(SKILLS)
        self.course = f"{self.skill} {100 + n % 400}"
        self.moment = START + timedelta(minutes=n * 7, seconds=rng.randrange(60))
        self.credits_available = rng.randrange(1, 31)  # an integer
        self.credits_earned = rng.randrange(1, 61) / 2  # a float, sometimes integral (3.0)

    def date(self, days: int = 0) -> str:
        return (self.moment + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def url(self, path: str) -> str:
        return f"{self.host}/{path}/{self.n}"


def _credential(
    v: Values, achievement: Credential, *, issuer: Any = None, **extra: Any
) -> Credential:
    subject: Credential = {"id": v.learner, "type": ["AchievementSubject"]}
    subject.update(extra.pop("subject", {}))
    subject["achievement"] = achievement
    doc: Credential = {
        "@context": extra.pop("context", [VC2, OB303]),
        "id": v.id,
        "type": extra.pop("types", ["VerifiableCredential", "OpenBadgeCredential"]),
        "issuer": issuer if issuer is not None else {"id": v.issuer, "type": ["Profile"]},
        "validFrom": v.date(),
        "name": extra.pop("name", v.course),
        "credentialSubject": subject,
    }
    doc.update(extra)
    return doc


def _achievement(v: Values, **fields: Any) -> Credential:
    return {
        "id": v.url("achievements"),
        "type": ["Achievement"],
        "name": v.course,
        "description": f"Shows {v.skill.lower()} at the level of course {v.course}.",
        "criteria": {"narrative": f"Passed the {v.course} assessment."},
        **fields,
    }


def _alignment(v: Values, k: int) -> Credential:
    return {
        "type": ["Alignment"],
        "targetName": f"{v.skill} ({k})",
        "targetUrl": f"{ESCO}{uuid.uuid5(uuid.NAMESPACE_URL, v.skill)}-{k}",
        "targetFramework": "ESCO",
        "targetType": "ceasn:Competency",
    }


def _shape_0(v: Values) -> Credential:  # the smallest: issuer as a string
    return _credential(v, _achievement(v), issuer=v.issuer)


def _shape_1(v: Values) -> Credential:  # named issuer, achievement image
    image = {"id": v.url("badges") + ".png", "type": "Image", "caption": f"{v.course} badge"}
    issuer = {"id": v.issuer, "type": ["Profile"], "name": "Hochschule Nord", "url": v.host}
    return _credential(v, _achievement(v, image=image), issuer=issuer)


def _shape_2(v: Values) -> Credential:  # one alignment
    return _credential(v, _achievement(v, alignment=[_alignment(v, 1)]))


def _shape_3(v: Values) -> Credential:  # three alignments with codes
    alignments = [
        {**_alignment(v, k), "targetCode": f"S{k}.{v.n % 9}", "targetDescription": f"Level {k}"}
        for k in range(3)
    ]
    return _credential(v, _achievement(v, alignment=alignments))


def _shape_4(v: Values) -> Credential:  # a result description (its allowedValue is an @list)
    description = {
        "id": v.url("results"),
        "type": ["ResultDescription"],
        "name": "Final grade",
        "resultType": "LetterGrade",
        "allowedValue": ["A", "B", "C", "D", "F"],
    }
    grade = "ABCD"[v.n % 4]
    result = [{"type": ["Result"], "resultDescription": v.url("results"), "value": grade}]
    achievement = _achievement(v, resultDescription=[description])
    return _credential(v, achievement, subject={"result": result})


def _shape_5(v: Values) -> Credential:  # evidence
    evidence = [
        {
            "id": v.url("evidence") + f"/{k}",
            "type": ["Evidence"],
            "name": f"Portfolio item {k}",
            "narrative": f"{v.person} submitted item {k} on {v.date(k)[:10]}.",
            "genre": "Portfolio",
        }
        for k in range(2)
    ]
    return _credential(v, _achievement(v), evidence=evidence)


def _shape_6(v: Values) -> Credential:  # dates: awarded, valid until, activity period
    subject = {"activityStartDate": v.date(-90), "activityEndDate": v.date(-1)}
    return _credential(
        v, _achievement(v), subject=subject, awardedDate=v.date(), validUntil=v.date(3650)
    )


def _shape_7(v: Values) -> Credential:  # learner known by a hashed email, not a DID
    identity = {
        "type": "IdentityObject",
        "identityHash": "sha256$" + uuid.uuid5(uuid.NAMESPACE_DNS, v.person).hex * 2,
        "identityType": "emailAddress",
        "hashed": True,
        "salt": f"{v.n:08x}",
    }
    doc = _credential(v, _achievement(v), subject={"identifier": [identity]})
    del doc["credentialSubject"]["id"]
    return doc


def _shape_8(v: Values) -> Credential:  # numbers that differ per credential, tags, language
    achievement = _achievement(
        v,
        creditsAvailable=v.credits_available,
        fieldOfStudy="Data science",
        inLanguage="en",
        tag=[v.skill, "data"],
    )
    return _credential(v, achievement, subject={"creditsEarned": v.credits_earned})


def _shape_9(v: Values) -> Credential:  # a plain VC (no OB type) with language-tagged text
    return _credential(
        v,
        _achievement(v),
        types=["VerifiableCredential"],
        name={"@value": f"Attestation {v.course}", "@language": "fr"},
        description=[
            {"@value": f"Cours {v.course} réussi", "@language": "fr"},
            {"@value": f"Passed {v.course}", "@language": "en"},
        ],
    )


def _shape_10(v: Values) -> Credential:  # right-to-left text, with and without a language
    return _credential(
        v,
        _achievement(v),
        types=["VerifiableCredential"],
        name={"@value": f"{v.course} شهادة", "@direction": "rtl"},
        description={"@value": f"شهادة {v.person}", "@language": "ar", "@direction": "rtl"},
    )


def _shape_11(v: Values) -> Credential:  # VC 1.1 with the OB 3.0.1 context
    doc = _credential(v, _achievement(v), context=[VC1, OB301, DATA_INTEGRITY])
    del doc["validFrom"]
    doc["issuanceDate"] = v.date()
    doc["expirationDate"] = v.date(730)
    return doc


def _shape_12(v: Values) -> Credential:  # AchievementCredential, issuer with contact details
    issuer = {
        "id": v.issuer,
        "type": ["Profile"],
        "name": "Instituto Técnico",
        "email": "credenciales@instituto.example",
        "phone": "+34 910 000 000",
        "address": {"type": ["Address"], "addressCountry": "ES", "addressLocality": "Madrid"},
    }
    return _credential(
        v,
        _achievement(v),
        issuer=issuer,
        types=["VerifiableCredential", "AchievementCredential"],
    )


def _shape_13(v: Values) -> Credential:  # achievement creator, achievement type
    creator = {"id": v.host + "/faculty", "type": ["Profile"], "name": "Faculty of Science"}
    return _credential(v, _achievement(v, creator=creator, achievementType="Certificate"))


def _shape_14(v: Values) -> Credential:  # credential schema
    schema = [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
            "type": "JsonSchema",
        }
    ]
    return _credential(v, _achievement(v), credentialSchema=schema)


def _shape_15(v: Values) -> Credential:  # text that canonical N-Quads must escape
    description = f'{v.person} wrote "{v.skill}"\n\tC:\\data\\{v.n}.csv — ✓ 🎓'
    return _credential(v, _achievement(v, description=description))


def _shape_16(v: Values) -> Credential:  # other identifiers, human code
    identifiers = [
        {"type": "IdentifierEntry", "identifier": f"C-{v.n}", "identifierType": "sourcedId"},
        {"type": "IdentifierEntry", "identifier": f"X{v.n:05d}", "identifierType": "systemId"},
    ]
    return _credential(v, _achievement(v, otherIdentifier=identifiers, humanCode=f"DS{v.n % 97}"))


def _shape_17(v: Values) -> Credential:  # subject narrative, role, term; achievement version
    subject = {"narrative": f"{v.person} led the team project.", "role": "Lead", "term": "Fall"}
    return _credential(v, _achievement(v, version=f"{1 + v.n % 3}.0"), subject=subject)


def _shape_18(v: Values) -> Credential:  # related achievements
    related = [
        {"id": v.url("achievements") + "-de", "type": ["Related"], "inLanguage": "de"},
        {"id": v.url("achievements") + "-v1", "type": ["Related"], "version": "1.0"},
    ]
    return _credential(v, _achievement(v, related=related))


def _shape_19(v: Values) -> Credential:  # the realistic sample (criteria, image, two alignments)
    return sample_credential(
        issuer_id=v.issuer,
        recipient_id=v.learner,
        recipient_name=v.person,
        credential_id=v.id,
        valid_from=v.moment,
    )


SHAPE_BUILDERS: list[Callable[[Values], Credential]] = [
    _shape_0, _shape_1, _shape_2, _shape_3, _shape_4, _shape_5, _shape_6, _shape_7, _shape_8,
    _shape_9, _shape_10, _shape_11, _shape_12, _shape_13, _shape_14, _shape_15, _shape_16,
    _shape_17, _shape_18, _shape_19,
]  # fmt: skip


def stream(count: int, seed: int = 13) -> list[Credential]:
    """``count`` signed credentials, shape ``n % 20`` at position ``n``, each issuer its own."""
    rng = random.Random(seed)
    issuers = [KeyFile.for_did_key(SigningKey.generate()) for _ in range(SHAPES)]
    signed: list[Credential] = []
    for n in range(count):
        shape = n % SHAPES
        key = issuers[shape]
        values = Values(shape, n, key.controller, rng)
        document = SHAPE_BUILDERS[shape](values)
        created = values.moment + timedelta(seconds=30)
        credential = sign_credential(document, key, created=created)
        assert isinstance(credential, dict)
        signed.append(credential)
    return signed


def clear_caches() -> None:
    canon.clear_fast_path_cache()
    proofs.clear_config_cache()


def ours(credentials: list[Credential], seconds: float) -> float:
    """Credentials per CPU second, passes over the stream until ``seconds`` of CPU.

    Every pass starts from empty caches, so it sees each credential for the first time as a
    real stream would (the caches keyed by values, such as proof configurations, do not get to
    remember the stream) and pays the 20 shapes' first sight."""
    verifier = Verifier(clock=lambda: NOW)
    for credential in credentials:
        result = verifier.verify(credential)
        if not result.verified:
            failed = [c.to_json() for c in result.checks if c.status == "failed"]
            raise SystemExit(f"credential {credential['id']} did not verify: {failed}")
    count, elapsed = 0, 0.0
    while elapsed < seconds:
        clear_caches()
        start = time.process_time()
        for credential in credentials:
            verifier.verify(credential)
        elapsed += time.process_time() - start
        count += len(credentials)
    return count / elapsed


def reference(credentials: list[Credential], seconds: float) -> dict[str, Any] | None:
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules").is_dir():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stream.json"
        path.write_text(json.dumps(credentials), encoding="utf-8")
        done = subprocess.run(
            [node, str(JS_DIR / "verify_stream_bench.mjs"), str(path), "--seconds", str(seconds)],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
    if done.returncode != 0:
        print(f"JS reference failed: {done.stderr.strip()[-400:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="credentials in the stream")
    parser.add_argument("--seconds", type=float, default=3.0, help="CPU seconds per figure")
    args = parser.parse_args()
    credentials = stream(max(args.count, SHAPES))
    sizes = [len(json.dumps(c, separators=(",", ":"))) for c in credentials[:SHAPES]]
    print(
        f"stream: {len(credentials)} eddsa-rdfc-2022 credentials, {SHAPES} shapes from "
        f"{SHAPES} did:key issuers, each shape once per {SHAPES}; "
        f"{min(sizes)}-{max(sizes)} bytes of JSON; one core"
    )
    steady = ours(credentials, args.seconds)
    print(
        f"microcred Verifier (offline, no status): {steady:,.0f} credentials/s per CPU second "
        "(each pass from empty caches)"
    )
    js = reference(credentials, args.seconds)
    if js is None:
        print("JS reference (Digital Bazaar): not measured (run `make js`; needs Node)")
        return
    print(
        f"JS reference (Digital Bazaar vc.verifyCredential, {js['node']}): "
        f"{js['verify_per_cpu_s']:,.0f} credentials/s per CPU second of the Node process "
        f"({js['n_verify']} verified)"
    )
    print(f"microcred / reference: {steady / js['verify_per_cpu_s']:.1f}x")


if __name__ == "__main__":
    main()
