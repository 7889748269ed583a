"""The W3C VC-API endpoints the W3C test suites call (see docs/design/api.md, "VC-API").

Bodies are read through :data:`RawBody`, so the upload limit holds on these (partly public)
routes too, and parsed here; their schemas still appear in the OpenAPI document.

Status codes follow the VC-API and what the W3C suites assert: 201 for an issued credential,
200 for a verified credential or presentation, 400 (with the full result and an ``error``) for
one that does not verify, 422 for a request that cannot be read, 503 when no issuer is
configured to sign.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from microcred.errors import InputError
from microcred.vcapi.service import VcApiResult
from microcred.web.deps import (
    RawBody,
    RuntimeDep,
    client_of,
    get_actor,
    get_runtime,
    json_body,
    raw_body,
)
from microcred.web.errors import error_body

router = APIRouter(tags=["vc-api"])
M = TypeVar("M", bound=BaseModel)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssueCredentialRequest(_Body):
    credential: dict[str, Any] = Field(description="An unsecured Verifiable Credential")
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="VC-API issue options: credentialId (recorded in the audit log); "
        "cryptosuite eddsa-rdfc-2022 (default) or eddsa-jcs-2022, type DataIntegrityProof; "
        "format vc+jwt for a VC-JWT (returned enveloped); credentialStatus {type: "
        "BitstringStatusListEntry, statusPurpose: revocation | suspension | [both]}",
    )


class VerifyCredentialRequest(_Body):
    verifiableCredential: dict[str, Any] | str = Field(  # noqa: N815 (VC-API field name)
        description="A secured credential, an EnvelopedVerifiableCredential or a VC-JWT"
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="checks: the optional checks to count (credentialStatus, validity); "
        "the proof, issuer and data model checks always count",
    )


class VerifyPresentationRequest(_Body):
    verifiablePresentation: dict[str, Any] | None = None  # noqa: N815 (VC-API field name)
    presentation: dict[str, Any] | None = Field(
        default=None, description="A presentation without proof (VC-API proofless request)"
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="challenge, domain (checked against the presentation's proof), "
        "returnPresentation, checks (without 'proof': an unsigned presentation is accepted)",
    )


class VerificationResponse(BaseModel):
    verified: bool
    checks: list[str]
    warnings: list[str]
    errors: list[str]
    results: list[dict[str, Any]] = Field(description="Every check the verifier explained")
    credentialResults: list[dict[str, Any]] | None = None  # noqa: N815 (VC-API style)
    verifiablePresentation: dict[str, Any] | None = None  # noqa: N815 (VC-API field name)


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


def _parse(model: type[M], raw: bytes) -> M:
    data = json_body(raw)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise InputError(
            f"{where}: {first.get('msg', 'invalid')}",
            expected=f"a {model.__name__} body",
            found=type(data).__name__ if not isinstance(data, dict) else None,
        ) from exc


def _verification(result: VcApiResult) -> JSONResponse:
    body = result.to_json()
    if result.verified:
        return JSONResponse(body)
    first = result.errors[0] if result.errors else "not verified"
    body.update(error_body("verification_failed", first))
    return JSONResponse(body, status_code=400)


@router.post(
    "/credentials/issue",
    status_code=201,
    openapi_extra=_schema(IssueCredentialRequest),
    responses={
        201: {
            "description": "`{verifiableCredential}`, signed as the options ask; `Location` "
            "names the stored credential, whose id the lifecycle routes (revoke...) take"
        },
        503: {"description": "No issuer is configured to sign (MICROCRED_DEMO_ISSUER)"},
    },
)
def issue_credential(request: Request, raw: RawBody, runtime: RuntimeDep) -> JSONResponse:
    """Sign the credential as the configured issuer (needs that issuer's API key, issuer
    role). The issuer is set to its DID where the credential names none; a credential naming
    another issuer is refused."""
    service = runtime.vcapi
    service.issuer()  # 503 before asking for a key when no issuer is configured
    actor = get_actor(request, runtime)
    body = _parse(IssueCredentialRequest, raw)
    signed, row = service.issue(actor, body.credential, body.options)
    # Where the platform keeps it (its lifecycle routes take this id).
    location = {"Location": runtime.urls.credential(row.id)}
    return JSONResponse({"verifiableCredential": signed}, status_code=201, headers=location)


@router.post(
    "/credentials/verify",
    response_model=VerificationResponse,
    openapi_extra=_schema(VerifyCredentialRequest),
    responses={400: {"description": "Not verified: the result, with `error`"}},
)
async def verify_credential(request: Request) -> JSONResponse:
    """Verify a credential offline (did:key, and this server's did:web issuers). A credential
    built to cost more canonicalization than allowed is refused (422, ``work_limit``)."""
    # Body and runtime read here, not through dependencies (a tenth of the cost to solve).
    runtime = get_runtime(request)
    body = _parse(VerifyCredentialRequest, await raw_body(request))
    throttle, client = runtime.verify_throttle, client_of(request)

    def work() -> VcApiResult:
        # In a turn of the process's lane, one stamps read for every cache.
        with throttle.admit(client) as budget, throttle.lane.turn(), runtime.stamps.pinned():
            return runtime.vcapi.verify_credential(
                body.verifiableCredential, body.options, budget=budget
            )

    # On the event loop when it needs nothing but the database (CpuLane.on_loop), else in a
    # worker thread.
    done = throttle.lane.on_loop(work)
    return _verification(done if done is not None else await run_in_threadpool(work))


@router.post(
    "/presentations/verify",
    response_model=VerificationResponse,
    openapi_extra=_schema(VerifyPresentationRequest),
    responses={400: {"description": "Not verified: the result, with `error`"}},
)
def verify_presentation(request: Request, raw: RawBody, runtime: RuntimeDep) -> JSONResponse:
    """Verify a presentation's proof (if any) and every credential it holds (at most
    ``MAX_PRESENTATION_CREDENTIALS``, within one work budget for the whole request)."""
    body = _parse(VerifyPresentationRequest, raw)
    if (body.verifiablePresentation is None) == (body.presentation is None):
        raise InputError(
            "give exactly one of verifiablePresentation and presentation",
            expected="verifiablePresentation (or presentation, without proof)",
        )
    presentation = (
        body.verifiablePresentation
        if body.verifiablePresentation is not None
        else body.presentation
    )
    throttle = runtime.verify_throttle
    with (
        throttle.admit(client_of(request)) as budget,
        throttle.lane.turn(),
        runtime.stamps.pinned(),
    ):
        result = runtime.vcapi.verify_presentation(
            presentation, body.options, proofless=body.presentation is not None, budget=budget
        )
    return _verification(result)
