// Thin wrapper around Digital Bazaar's reference stack: issue and verify with
// DataIntegrityProof + eddsa-rdfc-2022, always through the offline loader in loader.mjs.
// The CLI scripts (sign, verify, keys, bench) share these functions.
import {readFileSync} from 'node:fs';

import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import jsigs from 'jsonld-signatures';
import {checkStatus as checkBitstringStatus} from '@digitalbazaar/vc-bitstring-status-list';

import {documentLoader} from './loader.mjs';

const {purposes: {AssertionProofPurpose}} = jsigs;

/** Exit codes shared by the scripts: 0 ok / verified, 1 failed / not verified, 2 usage or I/O. */
export const EXIT = Object.freeze({OK: 0, FAILED: 1, USAGE: 2});

export class UsageError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

export function readJson(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch(error) {
    throw new UsageError(`cannot read ${path}: ${error.message}`);
  }
  try {
    return JSON.parse(text);
  } catch(error) {
    throw new UsageError(`${path} is not JSON: ${error.message}`);
  }
}

/** A fresh Ed25519 key in our key-file format: {did, publicKeyMultibase, secretKeyMultibase}. */
export async function generateKeyFile() {
  const key = await Ed25519Multikey.generate();
  const {publicKeyMultibase, secretKeyMultibase} =
    await key.export({publicKey: true, secretKey: true});
  return {did: `did:key:${publicKeyMultibase}`, publicKeyMultibase, secretKeyMultibase};
}

/** Imports a key file; the DID must be the did:key of the public key. */
export async function importKeyFile(keyFile) {
  const {did, publicKeyMultibase, secretKeyMultibase} = keyFile ?? {};
  for(const [name, value] of Object.entries({did, publicKeyMultibase, secretKeyMultibase})) {
    if(typeof value !== 'string' || value === '') {
      throw new UsageError(`key file: "${name}" must be a non-empty string`);
    }
  }
  if(did !== `did:key:${publicKeyMultibase}`) {
    throw new UsageError(
      `key file: "did" must be did:key:<publicKeyMultibase>, got ${did} for ${publicKeyMultibase}`);
  }
  try {
    return await Ed25519Multikey.from({
      type: 'Multikey',
      id: `${did}#${publicKeyMultibase}`,
      controller: did,
      publicKeyMultibase,
      secretKeyMultibase,
    });
  } catch(error) {
    throw new UsageError(`key file: not an Ed25519 Multikey pair: ${error.message}`);
  }
}

/**
 * Signs a credential with eddsa-rdfc-2022 (assertionMethod, `<did>#<publicKeyMultibase>`).
 * An absent `issuer` becomes the key's DID. The input is not modified.
 */
export async function issue({credential, key, date}) {
  const unsigned = structuredClone(credential);
  if(unsigned.issuer === undefined) {
    unsigned.issuer = key.controller;
  }
  const suite = new DataIntegrityProof({signer: key.signer(), date, cryptosuite: eddsaRdfc2022});
  return vc.issue({credential: unsigned, suite, documentLoader});
}

function verifySuite() {
  return new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
}

// Status lists need a network fetch. Without local copies a credential with `credentialStatus`
// fails verification, with a message that says why.
async function refuseStatus({credential}) {
  const types = [].concat(credential.credentialStatus).map(entry => entry?.type).join(', ');
  return {
    verified: false,
    error: new Error(
      `credentialStatus (${types}) is not checked by the interop harness: out of scope`),
  };
}

// With local copies of the status list credentials (served by the loader: see
// `statusListsLoader`), the reference library checks each entry: the list credential's proof,
// its issuer against the credential's, its purpose, and the bit. The library reports a set
// bit as a successful check with `status: true`; a credential whose bit is set is not valid, so
// that is turned into a failure naming the purpose.
async function checkStatusOffline(options) {
  const result = await checkBitstringStatus(options);
  if(!result.verified) {
    return result;
  }
  const set = (result.results ?? []).filter(entry => entry.status === true);
  if(set.length === 0) {
    return result;
  }
  const purposes = set.map(entry => entry.credentialStatus.statusPurpose).join(', ');
  return {...result, verified: false, error: new Error(`credentialStatus: status bit set (${purposes})`)};
}

function errorMessages(result) {
  const messages = [];
  const visit = error => {
    if(!error) {
      return;
    }
    if(Array.isArray(error)) {
      error.forEach(visit);
      return;
    }
    if(Array.isArray(error.errors) && error.errors.length > 0) {
      error.errors.forEach(visit);
      return;
    }
    let message = error.message ?? String(error);
    // jsonld.js wraps loader failures; keep the loader's own reason
    const cause = error.details?.cause?.message;
    if(cause && !message.includes(cause)) {
      message = `${message} (cause: ${cause})`;
    }
    if(!messages.includes(message)) {
      messages.push(message);
    }
  };
  visit(result.error);
  for(const entry of result.results ?? []) {
    visit(entry.error);
    visit(entry.purposeResult?.error);
  }
  visit(result.statusResult?.error);
  if(!result.verified && messages.length === 0) {
    messages.push('not verified (the library gave no reason)');
  }
  return messages;
}

/**
 * Verifies a credential two ways and reports both:
 * - `verified`: `vc.verifyCredential` (credential checks, proof, and the issuer must be the
 *   controller of the verification method), the verdict;
 * - `proofVerified`: the Data Integrity proof alone (`jsigs.verify`, assertionMethod purpose, no
 *   issuer binding), to tell a bad signature from a credential-level rejection.
 * `loader` defaults to the offline loader.
 */
export async function verify({credential, loader = documentLoader, checkStatus = false}) {
  const full = await vc.verifyCredential({
    credential, suite: verifySuite(), documentLoader: loader,
    checkStatus: checkStatus ? checkStatusOffline : refuseStatus,
  });
  const proofOnly = await jsigs.verify(credential, {
    suite: verifySuite(), purpose: new AssertionProofPurpose(), documentLoader: loader,
  });
  return {
    verified: full.verified === true,
    errors: errorMessages(full),
    proofVerified: proofOnly.verified === true,
    proofErrors: errorMessages(proofOnly),
  };
}

/** verifyCredential alone (what the benchmark times). */
export async function verifyCredential({credential}) {
  const result = await vc.verifyCredential({
    credential, suite: verifySuite(), documentLoader, checkStatus: refuseStatus,
  });
  return {verified: result.verified === true, errors: errorMessages(result)};
}

/** Runs a CLI body, mapping UsageError to exit 2 and anything unexpected to exit 2 as well. */
export async function runCli(main) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch(error) {
    const usage = error instanceof UsageError;
    process.stderr.write(`${usage ? 'error' : 'internal error'}: ${error.message}\n`);
    process.exitCode = EXIT.USAGE;
  }
}
