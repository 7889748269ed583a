#!/usr/bin/env node
// Prints a fresh Ed25519 key file: {"did", "publicKeyMultibase", "secretKeyMultibase"} (Multikey).
import {EXIT, generateKeyFile, runCli} from './reference.mjs';

await runCli(async () => {
  process.stdout.write(`${JSON.stringify(await generateKeyFile(), null, 2)}\n`);
  return EXIT.OK;
});
