/**
 * Key ids for admin and device Ed25519 keys: the first 16 hex digits of
 * SHA-256(public key). An id is only a hint for finding the key; nothing is
 * trusted because of an id (DSSE §"keyid" is unauthenticated), and distinct
 * keys are counted by their bytes, never by their ids.
 */
import { toHex } from '../bytes.js'
import { cryptoProvider, type CryptoProvider } from '../crypto/provider.js'

/** @example keyId(pub) // 'd75a980182b10ab7' */
export function keyId(publicKey: Uint8Array, crypto?: CryptoProvider): string {
  return toHex(cryptoProvider(crypto).sha256(publicKey).subarray(0, 8))
}
