/**
 * The keys a root names, decoded once per root: the admin key set (for
 * command signatures) and the log and witness verifiers (for checkpoints).
 * Internal to the command checks (verify.ts, accept-checkpoint.ts).
 *
 * Grouping a root's admin keys, and decoding its log and witness keys (key
 * IDs are SHA-256 hashes), on every delivery would be wasted work: a root is
 * a frozen value, and these hold the key arrays it names. The caches are per
 * provider too, since a verifier keeps the provider it was made with: a call
 * with another provider must not verify through the first one.
 */
import { witnessVerifierFromString } from '../cosignature/cosignature.js'
import { cryptoProvider, type CryptoProvider } from '../crypto/provider.js'
import { trustedKeySet, type TrustedKeySet } from '../dsse/verify.js'
import { verifierFromString, type Verifier } from '../note/key.js'
import type { Root } from '../root/root.js'

type PerRoot<T> = WeakMap<Root, WeakMap<CryptoProvider, T>>

function cached<T>(cache: PerRoot<T>, root: Root, crypto: CryptoProvider | undefined, make: (c: CryptoProvider) => T): T {
  const c = cryptoProvider(crypto)
  let byProvider = cache.get(root)
  if (byProvider === undefined) {
    byProvider = new WeakMap()
    cache.set(root, byProvider)
  }
  let v = byProvider.get(c)
  if (v === undefined) {
    v = make(c)
    byProvider.set(c, v)
  }
  return v
}

/** The log key and the witness keys of one root, as note verifiers. */
export interface RootVerifiers {
  readonly log: Verifier
  readonly witnesses: readonly Verifier[]
}

const adminKeySets: PerRoot<TrustedKeySet> = new WeakMap()
const logVerifiers: PerRoot<RootVerifiers> = new WeakMap()

/**
 * @example
 * verifyEnvelopeWithSet(envelope, COMMAND_PAYLOAD_TYPE, adminKeySet(root), root.thresholds.command)
 */
export function adminKeySet(root: Root, crypto?: CryptoProvider): TrustedKeySet {
  return cached(adminKeySets, root, crypto, (c) => trustedKeySet(root.admins.map((a) => ({ keyid: a.id, publicKey: a.publicKey })), c))
}

/**
 * @example
 * const { log, witnesses } = rootVerifiers(root)
 */
export function rootVerifiers(root: Root, crypto?: CryptoProvider): RootVerifiers {
  return cached(logVerifiers, root, crypto, (c) => ({
    log: verifierFromString(root.log.key, c),
    witnesses: root.witnesses.keys.map((k) => witnessVerifierFromString(k, c)),
  }))
}
