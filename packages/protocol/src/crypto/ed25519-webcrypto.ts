/**
 * WebCrypto backend: what the browser console signs approvals with. It runs
 * the encoding part of Palisade's verification rule itself (engines differ
 * there) and leaves the curve equation to the engine.
 */
import { concat, fromBase64 } from '../bytes.js'
import { fail } from '../errors.js'
import { PKCS8_ED25519_PREFIX, type Ed25519 } from './ed25519.js'
import { passesEncodingRule } from './ed25519-rule.js'

/** The slice of SubtleCrypto this backend calls (declared: protocol has no DOM types). */
export interface SubtleEd25519 {
  importKey(format: 'raw' | 'pkcs8', key: Uint8Array, algorithm: { name: 'Ed25519' }, extractable: boolean, usages: string[]): Promise<unknown>
  exportKey(format: 'raw', key: unknown): Promise<ArrayBuffer>
  sign(algorithm: { name: 'Ed25519' }, key: unknown, data: Uint8Array): Promise<ArrayBuffer>
  verify(algorithm: { name: 'Ed25519' }, key: unknown, signature: Uint8Array, data: Uint8Array): Promise<boolean>
}

const ALG = { name: 'Ed25519' } as const

/**
 * Makes the WebCrypto backend over a SubtleCrypto (globalThis.crypto.subtle
 * in browsers and in Node ≥ 20).
 */
export function webCryptoEd25519(subtle: SubtleEd25519): Ed25519 {
  async function privateKey(seed: Uint8Array): Promise<unknown> {
    if (seed.length !== 32) fail('PROTO_KEY_INVALID', 'an Ed25519 seed is 32 bytes')
    // extractable so that the public key can be derived from it (below)
    return subtle.importKey('pkcs8', concat(PKCS8_ED25519_PREFIX, seed), ALG, true, ['sign'])
  }
  return Object.freeze({
    name: 'webcrypto',
    async publicKey(seed: Uint8Array): Promise<Uint8Array> {
      // WebCrypto cannot export the public half of a private key directly;
      // a JWK export of the private key carries it as "x".
      const key = await privateKey(seed)
      const jwk = (await (subtle as unknown as { exportKey(f: 'jwk', k: unknown): Promise<{ x?: string }> }).exportKey('jwk', key))
      if (typeof jwk.x !== 'string') fail('PROTO_CRYPTO_UNAVAILABLE', 'WebCrypto did not export the Ed25519 public key')
      return base64UrlDecode(jwk.x)
    },
    async sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
      return new Uint8Array(await subtle.sign(ALG, await privateKey(seed), message))
    },
    async verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
      if (!passesEncodingRule(publicKey, signature)) return false
      try {
        const key = await subtle.importKey('raw', publicKey, ALG, false, ['verify'])
        return await subtle.verify(ALG, key, signature, message)
      } catch {
        return false // not a point on the curve, or an engine refusal: no signature verifies
      }
    },
  })
}

function base64UrlDecode(s: string): Uint8Array {
  return fromBase64(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4), 'JWK x')
}
