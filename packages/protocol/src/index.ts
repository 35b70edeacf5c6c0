/**
 * @palisade/protocol — the trust core. Pure: no file, network or clock
 * access; time, randomness and trust roots are parameters. Every trust
 * decision Palisade makes is made here.
 */
export { ProtocolError, isProtocolError, PROTOCOL_ERROR_CODES, type ProtocolErrorCode } from './errors.js'
export { toHex, fromHex, toBase64, fromBase64, utf8, fromUtf8, equalBytes, concat } from './bytes.js'
export { installCryptoProvider, cryptoProvider, type CryptoProvider } from './crypto/provider.js'
export { type Ed25519 } from './crypto/ed25519.js'
export { webCryptoEd25519, type SubtleEd25519 } from './crypto/ed25519-webcrypto.js'
export { passesEncodingRule } from './crypto/ed25519-rule.js'
export { sha256 as sha256Portable } from './crypto/sha256.js'
export { canonicalJson, canonicalJsonBytes } from './json/canonical.js'
export { parseJson } from './json/parse.js'
