"""Authorisation on every issuer-scoped route, found by walking the app, not listed by hand.

For each route whose path holds ``{issuer_id}`` the test makes fresh objects of issuer A for
the other path parameters, builds a plausible request (its JSON body from the route's OpenAPI
schema), and checks that

* issuer B's key gets 404 (or 403) and leaves the database exactly as it was,
* no key, or A's revoked key, gets 401,
* A's viewer key gets 403 on every route that changes something,
* A's own owner key is not refused (so the request was plausible and B's 404 meant "not yours",
  not "no such thing").

A route added later (by any feature) is covered without touching this file; a path parameter
the test cannot make an object for fails loudly, so that it gets taught how.
"""

from __future__ import annotations

import copy
import json
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import fastapi.routing
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from microcred.accounts.actor import SYSTEM
from microcred.crypto.baking import default_badge_png
from microcred.issuing.issuance import IssueRequest
from microcred.lms.lti.repository import LtiRepository
from microcred.lms.rules import RuleSpec
from microcred.runtime import Runtime
from microcred.store.tables import Base, LtiContextRow
from tests.platform.conftest import SIMPLE_ACHIEVEMENT, IssuerFixture, make_issuer

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Routes with {issuer_id} outside /api are public pages by design; none exist, and any that
# appears must be reviewed and listed here.
PUBLIC_ISSUER_ROUTES: set[tuple[str, str]] = set()
# Columns that legitimately move when someone merely presents a key.
VOLATILE = {("api_keys", "last_used_at")}

Route = tuple[str, str]  # (method, path template)


def issuer_routes(app: FastAPI) -> list[Route]:
    """Every (method, path) of the app with ``{issuer_id}`` in its path."""
    # FastAPI >= 0.120 keeps included routers lazily; iter_route_contexts flattens them.
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    routes: list[Any] = list(flatten(app.routes)) if flatten else list(app.routes)
    found = {
        (method, route.path)
        for route in routes
        if "{issuer_id}" in (getattr(route, "path", None) or "")
        for method in (getattr(route, "methods", None) or ())
        if method != "HEAD"
    }
    return sorted(found, key=lambda r: (r[1], r[0]))


# ---- plausible requests from the OpenAPI document --------------------------------------------

OVERRIDES: dict[str, Callable[[World], Any]] = {
    "achievementId": lambda w: w.make("achievement_id"),
    "achievement": lambda _w: copy.deepcopy(SIMPLE_ACHIEVEMENT),
    "recipient": lambda _w: {"email": "grace@example.org", "name": "Grace Hopper"},
    "idempotencyKey": lambda _w: str(uuid.uuid4()),
    "name": lambda _w: "Changed by tenancy test",
    "email": lambda _w: "changed@example.org",
    "url": lambda _w: "https://changed.example",
    "country": lambda _w: "FR",
    "description": lambda _w: "changed",
    "address": lambda _w: {"addressLocality": "Lyon"},
    "role": lambda _w: "issuer",
    "reason": lambda _w: "tenancy test",
    "validityMonths": lambda _w: 12,
    "clearValidity": lambda _w: False,
    "archived": lambda _w: False,
    "platformId": lambda w: w.make("lti_platform"),
    "contextId": lambda _w: "course-1",
}


def example(schema: dict[str, Any], world: World, name: str | None = None) -> Any:
    """A value that fits ``schema``: every property filled, known fields with real values."""
    if name is not None and name in OVERRIDES:
        return OVERRIDES[name](world)
    if "$ref" in schema:
        return example(world.component(schema["$ref"]), world, name)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            options = [s for s in schema[combinator] if s.get("type") != "null"]
            return example(options[0], world, name)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema.get("type") != "object":
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {p: example(s, world, p) for p, s in schema.get("properties", {}).items()}
    if kind == "array":
        item = example(schema.get("items", {}), world)
        return [item] * schema.get("minItems", 0)
    if kind == "integer" or kind == "number":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return False
    if kind == "string":
        if schema.get("format") == "date-time":
            return "2026-01-01T00:00:00Z"
        return "x" * max(schema.get("minLength", 1), 1)
    return None


def csv_body(_world: World) -> tuple[bytes, str]:
    return b"email,name\nlinus@example.org,Linus\n", "text/csv"


