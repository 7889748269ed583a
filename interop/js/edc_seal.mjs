// Verify a JAdES seal (JWS JSON serialization, b64:false) with Node's own crypto, independently
// of microcred: x5t#S256 against x5c, then the signature over `protected.payload` with the
// certificate's key. Prints {"ok": bool, "alg": ..., "subject": ...}.
import { readFileSync } from "node:fs";
import { X509Certificate, createHash, verify } from "node:crypto";

const doc = JSON.parse(readFileSync(process.argv[2], "utf8"));
const sig = doc.signatures ? doc.signatures[0] : doc;
const header = JSON.parse(Buffer.from(sig.protected, "base64url").toString("utf8"));
const der = Buffer.from(header.x5c[0], "base64");
const cert = new X509Certificate(der);
const thumb = createHash("sha256").update(der).digest("base64url");
const payload = header.b64 === false ? Buffer.from(doc.payload, "utf8") : Buffer.from(doc.payload, "ascii");
const input = Buffer.concat([Buffer.from(sig.protected + ".", "ascii"), payload]);
const signature = Buffer.from(sig.signature, "base64url");
const algs = {
  EdDSA: [null, {}],
  ES256: ["sha256", { dsaEncoding: "ieee-p1363" }],
  RS256: ["sha256", {}],
};
const [hash, options] = algs[header.alg];
const ok =
  thumb === header["x5t#S256"] && verify(hash, input, { key: cert.publicKey, ...options }, signature);
process.stdout.write(JSON.stringify({ ok, alg: header.alg, subject: cert.subject }) + "\n");
