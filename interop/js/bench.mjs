#!/usr/bin/env node
// Throughput of the reference stack on one credential, in a single process with a fresh key:
// vc.issue (eddsa-rdfc-2022) for --seconds, then vc.verifyCredential on the signed copy for
// --seconds. The issuer (a string, or the id of an issuer object) is rebound to the fresh key's
// DID so that every verification succeeds. Prints
//   {"issue_per_s", "verify_per_s", "issue_per_cpu_s", "verify_per_cpu_s", "n_issue",
//    "n_verify", "seconds", "node"}
// The per-CPU-second rates divide by the process's user + system time, which on a shared machine
// leaves out the time other processes held the core (and counts Node's helper threads).
// jsonld.js keeps its in-memory cache of processed contexts across iterations (as a long-running
// issuer or verifier would); a few warm-up rounds run before timing starts.
import {parseArgs} from 'node:util';

import {
  EXIT, UsageError, generateKeyFile, importKeyFile, issue, readJson, runCli, verifyCredential,
} from './reference.mjs';

const WARMUP_ROUNDS = 5;

function bindIssuer(credential, did) {
  const copy = structuredClone(credential);
  delete copy.proof;
  if(copy.issuer !== null && typeof copy.issuer === 'object') {
    copy.issuer.id = did;
  } else {
    copy.issuer = did;
  }
  return copy;
}

async function timed(seconds, operation) {
  const budget = seconds * 1e9;
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let count = 0;
  let elapsed = 0;
  do {
    await operation();
    count += 1;
    elapsed = Number(process.hrtime.bigint() - start);
  } while(elapsed < budget);
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {count, perSecond: count / (elapsed / 1e9), perCpuSecond: count / cpuSeconds};
}

async function main(argv) {
  const {values, positionals} = parseArgs({
    args: argv, allowPositionals: true, options: {seconds: {type: 'string', default: '3'}},
  });
  const seconds = Number(values.seconds);
  if(positionals.length !== 1 || !(seconds > 0)) {
    throw new UsageError('usage: bench.mjs FILE [--seconds 3]');
  }
  const key = await importKeyFile(await generateKeyFile());
  const credential = bindIssuer(readJson(positionals[0]), key.controller);

  const signed = await issue({credential, key});
  const check = await verifyCredential({credential: signed});
  if(!check.verified) {
    throw new UsageError(`the signed credential does not verify: ${check.errors.join('; ')}`);
  }
  for(let round = 0; round < WARMUP_ROUNDS; round += 1) {
    await issue({credential, key});
    await verifyCredential({credential: signed});
  }

  const issued = await timed(seconds, () => issue({credential, key}));
  const verified = await timed(seconds, async () => {
    const result = await verifyCredential({credential: signed});
    if(!result.verified) {
      throw new Error(`verification failed during the run: ${result.errors.join('; ')}`);
    }
  });
  process.stdout.write(`${JSON.stringify({
    issue_per_s: Math.round(issued.perSecond * 10) / 10,
    verify_per_s: Math.round(verified.perSecond * 10) / 10,
    issue_per_cpu_s: Math.round(issued.perCpuSecond * 10) / 10,
    verify_per_cpu_s: Math.round(verified.perCpuSecond * 10) / 10,
    n_issue: issued.count,
    n_verify: verified.count,
    seconds,
    node: process.version,
  })}\n`);
  return EXIT.OK;
}

await runCli(main);
