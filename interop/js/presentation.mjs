#!/usr/bin/env node
// Signs or verifies a Verifiable Presentation with the reference stack (vc.signPresentation /
// vc.verify, DataIntegrityProof + eddsa-rdfc-2022, purpose authentication), offline.
//
//   node presentation.mjs sign --key KEYFILE --challenge C [--domain D] [--date ISO] FILE
//       FILE is an unsigned presentation; the signed one is printed.
//   node presentation.mjs verify --challenge C [--domain D] FILE
//       prints {"verified", "errors", "presentationVerified", "presentationErrors",
//       "credentialResults": [{"verified", "errors"}]}.
//
// `verified` is vc.verify's verdict (the presentation's proof with the challenge and domain,
// and every embedded credential); `presentationVerified` is the holder's proof alone
// (jsigs.verify with AuthenticationProofPurpose), which also tells the verdict where vc.verify
// cannot read an embedded credential (this version knows no EnvelopedVerifiableCredential).
// The reference requires a challenge for both. Exit 0 ok / verified, 1 not verified, 2 usage.
import {parseArgs} from 'node:util';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import jsigs from 'jsonld-signatures';

import {documentLoader} from './loader.mjs';
import {EXIT, UsageError, importKeyFile, readJson, runCli} from './reference.mjs';

const {purposes: {AuthenticationProofPurpose}} = jsigs;
const USAGE = 'usage: presentation.mjs sign --key KEYFILE --challenge C [--domain D] ' +
  '[--date ISO] FILE | presentation.mjs verify --challenge C [--domain D] FILE';

function suite(options = {}) {
  return new DataIntegrityProof({...options, cryptosuite: eddsaRdfc2022});
}

// Status lists are out of scope in the harness: a credential with one is not verified.
async function refuseStatus() {
  return {verified: false, error: new Error('credentialStatus is not checked by the harness')};
}

function messages(...errors) {
  const found = [];
  const visit = error => {
    if(!error) {
      return;
    }
    if(Array.isArray(error)) {
      error.forEach(visit);
    } else if(Array.isArray(error.errors) && error.errors.length > 0) {
      error.errors.forEach(visit);
    } else if(!found.includes(error.message ?? String(error))) {
      found.push(error.message ?? String(error));
    }
  };
  errors.forEach(visit);
  return found;
}

function resultErrors(result) {
  const errors = [result.error];
  for(const entry of result.results ?? []) {
    errors.push(entry.error, entry.purposeResult?.error);
  }
  return messages(...errors);
}

async function sign({presentation, keyFile, challenge, domain, date}) {
  const key = await importKeyFile(keyFile);
  return vc.signPresentation({
    presentation, suite: suite({signer: key.signer(), date}), challenge, domain, documentLoader,
  });
}

async function verify({presentation, challenge, domain}) {
  const full = await vc.verify({
    presentation, suite: suite(), challenge, domain, documentLoader, checkStatus: refuseStatus,
  });
  const proofOnly = await jsigs.verify(presentation, {
    suite: suite(), purpose: new AuthenticationProofPurpose({challenge, domain}), documentLoader,
  });
  return {
    verified: full.verified === true,
    errors: messages(full.error, ...(full.credentialResults ?? []).map(r => r.error)),
    presentationVerified: proofOnly.verified === true,
    presentationErrors: resultErrors(proofOnly),
    credentialResults: (full.credentialResults ?? []).map(r => ({
      verified: r.verified === true, errors: resultErrors(r),
    })),
  };
}

async function main(argv) {
  const {values, positionals} = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      key: {type: 'string'},
      challenge: {type: 'string'},
      domain: {type: 'string'},
      date: {type: 'string'},
    },
  });
  const [command, file, ...rest] = positionals;
  if(!file || rest.length > 0 || values.challenge === undefined) {
    throw new UsageError(USAGE);
  }
  const presentation = readJson(file);
  const {challenge, domain} = values;
  if(command === 'sign') {
    if(values.key === undefined) {
      throw new UsageError(USAGE);
    }
    const date = values.date === undefined ? undefined : new Date(values.date);
    const signed = await sign({
      presentation, keyFile: readJson(values.key), challenge, domain, date,
    });
    process.stdout.write(`${JSON.stringify(signed, null, 2)}\n`);
    return EXIT.OK;
  }
  if(command === 'verify') {
    const result = await verify({presentation, challenge, domain});
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result.verified ? EXIT.OK : EXIT.FAILED;
  }
  throw new UsageError(USAGE);
}

await runCli(main);
