"""Run the W3C conformance suites against microcred's VC-API and print mocha's counts.

Set-up (once, with network; nothing here is committed to the repository): check out, side by
side in one folder DIR,

- w3c/vc-data-model-2.0-test-suite, w3c/vc-di-eddsa-test-suite,
  w3c-ccg/vc-api-issuer-test-suite, w3c-ccg/vc-api-verifier-test-suite,
  w3c/vc-bitstring-status-list-test-suite;
- their helper packages w3c/vc-test-suite-implementations (as
  ``w3c-vc-test-suite-implementations``), w3c-ccg/vc-test-suite-implementations (as
  ``ccg-vc-test-suite-implementations``) and w3c-ccg/data-integrity-test-suite-assertion;

then point each suite's ``github:`` dependencies at those checkouts (``file:../<name>``) and run
``npm install --install-links`` in each suite. ``docs/design/interop.md`` lists the commits.

Run: ``python interop/w3c_suites.py --suites DIR``. Without ``--url`` it starts
``microcred serve --demo`` on a free loopback port with a temporary data dir, reads the demo API
key from its banner, and stops it at the end. A TLS proxy on another loopback port fronts the
server, because the data model suite sends the configured headers (our bearer key) only over
``https:``; the suites turn certificate checks off. Each suite gets a ``localConfig.cjs`` naming
our three endpoints only, so nothing but loopback is contacted at run time. The vc-di-eddsa
suite's issuer entry names the did:key the demo server also signs as (its resolver reads did:key
only); the others name the did:web issuer. Exit 0 when every
suite ran (whatever its counts), 2 when one could not be run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUITES: dict[str, list[str]] = {
    # suite folder -> tags our issuer and verifier carry in its config
    "vc-data-model-2.0-test-suite": ["vc2.0"],
    "vc-di-eddsa-test-suite": ["eddsa-rdfc-2022", "eddsa-jcs-2022"],
    "vc-api-issuer-test-suite": ["vc-api"],
    "vc-api-verifier-test-suite": ["vc-api"],
    "vc-bitstring-status-list-test-suite": ["BitstringStatusList"],
}
CRYPTOSUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
# Suites that resolve the issuer's verification method with a did:key-only resolver: their
# issuer entry names the server's did:key, so the issue route signs with that key.
DID_KEY_SUITES = frozenset({"vc-di-eddsa-test-suite"})
# Files left out: they need a JWT issuer (the VC-API suites' JWT and VP files).
SKIPPED_FILES: dict[str, list[str]] = {
    "vc-api-issuer-test-suite": ["11-issuer-jwt.js"],
    "vc-api-verifier-test-suite": ["11-vc-jwt.js", "13-vp-jwt.js"],
}


@dataclass(frozen=True)
class Counts:
    passed: int
    failed: int
    pending: int
    failures: list[str]


@dataclass(frozen=True)
class Issuer:
    """The server under test: URL, VC-API key, issuer DID (did:web), and the did:key the issue
    route also signs as when a credential names it (None: not offered)."""

    url: str
    api_key: str
    did: str
    did_key: str | None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_up(url: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback http)
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server at {url} did not answer within {seconds:.0f}s")


@contextmanager
def demo_server(workdir: Path, public_url: str) -> Iterator[Issuer]:
    """Start ``microcred serve --demo`` with ``public_url`` (the TLS proxy's address, so that
    what it signs names URLs the suites can fetch: status lists, did:web documents); yield
    its own http URL, the demo API key and the issuer's DIDs."""
    port = free_port()
    exe = shutil.which("microcred") or str(Path(sys.executable).with_name("microcred"))
    env = dict(
        os.environ,
        MICROCRED_DATA_DIR=str(workdir / "data"),
        MICROCRED_PUBLIC_URL=public_url,
        COLUMNS="200",
    )
    log = (workdir / "server.log").open("w")
    proc = subprocess.Popen(  # noqa: S603
        [exe, "serve", "--demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=log,
        env=env,
        text=True,
    )
    try:
        key = did = did_key = None
        assert proc.stdout is not None
        for line in proc.stdout:
            found = re.search(r"demo API key\s+(\S+)", line)
            if found:
                key = found.group(1)
            found = re.search(r"demo issuer\s+(did:\S+)", line)
            if found:
                did = found.group(1)
            found = re.search(r"VC-API did:key\s+(did:key:\S+)", line)
            if found:
                did_key = found.group(1)
            if "try: curl" in line:
                break
        if key is None or did is None:
            raise SystemExit(f"no demo API key or DID in the banner (see {workdir}/server.log)")
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        base = f"http://127.0.0.1:{port}"
        wait_up(base + "/docs")
        yield Issuer(base, key, did, did_key)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def self_signed(workdir: Path) -> ssl.SSLContext:
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


@contextmanager
def tls_proxy(upstream: str, context: ssl.SSLContext, port: int) -> Iterator[str]:
    """Terminate TLS on loopback ``port`` and forward the bytes to ``upstream`` (http://h:p)."""
    host, port_text = upstream.removeprefix("http://").split(":")
    loop = asyncio.new_event_loop()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, int(port_text))
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    server = loop.run_until_complete(asyncio.start_server(handle, "127.0.0.1", port, ssl=context))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)