def png_body(_world: World) -> tuple[bytes, str]:
    return default_badge_png(), "image/png"


def pathway_body(world: World) -> tuple[bytes, str]:
    definition = {
        "name": "Tenancy pathway",
        "requirement": {
            "id": "root",
            "type": "allOf",
            "of": [{"id": "a", "type": "achievement", "achievement": _achievement(world)}],
        },
    }
    return json.dumps(definition).encode(), "application/json"


# Routes whose body is read raw (no JSON schema): what to send, by the path's last segment.
RAW_BODIES: dict[str, Callable[[World], tuple[bytes, str]]] = {
    "batches": csv_body,
    "pathways": pathway_body,
    "endorsements": lambda _w: (b'{"comment": "tenancy test"}', "application/json"),
}


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    content_type: str | None = None

    def send(self, client: TestClient, token: str | None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if self.content_type:
            headers["Content-Type"] = self.content_type
        return client.request(
            self.method,
            self.path,
            params=self.params,
            json=self.json,
            content=self.content,
            headers=headers,
        )


@dataclass
class World:
    runtime: Runtime
    client: TestClient
    a: IssuerFixture
    b: IssuerFixture
    openapi: dict[str, Any]
    made: dict[str, str] = field(default_factory=dict)

    def component(self, ref: str) -> dict[str, Any]:
        schema: dict[str, Any] = self.openapi["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return schema

    def make(self, parameter: str) -> str:
        """A fresh object of issuer A for a path parameter (one per request)."""
        if parameter not in self.made:
            self.made[parameter] = MAKERS[parameter](self)
        return self.made[parameter]

    def request(self, method: str, template: str) -> Request:
        self.made = {"issuer_id": self.a.id}
        path = template
        for parameter in _path_parameters(template):
            path = path.replace(f"{{{parameter}}}", self.make(parameter))
        operation = self.openapi["paths"][template][method.lower()]
        request = Request(method, path)
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter.get("required"):
                name = parameter["name"]
                request.params[name] = example(parameter["schema"], self, name)
        body = operation.get("requestBody")
        if body and "application/json" in body.get("content", {}):
            request.json = example(body["content"]["application/json"]["schema"], self)
        elif method in ("POST", "PUT", "PATCH"):
            last = template.rstrip("/").rsplit("/", 1)[-1]
            request.content, request.content_type = RAW_BODIES.get(last, png_body)(self)
        return request


def _path_parameters(template: str) -> list[str]:
    return [part[1:-1] for part in template.split("/") if part.startswith("{")]


def _achievement(world: World) -> str:
    return world.runtime.achievements.create(SYSTEM, world.a.id, SIMPLE_ACHIEVEMENT).id


def _credential(world: World) -> str:
    request = IssueRequest(achievement_id=_achievement(world), email="ada@example.org")
    ((row, _created),) = world.runtime.issuance.issue_reporting(SYSTEM, world.a.id, [request])
    return row.id


def _api_key(world: World) -> str:
    row, _token = world.runtime.issuers.create_api_key(SYSTEM, world.a.id, "spare", "viewer")
    return row.id


def _batch(world: World) -> str:
    content, content_type = csv_body(world)
    response = world.client.post(
        f"/api/v1/issuers/{world.a.id}/batches",
        params={"achievementId": _achievement(world)},
        content=content,
        headers={**world.a.headers, "Content-Type": content_type},
    )
    assert response.status_code < 300, response.text
    batch_id: str = response.json()["id"]
    return batch_id


def _pathway(world: World) -> str:
    body, _type = pathway_body(world)
    return world.runtime.pathways.create(SYSTEM, world.a.id, json.loads(body)).row.id


def _endorsement(world: World) -> str:
    pathway_id = _pathway(world)
    return world.runtime.endorsements.endorse(SYSTEM, world.a.id, pathway_id, "good").id


def _subscription(world: World) -> str:
    # Made past the target check (no DNS here); the target is never reached.
    service = world.runtime.webhooks
    check, service.check_url = service.check_url, lambda _url: None
    try:
        made = service.create(
            SYSTEM, world.a.id, url="https://hooks.tenancy.example/x", events=["credential.issued"]
        )
    finally:
        service.check_url = check
    return made.row.id


def _delivery(world: World) -> str:
    subscription = _subscription(world)
    with world.runtime.sessions.begin() as session:
        world.runtime.webhooks.emit(session, world.a.id, "credential.issued", {"id": "x"})
    (entry,) = world.runtime.webhooks.deliveries(SYSTEM, world.a.id, subscription)
    return entry.delivery.id


def _rule(world: World) -> str:
    spec = RuleSpec("completed", ("https://lms.tenancy.example/activity/1",))
    return world.runtime.lms.add_rule(
        SYSTEM, world.a.id, achievement_id=_achievement(world), spec=spec
    ).id


def _lrs_key(world: World) -> str:
    return world.runtime.lms.create_lrs_key(SYSTEM, world.a.id, "tenancy")[0].id


def _lti_platform(world: World) -> str:
    """A platform of A with a course; its token URL is refused by the fetch policy, so a
    roster award by A's own key is a clear 422, not a call out."""
    platform = world.runtime.lti.add_platform(
        SYSTEM,
        world.a.id,
        platform_issuer=f"https://lms-{uuid.uuid4().hex[:8]}.tenancy.example",
        client_id="tool",
        deployment_ids=["1"],
        auth_url="https://lms.tenancy.example/auth",
        token_url="http://10.0.0.1/token",
        jwks_url="https://lms.tenancy.example/jwks",
    )
    with world.runtime.sessions.begin() as session:
        LtiRepository(session).keep_context(
            LtiContextRow(
                id=str(uuid.uuid4()),
                platform_id=platform.id,
                issuer_id=world.a.id,
                context_id="course-1",
                title="Course",
                memberships_url="https://lms.tenancy.example/memberships",
                updated_at=world.runtime.clock(),
            )
        )
    return platform.id


MAKERS: dict[str, Callable[[World], str]] = {
    "pathway_id": _pathway,
    "endorsement_id": _endorsement,
    "issuer_id": lambda w: w.a.id,
    "achievement_id": _achievement,
    "credential_id": _credential,
    "key_id": _api_key,
    "batch_id": _batch,
    "subscription_id": _subscription,
    "delivery_id": _delivery,
    "rule_id": _rule,
    "lrs_key_id": _lrs_key,
    "lti_platform": _lti_platform,  # a body field (platformId), not a path parameter
}


# ---- the database, to prove nothing changed --------------------------------------------------


def snapshot(runtime: Runtime) -> dict[str, list[str]]:
    """Every row of every table (volatile columns left out), in a stable order."""
    tables: dict[str, list[str]] = {}
    with runtime.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
            rows = connection.execute(select(*columns)).all()
            tables[table.name] = sorted(repr(tuple(row)) for row in rows)
    return tables


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


# ---- the tests -------------------------------------------------------------------------------


@pytest.fixture
def world(runtime: Runtime, client: TestClient) -> World:
    a = make_issuer(runtime, "alpha")
    b = make_issuer(runtime, "beta")
    # test_api_errors checks that the document builds cleanly; here only its schemas matter.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        openapi = client.app.openapi()  # type: ignore[attr-defined]
    return World(runtime, client, a, b, openapi)


def _error_code(response: Any) -> str | None:
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, str) else None


def test_the_enumeration_sees_the_issuer_routes(world: World) -> None:
    routes = issuer_routes(world.client.app)  # type: ignore[arg-type]
    assert ("POST", "/api/v1/issuers/{issuer_id}/credentials") in routes
    assert ("POST", "/api/v1/issuers/{issuer_id}/keys/rotate") in routes
    assert ("GET", "/api/v1/issuers/{issuer_id}/audit") in routes
    assert len(routes) >= 15
    documented = {
        (method.upper(), path)
        for path, operations in world.openapi["paths"].items()
        if "{issuer_id}" in path
        for method in operations
    }
    assert set(routes) == documented, "every issuer route must be in the OpenAPI document"
    public = {r for r in routes if not r[1].startswith("/api/")} - PUBLIC_ISSUER_ROUTES
    assert not public, f"public routes keyed by issuer id need review: {public}"
    unknown = {p for _m, path in routes for p in _path_parameters(path)} - set(MAKERS)
    assert not unknown, f"teach test_tenancy to make objects for path parameters {unknown}"


def test_every_issuer_route_refuses_other_issuers_and_missing_keys(
    world: World, runtime: Runtime, client: TestClient
) -> None:
    viewer = runtime.issuers.create_api_key(SYSTEM, world.a.id, "viewer", "viewer")[1]
    revoked_row, revoked = runtime.issuers.create_api_key(SYSTEM, world.a.id, "old", "owner")
    runtime.issuers.revoke_api_key(SYSTEM, world.a.id, revoked_row.id)

    problems: list[str] = []
    for method, template in issuer_routes(client.app):  # type: ignore[arg-type]
        route = f"{method} {template}"
        request = world.request(method, template)
        before = snapshot(runtime)

        other = request.send(client, world.b.token)
        if other.status_code not in (403, 404) or _error_code(other) is None:
            problems.append(f"{route}: issuer B's key got {other.status_code} {other.text[:200]}")
        for label, token in (("no key", None), ("a revoked key", revoked)):
            response = request.send(client, token)
            if response.status_code != 401 or _error_code(response) != "unauthenticated":
                problems.append(f"{route}: {label} got {response.status_code}")
        if method in MUTATING:
            response = request.send(client, viewer)
            if response.status_code != 403 or _error_code(response) != "permission_denied":
                problems.append(f"{route}: a viewer key got {response.status_code}")

        changed = changed_tables(before, snapshot(runtime))
        if changed:
            problems.append(f"{route}: refused calls changed {changed}")

        # The same request with A's own key is not refused: B's 404 meant "not yours".
        own = request.send(client, world.a.token)
        if own.status_code in (401, 403, 404) or own.status_code >= 500:
            problems.append(f"{route}: A's own key got {own.status_code} {own.text[:200]}")
    assert problems == [], "\n".join(problems)


def test_a_viewer_cannot_issue_or_rotate(
    runtime: Runtime, client: TestClient, issuer: IssuerFixture, achievement_id: str
) -> None:
    _row, token = runtime.issuers.create_api_key(SYSTEM, issuer.id, "viewer", "viewer")
    headers = {"Authorization": f"Bearer {token}"}
    before = snapshot(runtime)
    issue = client.post(
        f"/api/v1/issuers/{issuer.id}/credentials",
        json={"achievementId": achievement_id, "recipient": {"email": "ada@example.org"}},
        headers=headers,
    )
    assert issue.status_code == 403
    assert issue.json()["error"] == {
        "code": "permission_denied",
        "message": "this needs the issuer role",
        "expected": "issuer",
        "found": "viewer",
    }
    rotate = client.post(f"/api/v1/issuers/{issuer.id}/keys/rotate", headers=headers)
    assert rotate.status_code == 403
    assert changed_tables(before, snapshot(runtime)) == []
    # Reading is what a viewer is for.
    assert (
        client.get(f"/api/v1/issuers/{issuer.id}/credentials", headers=headers).status_code == 200
    )


def test_a_revoked_key_stops_working_at_once(
    client: TestClient, issuer: IssuerFixture, runtime: Runtime
) -> None:
    created = client.post(
        f"/api/v1/issuers/{issuer.id}/api-keys",
        json={"name": "temp", "role": "issuer"},
        headers=issuer.headers,
    )
    token = created.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/issuers/{issuer.id}", headers=headers).status_code == 200
    revoked = client.delete(
        f"/api/v1/issuers/{issuer.id}/api-keys/{created.json()['id']}", headers=issuer.headers
    )
    assert revoked.status_code == 204
    response = client.get(f"/api/v1/issuers/{issuer.id}", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer mc_",
        "Bearer mc_abc",
        "Bearer mc_abc_def",
        "Bearer not-a-token",
        "Bearer mc_" + "a" * 5000,
    ],
)
def test_malformed_keys_are_401(client: TestClient, issuer: IssuerFixture, header: str) -> None:
    response = client.get(f"/api/v1/issuers/{issuer.id}", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_key_with_a_right_prefix_and_a_wrong_secret_is_401(
    client: TestClient, issuer: IssuerFixture
) -> None:
    prefix = issuer.token.removeprefix("mc_").split("_", 1)[0]
    forged = f"mc_{prefix}_{'A' * 43}"
    response = client.get(
        f"/api/v1/issuers/{issuer.id}", headers={"Authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 401
