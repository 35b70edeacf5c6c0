/**
 * The synchronous crypto the trust core needs: SHA-256 and Ed25519
 * verification. Trust decisions are synchronous and deterministic, so the
 * provider is passed in (or installed once by the platform entry point)
 * rather than looked up: the core itself never touches a platform API.
 *
 * Every provider MUST implement Palisade's single Ed25519 verification rule
 * (see ed25519-rule.ts): a device and a witness that disagree about one
 * signature are a split an attacker can use.
 */
import { fail } from '../errors.js'
import type { Ed25519 } from './ed25519.js'

export interface CryptoProvider {
  /** Short name for diagnostics, e.g. 'node:crypto'. */
  readonly name: string
  /** The (async) signing backend of this platform. */
  readonly ed25519: Ed25519
  sha256(data: Uint8Array): Uint8Array
  /** RFC 8032 Ed25519 verification under Palisade's one rule; never throws. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean
}

let installed: CryptoProvider | undefined

/**
 * Installs the provider used when a function is not given one explicitly.
 * The Node entry point installs node:crypto; a browser build installs its
 * own. Installing is idempotent per provider and meant for start-up only.
 */
export function installCryptoProvider(provider: CryptoProvider): void {
  installed = provider
}

/** The provider to use: the explicit one, else the installed one. */
export function cryptoProvider(explicit?: CryptoProvider): CryptoProvider {
  const p = explicit ?? installed
  if (p === undefined) {
    return fail(
      'PROTO_CRYPTO_UNAVAILABLE',
      'no crypto provider installed: import @palisade/protocol from Node, or call installCryptoProvider()',
    )
  }
  return p
}
