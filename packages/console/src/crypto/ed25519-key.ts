/**
 * Ed25519 keys as WebCrypto CryptoKeys: a seed imported as a
 * non-extractable signing key, or a key pair created in the browser whose
 * private half can never be exported.
 */
import { concat, fromBase64 } from '@palisade/protocol'

// RFC 8410 PKCS#8 wrapper of a 32-byte Ed25519 seed
const PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20)
const ED25519 = { name: 'Ed25519' } as const

/** Imports a seed as a non-extractable signing key. */
export async function importSeed(seed: Uint8Array): Promise<CryptoKey> {
  const der = concat(PKCS8_PREFIX, seed)
  try {
    return await crypto.subtle.importKey('pkcs8', der as BufferSource, ED25519, false, ['sign'])
  } finally {
    der.fill(0)
  }
}

/** The public key of a seed (through a short-lived extractable key: WebCrypto exports it only as JWK "x"). */
export async function publicKeyOf(seed: Uint8Array): Promise<Uint8Array> {
  const der = concat(PKCS8_PREFIX, seed)
  try {
    const k = await crypto.subtle.importKey('pkcs8', der as BufferSource, ED25519, true, ['sign'])
    const jwk = await crypto.subtle.exportKey('jwk', k)
    const x = (jwk.x ?? '').replace(/-/g, '+').replace(/_/g, '/')
    return fromBase64(x + '='.repeat((4 - (x.length % 4)) % 4))
  } finally {
    der.fill(0)
  }
}

/** Creates a key pair in the browser; the private key is not extractable. */
export async function generateKeyPair(): Promise<{ key: CryptoKey; publicKey: Uint8Array }> {
  const pair = (await crypto.subtle.generateKey(ED25519, false, ['sign', 'verify'])) as CryptoKeyPair
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
  return { key: pair.privateKey, publicKey }
}

/** Signs `message` with `key`. */
export async function signWith(key: CryptoKey, message: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign(ED25519, key, message as BufferSource))
}
