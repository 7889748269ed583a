"""Operator commands for learning platforms: LTI 1.3 platforms registered by hand, xAPI LRS
keys and award rules. Output is JSON lines (secrets printed once, never stored in clear)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from microcred.accounts.actor import SYSTEM
from microcred.cli._runtime import settings_runtime
from microcred.errors import MicrocredError
from microcred.lms.rules import KINDS, RuleSpec
from microcred.runtime import Runtime

err = Console(stderr=True, emoji=False)

lti_app = typer.Typer(
    help="LTI 1.3: the platforms (LMSs) that launch this tool.", no_args_is_help=True
)
platforms_app = typer.Typer(help="Registered LTI platforms.", no_args_is_help=True)
lti_app.add_typer(platforms_app, name="platforms")
lms_app = typer.Typer(help="Award rules and the xAPI keys that feed them.", no_args_is_help=True)
rules_app = typer.Typer(help="Award rules.", no_args_is_help=True)
lrs_app = typer.Typer(help="Keys an LMS or LRS sends xAPI statements with.", no_args_is_help=True)
lms_app.add_typer(rules_app, name="rules")
lms_app.add_typer(lrs_app, name="lrs-keys")
sources_app = typer.Typer(
    help="Existing LRSs whose statements are pulled on a schedule.", no_args_is_help=True
)
lms_app.add_typer(sources_app, name="lrs-sources")

IssuerOption = Annotated[str, typer.Option("--issuer", help="The issuer's slug.")]


def _fail(exc: MicrocredError) -> typer.Exit:
    err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
    return typer.Exit(2)


def _runtime() -> Runtime:
    try:
        return settings_runtime()
    except MicrocredError as exc:
        raise _fail(exc) from exc


def _issuer_id(runtime: Runtime, slug: str) -> str:
    try:
        return runtime.issuers.by_slug(slug).id
    except MicrocredError as exc:
        raise _fail(exc) from exc


@platforms_app.command("add")
def platforms_add(
    issuer: IssuerOption,
    platform_issuer: Annotated[str, typer.Option(help="The platform's issuer (iss), a URL.")],
    client_id: Annotated[str, typer.Option(help="The client id the platform gave this tool.")],
    deployment_id: Annotated[list[str], typer.Option(help="A deployment id (repeatable).")],
    auth_url: Annotated[str, typer.Option(help="The platform's OIDC authorization URL.")],
    token_url: Annotated[str, typer.Option(help="The platform's OAuth 2.0 token URL.")],
    jwks_url: Annotated[str, typer.Option(help="The platform's public keys (JWKS) URL.")],
) -> None:
    """Register a platform; prints it with the tool's login, launch and JWKS URLs."""
    runtime = _runtime()
    try:
        row = runtime.lti.add_platform(
            SYSTEM,
            _issuer_id(runtime, issuer),
            platform_issuer=platform_issuer,
            client_id=client_id,
            deployment_ids=deployment_id,
            auth_url=auth_url,
            token_url=token_url,
            jwks_url=jwks_url,
        )
    except MicrocredError as exc:
        raise _fail(exc) from exc
    print(
        json.dumps(
            {
                "id": row.id,
                "platformIssuer": row.platform_issuer,
                "clientId": row.client_id,
                "deploymentIds": row.deployment_ids,
                "tool": {
                    "loginUrl": runtime.urls.lti("login"),
                    "launchUrl": runtime.urls.lti("launch"),
                    "redirectUrl": runtime.urls.lti("launch"),
                    "jwksUrl": runtime.urls.lti("jwks"),
                },
            }
        )
    )


@platforms_app.command("list")
def platforms_list(
    issuer: Annotated[str | None, typer.Option("--issuer", help="Only this issuer's.")] = None,
) -> None:
    """The registered platforms as JSON lines."""
    runtime = _runtime()
    issuer_id = _issuer_id(runtime, issuer) if issuer else None
    for row in runtime.lti.platforms(SYSTEM, issuer_id):
        print(
            json.dumps(
                {
                    "id": row.id,
                    "issuer": row.issuer_id,
                    "platformIssuer": row.platform_issuer,
                    "clientId": row.client_id,
                    "deploymentIds": row.deployment_ids,
                    "jwksUrl": row.jwks_url,
                }
            )
        )


@platforms_app.command("remove")
def platforms_remove(
    issuer: IssuerOption,
    platform_id: Annotated[str, typer.Argument(help="The id 'platforms list' shows.")],
) -> None:
    """Forget a platform (its pending logins and launch records go with it)."""
    runtime = _runtime()
    try:
        runtime.lti.remove_platform(SYSTEM, _issuer_id(runtime, issuer), platform_id)
    except MicrocredError as exc:
        raise _fail(exc) from exc


