"""The ``microcred`` command line. Its commands, options and exit codes are a stable interface.

Exit codes: 0 success (for ``verify``: verified), 1 not verified (for ``verify``: also a valid
signature whose issuer is not confirmed), 2 input that cannot be read or
used (a missing file, bad JSON, a key that does not fit the credential).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from microcred.cli import (
    bulk,
    careers,
    europass,
    lms,
    log,
    ops,
    pathways,
    platform,
    public_url,
    repair,
)
from microcred.crypto.baking import bake as bake_image
from microcred.crypto.keys import KeyFile, SigningKey
from microcred.crypto.numbers import check_round_trip
from microcred.errors import MicrocredError
from microcred.signing import SUITES, sign_credential
from microcred.verify import Status, Verifier
from microcred.verify.result import Outcome, VerificationResult

app = typer.Typer(
    name="microcred",
    help="Open Badges 3.0 micro-credentials: keys, signing, baking, verification.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="Signing keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

err = Console(stderr=True, emoji=False)
out = Console(emoji=False)

_MARKS = {
    Status.PASSED: "[green]✓ passed[/]",
    Status.FAILED: "[red]✗ failed[/]",
    Status.WARNING: "[yellow]! warning[/]",
    Status.SKIPPED: "[dim]– skipped[/]",
}


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]error:[/] {escape(message)}", markup=True, highlight=False)
    raise typer.Exit(code)


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        _fail(f"cannot read {what} {path}: {exc.strerror}")
    except ValueError as exc:
        _fail(f"{what} {path} is not valid JSON: {exc}")


@keys_app.command("new")
def keys_new(
    out_path: Annotated[
        Path, typer.Option("--out", help="Where to write the key file (mode 600).")
    ],
    key_type: Annotated[str, typer.Option("--type", help="ed25519 (default) or p256.")] = "ed25519",
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Create a key and write it as a JSON key file with its did:key."""
    algorithms = {"ed25519": "Ed25519", "p256": "P-256"}
    if key_type.lower() not in algorithms:
        _fail(f"unknown key type {key_type!r}; expected ed25519 or p256")
    if out_path.exists() and not force:
        _fail(f"{out_path} exists; refusing to overwrite a key (use --force)")
    key_file = KeyFile.for_did_key(SigningKey.generate(algorithms[key_type.lower()]))  # type: ignore[arg-type]
    key_file.save(out_path)
    err.print(f"wrote {out_path} for {key_file.controller}", highlight=False)


@app.command()
def sign(
    credential_path: Annotated[
        Path, typer.Argument(metavar="IN.json", help="The unsigned credential.")
    ],
    key: Annotated[Path, typer.Option("--key", help="Key file from 'microcred keys new'.")],
    suite: Annotated[str, typer.Option(help=" | ".join(SUITES))] = "eddsa-rdfc-2022",
) -> None:
    """Sign a credential; print it (or the compact JWT) to stdout."""
    credential = _read_json(credential_path, "credential")
    try:
        key_file = KeyFile.load(key)
        check_round_trip(credential)  # a number other verifiers would read otherwise
        signed = sign_credential(credential, key_file, suite=suite)
    except MicrocredError as exc:
        _fail(str(exc))
    sys.stdout.write(
        signed if isinstance(signed, str) else json.dumps(signed, indent=2, ensure_ascii=False)
    )
    sys.stdout.write("\n")


@app.command()
def verify(
    file: Annotated[
        Path, typer.Argument(help="JSON, JWT, PNG or SVG; or a photo of a credential's QR code.")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the structured result as JSON.")
    ] = False,
    status_list: Annotated[
        list[str] | None,
        typer.Option(
            "--status-list",
            help="A status list (JSON or VC-JWT) or 1EdTech revocation list, used for the URL "
            "it names as its id, or for URL given as URL=FILE (repeatable).",
        ),
    ] = None,
    did_document: Annotated[
        list[Path] | None,
        typer.Option(
            "--did-document", help="A DID document to trust for did:web keys (repeatable)."
        ),
    ] = None,
    controller_document: Annotated[
        list[Path] | None,
        typer.Option(
            "--controller-document",
            help="An https controller document to trust for its keys (repeatable): confirms "
            "whose a key named https://...#key or carried in a JWT header is.",
        ),
    ] = None,
    log_bundle: Annotated[
        Path | None,
        typer.Option(help="The credential's transparency-log proof bundle (JSON)."),
    ] = None,
    log_key: Annotated[
        str | None,
        typer.Option(help="The log's verifier key to trust (name+hash+key); needs --log-bundle."),
    ] = None,
) -> None:
    """Verify a credential and explain each check. Exit 0 verified, 1 not (or issuer not
    confirmed), 2 unreadable."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror}")
    from microcred.cli.offline_lists import read_lists

    try:
        lists = read_lists(status_list or [])
    except MicrocredError as exc:
        _fail(str(exc))
    from microcred.crypto.did import DidResolver

    resolver = DidResolver()
    for path in did_document or []:
        try:
            resolver.add_document(_read_json(path, "DID document"))
        except MicrocredError as exc:
            _fail(str(exc))
    for path in controller_document or []:
        try:
            resolver.add_controller_document(_read_json(path, "controller document"))
        except MicrocredError as exc:
            _fail(str(exc))
    if (log_bundle is None) != (log_key is None):
        _fail("--log-bundle and --log-key go together: a bundle proves nothing without a key")
    bundle = _read_json(log_bundle, "log bundle") if log_bundle is not None else None
    verifier = Verifier(resolver=resolver, status_lists=lists, log_key=log_key)
    qr_text, qr_result = _from_qr(data)
    if qr_result is not None:
        result = qr_result
    else:
        result = verifier.verify(qr_text.encode() if qr_text else data, log_bundle=bundle)
    if as_json:
        answer = result.to_json()
        if qr_text is not None:
            answer["qr"] = qr_text
        sys.stdout.write(json.dumps(answer, indent=2, ensure_ascii=False) + "\n")
    else:
        if qr_text is not None:
            out.print(f"QR code: {qr_text}", highlight=False, markup=False)
        _print_report(file, result)
    raise typer.Exit(0 if result.verified else 2 if not result.readable else 1)


def _from_qr(data: bytes) -> tuple[str | None, VerificationResult | None]:
    """A picture with no credential baked in may show a QR code (a photo of a certificate).
    Its text is verified when it is a credential; a URL is reported, not fetched: the CLI
    works offline. A PNG without either keeps the verifier's "nothing is baked" message."""
    from microcred.crypto import jose
    from microcred.errors import InputError, NoQrCodeError, short
    from microcred.verify import messages
    from microcred.verify.ob2 import ob2_input
    from microcred.verify.qr import is_plain_picture, read_qr
    from microcred.verify.result import unreadable

    if not is_plain_picture(data):
        return None, None
    try:
        text = read_qr(data)
    except NoQrCodeError:
        if data.startswith(b"\x89PNG"):
            return None, None
        return None, unreadable(messages.QR_NONE)
    except InputError as exc:
        return None, unreadable(messages.QR_UNREADABLE, reason=exc)
    if text.startswith(("http://", "https://")):
        return text, unreadable(
            "the QR code points to {url}; microcred verify works offline and fetches nothing: "
            "download it and verify the file, or verify the address on the server's /verify",
            url=text,
        )
    if text.startswith("{") or jose.looks_like_jwt(text) or ob2_input(text):
        return text, None
    return text, unreadable(messages.QR_UNUSABLE, found=short(text, 120))


