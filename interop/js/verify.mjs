#!/usr/bin/env node
// Verifies a credential with the reference stack (vc.verifyCredential, DataIntegrityProof,
// eddsa-rdfc-2022), offline.
//
//   node verify.mjs FILE           one JSON object on stdout
//   node verify.mjs --batch DIR    one JSON object per line for every DIR/*.json, with "file"
//   --unsafe-key-from-fragment     also resolve https://host/path#z6Mk... verification methods to
//                                  the key in the fragment (published vectors only: this trusts
//                                  the credential's own claim about its key)
//   --did-document FILE            resolve the DID of that DID document (e.g. a did:web issuer's)
//                                  to it, offline; may be given more than once
//   --status-list FILE             a BitstringStatusListCredential, served at its id, offline; with
//                                  one or more, `credentialStatus` is checked by the reference
//                                  library (vc-bitstring-status-list) instead of refused
//
// Output: {"verified": bool, "errors": [...], "proofVerified": bool, "proofErrors": [...]}.
// `verified` is the verdict of vc.verifyCredential (which also requires the issuer to be the
// controller of the verification method); `proofVerified` checks the proof alone.
// Without --status-list, credentials with `credentialStatus` are not verified.
// Exit 0 verified (every file, in batch mode), 1 not verified (in batch mode: also a file that
// is not readable JSON), 2 usage or I/O error.
import {readdirSync} from 'node:fs';
import {join} from 'node:path';
import {parseArgs} from 'node:util';

import {
  didDocumentsLoader, documentLoader, statusListsLoader, unsafeKeyFromFragmentLoader,
} from './loader.mjs';
import {EXIT, UsageError, readJson, runCli, verify} from './reference.mjs';

async function main(argv) {
  const {values, positionals} = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      batch: {type: 'string'},
      'unsafe-key-from-fragment': {type: 'boolean'},
      'did-document': {type: 'string', multiple: true},
      'status-list': {type: 'string', multiple: true},
    },
  });
  const didDocuments = (values['did-document'] ?? []).map(file => readJson(file));
  const base = didDocuments.length > 0 ?
    didDocumentsLoader(didDocuments, documentLoader) : documentLoader;
  const statusLists = (values['status-list'] ?? []).map(file => readJson(file));
  const checkStatus = statusLists.length > 0;
  const withLists = checkStatus ? statusListsLoader(statusLists, base) : base;
  const loader = values['unsafe-key-from-fragment'] ?
    unsafeKeyFromFragmentLoader(withLists) : withLists;
  if(values.batch !== undefined) {
    if(positionals.length > 0) {
      throw new UsageError('usage: verify.mjs --batch DIR');
    }
    const names = readdirSync(values.batch).filter(name => name.endsWith('.json')).sort();
    let allVerified = true;
    for(const name of names) {
      let result;
      try {
        result = await verify({credential: readJson(join(values.batch, name)), loader, checkStatus});
      } catch(error) {
        if(!(error instanceof UsageError)) {
          throw error;
        }
        // an unreadable file fails verification without stopping the batch
        result = {
          verified: false, errors: [error.message], proofVerified: false, proofErrors: [],
        };
      }
      allVerified &&= result.verified;
      process.stdout.write(`${JSON.stringify({file: name, ...result})}\n`);
    }
    return allVerified ? EXIT.OK : EXIT.FAILED;
  }
  if(positionals.length !== 1) {
    throw new UsageError('usage: verify.mjs FILE | verify.mjs --batch DIR');
  }
  const result = await verify({credential: readJson(positionals[0]), loader, checkStatus});
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return result.verified ? EXIT.OK : EXIT.FAILED;
}

await runCli(main);
