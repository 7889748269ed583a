#!/usr/bin/env node
// A wallet built on Sphereon's OpenID4VCI client: takes a credential offer URI, fetches the
// issuer's metadata, trades the pre-authorized code for an access token, asks for a nonce and
// pulls the credential with a key proof signed by a fresh key of its own.
//
//   node oid4vci_client.mjs <offer-uri> [EdDSA|ES256]
//
// Prints one JSON line last on stdout: {"jwk": <the wallet's public key>, "response": <the
// credential response>}; exits 1 when the client fails (its error on stderr).
import {generateKeyPairSync, sign} from 'node:crypto';

import {OpenID4VCIClient} from '@sphereon/oid4vci-client';

const [uri, alg = 'EdDSA'] = process.argv.slice(2);
if (!uri || !['EdDSA', 'ES256'].includes(alg)) {
  process.stderr.write('usage: oid4vci_client.mjs <offer-uri> [EdDSA|ES256]\n');
  process.exit(2);
}

const {publicKey, privateKey} = alg === 'EdDSA' ?
  generateKeyPairSync('ed25519') :
  generateKeyPairSync('ec', {namedCurve: 'P-256'});
const jwk = publicKey.export({format: 'jwk'});

const part = value => Buffer.from(JSON.stringify(value)).toString('base64url');

// The client hands us the JWT to sign ({header, payload}); JOSE wants ES256 as raw r || s.
async function signCallback(jwt) {
  const input = `${part(jwt.header)}.${part(jwt.payload)}`;
  const signature = alg === 'EdDSA' ?
    sign(null, Buffer.from(input), privateKey) :
    sign('sha256', Buffer.from(input), {key: privateKey, dsaEncoding: 'ieee-p1363'});
  return `${input}.${signature.toString('base64url')}`;
}

try {
  const client = await OpenID4VCIClient.fromURI({uri, retrieveServerMetadata: true});
  await client.acquireAccessToken();
  const response = await client.acquireCredentials({
    credentialTypes: ['VerifiableCredential', 'OpenBadgeCredential'],
    format: 'ldp_vc',
    proofCallbacks: {signCallback},
    alg,
    jwk,
  });
  process.stdout.write(`${JSON.stringify({jwk, response})}\n`);
} catch(error) {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
}
