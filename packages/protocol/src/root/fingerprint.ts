/**
 * A root's fingerprint: lower-case hex SHA-256 of its payload bytes (the
 * canonical JSON the admins signed, not the envelope), so adding a
 * signature never changes the identity admins hand to devices out of band.
 */
import { toHex } from '../bytes.js'
import { cryptoProvider, type CryptoProvider } from '../crypto/provider.js'

export const FINGERPRINT_RE = /^[0-9a-f]{64}$/

/** @example rootFingerprint(envelope.payload) // '9f86d0…' (64 hex digits) */
export function rootFingerprint(payload: Uint8Array, crypto?: CryptoProvider): string {
  return toHex(cryptoProvider(crypto).sha256(payload))
}
