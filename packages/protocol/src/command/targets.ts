/**
 * Target sets. A command names the exact devices it may run on: all of the
 * org, an explicit sorted list, or, for large sets, the RFC 6962 Merkle root
 * of the sorted unique device ids with their count. A device targeted by a
 * commitment receives its membership proof; without one it is not targeted.
 */
import { utf8 } from '../bytes.js'
import type { CryptoProvider } from '../crypto/provider.js'
import { fail } from '../errors.js'
import { leafHash } from '../merkle/hash.js'
import { inclusionProof, rootHash } from '../merkle/tree.js'
import { verifyInclusion } from '../merkle/verify.js'
import { ID_RE, type Targets } from './payload.js'

/** Membership proof of one device in a Merkle target commitment. */
export interface TargetProof {
  readonly index: number
  readonly proof: readonly Uint8Array[]
}

function sortedUnique(deviceIds: readonly string[]): string[] {
  for (const id of deviceIds) if (!ID_RE.test(id)) fail('PROTO_MALFORMED', `device id ${JSON.stringify(id).slice(0, 80)} is not valid`)
  // UTF-16 order equals byte order for ids, which are ASCII
  return [...new Set(deviceIds)].sort()
}

/**
 * The commitment over a device set.
 *
 * @example
 * const targets = merkleTargets(['dev-b', 'dev-a']) // { kind: 'merkle', root, count: 2 }
 */
export function merkleTargets(deviceIds: readonly string[], crypto?: CryptoProvider): Targets {
  const ids = sortedUnique(deviceIds)
  if (ids.length === 0) fail('PROTO_MALFORMED', 'a target set is not empty')
  return Object.freeze({ kind: 'merkle', root: rootHash(ids.map(utf8), crypto), count: ids.length })
}

/** The membership proof for `deviceId`, or undefined when it is not in the set. */
export function targetProof(deviceIds: readonly string[], deviceId: string, crypto?: CryptoProvider): TargetProof | undefined {
  const ids = sortedUnique(deviceIds)
  const index = ids.indexOf(deviceId)
  if (index < 0) return undefined
  return Object.freeze({ index, proof: Object.freeze(inclusionProof(ids.map(utf8), index, crypto)) })
}

/**
 * Whether `targets` names `deviceId`. For a commitment the proof must place
 * this exact id in the committed tree.
 */
export function isTargeted(targets: Targets, deviceId: string, proof: TargetProof | undefined, crypto?: CryptoProvider): boolean {
  switch (targets.kind) {
    case 'all':
      return true
    case 'devices':
      return targets.ids.includes(deviceId)
    case 'merkle':
      return (
        proof !== undefined &&
        verifyInclusion(leafHash(utf8(deviceId), crypto), proof.index, targets.count, proof.proof, targets.root, crypto)
      )
  }
}
