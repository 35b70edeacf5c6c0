/**
 * The browser entry point of @palisade/protocol: SHA-256 in TypeScript
 * (browsers have only an async digest) and no synchronous Ed25519 verifier;
 * sign and verify through webCryptoEd25519(crypto.subtle).
 */
import { sha256 } from './crypto/sha256.js'
import { installCryptoProvider } from './crypto/provider.js'
import { fail } from './errors.js'
import { webCryptoEd25519, type SubtleEd25519 } from './crypto/ed25519-webcrypto.js'

declare const crypto: { subtle: SubtleEd25519 }

installCryptoProvider(
  Object.freeze({
    name: 'portable',
    sha256,
    ed25519: webCryptoEd25519(crypto.subtle),
    verify(): boolean {
      return fail('PROTO_CRYPTO_UNAVAILABLE', 'synchronous Ed25519 verification is not available in the browser; use webCryptoEd25519')
    },
  }),
)

export * from './index.js'
