"""``microcred log``: audit the transparency log, and verify a credential's proof bundle offline.

``audit OLD NEW`` checks that NEW extends OLD: both checkpoints must be signed by the log key,
and the log must prove, with an RFC 9162 consistency proof, that the tree of OLD is a prefix of
the tree of NEW. A rewritten history or a fork (two trees that do not extend each other) fails.
Exit codes: 0 consistent / verified, 1 not, 2 input that cannot be read or fetched.

Fetching goes through :data:`make_fetcher` (tests replace it): time- and size-limited, and
refusing anything but loopback addresses unless ``--allow-remote`` is given.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich.console import Console
from rich.markup import escape

from microcred.cli._runtime import settings_runtime
from microcred.errors import (
    AnchorError,
    AuditError,
    InputError,
    MicrocredError,
    RecheckError,
    short,
)
from microcred.ledger import (
    EMPTY_ROOT,
    Checkpoint,
    CheckpointError,
    LogProofError,
    verify_checkpoint,
    verify_consistency,
)
from microcred.ledger.recheck import DEFAULT_CHUNK
from microcred.runtime import Runtime
from microcred.urls import PublicUrls
from microcred.verify.log_check import check_anchor, check_transparency, parse_vkey
from microcred.verify.result import Status
from microcred.web.fetch import FetchPolicy

Fetcher = Callable[[str], bytes]
MAX_FETCH_BYTES: Final = 1024 * 1024
FETCH_TIMEOUT_SECONDS: Final = 10.0
CHECKPOINT_PATH: Final = "/log/checkpoint"

log_app = typer.Typer(help="The transparency log: audit checkpoints, verify bundles.")
out = Console(emoji=False, highlight=False)
err = Console(stderr=True, emoji=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(log_app, name="log", no_args_is_help=True)


# --- fetching --------------------------------------------------------------------------------


LOOPBACK = ("127.0.0.0/8", "::1/128")
EVERYWHERE = ("0.0.0.0/0", "::/0")


def http_fetcher(
    *,
    allow_remote: bool = False,
    max_bytes: int = MAX_FETCH_BYTES,
    timeout: float = FETCH_TIMEOUT_SECONDS,
) -> Fetcher:
    """A GET fetcher on the guarded client (web/fetch.py): loopback only unless
    ``allow_remote``, no redirects, at most ``max_bytes``, ``timeout`` seconds."""
    policy = FetchPolicy.allowing(
        EVERYWHERE if allow_remote else LOOPBACK,
        public=allow_remote,
        max_bytes=max_bytes,
        timeout=timeout,
        max_redirects=0,
    )
    return policy.fetcher()


make_fetcher: Callable[..., Fetcher] = http_fetcher
"""How commands get their fetcher: ``make_fetcher(allow_remote=...)``. Tests replace it."""


# --- audit -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditResult:
    old: Checkpoint
    new: Checkpoint
    message: str


def audit(
    old_note: str,
    new_note: str,
    *,
    log_keys: list[str],
    consistency: Callable[[int, int], list[bytes]],
) -> AuditResult:
    """Check that the log of ``new_note`` extends that of ``old_note``.

    Raises :class:`AuditError` (a fork, a rewritten history, a bad signature) or
    :class:`InputError`/:class:`FetchError` when the inputs cannot be used.
    """
    old = _verified(old_note, log_keys, "OLD")
    new = _verified(new_note, log_keys, "NEW")
    if old.origin != new.origin:
        raise AuditError(
            "the checkpoints are from different logs", expected=old.origin, found=new.origin
        )
    if old.tree_size > new.tree_size:
        old, new = new, old  # order does not matter: the smaller tree must be a prefix
    if old.tree_size == new.tree_size:
        if old.root_hash != new.root_hash:
            raise AuditError(
                f"fork: two signed checkpoints of size {old.tree_size} with different roots",
                expected=_b64(old.root_hash),
                found=_b64(new.root_hash),
            )
        return AuditResult(old, new, f"both checkpoints are the same tree of size {old.tree_size}")
    if old.tree_size == 0:
        if old.root_hash != EMPTY_ROOT:
            raise AuditError("the empty checkpoint has a root other than the empty tree's")
        return AuditResult(old, new, f"size {new.tree_size} extends the empty log")
    proof = consistency(old.tree_size, new.tree_size)
    try:
        verify_consistency(
            size1=old.tree_size,
            size2=new.tree_size,
            proof=proof,
            root1=old.root_hash,
            root2=new.root_hash,
        )
    except LogProofError as error:
        raise AuditError(
            f"NOT consistent: the log of size {new.tree_size} does not extend the one of size "
            f"{old.tree_size} (history rewritten or forked): {error.message}",
            expected=error.expected,
            found=error.found,
        ) from error
    return AuditResult(
        old, new, f"size {new.tree_size} extends size {old.tree_size} ({len(proof)} proof hashes)"
    )


def _verified(note: str, log_keys: list[str], label: str) -> Checkpoint:
    failure: CheckpointError | None = None
    for vkey in log_keys:
        origin, public_key = parse_vkey(vkey)
        try:
            return verify_checkpoint(note, public_key, origin=origin)
        except CheckpointError as error:
            failure = error
    raise AuditError(
        f"{label} checkpoint is not signed by the log key: "
        + (failure.message if failure else "no log key given"),
        expected=failure.expected if failure else None,
        found=failure.found if failure else None,
    )


# --- reading inputs --------------------------------------------------------------------------


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _server_of(url: str) -> str:
    return PublicUrls.of_log_address(url).base


def _load_checkpoint(source: str, fetch: Fetcher) -> str:
    if _is_url(source):
        url = (
            source
            if CHECKPOINT_PATH in source
            else PublicUrls.of_log_address(source).log_checkpoint
        )
        raw = fetch(url)
    else:
        try:
            with Path(source).open("rb") as file:
                raw = file.read(MAX_FETCH_BYTES + 1)  # never the whole of a huge file
        except OSError as error:
            raise InputError(f"cannot read {source}", found=error.strerror) from error
        if len(raw) > MAX_FETCH_BYTES:
            raise InputError(
                "checkpoint file is too large",
                expected=f"at most {MAX_FETCH_BYTES} bytes",
                found=short(source),
            )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError("checkpoint is not UTF-8 text", found=short(source)) from error
    if text.lstrip().startswith("{"):
        document = _json(text, source)
        note = document.get("note") if isinstance(document, dict) else None
        if not isinstance(note, str):
            raise InputError("checkpoint JSON has no 'note'", found=short(source))
        return note
    return text


def _json(text: str | bytes, source: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise InputError(f"{source} is not valid JSON", found=str(error)) from error


def _hashes(values: object, source: str) -> list[bytes]:
    if not isinstance(values, list) or len(values) > 128:
        raise InputError("proof is not a list of hashes", found=short(source))
    result = []
    for value in values:
        if not isinstance(value, str):
            raise InputError("proof hash is not a string", found=short(value))
        try:
            result.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError) as error:
            raise InputError("proof hash is not base64", found=short(value)) from error
    return result


def _server_log_keys(server: str, fetch: Fetcher) -> list[str]:
    document = _json(fetch(f"{server}/.well-known/did.json"), "the server's DID document")
    services = document.get("service") if isinstance(document, dict) else None
    for service in services if isinstance(services, list) else []:
        if isinstance(service, dict) and service.get("type") == "TransparencyLog":
            keys = service.get("verifierKeys")
            if isinstance(keys, list) and all(isinstance(k, str) for k in keys) and keys:
                return list(keys)
    raise InputError("the server's DID document lists no transparency log key", found=server)


def _read_vkey(value: str) -> str:
    path = Path(value)
    if value.count("+") < 2 and path.is_file():
        return path.read_text(encoding="utf-8").strip()
    return value.strip()


def _fail(error: MicrocredError | str, code: int) -> typer.Exit:
    message = (
        error.diagnostics().replace("\n", "\n  ") if isinstance(error, MicrocredError) else error
    )
    err.print(f"[red]error:[/] {escape(message)}", markup=True)
    return typer.Exit(code)


# --- commands ----------------------------------------------------------------------------------


@log_app.command("audit")
def audit_command(
    old: Annotated[str, typer.Argument(help="The older checkpoint: a file, or a server URL.")],
    new: Annotated[str, typer.Argument(help="The newer checkpoint: a file, or a server URL.")],
    log_key: Annotated[
        str | None,
        typer.Option(
            "--log-key",
            help="The log's vkey (or a file holding it). Default: the server's DID document.",
        ),
    ] = None,
    server: Annotated[
        str | None,
        typer.Option("--server", help="Server to ask for the consistency proof."),
    ] = None,
    proof_file: Annotated[
        Path | None, typer.Option("--proof", help="A consistency proof JSON instead of a server.")
    ] = None,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow fetching from non-loopback hosts.")
    ] = False,
) -> None:
    """Check that NEW extends OLD; detect a rewritten or forked log. Exit 0, 1 or 2."""
    fetch = make_fetcher(allow_remote=allow_remote)
    base = server or next((_server_of(s) for s in (new, old) if _is_url(s)), None)
    try:
        old_note = _load_checkpoint(old, fetch)
        new_note = _load_checkpoint(new, fetch)
        if log_key is not None:
            keys = [_read_vkey(log_key)]
        elif base is not None:
            keys = _server_log_keys(base.rstrip("/"), fetch)
            err.print(f"log key taken from {base} (trusted on first use): {keys[0]}")
        else:
            raise InputError("no log key", expected="--log-key, or a server URL to take it from")

        def consistency(first: int, second: int) -> list[bytes]:
            if proof_file is not None:
                try:
                    document = _json(proof_file.read_bytes(), str(proof_file))
                except OSError as error:
                    raise InputError(f"cannot read {proof_file}", found=error.strerror) from error
            elif base is not None:
                url = PublicUrls.of_log_address(base).log_consistency(first, second)
                document = _json(fetch(url), url)
            else:
                raise InputError("no consistency proof", expected="--server or --proof")
            values = document.get("consistencyProof") if isinstance(document, dict) else document
            return _hashes(values, "consistency proof")

        result = audit(old_note, new_note, log_keys=keys, consistency=consistency)
    except AuditError as error:
        out.print("[bold red]NOT CONSISTENT[/]", markup=True)
        raise _fail(error, 1) from error
    except MicrocredError as error:
        raise _fail(error, 2) from error
    out.print(f"[bold green]CONSISTENT[/]  {escape(result.message)}", markup=True)
    out.print(f"  old: size {result.old.tree_size}, root {_b64(result.old.root_hash)}")
    out.print(f"  new: size {result.new.tree_size}, root {_b64(result.new.root_hash)}")


@log_app.command("verify-bundle")
def verify_bundle_command(
    credential: Annotated[
        Path, typer.Argument(help="The credential JSON, or {credential, logBundle}.")
    ],
    bundle: Annotated[
        Path | None, typer.Argument(help="The proof bundle (/credentials/<id>/log-bundle).")
    ] = None,
    log_key: Annotated[
        str, typer.Option("--log-key", help="The log's vkey you trust (or a file holding it).")
    ] = "",
) -> None:
    """Check offline that a credential's issuance is in the signed log. Exit 0, 1 or 2."""
    try:
        if not log_key:
            raise InputError("no log key", expected="--log-key <origin>+<id>+<key>")
        document: Any = _json(credential.read_bytes(), str(credential))
        proof: Any
        if bundle is not None:
            proof = _json(bundle.read_bytes(), str(bundle))
        elif isinstance(document, dict) and "logBundle" in document:
            proof = document["logBundle"]
            document = document.get("credential")
        else:
            raise InputError("no proof bundle", expected="a BUNDLE file or {credential, logBundle}")
        if not isinstance(document, dict) or not isinstance(proof, dict):
            raise InputError("credential and bundle must be JSON objects")
        vkey = _read_vkey(log_key)
        parse_vkey(vkey)
    except OSError as error:
        raise _fail(f"cannot read input: {error.strerror}", 2) from error
    except MicrocredError as error:
        raise _fail(error, 2) from error
    check = check_transparency(document, proof, vkey)
    # The anchor is shown, not checked: this command stays offline (see verify-anchor).
    anchor = check_anchor(proof, None)
    for item in (check, anchor):
        colour = _COLOURS[item.status]
        out.print(f"{item.name} [{colour}]{item.status.value}[/]  ", markup=True, end="")
        out.print(item.message, markup=False)
    raise typer.Exit(0 if check.status is Status.PASSED else 1)


