/**
 * The Node entry point of @palisade/protocol (the "node" export condition):
 * installs node:crypto as the default provider, then exposes the whole API.
 */
import { nodeCrypto } from './crypto/ed25519-node.js'
import { installCryptoProvider } from './crypto/provider.js'

installCryptoProvider(nodeCrypto)

export * from './index.js'
export { nodeCrypto, nodeCryptoNativeHash, nodeEd25519, nodeSign, nodeVerify, nodePublicKey } from './crypto/ed25519-node.js'
