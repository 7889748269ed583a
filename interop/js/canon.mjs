#!/usr/bin/env node
// Prints the RDFC-1.0 canonical N-Quads the reference stack computes for a document (its `proof`,
// if any, removed), through the offline loader: the bytes eddsa-rdfc-2022 hashes. For diffing
// against microcred's canonical form when an interop test fails.
//
//   node canon.mjs FILE
// Exit 0 printed, 1 the document could not be canonicalized (e.g. safe mode), 2 usage or I/O.
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

import {documentLoader} from './loader.mjs';
import {EXIT, UsageError, readJson, runCli} from './reference.mjs';

await runCli(async argv => {
  if(argv.length !== 1) {
    throw new UsageError('usage: canon.mjs FILE');
  }
  const document = readJson(argv[0]);
  delete document.proof;
  let nquads;
  try {
    nquads = await eddsaRdfc2022.canonize(document, {documentLoader});
  } catch(error) {
    process.stderr.write(`canonicalization failed: ${error.message}\n`);
    return EXIT.FAILED;
  }
  process.stdout.write(nquads);
  return EXIT.OK;
});
