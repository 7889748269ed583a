// Offline JSON-LD document loader for the interop harness.
//
// Serves exactly two kinds of URL, and nothing else:
//   1. JSON-LD contexts listed in microcred's bundle (src/microcred/contexts/index.json), read from
//      the files next to that index; the same bytes the Python engine uses.
//   2. did:key DIDs for Ed25519 keys (and their `#fragment` verification-method URLs), resolved
//      locally to a DID document / Multikey verification method.
// Any other URL is an error that names the URL. This module never opens a network connection.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

const HERE = dirname(fileURLToPath(import.meta.url));
export const CONTEXTS_DIR = join(HERE, '..', '..', 'src', 'microcred', 'contexts');

const DID_V1 = 'https://www.w3.org/ns/did/v1';
const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';
const DID_KEY_PREFIX = 'did:key:';
// multibase base58btc ('z') of the multicodec ed25519-pub header 0xed 0x01
const ED25519_MULTIKEY_PREFIX = 'z6Mk';

export class DocumentNotFoundError extends Error {
  constructor(url, reason) {
    super(`offline document loader refuses "${url}": ${reason}`);
    this.name = 'DocumentNotFoundError';
    this.url = url;
  }
}

function deepFreeze(value) {
  if(value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for(const child of Object.values(value)) {
      deepFreeze(child);
    }
  }
  return value;
}

function loadContextIndex() {
  const index = JSON.parse(readFileSync(join(CONTEXTS_DIR, 'index.json'), 'utf8'));
  const files = new Map();
  for(const [url, file] of Object.entries(index)) {
    if(typeof file !== 'string' || file.includes('/') || file.includes('\\')) {
      throw new Error(`contexts/index.json: bad file name for "${url}": ${JSON.stringify(file)}`);
    }
    files.set(url, file);
  }
  return files;
}

const CONTEXT_FILES = loadContextIndex();
const contextCache = new Map();

function loadContext(url) {
  let document = contextCache.get(url);
  if(document === undefined) {
    const file = CONTEXT_FILES.get(url);
    document = deepFreeze(JSON.parse(readFileSync(join(CONTEXTS_DIR, file), 'utf8')));
    contextCache.set(url, document);
  }
  return document;
}

/** The context URLs the loader serves, sorted. */
export function bundledContextUrls() {
  return [...CONTEXT_FILES.keys()].sort();
}

/**
 * Resolves a did:key DID (Ed25519 only) to its DID document, locally.
 * The single verification method is `<did>#<publicKeyMultibase>`, controlled by the DID, and is
 * listed under every verification relationship the did:key method gives a signing key.
 */
export async function resolveDidKey(did) {
  const publicKeyMultibase = did.slice(DID_KEY_PREFIX.length);
  if(!did.startsWith(DID_KEY_PREFIX) || !publicKeyMultibase.startsWith(ED25519_MULTIKEY_PREFIX)) {
    throw new DocumentNotFoundError(did, 'only Ed25519 did:key DIDs (did:key:z6Mk...) resolve');
  }
  let key;
  try {
    key = await Ed25519Multikey.from({
      '@context': MULTIKEY_V1,
      type: 'Multikey',
      id: `${did}#${publicKeyMultibase}`,
      controller: did,
      publicKeyMultibase,
    });
  } catch(error) {
    throw new DocumentNotFoundError(did, `not an Ed25519 public key: ${error.message}`);
  }
  const verificationMethod = await key.export({publicKey: true, includeContext: false});
  const vmId = verificationMethod.id;
  return {
    '@context': [DID_V1, MULTIKEY_V1],
    id: did,
    verificationMethod: [verificationMethod],
    authentication: [vmId],
    assertionMethod: [vmId],
    capabilityDelegation: [vmId],
    capabilityInvocation: [vmId],
  };
}

async function loadDidKeyUrl(url) {
  const hash = url.indexOf('#');
  const did = hash === -1 ? url : url.slice(0, hash);
  if(did.includes('?') || did.includes('/', DID_KEY_PREFIX.length)) {
    throw new DocumentNotFoundError(url, 'did:key URLs with a path or query do not resolve');
  }
  const didDocument = await resolveDidKey(did);
  if(hash === -1) {
    return didDocument;
  }
  const vm = didDocument.verificationMethod.find(candidate => candidate.id === url);
  if(!vm) {
    throw new DocumentNotFoundError(url, `no verification method with this id in ${did}`);
  }
  return {'@context': MULTIKEY_V1, ...vm};
}

