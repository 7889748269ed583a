#!/usr/bin/env node
// Signs and verifies with the older Ed25519 suites, through the reference stack, offline:
//   ed25519-2020   the Ed25519Signature2020 proof type (@digitalbazaar/ed25519-signature-2020)
//   eddsa-2022     DataIntegrityProof with the draft cryptosuite name of eddsa-rdfc-2022 (the
//                  same steps; the reference's rdfc cryptosuite under its old name)
//
//   node legacy.mjs sign --suite SUITE --key KEY.json [--created ISO] IN.json   signed, on stdout
//   node legacy.mjs verify --suite SUITE FILE                                   result, on stdout
//
// KEY.json as for sign.mjs. For ed25519-2020, did:key URLs resolve to Ed25519VerificationKey2020
// methods (the suite accepts no other type). Output of verify as for verify.mjs. Exit 0 signed /
// verified, 1 refused / not verified, 2 usage or I/O error.
import {parseArgs} from 'node:util';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import jsigs from 'jsonld-signatures';

import {documentLoader, resolveDidKey} from './loader.mjs';
import {EXIT, UsageError, importKeyFile, readJson, runCli} from './reference.mjs';

const {purposes: {AssertionProofPurpose}} = jsigs;
const ED25519_2020_V1 = 'https://w3id.org/security/suites/ed25519-2020/v1';
const DID_V1 = 'https://www.w3.org/ns/did/v1';
const eddsa2022 = {...eddsaRdfc2022, name: 'eddsa-2022'};

function makeSuite(name, signer, date) {
  if(name === 'ed25519-2020') {
    return new Ed25519Signature2020({signer, date});
  }
  if(name === 'eddsa-2022') {
    return new DataIntegrityProof({signer, date, cryptosuite: eddsa2022});
  }
  throw new UsageError(`unknown suite ${name}: expected ed25519-2020 or eddsa-2022`);
}

// did:key documents whose method is an Ed25519VerificationKey2020 (same key, older type).
async function loader2020(url) {
  if(typeof url !== 'string' || !url.startsWith('did:key:')) {
    return documentLoader(url);
  }
  const [did] = url.split('#');
  const multikey = (await resolveDidKey(did)).verificationMethod[0];
  const method = {...multikey, type: 'Ed25519VerificationKey2020'};
  const document = url.includes('#') ? {'@context': ED25519_2020_V1, ...method} : {
    '@context': [DID_V1, ED25519_2020_V1], id: did, verificationMethod: [method],
    assertionMethod: [method.id], authentication: [method.id],
  };
  return {contextUrl: null, documentUrl: url, document};
}

function messages(result) {
  const found = [];
  const visit = error => {
    if(error) {
      [].concat(error.errors ?? error).forEach(e => found.push(e.message ?? String(e)));
    }
  };
  visit(result.error);
  (result.results ?? []).forEach(r => visit(r.error));
  return found;
}

async function main(argv) {
  const [command, ...rest] = argv;
  const {values, positionals} = parseArgs({
    args: rest, allowPositionals: true,
    options: {suite: {type: 'string'}, key: {type: 'string'}, created: {type: 'string'}},
  });
  if(!values.suite || positionals.length !== 1) {
    throw new UsageError('usage: legacy.mjs (sign --key KEY.json | verify) --suite SUITE FILE');
  }
  const loader = values.suite === 'ed25519-2020' ? loader2020 : documentLoader;
  const credential = readJson(positionals[0]);
  if(command === 'sign') {
    if(!values.key) {
      throw new UsageError('sign needs --key KEY.json');
    }
    const key = await importKeyFile(readJson(values.key));
    const suite = makeSuite(values.suite, key.signer(), values.created);
    const unsigned = structuredClone(credential);
    unsigned.issuer ??= key.controller;
    let signed;
    try {
      signed = await vc.issue({credential: unsigned, suite, documentLoader: loader});
    } catch(error) {
      process.stderr.write(`signing failed: ${error.message}\n`);
      return EXIT.FAILED;
    }
    process.stdout.write(`${JSON.stringify(signed, null, 2)}\n`);
    return EXIT.OK;
  }
  if(command !== 'verify') {
    throw new UsageError(`unknown command ${command}: expected sign or verify`);
  }
  const suite = makeSuite(values.suite);
  const full = await vc.verifyCredential({credential, suite, documentLoader: loader});
  const proofOnly = await jsigs.verify(credential, {
    suite, purpose: new AssertionProofPurpose(), documentLoader: loader,
  });
  const result = {
    verified: full.verified === true, errors: messages(full),
    proofVerified: proofOnly.verified === true, proofErrors: messages(proofOnly),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return result.verified ? EXIT.OK : EXIT.FAILED;
}

await runCli(main);