@lti_app.command("registration-link")
def registration_link(issuer: IssuerOption) -> None:
    """A single-use LTI Dynamic Registration URL (a week) to paste into the LMS."""
    runtime = _runtime()
    try:
        print(runtime.lti_registration.new_link(SYSTEM, _issuer_id(runtime, issuer)))
    except MicrocredError as exc:
        raise _fail(exc) from exc


@lrs_app.command("add")
def lrs_keys_add(
    issuer: IssuerOption,
    name: Annotated[str, typer.Option(help="What the key is for (the LMS's name).")],
) -> None:
    """A key for POST/PUT /xapi/statements; the secret is printed once."""
    runtime = _runtime()
    try:
        row, secret = runtime.lms.create_lrs_key(SYSTEM, _issuer_id(runtime, issuer), name)
    except MicrocredError as exc:
        raise _fail(exc) from exc
    endpoint = f"{runtime.urls.base}/xapi/"
    print(json.dumps({"id": row.id, "key": row.key, "secret": secret, "endpoint": endpoint}))


@sources_app.command("add")
def lrs_sources_add(
    issuer: IssuerOption,
    name: Annotated[str, typer.Option(help="What the LRS is (its name).")],
    endpoint: Annotated[str, typer.Option(help="The LRS's xAPI base URL (before /statements).")],
    username: Annotated[str, typer.Option(help="The LRS's Basic user name (its key).")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            envvar="MICROCRED_LRS_PASSWORD",
            help="The Basic password (asked, or from MICROCRED_LRS_PASSWORD; stored sealed).",
        ),
    ],
    xapi_version: Annotated[
        str, typer.Option("--xapi-version", help="1.0.3 or 2.0.0, sent to the LRS.")
    ] = "1.0.3",
) -> None:
    """Pull statements from an existing LRS every few minutes."""
    runtime = _runtime()
    try:
        row = runtime.lrs_pull.add_source(
            SYSTEM,
            _issuer_id(runtime, issuer),
            name=name,
            endpoint=endpoint,
            username=username,
            password=password,
            version=xapi_version,
        )
    except MicrocredError as exc:
        raise _fail(exc) from exc
    print(json.dumps({"id": row.id, "name": row.name, "endpoint": row.endpoint}))


@sources_app.command("list")
def lrs_sources_list(issuer: IssuerOption) -> None:
    """An issuer's LRS sources and how their last pull went, as JSON lines."""
    runtime = _runtime()
    for row in runtime.lrs_pull.sources(SYSTEM, _issuer_id(runtime, issuer)):
        print(
            json.dumps(
                {
                    "id": row.id,
                    "name": row.name,
                    "endpoint": row.endpoint,
                    "version": row.version,
                    "since": row.since,
                    "lastPulledAt": row.last_pulled_at.isoformat() if row.last_pulled_at else None,
                    "lastStored": row.last_stored,
                    "lastRefused": row.last_refused,
                    "lastError": row.last_error,
                }
            )
        )


@sources_app.command("remove")
def lrs_sources_remove(
    issuer: IssuerOption,
    source_id: Annotated[str, typer.Argument(help="The id 'lrs-sources list' shows.")],
) -> None:
    """Stop pulling from an LRS (the statements it brought stay)."""
    runtime = _runtime()
    try:
        runtime.lrs_pull.remove_source(SYSTEM, _issuer_id(runtime, issuer), source_id)
    except MicrocredError as exc:
        raise _fail(exc) from exc


@rules_app.command("add")
def rules_add(
    issuer: IssuerOption,
    achievement: Annotated[str, typer.Option(help="The achievement id to award.")],
    kind: Annotated[str, typer.Option(help=" | ".join(KINDS))],
    activity: Annotated[list[str], typer.Option(help="An activity IRI (repeatable).")],
    min_score: Annotated[
        float | None, typer.Option(help="For 'score': the scaled minimum, 0 to 1.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="How the rule is named.")] = None,
) -> None:
    """Add an award rule."""
    runtime = _runtime()
    try:
        spec = RuleSpec(kind, tuple(activity), min_score)  # type: ignore[arg-type]  # checked
        row = runtime.lms.add_rule(
            SYSTEM, _issuer_id(runtime, issuer), achievement_id=achievement, spec=spec, name=name
        )
    except MicrocredError as exc:
        raise _fail(exc) from exc
    print(json.dumps({"id": row.id, "name": row.name, "kind": row.kind}))


@rules_app.command("list")
def rules_list(issuer: IssuerOption) -> None:
    """An issuer's award rules as JSON lines."""
    runtime = _runtime()
    for row in runtime.lms.rules(SYSTEM, _issuer_id(runtime, issuer)):
        print(
            json.dumps(
                {
                    "id": row.id,
                    "achievement": row.achievement_id,
                    "kind": row.kind,
                    "activities": row.activities,
                    "minScore": row.min_score,
                    "enabled": row.enabled,
                }
            )
        )


def register(app: typer.Typer) -> None:
    app.add_typer(lti_app, name="lti")
    app.add_typer(lms_app, name="lms")