/**
 * The document loader: `(url) => Promise<{contextUrl, documentUrl, document}>`, the shape
 * jsonld.js and jsonld-signatures expect. Returned documents are frozen.
 */
export async function documentLoader(url) {
  if(typeof url !== 'string') {
    throw new DocumentNotFoundError(String(url), 'URL is not a string');
  }
  let document;
  if(CONTEXT_FILES.has(url)) {
    document = loadContext(url);
  } else if(url.startsWith(DID_KEY_PREFIX)) {
    document = deepFreeze(await loadDidKeyUrl(url));
  } else {
    throw new DocumentNotFoundError(
      url, 'not a bundled JSON-LD context and not a did:key URL (the harness is offline)');
  }
  return {contextUrl: null, documentUrl: url, document};
}

/**
 * UNSAFE, for published vectors only: wraps a loader so that an http(s) verification-method URL
 * whose fragment is an Ed25519 publicKeyMultibase (`https://host/issuer#z6Mk...`) resolves to that
 * key, controlled by the URL before the `#`, and that controller URL resolves to a controller
 * document listing the keys seen so far. This trusts the key named in the credential itself, so it
 * proves only that the proof is a valid signature by that key, never who made it.
 */
export function unsafeKeyFromFragmentLoader(base = documentLoader) {
  const keysByController = new Map();
  return async function unsafeLoader(url) {
    if(typeof url === 'string' && /^https?:/.test(url)) {
      const hash = url.indexOf('#');
      const fragment = hash === -1 ? '' : url.slice(hash + 1);
      if(fragment.startsWith(ED25519_MULTIKEY_PREFIX)) {
        const controller = url.slice(0, hash);
        const key = await Ed25519Multikey.from({
          type: 'Multikey', id: url, controller, publicKeyMultibase: fragment,
        });
        const vm = await key.export({publicKey: true, includeContext: true});
        const seen = keysByController.get(controller) ?? new Set();
        seen.add(url);
        keysByController.set(controller, seen);
        return {contextUrl: null, documentUrl: url, document: deepFreeze(vm)};
      }
      if(keysByController.has(url)) {
        const vmIds = [...keysByController.get(url)];
        const document = deepFreeze({
          '@context': [DID_V1, MULTIKEY_V1], id: url, assertionMethod: vmIds,
        });
        return {contextUrl: null, documentUrl: url, document};
      }
    }
    return base(url);
  };
}

/**
 * Wraps a loader so that the DIDs of the given DID documents (a did:web issuer's, read from files
 * the caller vouches for: the harness stays offline) resolve to those documents, and their
 * verification-method URLs to the method itself, with the Multikey context.
 */
export function didDocumentsLoader(documents, base = documentLoader) {
  const byId = new Map(documents.map(document => [document.id, document]));
  return async function didDocumentLoader(url) {
    if(typeof url === 'string') {
      const hash = url.indexOf('#');
      const did = hash === -1 ? url : url.slice(0, hash);
      const didDocument = byId.get(did);
      if(didDocument) {
        if(hash === -1) {
          return {contextUrl: null, documentUrl: url, document: deepFreeze(structuredClone(didDocument))};
        }
        const vm = (didDocument.verificationMethod ?? []).find(
          candidate => candidate.id === url || `${did}${candidate.id}` === url);
        if(!vm) {
          throw new DocumentNotFoundError(url, `no verification method with this id in ${did}`);
        }
        const document = deepFreeze({'@context': MULTIKEY_V1, ...vm, id: url});
        return {contextUrl: null, documentUrl: url, document};
      }
    }
    return base(url);
  };
}

/**
 * Wraps a loader so that the given status list credentials (read from files the caller vouches
 * for, like DID documents above) are served at their `id`: the status check stays offline.
 */
export function statusListsLoader(documents, base = documentLoader) {
  const byId = new Map(documents.map(document => [document.id, document]));
  return async function statusListLoader(url) {
    const document = typeof url === 'string' ? byId.get(url) : undefined;
    if(document) {
      return {contextUrl: null, documentUrl: url, document: deepFreeze(structuredClone(document))};
    }
    return base(url);
  };
}
