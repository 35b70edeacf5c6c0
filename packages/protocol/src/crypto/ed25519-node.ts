/**
 * node:crypto backend: the fast path for the server, agent, witness and CLI.
 * OpenSSL implements Palisade's verification rule natively (ed25519-rule.ts);
 * the encoding pre-check is still applied so that both backends share one
 * code path for the rule, and it costs nanoseconds.
 */
import * as nc from 'node:crypto'
import { concat, equalBytes } from '../bytes.js'
import { fail } from '../errors.js'
import { PKCS8_ED25519_PREFIX, SPKI_ED25519_PREFIX, type Ed25519 } from './ed25519.js'
import { passesEncodingRule } from './ed25519-rule.js'
import type { CryptoProvider } from './provider.js'
import { sha256 } from './sha256.js'

type KeyObject = ReturnType<typeof nc.createPublicKey>

// Importing a key costs about a fifth of a verification. Trust roots name a
// handful of keys that are used over and over, so keep recent ones; the cap
// bounds memory when an attacker feeds many distinct keys.
const KEY_CACHE_MAX = 4096
const keyCache = new Map<string, KeyObject>()

// Building that string key cost 0.8 µs per verification (0.15 µs with
// apply() rather than a spread), and the same few key arrays, held by
// verifiers and parsed roots, come back on every delivery. So first look the
// array itself up, and trust that entry only while its bytes are still the
// ones the KeyObject was made from (comparing them costs 0.03 µs): a caller
// that changes the array in place gets the lookup by value again.
const byArray = new WeakMap<Uint8Array, { readonly raw: Uint8Array; readonly key: KeyObject }>()

function publicKeyObject(raw: Uint8Array): KeyObject | undefined {
  const hit = byArray.get(raw)
  if (hit !== undefined && equalBytes(hit.raw, raw)) return hit.key
  const id = String.fromCharCode.apply(null, raw as unknown as number[])
  let k = keyCache.get(id)
  if (k === undefined) {
    try {
      k = nc.createPublicKey({ key: concat(SPKI_ED25519_PREFIX, raw), format: 'der', type: 'spki' })
    } catch {
      return undefined // not a point on the curve: no signature verifies
    }
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string)
    keyCache.set(id, k)
  }
  // new Uint8Array(raw) copies; raw.slice() would not if raw is a Buffer.
  byArray.set(raw, { raw: new Uint8Array(raw), key: k })
  return k
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) fail('PROTO_KEY_INVALID', 'an Ed25519 seed is 32 bytes')
  return nc.createPrivateKey({ key: concat(PKCS8_ED25519_PREFIX, seed), format: 'der', type: 'pkcs8' })
}

/** Synchronous verification under the one rule. */
export function nodeVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!passesEncodingRule(publicKey, signature)) return false
  const key = publicKeyObject(publicKey)
  if (key === undefined) return false
  try {
    return nc.verify(null, message, key, signature)
  } catch {
    return false
  }
}

/** Synchronous RFC 8032 signing (deterministic). */
export function nodeSign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(nc.sign(null, message, privateKeyObject(seed)))
}

/** The public key for a seed. */
export function nodePublicKey(seed: Uint8Array): Uint8Array {
  const spki = nc.createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' })
  return new Uint8Array(spki).slice(SPKI_ED25519_PREFIX.length)
}

// Node returns Buffers, whose slice() aliases instead of copying; callers
// of a provider expect plain Uint8Array semantics, so re-wrap (no copy).
const plain = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length)
const nativeHash: (data: Uint8Array) => Uint8Array =
  typeof nc.hash === 'function'
    ? (data) => plain(nc.hash('sha256', data, 'buffer'))
    : (data) => plain(nc.createHash('sha256').update(data).digest())
// Below ~250 bytes the fixed cost of calling into OpenSSL exceeds the
// hashing itself (measured: 65 bytes, 0.7 µs in TypeScript vs 1.4 µs native),
// and Merkle nodes are 65 bytes; both give the same digest (tested).
const SMALL_INPUT = 192
const hashFn = (data: Uint8Array): Uint8Array => (data.length <= SMALL_INPUT ? sha256(data) : nativeHash(data))

/** The async Ed25519 interface, backed by node:crypto. */
export const nodeEd25519: Ed25519 = Object.freeze({
  name: 'node:crypto',
  publicKey: async (seed: Uint8Array) => nodePublicKey(seed),
  sign: async (seed: Uint8Array, message: Uint8Array) => nodeSign(seed, message),
  verify: async (pub: Uint8Array, message: Uint8Array, sig: Uint8Array) => nodeVerify(pub, message, sig),
})

/** The CryptoProvider for Node. */
export const nodeCrypto: CryptoProvider = Object.freeze({
  name: 'node:crypto',
  sha256: hashFn,
  verify: nodeVerify,
  ed25519: nodeEd25519,
})


/**
 * The same provider with every SHA-256 done by OpenSSL. For processes that
 * run V8 without its optimizing compilers (the lean agent): there the
 * TypeScript SHA-256 of a 65-byte Merkle node costs 37-54 µs against 2-6 µs
 * native (measured), the opposite of the JIT case nodeCrypto is tuned for.
 */
export const nodeCryptoNativeHash: CryptoProvider = Object.freeze({
  name: 'node:crypto (native SHA-256)',
  sha256: nativeHash,
  verify: nodeVerify,
  ed25519: nodeEd25519,
})
