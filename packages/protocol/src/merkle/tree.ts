/**
 * Building RFC 9162 Merkle trees and their proofs: the tree hash MTH (§2.1.1),
 * inclusion proofs PATH (§2.1.3.1) and consistency proofs SUBPROOF (§2.1.4.1).
 *
 * This is the prover's side (the server, tests, tools); devices only verify
 * (verify.ts). Two forms of each function: over leaf data, and over
 * precomputed leaf hashes, which is what a log stores.
 *
 * Cost: a root hashes every node once (n leaf hashes and n − 1 node hashes).
 * A proof hashes only the sibling subtrees on one root-to-leaf walk; those are
 * disjoint, so a proof costs at most n − 1 node hashes and never rehashes a
 * subtree. Recursion depth is bounded by the tree height (≤ 53).
 *
 * Trusts: its caller for the leaves (these functions prove what they are
 * given) and the injected CryptoProvider for SHA-256.
 */
import { cryptoProvider, type CryptoProvider } from '../crypto/provider.js'
import { fail } from '../errors.js'
import { emptyRoot, HASH_SIZE, leafHash, nodeHash } from './hash.js'

/**
 * The Merkle tree hash (root) of a list of leaf data (RFC 9162 §2.1.1).
 * The empty list has root SHA-256("").
 *
 * @example
 * const root = rootHash([utf8('a'), utf8('b'), utf8('c')])
 */
export function rootHash(leavesData: readonly Uint8Array[], crypto?: CryptoProvider): Uint8Array {
  return rootFromLeafHashes(hashLeaves(leavesData, crypto), crypto)
}

/**
 * The inclusion proof (audit path, RFC 9162 §2.1.3.1) of leaf `index` in the
 * tree of all `leavesData`, ordered from the leaf's sibling up to the root's
 * child. Throws PROTO_PROOF_INVALID unless 0 ≤ index < leavesData.length.
 *
 * @example
 * const leaves = [utf8('a'), utf8('b'), utf8('c')]
 * const proof = inclusionProof(leaves, 2)
 * verifyInclusion(leafHash(leaves[2]), 2, 3, proof, rootHash(leaves)) // true
 */
export function inclusionProof(
  leavesData: readonly Uint8Array[],
  index: number,
  crypto?: CryptoProvider,
): readonly Uint8Array[] {
  return inclusionProofFromLeafHashes(hashLeaves(leavesData, crypto), index, crypto)
}

/**
 * The consistency proof (RFC 9162 §2.1.4.1) that the tree of the first
 * `size1` leaves is a prefix of the tree of the first `size2` leaves.
 * Throws PROTO_PROOF_INVALID unless 0 < size1 ≤ size2 ≤ leavesData.length;
 * equal sizes give the empty proof.
 *
 * @example
 * const leaves = [utf8('a'), utf8('b'), utf8('c')]
 * const proof = consistencyProof(leaves, 2, 3)
 * verifyConsistency(2, 3, proof, rootHash(leaves.slice(0, 2)), rootHash(leaves)) // true
 */
export function consistencyProof(
  leavesData: readonly Uint8Array[],
  size1: number,
  size2: number,
  crypto?: CryptoProvider,
): readonly Uint8Array[] {
  return consistencyProofFromLeafHashes(hashLeaves(leavesData, crypto), size1, size2, crypto)
}

/**
 * rootHash over precomputed leaf hashes (each SHA-256(0x00 ‖ data), 32 bytes;
 * any other length is PROTO_MALFORMED).
 *
 * @example
 * rootFromLeafHashes(storedLeafHashes) // equals rootHash(leavesData)
 */
export function rootFromLeafHashes(hashes: readonly Uint8Array[], crypto?: CryptoProvider): Uint8Array {
  const c = cryptoProvider(crypto)
  checkLeafHashes(hashes)
  return hashes.length === 0 ? emptyRoot(c) : subtreeRoot(hashes, 0, hashes.length, c)
}

/**
 * inclusionProof over precomputed leaf hashes, for the tree of all `hashes`.
 * To prove against an older tree, pass the prefix of that size.
 *
 * @example
 * const proof = inclusionProofFromLeafHashes(stored.slice(0, checkpointSize), index)
 */
