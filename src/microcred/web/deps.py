"""Request dependencies: the runtime, and the actor an API token stands for."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from microcred.accounts.actor import Actor
from microcred.errors import InputError, ModelError, UnauthenticatedError, short
from microcred.nesting import MAX_DEPTH, refuse_deep_nesting, text_nests_deeper
from microcred.runtime import Runtime
from microcred.surrogates import may_hold_surrogate_escape, refuse_lone_surrogates
from microcred.verify.jsontext import repeated_key


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _runtime_dependency(request: Request) -> Runtime:
    # async: FastAPI runs a plain function dependency in the thread pool, one hand-off per
    # request for an attribute read.
    return get_runtime(request)


RuntimeDep = Annotated[Runtime, Depends(_runtime_dependency)]


def get_actor(request: Request, runtime: RuntimeDep) -> Actor:
    """The API client: ``Authorization: Bearer mc_<prefix>_<secret>`` (an issuer's API key).

    Pages add their own session-cookie actor; an API route never accepts a cookie, so a
    cross-site request cannot act through a signed-in browser.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise UnauthenticatedError(
            "this needs an API key", expected="Authorization: Bearer mc_...", found="no key"
        )
    actor = runtime.issuers.authenticate(token.strip())
    if actor is None:
        raise UnauthenticatedError("unknown or revoked API key", expected="a valid API key")
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]


MAX_UPLOAD_BYTES = 8 * 1024 * 1024


async def raw_body(request: Request) -> bytes:
    """The request body, refused once it passes the upload limit (never read whole first)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise InputError(
                "upload is too large",
                expected=f"at most {MAX_UPLOAD_BYTES} bytes",
                found=f"more than {MAX_UPLOAD_BYTES} bytes",
            )
        chunks.append(chunk)
    return b"".join(chunks)


RawBody = Annotated[bytes, Depends(raw_body)]


def json_body(raw: bytes, *, strict: bool = False) -> Any:
    """A raw body read as JSON; unreadable or too deeply nested JSON is the client's error, and so
    is a lone surrogate escape anywhere in it (text nothing downstream can encode).
    ``strict``: an object repeating a key, and NaN or Infinity, are refused too (for a body
    whose parts are verified as they are: parsers disagree on which of two values counts)."""
    try:
        if text_nests_deeper(raw):
            raise RecursionError  # refused before json.loads could recurse that deep
        if strict:
            value = json.loads(raw, object_pairs_hook=_unique, parse_constant=_no_constant)
        else:
            value = json.loads(raw)
    except RecursionError as exc:
        # Deeper than the interpreter's recursion limit is deeper than MAX_DEPTH too: the same
        # answer as refuse_deep_nesting gives a body json.loads could read, whatever the limit.
        raise ModelError(
            f"JSON is nested deeper than {MAX_DEPTH} levels",
            field="(body)",
            expected=f"at most {MAX_DEPTH} levels of arrays and objects",
            found="more",
        ) from exc
    except InputError:
        raise  # a repeated key or a constant, named
    except ValueError as exc:
        raise InputError("the request body is not JSON", expected="a JSON object") from exc
    if may_hold_surrogate_escape(raw):
        refuse_lone_surrogates(value)
    refuse_deep_nesting(value)
    return value


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    duplicate = repeated_key(key for key, _ in pairs)
    if duplicate is not None:
        raise InputError(
            "the request body repeats a key in one object (parsers disagree on which counts)",
            expected="each key once per object",
            found=short(duplicate),
        )
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise InputError(
        "the request body holds a number JSON does not have",
        expected="finite numbers",
        found=name,
    )


MAX_OFFSET = 10**12
Offset = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description=f"rows to skip, at most {MAX_OFFSET}")
]
"""A list's ``offset``: past 64 bits it reached the database as a 500 (issue 20)."""


def client_of(request: Request) -> str:
    """The client's address, for limits per client (the peer: behind a proxy, the proxy's
    forwarding is trusted only where uvicorn's ``--forwarded-allow-ips`` says so)."""
    return request.client.host if request.client else "unknown"
