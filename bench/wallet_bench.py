"""The learner's wallet at size (SQLite file, the embedded default), against issue 14's targets:
a wallet of 1,000 credentials renders in <= 50 ms, and a 100-credential CLR imports in <= 2 s.

Times, in the same run, each a median of interleaved rounds:

* the floor: one page of holdings read from the store (``wallet.list_credentials``, 50 of
  1,000), the least the wallet page does;
* the wallet page of a learner holding 1,000 credentials (``GET /wallet``: the first 50, the
  pager, visibility, notices) and its last page;
* the public profile of that learner with all 1,000 made public (every card on one page:
  the whole wallet rendered);
* the expiry timeline (the 200 that expire soonest);
* importing a 100-part CLR 2.0 (the outer proof and each part verified on the general
  RDFC-1.0 path, as another issuer's credentials are), into a fresh learner each round.

Prints medians in milliseconds, each beside its target and as a ratio to the floor.

    .venv/bin/python bench/wallet_bench.py --rounds 30
"""

from __future__ import annotations

import argparse
import json
import statistics
import uuid
from collections.abc import Callable
from typing import Any

from bench_support import bench_site, interleaved
from fastapi.testclient import TestClient

from microcred.accounts.actor import SYSTEM
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime
from microcred.samples import sample_credential
from microcred.signing import sign_credential
from microcred.store.tables import LearnerEmailRow, LearnerRow
from microcred.web.app import create_app

HELD = 1000
CLR_PARTS = 100
CLR_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def make_clr(key: KeyFile, parts: int) -> bytes:
    """A CLR of ``parts`` signed Open Badges, itself signed: another issuer's record."""
    badges = []
    for number in range(parts):
        badge = sample_credential(issuer_id=key.controller)
        badge["name"] = f"Course {number + 1}"
        badge["credentialSubject"]["achievement"]["name"] = f"Course {number + 1}"
        badges.append(sign_credential(badge, key))
    clr: dict[str, Any] = {
        "@context": CLR_CONTEXT,
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": key.controller, "type": ["Profile"], "name": "Bench University"},
        "validFrom": "2026-01-15T09:00:00Z",
        "name": "Transcript",
        "credentialSubject": {
            "id": "did:example:learner",
            "type": ["ClrSubject"],
            "verifiableCredential": badges,
        },
    }
    return json.dumps(sign_credential(clr, key)).encode()


def new_learner(runtime: Runtime, email: str) -> str:
    learner_id = str(uuid.uuid4())
    now = runtime.clock()
    with runtime.sessions.begin() as session:
        session.add(LearnerRow(id=learner_id, display_name="Ada", settings={}, created_at=now))
        session.flush()
        session.add(LearnerEmailRow(email=email, learner_id=learner_id, verified_at=now))
    return learner_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with bench_site(validity_months=24) as site:
        runtime, settings = site.runtime, site.settings
        issuer_id, achievement_id = site.issuer_id, site.achievement_id
        ada = new_learner(runtime, "ada@example.org")
        requests = [
            IssueRequest(achievement_id, email="ada@example.org", name="Ada") for _ in range(HELD)
        ]
        for start in range(0, HELD, 250):
            runtime.issuance.issue(SYSTEM, issuer_id, requests[start : start + 250])
        held, total = runtime.wallet.list_credentials(ada, limit=HELD)
        assert total == HELD, total
        for item in held:
            runtime.showcase.set_public(ada, item.id, public=True)
        slug = runtime.showcase.profile_slug(ada)
        clr = make_clr(KeyFile.for_did_key(SigningKey.generate()), CLR_PARTS)
        link = runtime.learners.issue_sign_in_link("ada@example.org")
        path = link.removeprefix(settings.base_url)
        with TestClient(create_app(runtime), base_url="https://testserver") as web:
            confirm = web.get(path)
            token = confirm.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            web.post(path, data={"csrf_token": token})

            def page(url: str) -> Callable[[], object]:
                def get() -> object:
                    answer = web.get(url)
                    assert answer.status_code == 200, (url, answer.status_code)
                    return answer

                return get

            def import_clr() -> object:
                learner = new_learner(runtime, f"{uuid.uuid4().hex}@example.org")
                item = runtime.wallet.import_bytes(learner, clr, source="upload")
                assert item.state == "active", item.verification
                return item

            cases: dict[str, tuple[Callable[[], object], float | None]] = {
                "floor: one page of holdings": (
                    lambda: runtime.wallet.list_credentials(ada, limit=50),
                    None,
                ),
                "wallet page (1,000 held)": (page("/wallet"), 0.050),
                "wallet page, last of 20": (page("/wallet?page=20"), 0.050),
                "public profile, all 1,000": (page(f"/learners/{slug}"), None),
                "expiry timeline": (page("/wallet/timeline"), None),
                f"import a {CLR_PARTS}-part CLR": (import_clr, 2.0),
            }
            times = interleaved({name: case for name, (case, _) in cases.items()}, args.rounds)
    floor = statistics.median(times["floor: one page of holdings"])
    print(f"{'case':30} {'median ms':>10} {'target ms':>10} {'x floor':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        target = cases[name][1]
        shown = f"{target * 1000:10.0f}" if target is not None else f"{'-':>10}"
        verdict = "" if target is None else ("  ok" if median <= target else "  OVER")
        print(f"{name:30} {median * 1000:10.2f} {shown} {median / floor:8.1f}{verdict}")


if __name__ == "__main__":
    main()
