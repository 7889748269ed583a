"""Interop with Digital Bazaar's reference JS stack (interop/js, see docs/design/interop.md).

Both directions for eddsa-rdfc-2022: microcred signs -> the reference verifies, the reference
signs -> microcred verifies, and both reject tampered copies of the other's output. The cases
cover a realistic OB 3.0 credential and the edge cases where canonicalization differs in practice:
control and non-BMP characters in strings, and numbers in terms the OB context types as
xsd:float or leaves untyped (xsd:integer / xsd:double).

Node is started a handful of times (batch modes of sign.mjs and verify.mjs); the microcred CLI runs
once per document, in parallel.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.interop.reference_stack import JS_DIR, ROOT, node_or_skip

FIXTURES = Path(__file__).resolve().parent / "fixtures"
VECTORS = ROOT / "tests" / "fixtures" / "vectors"  # the published vectors, copied in
W3C_VECTOR = VECTORS / "w3c-vc-di-eddsa" / "signedDataInt.json"
OB_VECTOR = VECTORS / "ob3-impl-guide" / "signed.json"

NODE = node_or_skip()

MICROCRED = Path(sys.executable).parent / "microcred"
TIMEOUT_S = 120
WORKERS = max(2, os.cpu_count() or 2)

pytestmark = pytest.mark.interop

Json = dict[str, Any]


# --- running the two sides ------------------------------------------------------------------


def _run(args: list[str | Path], *, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT_S,
        check=False,
    )


def node(script: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return _run([NODE, JS_DIR / script, *args])


def microcred(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return _run([MICROCRED, *args])


def _describe(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"


def _json_lines(proc: subprocess.CompletedProcess[str]) -> dict[str, Json]:
    """verify.mjs --batch output: one JSON object per line, keyed by file name."""
    results = {}
    for line in proc.stdout.splitlines():
        entry = json.loads(line)
        results[entry.pop("file")] = entry
    return results


def _write(path: Path, document: Json) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


T = TypeVar("T")


def _parallel(function: Callable[..., T], items: list[Any]) -> list[T]:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(function, items))


# --- the documents ----------------------------------------------------------------------------


def _realistic() -> Json:
    document: Json = json.loads((FIXTURES / "ob3-realistic.json").read_text(encoding="utf-8"))
    return document


def _with(**edits: Callable[[Json], None]) -> Callable[[], Json]:
    def build() -> Json:
        document = _realistic()
        for edit in edits.values():
            edit(document)
        return document

    return build


def _achievement(document: Json) -> Json:
    achievement: Json = document["credentialSubject"]["achievement"]
    return achievement


def _geo(values: list[int | float]) -> Callable[[Json], None]:
    """Puts numbers in GeoCoordinates latitude/longitude, untyped in the OB 3.0 context (so they
    become xsd:integer / xsd:double): two in the issuer's address, two more in the achievement
    creator's."""

    def coordinates(pair: list[int | float]) -> Json:
        return {
            "type": ["Address"],
            "geo": {"type": "GeoCoordinates", "latitude": pair[0], "longitude": pair[1]},
        }

    def edit(document: Json) -> None:
        document["issuer"]["address"] = coordinates(values[0:2])
        if len(values) > 2:
            _achievement(document)["creator"] = {
                "id": "https://institute.example/faculty/data-science",
                "type": ["Profile"],
                "name": "Faculty of Data Science",
                "address": coordinates(values[2:4]),
            }

    return edit


def _set(path: tuple[str, ...], value: Any) -> Callable[[Json], None]:
    def edit(document: Json) -> None:
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


UNICODE = "Zürich\u0001\u007f東京\u2028😀"
ESCAPES = 'tab\t lf\n cr\r quote" backslash\\ bs\b ff\f vt\v us\x1f nul\x00 del\x7f nbsp\xa0 '
ESCAPES += "bom\ufeff nfd e\u0301 nfc \xe9 ps\u2029 clef\U0001d11e"

ACHIEVEMENT = ("credentialSubject", "achievement")


