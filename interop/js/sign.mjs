#!/usr/bin/env node
// Signs a credential with the reference stack (DataIntegrityProof, eddsa-rdfc-2022).
//
//   node sign.mjs --key KEY.json [--created ISO] IN.json       signed credential on stdout
//   node sign.mjs --key KEY.json --batch DIR --out-dir OUT      signs every DIR/*.json into OUT/
//
// KEY.json: {did, publicKeyMultibase, secretKeyMultibase}. A credential without `issuer` is issued
// by the key's DID. Exit 0 signed, 1 the library refused to sign, 2 usage or I/O error.
import {mkdirSync, readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {parseArgs} from 'node:util';

import {EXIT, UsageError, importKeyFile, issue, readJson, runCli} from './reference.mjs';

async function signOne({credential, key, created, label}) {
  try {
    return await issue({credential, key, date: created});
  } catch(error) {
    process.stderr.write(`${label}: signing failed: ${error.message}\n`);
    return null;
  }
}

async function main(argv) {
  const {values, positionals} = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      key: {type: 'string'},
      created: {type: 'string'},
      batch: {type: 'string'},
      'out-dir': {type: 'string'},
    },
  });
  if(!values.key) {
    throw new UsageError('usage: sign.mjs --key KEY.json (IN.json | --batch DIR --out-dir OUT)');
  }
  const key = await importKeyFile(readJson(values.key));
  const created = values.created;

  if(values.batch !== undefined) {
    if(!values['out-dir'] || positionals.length > 0) {
      throw new UsageError('usage: sign.mjs --key KEY.json --batch DIR --out-dir OUT');
    }
    mkdirSync(values['out-dir'], {recursive: true});
    const names = readdirSync(values.batch).filter(name => name.endsWith('.json')).sort();
    let failed = 0;
    for(const name of names) {
      const credential = readJson(join(values.batch, name));
      const signed = await signOne({credential, key, created, label: name});
      if(signed === null) {
        failed += 1;
        continue;
      }
      writeFileSync(join(values['out-dir'], name), `${JSON.stringify(signed, null, 2)}\n`);
    }
    return failed === 0 ? EXIT.OK : EXIT.FAILED;
  }

  if(positionals.length !== 1) {
    throw new UsageError('usage: sign.mjs --key KEY.json IN.json');
  }
  const signed = await signOne({
    credential: readJson(positionals[0]), key, created, label: positionals[0],
  });
  if(signed === null) {
    return EXIT.FAILED;
  }
  process.stdout.write(`${JSON.stringify(signed, null, 2)}\n`);
  return EXIT.OK;
}

await runCli(main);
