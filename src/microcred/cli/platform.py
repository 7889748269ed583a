"""Operator commands for the platform: serve, issuers, API keys, single issuance.

They read settings from ``MICROCRED_*`` environment variables (see ``microcred.settings``).
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from microcred.accounts.actor import ROLES, SYSTEM, parse_role
from microcred.cli._runtime import settings_runtime
from microcred.errors import MicrocredError
from microcred.issuers.service import IssuerInput
from microcred.issuing.issuance import IssueRequest
from microcred.runtime import Runtime

err = Console(stderr=True, emoji=False)
out = Console(emoji=False, highlight=False, soft_wrap=True)

issuers_app = typer.Typer(help="Issuer organisations.", no_args_is_help=True)
api_keys_app = typer.Typer(help="Issuer-scoped API keys.", no_args_is_help=True)
staff_app = typer.Typer(help="People who sign in to the console.", no_args_is_help=True)


def _runtime(public_url: str | None = None) -> Runtime:
    try:
        # Served locally without a configured public URL: things are named where they are.
        return settings_runtime(public_url)
    except MicrocredError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from exc


def _fail(exc: MicrocredError) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
    return typer.Exit(2)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Create demo data first (only into an empty database).")
    ] = False,
    jobs: Annotated[
        bool,
        typer.Option(
            "--jobs/--no-jobs",
            help="Run a job consumer in this process (--no-jobs: web only, beside "
            "'microcred worker' processes).",
        ),
    ] = True,
) -> None:
    """Serve the API, the public pages and (unless --no-jobs) the job consumer."""
    import uvicorn

    from microcred.cli.seed import DEMO_SLUG, demo_sign_in_link, seed_demo
    from microcred.operations.logs import configure_logging
    from microcred.web.app import create_app
    from microcred.web.http_protocol import CoalescingHttpToolsProtocol

    url = f"http://{host}:{port}"
    runtime = _runtime(url)
    if demo and runtime.settings.demo_issuer is None:
        # The demo issuer signs VC-API requests unless MICROCRED_DEMO_ISSUER names another.
        runtime.settings.demo_issuer = DEMO_SLUG
    if demo:
        # ... and also as its did:key, when a credential names that (docs/design/interop.md).
        runtime.settings.vcapi_did_key = True
    configure_logging(runtime.settings.log_format)
    runtime.on_startup.append(runtime.employer_search.warm_index_in_background)
    if jobs:
        runtime.on_startup.append(runtime.queue.start)
        runtime.on_shutdown.append(runtime.queue.stop)
    out.print(f"microcred serving on {url}  (API docs: {url}/docs)")
    if demo:
        try:
            access = seed_demo(runtime)
        except MicrocredError as exc:
            raise _fail(exc) from exc
        if access is not None:
            out.print(f"  demo issuer        {access.issuer_did}")
            if runtime.settings.vcapi_did_key:
                out.print(f"  VC-API did:key     {runtime.issuers.did_key(access.issuer_id)}")
            out.print(f"  issuer id          {access.issuer_id}")
            out.print(f"  demo API key       {access.api_key}")
            out.print(f"  staff sign-in      {access.staff_email} / {access.staff_password}")
            out.print(
                f"  learner sign-in    {demo_sign_in_link(runtime, access)}"
                f"  ({access.learner_email}; single use, 15 minutes)"
            )
            if access.pathway_id:
                out.print(
                    f"  micro-degree       microcred pathways progress {access.pathway_id} "
                    f"--email {access.learner_email} --json"
                )
            out.print(
                f"  try: curl -H 'Authorization: Bearer {access.api_key}' "
                f"{url}/api/v1/issuers/{access.issuer_id}/credentials"
            )
    # uvicorn's access log would print each path and query string, where sign-in links and
    # share tokens travel; our request log names the route template instead.
    uvicorn.run(
        create_app(runtime),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        http=CoalescingHttpToolsProtocol,  # each answer's writes in one send (web/http_protocol)
    )


@issuers_app.command("create")
def issuers_create(
    slug: Annotated[str, typer.Option(help="URL name, e.g. example-university.")],
    name: Annotated[str, typer.Option(help="The organisation's name.")],
    url: Annotated[str | None, typer.Option(help="Its web site.")] = None,
    email: Annotated[str | None, typer.Option(help="Contact e-mail.")] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-2 code.")] = None,
) -> None:
    """Create an issuer with a fresh signing key; prints its id and DID as JSON."""
    runtime = _runtime()
    try:
        row = runtime.issuers.create(
            SYSTEM, IssuerInput(slug=slug, name=name, url=url, email=email, country=country)
        )
    except MicrocredError as exc:
        raise _fail(exc) from exc
    print(json.dumps({"id": row.id, "slug": row.slug, "did": runtime.urls.issuer_did(slug)}))


@issuers_app.command("rotate-key")
def issuers_rotate_key(
    slug: Annotated[str, typer.Argument(help="The issuer's slug.")],
) -> None:
    """Sign with a new key from now on; the old public key stays in the issuer's DID
    document, so credentials it signed still verify. Prints the new verification method."""
    runtime = _runtime()
    try:
        row = runtime.issuers.by_slug(slug)
        method = runtime.issuers.rotate_key(SYSTEM, row.id)
    except MicrocredError as exc:
        raise _fail(exc) from exc
    finally:
        runtime.close()
    print(json.dumps({"issuer": slug, "verificationMethod": method}))


@issuers_app.command("list")
def issuers_list() -> None:
    """Every issuer as JSON lines."""
    runtime = _runtime()
    for row in runtime.issuers.all():
        print(json.dumps({"id": row.id, "slug": row.slug, "name": row.name}))


@api_keys_app.command("create")
def api_keys_create(
    issuer: Annotated[str, typer.Option(help="The issuer's slug.")],
    name: Annotated[str, typer.Option(help="What the key is for.")],
    role: Annotated[str, typer.Option(help=" | ".join(ROLES))] = "issuer",
) -> None:
    """Create an API key; the token is printed once and only its hash is stored."""
    runtime = _runtime()
    try:
        row = runtime.issuers.by_slug(issuer)
        _key, token = runtime.issuers.create_api_key(SYSTEM, row.id, name, parse_role(role))
    except MicrocredError as exc:
        raise _fail(exc) from exc
    print(token)


@staff_app.command("create")
def staff_create(
    issuer: Annotated[str, typer.Option(help="The issuer's slug.")],
    email: Annotated[str, typer.Option(help="Sign-in e-mail.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[str, typer.Option(help=" | ".join(ROLES))] = "issuer",
) -> None:
    """Create a console account; the password is read from the terminal (or stdin)."""
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=sys.stdin.isatty())
    runtime = _runtime()
    try:
        row = runtime.issuers.by_slug(issuer)
        runtime.staff.create(
            SYSTEM,
            row.id,
            email=email,
            name=name,
            role=parse_role(role),
            password=password,
        )
    except MicrocredError as exc:
        raise _fail(exc) from exc
    out.print(f"created {role} {email} for {issuer}")


def issue(
    issuer: Annotated[str, typer.Option(help="The issuer's slug.")],
    achievement: Annotated[str, typer.Option(help="The achievement's id.")],
    email: Annotated[str | None, typer.Option(help="Recipient e-mail (stored hashed).")] = None,
    did: Annotated[str | None, typer.Option(help="Recipient DID.")] = None,
    name: Annotated[str | None, typer.Option(help="Recipient name.")] = None,
    key: Annotated[
        str | None, typer.Option("--idempotency-key", help="Re-running with it issues once.")
    ] = None,
) -> None:
    """Issue one credential; prints it as signed."""
    runtime = _runtime()
    try:
        row = runtime.issuers.by_slug(issuer)
        (credential,) = runtime.issuance.issue(
            SYSTEM,
            row.id,
            [
                IssueRequest(
                    achievement_id=achievement, email=email, did=did, name=name, idempotency_key=key
                )
            ],
        )
    except MicrocredError as exc:
        raise _fail(exc) from exc
    sys.stdout.write(json.dumps(credential.document, indent=2, ensure_ascii=False) + "\n")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(issue)
    app.add_typer(issuers_app, name="issuers")
    app.add_typer(api_keys_app, name="api-keys")
    app.add_typer(staff_app, name="staff")