@dataclass(frozen=True)
class Case:
    """An unsigned credential and a content change that any verifier must detect."""

    build: Callable[[], Json]
    tamper: Callable[[Json], None]


CASES: dict[str, Case] = {
    "realistic": Case(
        build=_realistic,
        tamper=_set((*ACHIEVEMENT, "criteria", "narrative"), "No assessment was required."),
    ),
    "unicode": Case(
        build=_with(description=_set(("description",), UNICODE)),
        tamper=_set(("description",), UNICODE.replace("\u2028", "\u2029")),
    ),
    "control-escapes": Case(
        build=_with(description=_set(("description",), ESCAPES)),
        tamper=_set(("description",), ESCAPES.replace("e\u0301", "\xe9")),
    ),
    # creditsAvailable / creditsEarned are typed xsd:float in the OB 3.0 context
    "float-credits": Case(
        build=_with(
            available=_set((*ACHIEVEMENT, "creditsAvailable"), 1.5),
            earned=_set(("credentialSubject", "creditsEarned"), 0.1),
        ),
        tamper=_set(("credentialSubject", "creditsEarned"), 0.1000000000000001),
    ),
    "float-credits-integral": Case(
        build=_with(
            available=_set((*ACHIEVEMENT, "creditsAvailable"), 1e21),
            earned=_set(("credentialSubject", "creditsEarned"), 1.0),
        ),
        tamper=_set(("credentialSubject", "creditsEarned"), 2.0),
    ),
    "int-credits": Case(
        build=_with(
            available=_set((*ACHIEVEMENT, "creditsAvailable"), 6),
            earned=_set(("credentialSubject", "creditsEarned"), -3),
        ),
        tamper=_set(("credentialSubject", "creditsEarned"), 3),
    ),
    # untyped terms: integral numbers below 1e21, even when written as floats -> xsd:integer
    "untyped-integers": Case(
        build=_with(geo=_geo([-42, -0.0, 9007199254740991, 1.0])),
        tamper=_geo([-42, -0.0, 9007199254740990, 1.0]),
    ),
    "untyped-integral-float-1e20": Case(
        build=_with(geo=_geo([1e20, 0])),
        tamper=_geo([1e19, 0]),
    ),
    # untyped terms: non-integral, or at least 1e21 -> xsd:double
    "untyped-doubles": Case(
        build=_with(geo=_geo([52.3676, -2.5e-7, 1e21, -1.25e300])),
        tamper=_geo([52.3677, -2.5e-7, 1e21, -1.25e300]),
    ),
    # doubles that need 17 significant digits: the canonical form keeps 15 after the point
    "doubles-17-digits": Case(
        build=_with(
            geo=_geo([1.7976931348623157e308, 0.30000000000000004]),
            available=_set((*ACHIEVEMENT, "creditsAvailable"), 0.30000000000000004),
        ),
        tamper=_geo([1.7976931348623157e308, 0.30000000000001]),
    ),
}

OTHER_DID = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def _bind_issuer(document: Json, did: str) -> Json:
    bound = copy.deepcopy(document)
    if isinstance(bound.get("issuer"), dict):
        bound["issuer"]["id"] = did
    else:
        bound["issuer"] = did
    return bound


def _flip_proof_value(document: Json) -> None:
    value: str = document["proof"]["proofValue"]
    at = len(value) - 5
    document["proof"]["proofValue"] = (
        value[:at] + ("2" if value[at] != "2" else "3") + value[at + 1 :]
    )


def _rename_achievement(case: str, document: Json) -> None:
    _achievement(document)["name"] += " (Advanced)"


def _change_issuer(case: str, document: Json) -> None:
    document["issuer"]["id"] = OTHER_DID


def _flip_proof_value(case: str, document: Json) -> None:
    value: str = document["proof"]["proofValue"]
    at = len(value) - 5
    replacement = "2" if value[at] != "2" else "3"
    document["proof"]["proofValue"] = value[:at] + replacement + value[at + 1 :]


def _change_content(case: str, document: Json) -> None:
    CASES[case].tamper(document)


