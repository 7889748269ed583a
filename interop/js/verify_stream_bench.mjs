#!/usr/bin/env node
// Throughput of the reference stack verifying a stream of credentials, in one process:
// vc.verifyCredential on each credential of FILE (a JSON array) in order, first once to check
// that every one verifies, then round after round until --seconds have passed. Prints
//   {"verify_per_s", "verify_per_cpu_s", "n_verify", "seconds", "node"}
// Per-CPU-second rates divide by the process's user + system time (see bench.mjs). jsonld.js
// keeps its cache of processed contexts across credentials, as a long-running verifier would.
import {parseArgs} from 'node:util';

import {EXIT, UsageError, readJson, runCli, verifyCredential} from './reference.mjs';

async function main(argv) {
  const {values, positionals} = parseArgs({
    args: argv, allowPositionals: true, options: {seconds: {type: 'string', default: '3'}},
  });
  const seconds = Number(values.seconds);
  if(positionals.length !== 1 || !(seconds > 0)) {
    throw new UsageError('usage: verify_stream_bench.mjs FILE.json [--seconds 3]');
  }
  const credentials = readJson(positionals[0]);
  if(!Array.isArray(credentials) || credentials.length === 0) {
    throw new UsageError(`${positionals[0]} is not a non-empty JSON array of credentials`);
  }
  for(const [index, credential] of credentials.entries()) {
    const result = await verifyCredential({credential});
    if(!result.verified) {
      throw new UsageError(`credential ${index} does not verify: ${result.errors.join('; ')}`);
    }
  }
  const budget = seconds * 1e9;
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let count = 0;
  let elapsed = 0;
  do {
    for(const credential of credentials) {
      await verifyCredential({credential});
    }
    count += credentials.length;
    elapsed = Number(process.hrtime.bigint() - start);
  } while(elapsed < budget);
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stdout.write(`${JSON.stringify({
    verify_per_s: Math.round(count / (elapsed / 1e9) * 10) / 10,
    verify_per_cpu_s: Math.round(count / cpuSeconds * 10) / 10,
    n_verify: count,
    seconds,
    node: process.version,
  })}\n`);
  return EXIT.OK;
}

await runCli(main);
