// The employers' console checks each search hit's Verifiable Presentation in the browser:
//   signature   the holder's eddsa-jcs-2022 proof, with WebCrypto's Ed25519 (did:key only)
//   challenge   the proof carries this search's challenge (a copy from another search fails)
//   domain      the proof names this employer's domain (one made for another employer fails)
//   holder      the signing key is the presentation's holder
//   credentials the credentials inside, through the public /presentations/verify (issuer
//               signatures, revocation status: RDF canonicalization is not done here)
// The page works without it: the results are listed either way, just not checked.

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Bytes of a base58btc string (without its multibase "z"); throws on a foreign character. */
export function base58(text) {
  const bytes = []; // little-endian while it is built
  for (const char of text) {
    let carry = ALPHABET.indexOf(char);
    if (carry < 0) throw new Error("not base58btc");
    for (let i = 0; i < bytes.length; i++) {
      carry += bytes[i] * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  for (const char of text) {
    if (char !== "1") break;
    bytes.push(0); // each leading "1" is a leading zero byte
  }
  return new Uint8Array(bytes.reverse());
}

/** RFC 8785 (JCS): keys in UTF-16 code unit order, ECMAScript number and string forms. */
export function jcs(value) {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return "[" + value.map(jcs).join(",") + "]";
  return (
    "{" +
    Object.keys(value)
      .sort()
      .filter((key) => value[key] !== undefined)
      .map((key) => JSON.stringify(key) + ":" + jcs(value[key]))
      .join(",") +
    "}"
  );
}

async function sha256(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return new Uint8Array(digest);
}

function holderOf(vp) {
  const holder = vp.holder;
  return typeof holder === "string" ? holder : holder && typeof holder.id === "string" ? holder.id : null;
}

async function signatureVerifies(vp, proof) {
  const method = String(proof.verificationMethod || "");
  const did = method.split("#")[0];
  if (!did.startsWith("did:key:z")) return { ok: false, did };
  const raw = base58(did.slice("did:key:z".length));
  if (raw.length !== 34 || raw[0] !== 0xed || raw[1] !== 0x01) return { ok: false, did };
  const value = String(proof.proofValue || "");
  if (!value.startsWith("z")) return { ok: false, did };
  const { proofValue: _value, ...config } = proof;
  const { proof: _proof, ...document } = vp;
  const configHash = await sha256(jcs(config));
  const documentHash = await sha256(jcs(document));
  const data = new Uint8Array(64);
  data.set(configHash, 0);
  data.set(documentHash, 32);
  const key = await crypto.subtle.importKey("raw", raw.slice(2), { name: "Ed25519" }, false, [
    "verify",
  ]);
  const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, base58(value.slice(1)), data);
  return { ok, did };
}

/** The holder proof's checks, done here: [{name, status: passed|failed|unchecked}]. */
export async function checkHolderProof(vp, challenge, domain) {
  const proof = vp && typeof vp === "object" && !Array.isArray(vp.proof) ? vp.proof : null;
  const usable =
    proof &&
    proof.type === "DataIntegrityProof" &&
    proof.cryptosuite === "eddsa-jcs-2022" &&
    proof.proofPurpose === "authentication";
  let signature = "failed";
  let did = null;
  if (usable) {
    try {
      const result = await signatureVerifies(vp, proof);
      signature = result.ok ? "passed" : "failed";
      did = result.did;
    } catch (error) {
      // No Ed25519 in this browser's WebCrypto: the public verifier's answer still counts.
      signature = error && error.name === "NotSupportedError" ? "unchecked" : "failed";
    }
  }
  const bound = (name, expected) => (usable && proof[name] === expected ? "passed" : "failed");
  const holder = usable && signature !== "failed" && holderOf(vp) === did ? "passed" : "failed";
  return [
    { name: "signature", status: signature },
    { name: "challenge", status: bound("challenge", challenge) },
    { name: "domain", status: bound("domain", domain) },
    { name: "holder", status: holder },
  ];
}

/** The credentials inside, by the public verifier (with this search's challenge and domain). */
export async function checkCredentials(vp, challenge, domain) {
  try {
    const answer = await fetch("/presentations/verify", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "omit",
      body: JSON.stringify({ verifiablePresentation: vp, options: { challenge, domain } }),
    });
    const body = await answer.json();
    const ok = answer.ok && body.verified === true;
    return { name: "credentials", status: ok ? "passed" : "failed", detail: (body.errors || []).join("; ") };
  } catch (error) {
    return { name: "credentials", status: "unchecked", detail: String(error) };
  }
}

function render(hit, checks, labels) {
  const list = hit.querySelector("[data-vp-checks]");
  list.replaceChildren();
  for (const check of checks) {
    const item = document.createElement("li");
    item.className = `check check-${check.status === "unchecked" ? "skipped" : check.status}`;
    item.dataset.check = check.name;
    item.dataset.status = check.status;
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = labels[check.status];
    const label = document.createElement("span");
    label.className = "check-label";
    label.textContent = " " + labels[check.name];
    item.append(badge, label);
    if (check.detail) {
      const message = document.createElement("span");
      message.className = "message";
      message.textContent = check.detail;
      item.append(message);
    }
    list.append(item);
  }
  // Verified only if nothing failed and someone (here or the public verifier) checked the
  // signature: "unchecked" never counts as passed on its own.
  const failed = checks.some((c) => c.status === "failed");
  const signed =
    checks.find((c) => c.name === "signature").status === "passed" ||
    checks.find((c) => c.name === "credentials").status === "passed";
  const verified = !failed && signed;
  const badge = hit.querySelector("[data-vp-badge]");
  badge.textContent = verified ? labels.verified : labels.notVerified;
  badge.className = `vp-badge ${verified ? "vp-ok" : "vp-bad"}`;
  hit.dataset.verified = verified ? "yes" : "no";
}

export async function verifyAll(results) {
  const { challenge, domain } = results.dataset;
  const d = results.dataset;
  const labels = {
    passed: d.lPassed,
    failed: d.lFailed,
    unchecked: d.lUnchecked,
    signature: d.lSignature,
    challenge: d.lChallenge,
    domain: d.lDomain,
    holder: d.lHolder,
    credentials: d.lCredentials,
    verified: d.lVerified,
    notVerified: d.lNotVerified,
  };
  // One at a time: the public verifier limits how many run at once per client.
  for (const hit of results.querySelectorAll(".employer-hit")) {
    hit.querySelector("[data-vp-badge]").textContent = d.lChecking;
    let vp = null;
    try {
      vp = JSON.parse(hit.querySelector("script[data-vp]").textContent);
    } catch {
      vp = null;
    }
    const checks = await checkHolderProof(vp, challenge, domain);
    checks.push(vp ? await checkCredentials(vp, challenge, domain) : { name: "credentials", status: "failed" });
    render(hit, checks, labels);
  }
  results.dataset.checked = "yes";
}

const results = typeof document === "undefined" ? null : document.getElementById("results");
if (results) verifyAll(results);
