/**
 * The small Ed25519 interface with two backends (node:crypto and WebCrypto).
 * It is asynchronous because WebCrypto is; the synchronous verification path
 * the trust core uses is CryptoProvider.verify. Both backends produce the
 * same bytes (RFC 8032 signing is deterministic) and accept exactly the same
 * signatures (ed25519-rule.ts), which the test suite checks on the
 * Wycheproof and CCTV edge-case vectors.
 *
 * Private keys are 32-byte RFC 8032 seeds. The caller supplies randomness
 * (pure core): generate a seed with the platform's CSPRNG.
 */
export interface Ed25519 {
  readonly name: string
  publicKey(seed: Uint8Array): Promise<Uint8Array>
  sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array>
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>
}

export const ED25519_SEED_LENGTH = 32
export const ED25519_PUBLIC_KEY_LENGTH = 32
export const ED25519_SIGNATURE_LENGTH = 64

/** DER prefixes that wrap a raw key for platform APIs (RFC 8410). */
export const SPKI_ED25519_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00)
export const PKCS8_ED25519_PREFIX = Uint8Array.of(
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
)
