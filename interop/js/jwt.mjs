#!/usr/bin/env node
// VC-JWT (VC-JOSE-COSE: a compact JWS whose payload is the credential) with the `jose`
// package, the JavaScript JOSE implementation most VC stacks build on. Keys are JWKs given as
// files; nothing is resolved or fetched.
//
//   node jwt.mjs sign IN.json --jwk PRIVATE.jwk.json --kid KID
//       prints the compact JWS over IN.json; header {alg, typ: "vc+jwt", kid}, alg from the
//       key (EdDSA for Ed25519, ES256 for P-256)
//   node jwt.mjs verify TOKEN.txt --jwk PUBLIC.jwk.json [--kid KID]
//       prints {verified, errors, header, credential}: the signature under the key, the
//       header's typ (vc+jwt) and, if given, its kid; the payload must be a JSON object
//
// Exit 0 signed / verified, 1 not verified, 2 usage or I/O error.
import {readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import {CompactSign, compactVerify, importJWK} from 'jose';

import {EXIT, UsageError, readJson, runCli} from './reference.mjs';

const ALGORITHMS = {'Ed25519': 'EdDSA', 'P-256': 'ES256'};

function algorithmOf(jwk) {
  const alg = ALGORITHMS[jwk.crv];
  if(alg === undefined) {
    throw new UsageError(`unsupported key: crv ${JSON.stringify(jwk.crv)} (Ed25519 or P-256)`);
  }
  return alg;
}

async function sign(positionals, values) {
  if(positionals.length !== 1 || !values.jwk || !values.kid) {
    throw new UsageError('usage: jwt.mjs sign IN.json --jwk PRIVATE.jwk.json --kid KID');
  }
  const credential = readJson(positionals[0]);
  const jwk = readJson(values.jwk);
  const alg = algorithmOf(jwk);
  const key = await importJWK(jwk, alg);
  const payload = new TextEncoder().encode(JSON.stringify(credential));
  const token = await new CompactSign(payload)
    .setProtectedHeader({alg, typ: 'vc+jwt', kid: values.kid})
    .sign(key);
  process.stdout.write(`${token}\n`);
  return EXIT.OK;
}

async function verify(positionals, values) {
  if(positionals.length !== 1 || !values.jwk) {
    throw new UsageError('usage: jwt.mjs verify TOKEN.txt --jwk PUBLIC.jwk.json [--kid KID]');
  }
  let token;
  try {
    token = readFileSync(positionals[0], 'utf8').trim();
  } catch(error) {
    throw new UsageError(`cannot read ${positionals[0]}: ${error.message}`);
  }
  const jwk = readJson(values.jwk);
  const alg = algorithmOf(jwk);
  const key = await importJWK(jwk, alg);
  const result = {verified: false, errors: [], header: null, credential: null};
  try {
    const {payload, protectedHeader} = await compactVerify(token, key, {algorithms: [alg]});
    result.header = protectedHeader;
    result.credential = JSON.parse(new TextDecoder().decode(payload));
    if(protectedHeader.typ !== 'vc+jwt') {
      result.errors.push(`header typ is ${JSON.stringify(protectedHeader.typ)}, not vc+jwt`);
    }
    if(values.kid !== undefined && protectedHeader.kid !== values.kid) {
      result.errors.push(`header kid is ${JSON.stringify(protectedHeader.kid)}`);
    }
    if(typeof result.credential !== 'object' || result.credential === null ||
      Array.isArray(result.credential)) {
      result.errors.push('the payload is not a JSON object');
    }
  } catch(error) {
    result.errors.push(`${error.code || error.name}: ${error.message}`);
  }
  result.verified = result.errors.length === 0;
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return result.verified ? EXIT.OK : EXIT.FAILED;
}

async function main(argv) {
  const {values, positionals} = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {jwk: {type: 'string'}, kid: {type: 'string'}},
  });
  const [command, ...rest] = positionals;
  if(command === 'sign') {
    return sign(rest, values);
  }
  if(command === 'verify') {
    return verify(rest, values);
  }
  throw new UsageError('usage: jwt.mjs sign|verify ...');
}

await runCli(main);