def _print_report(file: Path, result: VerificationResult) -> None:
    table = Table(show_header=False, box=None, pad_edge=False)
    for check in result.checks:
        table.add_row(check.name, _MARKS[check.status], Text(check.message))
    headline = {
        Outcome.VERIFIED: "[bold green]VERIFIED[/]",
        Outcome.ISSUER_NOT_CONFIRMED: "[bold yellow]SIGNATURE VALID, ISSUER NOT CONFIRMED[/]",
        Outcome.NOT_VERIFIED: "[bold red]NOT VERIFIED[/]",
    }[result.outcome]
    out.print(
        f"{headline}  {file}" + (f"  ({result.format})" if result.format else ""), highlight=False
    )
    summary = result.summary
    if summary.get("achievement") or summary.get("name"):
        out.print(
            f"  {summary.get('achievement') or summary.get('name')}", highlight=False, markup=False
        )
    issuer = summary.get("issuer") or {}
    if isinstance(issuer, str):  # a sealed EDC names its issuer (legal name), no DID
        out.print(f"  issued by {issuer}", highlight=False, markup=False)
    elif issuer.get("id"):
        name = f"{issuer['name']} " if issuer.get("name") else ""
        out.print(f"  issued by {name}({issuer['id']})", highlight=False, markup=False)
    out.print(table)


@app.command()
def bake(
    credential: Annotated[
        Path, typer.Option("--credential", help="Signed credential: JSON or a JWT file.")
    ],
    image: Annotated[Path, typer.Option("--image", help="Badge image, PNG or SVG.")],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the baked image.")],
) -> None:
    """Embed a signed credential in a badge image (Open Badges 3.0 baking)."""
    try:
        text = credential.read_text(encoding="utf-8").strip()
        picture = image.read_bytes()
    except OSError as exc:
        _fail(f"cannot read input: {exc}")
    if text.startswith("{"):
        try:
            text = json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
        except ValueError as exc:
            _fail(f"credential {credential} is not valid JSON: {exc}")
    try:
        baked = bake_image(picture, text)
    except MicrocredError as exc:
        _fail(str(exc))
    out_path.write_bytes(baked)
    err.print(f"wrote {out_path}", highlight=False)


@app.command()
def unbake(file: Annotated[Path, typer.Argument(help="A baked PNG or SVG.")]) -> None:
    """Print the credential baked into an image."""
    from microcred.crypto.baking import unbake as unbake_image

    try:
        payload = unbake_image(file.read_bytes())
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror}")
    except MicrocredError as exc:
        _fail(str(exc))
    sys.stdout.write(payload.text + "\n")


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo files.")] = Path(
        "demo-output"
    ),
) -> None:
    """Create a key, issue a sample credential, bake it into a PNG, verify it."""
    from microcred.demo import run_demo

    try:
        report = run_demo(out_dir)
    except MicrocredError as exc:
        _fail(str(exc))
    _print_report(report.baked_png, report.result)
    out.print("\nFiles:", highlight=False)
    for label, path in report.files.items():
        out.print(f"  {label:<22} {path}", highlight=False, markup=False)
    raise typer.Exit(0 if report.result.verified else 1)


# The server-side command groups, one module each, mounted here and nowhere else.
bulk.register(app)
europass.register(app)
log.register(app)
platform.register(app)
pathways.register(app)
repair.register(app)
careers.register(app)
public_url.register(app)
lms.register(app)
ops.register(app)

if __name__ == "__main__":  # pragma: no cover
    app()
