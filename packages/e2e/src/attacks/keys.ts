/**
 * Ed25519 keys for the attack suite, derived from labels so every run
 * builds the same orgs. Who holds which key is the point of each scenario:
 * the org's admins and witnesses hold theirs, the breached server holds the
 * log key and (at most) one stolen admin key, and the attacker makes its own
 * keys freely (they are trusted by nobody).
 */
import { createHash } from 'node:crypto'
import { keyId, nodePublicKey } from '@palisade/protocol'

/** A key pair with the names the formats need. */
export interface Key {
  /** Note / witness name, or admin name in a root. */
  readonly name: string
  readonly seed: Uint8Array
  readonly pub: Uint8Array
  /** keyId(pub): the DSSE keyid and root admin id. */
  readonly id: string
}

/**
 * The key for `label` (seed = SHA-256(label)).
 *
 * @example
 * const alice = key('acme/admin0', 'admin0')
 */
export function key(label: string, name = label.replace(/[^A-Za-z0-9._-]/g, '-')): Key {
  const seed = new Uint8Array(createHash('sha256').update(`palisade-attack-suite/${label}`).digest())
  const pub = nodePublicKey(seed)
  return Object.freeze({ name, seed, pub, id: keyId(pub) })
}