def _issue_options(tag: str) -> dict[str, object]:
    """What the issuer entry of ``tag`` sends as the issue request's options: the cryptosuite
    its tag names, and for the status-list suite a status entry (our VC-API attaches one on
    request; the suite reads the entry back and fetches the list it names)."""
    if tag in CRYPTOSUITES:
        return {"cryptosuite": tag}
    if tag == "BitstringStatusList":
        return {
            "credentialStatus": {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
            }
        }
    return {}


def local_config(base: str, api_key: str, did: str, tags: list[str]) -> str:
    auth = {"Authorization": f"Bearer {api_key}"}
    # One issuer entry per cryptosuite tag: the suites send the entry's options with each
    # request, and ours picks the cryptosuite from them (eddsa-rdfc-2022 by default).
    issuers = [
        {
            "id": did,
            "endpoint": f"{base}/credentials/issue",
            "headers": auth,
            "supports": {"vc": ["2.0"]},
            "tags": [tag],
            **({"options": _issue_options(tag)} if _issue_options(tag) else {}),
        }
        for tag in tags
    ]
    entry = {
        "name": "microcred",
        "implementation": "microcred",
        "issuers": issuers,
        "verifiers": [
            {"id": "microcred-verifier", "endpoint": f"{base}/credentials/verify", "tags": tags}
        ],
        "vpVerifiers": [
            {"id": "microcred-verifier", "endpoint": f"{base}/presentations/verify", "tags": tags}
        ],
    }
    settings = {"enableInteropTests": False, "testAllImplementations": False}
    body = json.dumps({"settings": settings, "implementations": [entry]}, indent=2)
    return f"// Written by microcred's interop/w3c_suites.py\nmodule.exports = {body};\n"


def run_suite(
    folder: Path, base: str, api_key: str, did: str, tags: list[str], out: Path
) -> Counts:
    # The suites put the configured issuer id into the credentials they send for issuing.
    (folder / "localConfig.cjs").write_text(local_config(base, api_key, did, tags))
    skipped = set(SKIPPED_FILES.get(folder.name, []))
    files = sorted(str(p) for p in (folder / "tests").glob("*.js") if p.name not in skipped)
    mocha = folder / "node_modules" / ".bin" / "mocha"
    report = out / f"{folder.name}.json"
    env = dict(os.environ, NODE_TLS_REJECT_UNAUTHORIZED="0")
    with (out / f"{folder.name}.log").open("w") as log:
        subprocess.run(  # noqa: S603
            [
                str(mocha),
                *files,
                "--reporter",
                "json",
                "--reporter-option",
                f"output={report}",
                "--timeout",
                "15000",
                "--preserve-symlinks",
            ],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if not report.exists():
        raise SystemExit(f"{folder.name}: mocha wrote no report (see {out}/{folder.name}.log)")
    data = json.loads(report.read_text())
    stats = data["stats"]
    failures = [f"{f['fullTitle']}: {f['err'].get('message', '')}"[:300] for f in data["failures"]]
    return Counts(stats["passes"], stats["failures"], stats["pending"], failures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", type=Path, required=True, help="folder of the checkouts")
    parser.add_argument("--url", help="a running server (default: start serve --demo)")
    parser.add_argument("--api-key", help="bearer key of the VC-API issuer, with --url")
    parser.add_argument("--issuer-did", help="the VC-API issuer's DID, with --url")
    parser.add_argument(
        "--issuer-did-key", help="the did:key the VC-API issuer also signs as, with --url"
    )
    parser.add_argument("--only", nargs="*", help="suite folders to run (default: all five)")
    parser.add_argument("--out", type=Path, help="where reports go (default: a temp dir)")
    args = parser.parse_args()
    if args.url and not (args.api_key and args.issuer_did):
        parser.error("--url needs --api-key and --issuer-did")
    names = args.only or list(SUITES)
    for name in names:
        if not (args.suites / name / "node_modules").is_dir():
            print(f"{name}: not installed under {args.suites}", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory(prefix="microcred-w3c-") as tmp:
        work = Path(tmp)
        out = args.out or work
        out.mkdir(parents=True, exist_ok=True)
        proxy_port = free_port()
        public = f"https://127.0.0.1:{proxy_port}"
        with (
            _server(args, work, public) as issuer,
            tls_proxy(issuer.url, self_signed(work), proxy_port) as https,
        ):
            results = {
                n: run_suite(
                    args.suites / n, https, issuer.api_key, _did(issuer, n), SUITES[n], out
                )
                for n in names
            }
    for name, counts in results.items():
        print(f"{name}: {counts.passed} passed / {counts.failed} failed / {counts.pending} pending")
        for failure in counts.failures:
            print(f"  FAIL {failure}")
    return 0


@contextmanager
def _server(args: argparse.Namespace, work: Path, public_url: str) -> Iterator[Issuer]:
    if args.url:
        yield Issuer(args.url.rstrip("/"), args.api_key, args.issuer_did, args.issuer_did_key)
    else:
        with demo_server(work, public_url) as issuer:
            yield issuer


def _did(issuer: Issuer, suite: str) -> str:
    """The issuer id the suite's config names (the suites copy it into what they send)."""
    if suite in DID_KEY_SUITES and issuer.did_key:
        return issuer.did_key
    return issuer.did


if __name__ == "__main__":
    sys.exit(main())
