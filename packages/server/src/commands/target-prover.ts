/**
 * Membership proofs for every device of a Merkle target set at once.
 *
 * protocol's `targetProof(ids, id)` builds one proof by hashing the whole
 * set (n − 1 node hashes), which for 10,000 targets would cost 10^8 hashes
 * to prove them all. Here every subtree root of the RFC 9162 tree is hashed
 * once and each proof is read off the cached roots, so proving all n
 * members costs about 2n hashes. The proofs are exactly protocol's (tested
 * against `targetProof`); devices verify them with `isTargeted`, so a wrong
 * proof here can only make a device refuse, never run something.
 */
import { merkle, utf8, type TargetProof } from '@palisade/protocol'

/**
 * Proofs for `sortedIds` (sorted, unique: the order `merkleTargets` commits
 * to), by device id.
 *
 * @example
 * const proofs = allTargetProofs(['dev-a', 'dev-b', 'dev-c'])
 * isTargeted(merkleTargets(ids), 'dev-b', proofs.get('dev-b')) // true
 */
export function allTargetProofs(sortedIds: readonly string[]): Map<string, TargetProof> {
  const n = sortedIds.length
  const leaves = sortedIds.map((id) => merkle.leafHash(utf8(id)))
  // Subtree roots by (lo, hi), paired into one safe integer (n ≤ 2^26 here).
  const roots = new Map<number, Uint8Array>()
  const key = (lo: number, hi: number): number => lo * (n + 1) + hi
  const root = (lo: number, hi: number): Uint8Array => {
    if (hi - lo === 1) return leaves[lo]!
    const k = key(lo, hi)
    let r = roots.get(k)
    if (r === undefined) {
      const split = lo + splitPoint(hi - lo)
      r = merkle.nodeHash(root(lo, split), root(split, hi))
      roots.set(k, r)
    }
    return r
  }
  const out = new Map<string, TargetProof>()
  // PATH(m, D[lo:hi]) = PATH(m, left) : MTH(right), or PATH(m, right) : MTH(left)
  // (RFC 9162 §2.1.3.1). Walk down, carrying the siblings seen so far.
  const walk = (lo: number, hi: number, siblings: readonly Uint8Array[]): void => {
    if (hi - lo === 1) {
      out.set(sortedIds[lo]!, Object.freeze({ index: lo, proof: Object.freeze([...siblings].reverse()) }))
      return
    }
    const split = lo + splitPoint(hi - lo)
    walk(lo, split, [...siblings, root(split, hi)])
    walk(split, hi, [...siblings, root(lo, split)])
  }
  if (n > 0) walk(0, n, [])
  return out
}

/** RFC 9162 §2.1.1: the largest power of two smaller than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}
