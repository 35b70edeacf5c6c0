/**
 * One org's Merkle tree kept as levels of complete subtree hashes: level 0
 * holds the leaf hashes, level h the hash of every complete, aligned block
 * of 2^h leaves. Appending a leaf hashes only the blocks it completes
 * (one on average), and any RFC 9162 subtree hash MTH(D[a:b]) is then a
 * combination of at most ~2·log2(n) stored blocks. So a checkpoint's root
 * hash, an inclusion proof and a consistency proof cost O(log n) hashes
 * (at most O(log² n) for proofs) instead of re-hashing all n leaves: what
 * keeps publishing and proof serving flat at a million entries.
 *
 * The same definitions as protocol's merkle (`rootFromLeafHashes`,
 * `inclusionProofFromLeafHashes`, `consistencyProofFromLeafHashes`); the
 * test checks the outputs are identical.
 *
 * Memory: 32 bytes per leaf per level, about 64 bytes per leaf in all,
 * held in one growing buffer per level (no object per hash).
 */
import { merkle } from '@palisade/protocol'

const H = 32

/** Largest power of two below n (n > 1): RFC 9162's split point k. */
function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/**
 * @example
 * const tree = new MerkleLevels()
 * for (const h of leafHashes) tree.append(h)
 * tree.root(tree.size) // equals merkle.rootFromLeafHashes(leafHashes)
 */
export class MerkleLevels {
  /** levels[h]: the hashes of complete blocks of 2^h leaves, 32 bytes each, in order. */
  readonly #levels: Buffer[] = []
  /** Blocks stored per level. */
  readonly #counts: number[] = []

  /** Number of leaves. */
  get size(): number {
    return this.#counts[0] ?? 0
  }

  /** Adds the next leaf hash (32 bytes) and the blocks it completes. */
  append(leafHash: Uint8Array): void {
    if (leafHash.length !== H) throw new Error('a leaf hash is 32 bytes')
    let node: Uint8Array = leafHash
    for (let level = 0; ; level++) {
      const index = this.#push(level, node)
      if (index % 2 === 0) return
      node = merkle.nodeHash(this.#block(level, index - 1), node)
    }
  }

  /** MTH of the first `size` leaves (size ≥ 1, ≤ this.size). */
  root(size: number): Uint8Array {
    return this.#subtree(0, size)
  }

  /** RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves, leaf-first. */
  inclusion(index: number, size: number): readonly Uint8Array[] {
    const proof: Uint8Array[] = []
    let m = index
    let start = 0
    let n = size
    while (n > 1) {
      const k = splitPoint(n)
      if (m < k) {
        proof.push(this.#subtree(start + k, n - k))
        n = k
      } else {
        proof.push(this.#subtree(start, k))
        start += k
        m -= k
        n -= k
      }
    }
    return Object.freeze(proof.reverse())
  }

  /** RFC 9162 consistency proof from the tree of `from` leaves to that of `to` (0 < from ≤ to ≤ size). */
  consistency(from: number, to: number): readonly Uint8Array[] {
    const proof: Uint8Array[] = []
    let m = from
    let start = 0
    let n = to
    let b = true
    while (m !== n) {
      const k = splitPoint(n)
      if (m <= k) {
        proof.push(this.#subtree(start + k, n - k))
        n = k
      } else {
        proof.push(this.#subtree(start, k))
        start += k
        m -= k
        n -= k
        b = false
      }
    }
    if (!b) proof.push(this.#subtree(start, n))
    return Object.freeze(proof.reverse())
  }

  /** MTH(D[start : start + len]), len ≥ 1. */
  #subtree(start: number, len: number): Uint8Array {
    // A complete aligned block is stored; otherwise split as RFC 9162 does.
    if ((len & (len - 1)) === 0) {
      const level = 31 - Math.clz32(len)
      if (start % len === 0 && start / len < (this.#counts[level] ?? 0)) return this.#block(level, start / len)
    }
    const k = splitPoint(len)
    return merkle.nodeHash(this.#subtree(start, k), this.#subtree(start + k, len - k))
  }

  #block(level: number, index: number): Uint8Array {
    return new Uint8Array(this.#levels[level]!.subarray(index * H, (index + 1) * H))
  }

  #push(level: number, hash: Uint8Array): number {
    let buf = this.#levels[level]
    const count = this.#counts[level] ?? 0
    if (buf === undefined || (count + 1) * H > buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(1024, (buf?.length ?? 0) * 2))
      buf?.copy(grown, 0, 0, count * H)
      this.#levels[level] = buf = grown
    }
    buf.set(hash, count * H)
    this.#counts[level] = count + 1
    return count
  }
}