_COLOURS: Final = {
    Status.PASSED: "green",
    Status.FAILED: "red",
    Status.WARNING: "yellow",
    Status.SKIPPED: "dim",
}


# --- the server's own log ----------------------------------------------------------------------


make_runtime: Callable[[], Runtime] = settings_runtime
"""How the server-side commands get their runtime. Tests replace it."""


def _open_runtime() -> Runtime:
    try:
        return make_runtime()
    except MicrocredError as error:
        raise _fail(error, 2) from error


@log_app.command("fsck")
def fsck_command(
    chunk: Annotated[
        int, typer.Option("--chunk", min=1, max=1 << 20, help="Entries read per query.")
    ] = DEFAULT_CHUNK,
) -> None:
    """Recompute the whole stored log from its entries; compare every node and checkpoint.

    Exit 0 intact, 1 at the first difference (with what was expected and found), 2 unusable.
    """
    runtime = _open_runtime()
    try:
        report = runtime.transparency.recheck(chunk=chunk)
    except RecheckError as error:
        out.print("[bold red]LOG DAMAGED[/]", markup=True)
        raise _fail(error, 1) from error
    except MicrocredError as error:
        raise _fail(error, 2) from error
    finally:
        runtime.close()
    out.print(f"[bold green]LOG INTACT[/]  {escape(report.summary())}", markup=True)