export function inclusionProofFromLeafHashes(
  hashes: readonly Uint8Array[],
  index: number,
  crypto?: CryptoProvider,
): readonly Uint8Array[] {
  const c = cryptoProvider(crypto)
  checkLeafHashes(hashes)
  const size = hashes.length
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    fail('PROTO_PROOF_INVALID', `cannot prove leaf ${describe(index)} in a tree of size ${size}`, { size })
  }
  // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) when m < k, else
  // PATH(m − k, D[k:n]) : MTH(D[0:k]). Walk down from the root, collecting
  // the sibling subtree at each split, then reverse: the RFC lists them
  // leaf-first.
  const proof: Uint8Array[] = []
  let m = index
  let start = 0
  let n = size
  while (n > 1) {
    const k = splitPoint(n)
    if (m < k) {
      proof.push(subtreeRoot(hashes, start + k, start + n, c))
      n = k
    } else {
      proof.push(subtreeRoot(hashes, start, start + k, c))
      start += k
      m -= k
      n -= k
    }
  }
  return Object.freeze(proof.reverse())
}

/**
 * consistencyProof over precomputed leaf hashes.
 *
 * @example
 * const proof = consistencyProofFromLeafHashes(stored, witnessSize, stored.length)
 */
export function consistencyProofFromLeafHashes(
  hashes: readonly Uint8Array[],
  size1: number,
  size2: number,
  crypto?: CryptoProvider,
): readonly Uint8Array[] {
  const c = cryptoProvider(crypto)
  checkLeafHashes(hashes)
  const ok =
    Number.isSafeInteger(size1) && Number.isSafeInteger(size2) && 0 < size1 && size1 <= size2 && size2 <= hashes.length
  if (!ok) {
    // size1 = 0 is refused as transparency-dev does: every tree extends the
    // empty one, so there is nothing to prove; the protocol layer handles it.
    fail(
      'PROTO_PROOF_INVALID',
      `cannot prove consistency from size ${describe(size1)} to ${describe(size2)} ` +
        `(need 0 < size1 <= size2 <= ${hashes.length})`,
      { available: hashes.length },
    )
  }
  // SUBPROOF(m, D[n], b), RFC 9162 §2.1.4.1, unrolled: while m < n split at
  // k; m <= k recurses left keeping b and adds MTH(D[k:n]); m > k recurses
  // right with b = false and adds MTH(D[0:k]). At m = n the subtree root is
  // added only if b is false (when b is true the verifier already holds it
  // as the old root).
  const proof: Uint8Array[] = []
  let m = size1
  let start = 0
  let n = size2
  let b = true
  while (m !== n) {
    const k = splitPoint(n)
    if (m <= k) {
      proof.push(subtreeRoot(hashes, start + k, start + n, c))
      n = k
    } else {
      proof.push(subtreeRoot(hashes, start, start + k, c))
      start += k
      m -= k
      n -= k
      b = false
    }
  }
  if (!b) proof.push(subtreeRoot(hashes, start, start + n, c))
  return Object.freeze(proof.reverse())
}

/** MTH(D[lo:hi]) for hi > lo: every node of the subtree hashed exactly once. */
function subtreeRoot(hashes: readonly Uint8Array[], lo: number, hi: number, c: CryptoProvider): Uint8Array {
  // A copy, so a proof or root never aliases the caller's stored leaf hash.
  if (hi - lo === 1) return new Uint8Array(hashes[lo]!)
  const k = splitPoint(hi - lo)
  return nodeHash(subtreeRoot(hashes, lo, lo + k, c), subtreeRoot(hashes, lo + k, hi, c), c)
}

/** RFC 9162 §2.1.1: k is the largest power of two smaller than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1
  // multiplication, not <<: sizes may exceed 2^31
  while (k * 2 < n) k *= 2
  return k
}

function hashLeaves(leavesData: readonly Uint8Array[], crypto: CryptoProvider | undefined): Uint8Array[] {
  const c = cryptoProvider(crypto)
  return leavesData.map((d) => leafHash(d, c))
}

function checkLeafHashes(hashes: readonly Uint8Array[]): void {
  for (let i = 0; i < hashes.length; i++) {
    const h = hashes[i]
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
      fail('PROTO_MALFORMED', `leaf hash ${i} is not a ${HASH_SIZE}-byte hash`, { index: i })
    }
  }
}

function describe(n: unknown): string {
  return typeof n === 'number' ? String(n) : `(${typeof n})`
}
