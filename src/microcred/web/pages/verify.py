"""The verifier page: paste JSON or a JWT, upload a baked PNG/SVG, or give a URL; see every
check. URLs are fetched by the guarded client in :mod:`microcred.web.fetch`, and so are other
servers' DID documents and status lists."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from microcred.errors import NotFoundError
from microcred.runtime import Runtime
from microcred.verify import VerificationResult
from microcred.web.fetch import FetchPolicy, policy_for
from microcred.web.pages.core import CsrfChecked, get_pages, render
from microcred.web.pages.remote import verify_url

router = APIRouter(include_in_schema=False)

MAX_INPUT_BYTES = 2 * 1024 * 1024


@router.get("/verify")
def verify_form(request: Request) -> Response:
    return render(request, "verify.html", {"result": None})


@router.post("/verify", dependencies=[CsrfChecked])
async def verify_submit(request: Request) -> Response:
    form = await request.form()  # parsed (with limits) by the CSRF check
    upload, text, url = form.get("file"), form.get("text"), form.get("url")
    data: bytes | None = None
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_INPUT_BYTES + 1)
        elif isinstance(text, str) and text.strip():
            data = text.strip().encode("utf-8")
    finally:
        await form.close()
    runtime = get_pages(request).runtime
    policy = policy_for(request.app.state, runtime.settings)
    given_url = url.strip() if isinstance(url, str) else ""
    if not data and given_url:
        result = await run_in_threadpool(verify_url, runtime, given_url, policy)
    elif not data:
        return render(request, "verify.html", {"result": None, "empty": True}, status_code=422)
    elif len(data) > MAX_INPUT_BYTES:
        return render(request, "verify.html", {"result": None, "too_large": True}, status_code=413)
    else:
        result = await run_in_threadpool(verify_bytes, runtime, data, policy)
    return render(
        request,
        "verify.html",
        {
            "result": result,
            "issuer": issuer_of(runtime, result),
            "reason": status_reason(runtime, result),
            "pasted": text if isinstance(text, str) else "",
            "url": given_url,
        },
    )


def verify_bytes(runtime: Runtime, data: bytes, policy: FetchPolicy) -> VerificationResult:
    return runtime.verification.verifier(fetcher=policy.fetcher()).verify(data)


def issuer_of(runtime: Runtime, result: VerificationResult) -> dict[str, Any]:
    """The issuer the credential names, and this server's issuer of that DID, if any."""
    named: Any = result.summary.get("issuer") or {}
    did = named.get("id") if isinstance(named, dict) else None
    local = None
    if isinstance(did, str):
        local = next(
            (row for row in runtime.issuers.all() if runtime.issuers.issuer_did(row.slug) == did),
            None,
        )
    return {
        "id": did,
        "name": named.get("name") if isinstance(named, dict) else None,
        "local": local,
        "profile": runtime.issuers.issuer_url(local.slug) if local else None,
    }


def status_reason(runtime: Runtime, result: VerificationResult) -> str | None:
    """The reason this server's issuer gave for revoking or suspending the credential (status
    lists carry only a bit; the reason is shown when the credential was issued here)."""
    credential_id = result.summary.get("id")
    prefix = f"{runtime.settings.base_url}/credentials/"
    if not isinstance(credential_id, str) or not credential_id.startswith(prefix):
        return None
    try:
        row = runtime.credentials.get_public(credential_id.removeprefix(prefix))
    except NotFoundError:
        return None
    return row.state_reason if row.state in ("revoked", "suspended") else None
