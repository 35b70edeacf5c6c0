/**
 * The root of a growing RFC 9162 Merkle tree, leaf by leaf, in O(log n)
 * memory and O(1) amortised hashing per leaf: the "compact range" of the
 * perfect subtrees (peaks) that make up the tree so far. Auditing a log
 * needs the root at every checkpoint size; recomputing merkle.rootHash
 * over each prefix would cost O(n) per checkpoint.
 *
 * The hashes are protocol's own (merkle.leafHash / nodeHash), and the
 * tests check every root against merkle.rootHash. Why the fold is right:
 * MTH(D[0:n]) splits at the largest power of two below n, which is the
 * leftmost peak, and recurses on the rest; so the root is the peaks folded
 * from the right, nodeHash(p0, nodeHash(p1, … pk)).
 */
import { merkle } from '@palisade/protocol'

/**
 * @example
 * const t = new TreeFrontier()
 * for (const d of leaves) t.append(merkle.leafHash(d))
 * t.root() // equals merkle.rootHash(leaves)
 */
export class TreeFrontier {
  /** Perfect subtrees, left to right, sizes strictly decreasing powers of two. */
  readonly #peaks: { hash: Uint8Array; size: number }[] = []
  #size = 0

  get size(): number {
    return this.#size
  }

  /** Adds a leaf by its leaf hash (SHA-256(0x00 ‖ data)). */
  append(leafHash: Uint8Array): void {
    let peak = { hash: leafHash, size: 1 }
    for (let last = this.#peaks.at(-1); last !== undefined && last.size === peak.size; last = this.#peaks.at(-1)) {
      this.#peaks.pop()
      peak = { hash: merkle.nodeHash(last.hash, peak.hash), size: peak.size * 2 }
    }
    this.#peaks.push(peak)
    this.#size++
  }

  /** The tree hash of the leaves so far (SHA-256("") for none). */
  root(): Uint8Array {
    const peaks = this.#peaks
    if (peaks.length === 0) return merkle.emptyRoot()
    let r = peaks[peaks.length - 1]!.hash
    for (let i = peaks.length - 2; i >= 0; i--) r = merkle.nodeHash(peaks[i]!.hash, r)
    return r
  }
}