TAMPERS: dict[str, Callable[[str, Json], None]] = {
    "achievement-name": _rename_achievement,
    "issuer": _change_issuer,
    "proof-value": _flip_proof_value,
    "content": _change_content,
}
# The reference verifies a whole batch in one process: it checks every tamper of every case.
# microcred starts once per document, so it gets every tamper on three cases and the
# case-specific content change on the rest.
JS_TAMPERED = [(case, tamper) for case in CASES for tamper in TAMPERS]
PY_TAMPERED = [
    (case, tamper)
    for case, tamper in JS_TAMPERED
    if tamper == "content" or case in ("realistic", "unicode", "float-credits")
]


def _tampered(signed: dict[str, Json], which: list[tuple[str, str]]) -> dict[str, Json]:
    """Tampered copies of signed credentials, named `<case>--<tamper>`."""
    out = {}
    for case, tamper in which:
        document = copy.deepcopy(signed[case])
        TAMPERS[tamper](case, document)
        assert document != signed[case], f"tamper {tamper} changes nothing in case {case}"
        out[f"{case}--{tamper}"] = document
    return out


def _check_proof_shape(document: Json, did: str) -> None:
    proof = document["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == f"{did}#{did.removeprefix('did:key:')}"
    assert proof["proofValue"].startswith("z")


# --- fixtures: keys and signed documents (module scope: each side starts few times) ------------


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("interop")


@pytest.fixture(scope="module")
def js_key(work: Path) -> Json:
    proc = node("keys.mjs")
    assert proc.returncode == 0, _describe(proc)
    key: Json = json.loads(proc.stdout)
    _write(work / "js-key.json", key)
    return key


@pytest.fixture(scope="module")
def js_signed(work: Path, js_key: Json) -> dict[str, Json]:
    """Every case, issuer bound to the JS key, signed by sign.mjs in one batch."""
    unsigned = work / "js-unsigned"
    for name, case in CASES.items():
        _write(unsigned / f"{name}.json", _bind_issuer(case.build(), js_key["did"]))
    out = work / "js-signed"
    proc = node("sign.mjs", "--key", work / "js-key.json", "--batch", unsigned, "--out-dir", out)
    assert proc.returncode == 0, _describe(proc)
    return {name: json.loads((out / f"{name}.json").read_text(encoding="utf-8")) for name in CASES}


@pytest.fixture(scope="module")
def py_key(work: Path) -> Json:
    path = work / "py-key.json"
    proc = microcred("keys", "new", "--out", path)
    if proc.returncode != 0:
        pytest.fail(f"`microcred keys new` failed: {_describe(proc)}")
    key: Json = json.loads(path.read_text(encoding="utf-8"))
    return key


@pytest.fixture(scope="module")
def py_signed(work: Path, py_key: Json) -> dict[str, Json]:
    """Every case, issuer bound to the microcred key, signed by `microcred sign`."""
    unsigned = work / "py-unsigned"
    paths = [
        _write(unsigned / f"{name}.json", _bind_issuer(CASES[name].build(), py_key["did"]))
        for name in PY_CASE_NAMES
    ]

    def sign(path: Path) -> subprocess.CompletedProcess[str]:
        return microcred("sign", "--key", work / "py-key.json", "--suite", "eddsa-rdfc-2022", path)

    signed = {}
    for name, proc in zip(PY_CASE_NAMES, _parallel(sign, paths), strict=True):
        if proc.returncode != 0:
            pytest.fail(f"`microcred sign` failed on case {name}: {_describe(proc)}")
        signed[name] = json.loads(proc.stdout)
    return signed


def _js_verify_batch(directory: Path, documents: dict[str, Json]) -> dict[str, Json]:
    for name, document in documents.items():
        _write(directory / f"{name}.json", document)
    proc = node("verify.mjs", "--batch", directory)
    assert proc.returncode in (0, 1), _describe(proc)
    results = _json_lines(proc)
    assert set(results) == {f"{name}.json" for name in documents}, _describe(proc)
    return {name.removesuffix(".json"): result for name, result in results.items()}


@dataclass(frozen=True)
class PyVerdict:
    returncode: int
    report: Json | None
    details: str


def _py_verify_all(directory: Path, documents: dict[str, Json]) -> dict[str, PyVerdict]:
    paths = [_write(directory / f"{name}.json", document) for name, document in documents.items()]

    def verify(path: Path) -> PyVerdict:
        proc = microcred("verify", path, "--json")
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError:
            report = None
        return PyVerdict(proc.returncode, report, _describe(proc))

    return dict(zip(documents, _parallel(verify, paths), strict=True))


@pytest.fixture(scope="module")
def js_verdicts_on_py(work: Path, py_signed: dict[str, Json]) -> dict[str, Json]:
    """verify.mjs on microcred's output and on tampered copies of it, one Node process."""
    tampered = _tampered(py_signed, PY_JS_TAMPERED)
    return _js_verify_batch(work / "js-verifies-py", py_signed | tampered)


@pytest.fixture(scope="module")
def js_verdicts_on_js(work: Path, js_signed: dict[str, Json]) -> dict[str, Json]:
    """verify.mjs on its own output and on tampered copies of it, one Node process."""
    return _js_verify_batch(work / "js-verifies-js", js_signed | _tampered(js_signed, JS_TAMPERED))


@pytest.fixture(scope="module")
def py_verdicts_on_js(work: Path, js_signed: dict[str, Json]) -> dict[str, PyVerdict]:
    return _py_verify_all(work / "py-verifies-js", js_signed | _tampered(js_signed, PY_TAMPERED))


CASE_NAMES = list(CASES)
# Cases `microcred sign` refuses (crypto/numbers.py: the reference signs them as other numbers),
# with what its error says; the reference still signs them, and we verify what it signs.
SIGN_REFUSES = {"doubles-17-digits": "17 significant digits"}
PY_CASE_NAMES = [name for name in CASES if name not in SIGN_REFUSES]
PY_JS_TAMPERED = [(case, tamper) for case, tamper in JS_TAMPERED if case not in SIGN_REFUSES]


# --- the JS harness alone (needs no microcred CLI) ---------------------------------------------


@pytest.mark.parametrize("case", CASE_NAMES)
def test_js_signs_js_verifies(
    case: str, js_key: Json, js_signed: dict[str, Json], js_verdicts_on_js: dict[str, Json]
) -> None:
    _check_proof_shape(js_signed[case], js_key["did"])
    assert js_verdicts_on_js[case] == {
        "verified": True,
        "errors": [],
        "proofVerified": True,
        "proofErrors": [],
    }


@pytest.mark.parametrize(("case", "tamper"), JS_TAMPERED)
def test_js_rejects_its_own_tampered_output(
    case: str, tamper: str, js_verdicts_on_js: dict[str, Json]
) -> None:
    result = js_verdicts_on_js[f"{case}--{tamper}"]
    assert result["verified"] is False
    assert result["proofVerified"] is False, "the signature should not cover a changed document"
    assert result["errors"]


def test_js_sign_sets_missing_issuer_to_the_key_did(tmp_path: Path, js_key: Json) -> None:
    unsigned = _realistic()
    del unsigned["issuer"]
    _write(tmp_path / "key.json", js_key)
    proc = node("sign.mjs", "--key", tmp_path / "key.json", _write(tmp_path / "in.json", unsigned))
    assert proc.returncode == 0, _describe(proc)
    assert json.loads(proc.stdout)["issuer"] == js_key["did"]


def test_js_refuses_credential_status(tmp_path: Path, js_key: Json) -> None:
    """verify.mjs checks the proof, then fails: status lists are out of the harness's scope."""
    unsigned = json.loads((FIXTURES / "ob3-realistic-status.json").read_text(encoding="utf-8"))
    _write(tmp_path / "key.json", js_key)
    source = _write(tmp_path / "in.json", _bind_issuer(unsigned, js_key["did"]))
    signed = node("sign.mjs", "--key", tmp_path / "key.json", source)
    assert signed.returncode == 0, _describe(signed)
    (tmp_path / "signed.json").write_text(signed.stdout, encoding="utf-8")
    proc = node("verify.mjs", tmp_path / "signed.json")
    assert proc.returncode == 1, _describe(proc)
    result = json.loads(proc.stdout)
    assert result["proofVerified"] is True
    assert any("credentialStatus" in error for error in result["errors"]), result


def test_reference_behaviour_on_published_vectors(tmp_path: Path) -> None:
    """How the reference treats the W3C and 1EdTech vectors (docs/design/interop.md)."""
    shutil.copy(W3C_VECTOR, tmp_path / "w3c.json")
    shutil.copy(OB_VECTOR, tmp_path / "ob3.json")
    strict = _json_lines(node("verify.mjs", "--batch", tmp_path))
    unsafe = _json_lines(node("verify.mjs", "--batch", tmp_path, "--unsafe-key-from-fragment"))

    # W3C: the proof is valid; the credential is not, its issuer is not the key's controller
    assert strict["w3c.json"]["proofVerified"] is True
    assert strict["w3c.json"]["verified"] is False
    assert strict["w3c.json"]["errors"] == [
        "Credential issuer must match the verification method controller."
    ]
    # 1EdTech: the https verification method cannot be dereferenced offline
    vm = json.loads(OB_VECTOR.read_text(encoding="utf-8"))["proof"]["verificationMethod"]
    assert strict["ob3.json"]["verified"] is False
    assert strict["ob3.json"]["proofVerified"] is False
    assert all(vm in error for error in strict["ob3.json"]["errors"])
    # ... taking the key from the URL's fragment, proof and credential both verify
    assert unsafe["ob3.json"]["verified"] is True
    assert unsafe["ob3.json"]["proofVerified"] is True
    assert unsafe["w3c.json"] == strict["w3c.json"]


def test_loader_is_offline_and_resolves_did_key() -> None:
    probe = """
import {documentLoader, bundledContextUrls} from './loader.mjs';
const did = 'did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2';
const vmUrl = `${did}#${did.slice(8)}`;
const outcome = async url => {
  try { return {ok: (await documentLoader(url)).document}; }
  catch(error) { return {error: error.message}; }
};
const urls = [did, vmUrl, 'https://example.org/context.jsonld', 'https://schema.org/',
  `${did}#other`, 'did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc',
  'did:web:example.org'];
const out = {contexts: bundledContextUrls(), outcomes: {}};
for(const url of urls) { out.outcomes[url] = await outcome(url); }
for(const url of out.contexts) { await documentLoader(url); }
console.log(JSON.stringify(out));
"""
    proc = _run([NODE, "--input-type=module", "-e", probe], cwd=JS_DIR)
    assert proc.returncode == 0, _describe(proc)
    out = json.loads(proc.stdout)
    index = json.loads((ROOT / "src/microcred/contexts/index.json").read_text(encoding="utf-8"))
    assert out["contexts"] == sorted(index)

    did = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    vm_url = f"{did}#{did.removeprefix('did:key:')}"
    outcomes = out["outcomes"]
    did_document = outcomes[did]["ok"]
    assert did_document["id"] == did
    assert did_document["assertionMethod"] == [vm_url]
    assert outcomes[vm_url]["ok"] == {
        "@context": "https://w3id.org/security/multikey/v1",
        "id": vm_url,
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": did.removeprefix("did:key:"),
    }
    for url, outcome in outcomes.items():
        if url not in (did, vm_url):
            assert url in outcome["error"], outcome


def test_reference_number_canonicalization_quirks(tmp_path: Path) -> None:
    """Pins what jsonld.js (9.0.0) does with numbers, where it and the JSON-LD spec may part.

    - A number whose JavaScript string form has no "." (1e-7, 5e-324) is formatted as an integer:
      "0"^^xsd:integer, although JSON-LD 1.1 toRdf makes any non-integral number an xsd:double.
    - Doubles keep 15 digits after the point: 0.3 and 0.30000000000000004 canonicalize alike.
    """
    credential = _realistic()
    _geo([1e-7, 5e-324, 0.3, 0.30000000000000004])(credential)
    proc = node("canon.mjs", _write(tmp_path / "numbers.json", credential))
    assert proc.returncode == 0, _describe(proc)
    values = sorted(
        line.split(" ", 2)[2].removesuffix(" .")
        for line in proc.stdout.splitlines()
        if "<https://schema.org/latitude>" in line or "<https://schema.org/longitude>" in line
    )
    assert values == [
        '"0"^^<http://www.w3.org/2001/XMLSchema#integer>',
        '"0"^^<http://www.w3.org/2001/XMLSchema#integer>',
        '"3.0E-1"^^<http://www.w3.org/2001/XMLSchema#double>',
        '"3.0E-1"^^<http://www.w3.org/2001/XMLSchema#double>',
    ]


def test_bench_reports_rates(tmp_path: Path) -> None:
    proc = node("bench.mjs", FIXTURES / "ob3-realistic.json", "--seconds", "0.2")
    assert proc.returncode == 0, _describe(proc)
    result = json.loads(proc.stdout)
    assert result["n_issue"] >= 1
    assert result["n_verify"] >= 1
    assert result["issue_per_s"] > 0
    assert result["verify_per_s"] > 0
    assert result["issue_per_cpu_s"] > 0
    assert result["verify_per_cpu_s"] > 0


# --- across the two implementations (need the microcred CLI) ----------------------------------


@pytest.mark.parametrize("case", PY_CASE_NAMES)
def test_python_signs_js_verifies(
    case: str, py_key: Json, py_signed: dict[str, Json], js_verdicts_on_py: dict[str, Json]
) -> None:
    _check_proof_shape(py_signed[case], py_key["did"])
    result = js_verdicts_on_py[case]
    assert result["proofVerified"] is True, result["proofErrors"]
    assert result["verified"] is True, result["errors"]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_js_signs_python_verifies(case: str, py_verdicts_on_js: dict[str, PyVerdict]) -> None:
    verdict = py_verdicts_on_js[case]
    assert verdict.returncode == 0, verdict.details
    assert verdict.report is not None, verdict.details
    assert verdict.report["verified"] is True, verdict.details
    failed = [check for check in verdict.report["checks"] if check["status"] == "failed"]
    assert failed == [], verdict.details


@pytest.mark.parametrize(("case", "tamper"), PY_JS_TAMPERED)
def test_js_rejects_tampered_python_output(
    case: str, tamper: str, js_verdicts_on_py: dict[str, Json]
) -> None:
    result = js_verdicts_on_py[f"{case}--{tamper}"]
    assert result["verified"] is False
    assert result["proofVerified"] is False, "the signature should not cover a changed document"


@pytest.mark.parametrize(("case", "tamper"), PY_TAMPERED)
def test_python_rejects_tampered_js_output(
    case: str, tamper: str, py_verdicts_on_js: dict[str, PyVerdict]
) -> None:
    verdict = py_verdicts_on_js[f"{case}--{tamper}"]
    assert verdict.returncode == 1, verdict.details
    assert verdict.report is not None, verdict.details
    assert verdict.report["verified"] is False, verdict.details
    assert any(check["status"] == "failed" for check in verdict.report["checks"]), verdict.details


@pytest.mark.parametrize("case", sorted(SIGN_REFUSES))
def test_microcred_sign_refuses_numbers_the_reference_would_read_otherwise(
    case: str, work: Path, py_key: Json
) -> None:
    path = _write(
        work / "py-refused" / f"{case}.json", _bind_issuer(CASES[case].build(), py_key["did"])
    )
    proc = microcred("sign", "--key", work / "py-key.json", "--suite", "eddsa-rdfc-2022", path)
    said = " ".join(proc.stderr.split())
    assert proc.returncode == 2, _describe(proc)
    assert proc.stdout == ""
    assert SIGN_REFUSES[case] in said
    assert "issuer.address.geo.latitude" in said  # the first such number, by its path