@log_app.command("rotate-key")
def rotate_key_command() -> None:
    """Retire the log's checkpoint key: later checkpoints are signed by a new one, old ones
    still verify (the retired key stays in the server's DID document). Prints the new vkey."""
    runtime = _open_runtime()
    try:
        vkey = runtime.transparency.rotate_key()
    except MicrocredError as error:
        raise _fail(error, 2) from error
    finally:
        runtime.close()
    sys.stdout.write(vkey + "\n")


SizeOption = Annotated[
    int | None,
    typer.Option("--size", min=0, help="The checkpoint's tree size (default: the latest)."),
]


@log_app.command("anchor")
def anchor_command(size: SizeOption = None) -> None:
    """Anchor a signed checkpoint on the configured chain (MICROCRED_ANCHOR_*); idempotent.

    Exit 0 anchored (now or before), 1 the chain refused it, 2 off, unreachable or unusable.
    """
    runtime = _open_runtime()
    try:
        outcome = runtime.witness.anchor(size)
    except AnchorError as error:
        raise _fail(error, 1) from error
    except MicrocredError as error:
        raise _fail(error, 2) from error
    finally:
        runtime.close()
    verb = "ANCHORED" if outcome.created else "ALREADY ANCHORED"
    anchor = outcome.anchor
    out.print(f"[bold green]{verb}[/]  checkpoint {anchor.tree_size}", markup=True)
    out.print(f"  chain {anchor.chain_id}, transaction {anchor.tx_hash}")
    out.print(f"  block {anchor.block_number} at {anchor.block_timestamp.isoformat()}")


@log_app.command("verify-anchor")
def verify_anchor_command(size: SizeOption = None) -> None:
    """Read a checkpoint's anchor back from the chain and check it commits to the checkpoint.

    Exit 0 it does, 1 it does not, 2 not anchored, chain unreachable, or unusable input.
    """
    runtime = _open_runtime()
    try:
        if size is None:
            size = runtime.transparency.latest_checkpoint().size
        found = runtime.witness.verify(size)
    except AnchorError as error:
        out.print("[bold red]ANCHOR DOES NOT HOLD[/]", markup=True)
        raise _fail(error, 1) from error
    except MicrocredError as error:
        raise _fail(error, 2) from error
    finally:
        runtime.close()
    out.print(f"[bold green]ANCHOR HOLDS[/]  checkpoint {size}", markup=True)
    out.print(f"  chain {found.chain_id}, transaction {found.tx_hash}, block {found.block_number}")


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")
