/**
 * The right edge of a growing RFC 9162 Merkle tree (its "compact range"):
 * the roots of the perfect subtrees (peaks) that make up the tree so far,
 * largest first. From it and the next leaves alone the root at any later
 * size can be computed, in O(log n) memory and O(1) amortised hashing per
 * leaf, so a follower (an auditor, a monitor) checks every new entry
 * against a checkpoint without keeping or re-reading the old ones.
 *
 * Why the fold is right: MTH(D[0:n]) splits at the largest power of two
 * below n, which is the leftmost peak, and recurses on the rest; so the
 * root is the peaks folded from the right, nodeHash(p0, nodeHash(p1, … pk)).
 * The peak sizes are the binary digits of the size, so a size and the peak
 * hashes alone describe a frontier (fromPeaks).
 *
 * Trusts: its caller for the leaves and the peaks it restores (it computes
 * what they imply; a wrong peak gives a wrong root, which the caller's
 * comparison with a signed root then refuses), and the injected
 * CryptoProvider for SHA-256.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import { fail } from '../errors.js'
import { emptyRoot, HASH_SIZE, leafHash, nodeHash } from './hash.js'

interface Peak {
  readonly hash: Uint8Array
  readonly size: number
}

/**
 * A Merkle tree frontier: append leaves, read the root.
 *
 * @example
 * const f = merkle.Frontier.empty()
 * for (const d of leaves) f.append(d)
 * equalBytes(f.root(), merkle.rootHash(leaves)) // true
 * const saved = f.peaks() // with f.size, all it takes to go on later
 * const g = merkle.Frontier.fromPeaks(f.size, saved)
 */
export class Frontier {
  /** Perfect subtrees, left to right, sizes strictly decreasing powers of two. */
  readonly #peaks: Peak[]
  readonly #crypto: CryptoProvider | undefined
  #size: number

  private constructor(peaks: Peak[], size: number, crypto: CryptoProvider | undefined) {
    this.#peaks = peaks
    this.#size = size
    this.#crypto = crypto
  }

  /**
   * The frontier of the empty tree.
   *
   * @example
   * merkle.Frontier.empty().root() // SHA-256("")
   */
  static empty(crypto?: CryptoProvider): Frontier {
    return new Frontier([], 0, crypto)
  }

  /**
   * The frontier of a tree of `size` leaves from its peak hashes, largest
   * subtree first (what `peaks()` returned). PROTO_MALFORMED when the count
   * of peaks is not the number of 1 bits of `size`, or a peak is not a
   * 32-byte hash.
   *
   * @example
   * const f = merkle.Frontier.fromPeaks(saved.size, saved.peaks)
   */
  static fromPeaks(size: number, peaks: readonly Uint8Array[], crypto?: CryptoProvider): Frontier {
    if (!Number.isSafeInteger(size) || size < 0) fail('PROTO_MALFORMED', 'a tree size is a non-negative safe integer')
    const sizes: number[] = []
    for (let bit = 2 ** 52; bit >= 1; bit /= 2) if (Math.floor(size / bit) % 2 === 1) sizes.push(bit)
    if (sizes.length !== peaks.length) fail('PROTO_MALFORMED', `a tree of ${size} leaves has ${sizes.length} peaks, not ${peaks.length}`)
    return new Frontier(
      sizes.map((s, i) => {
        const hash = peaks[i]!
        if (hash.length !== HASH_SIZE) fail('PROTO_MALFORMED', `a peak hash is ${HASH_SIZE} bytes`)
        return { hash: new Uint8Array(hash), size: s }
      }),
      size,
      crypto,
    )
  }

  /** The number of leaves so far. */
  get size(): number {
    return this.#size
  }

  /**
   * Copies of the peak hashes, largest subtree first, for saving.
   *
   * @example
   * state.frontier = f.peaks().map((p) => toBase64(p))
   */
  peaks(): Uint8Array[] {
    return this.#peaks.map((p) => new Uint8Array(p.hash))
  }

  /**
   * A copy to try leaves on without changing this one.
   *
   * @example
   * const next = f.clone(); for (const d of batch) next.append(d)
   */
  clone(): Frontier {
    return new Frontier([...this.#peaks], this.#size, this.#crypto)
  }

  /**
   * Adds a leaf by its data (the exact logged bytes).
   *
   * @example
   * f.append(utf8('entry'))
   */
  append(data: Uint8Array): void {
    this.appendLeafHash(leafHash(data, this.#crypto))
  }

  /**
   * Adds a leaf by its leaf hash (SHA-256(0x00 ‖ data)), as a log stores it.
   *
   * @example
   * f.appendLeafHash(merkle.leafHash(data))
   */
  appendLeafHash(hash: Uint8Array): void {
    if (hash.length !== HASH_SIZE) fail('PROTO_MALFORMED', `a leaf hash is ${HASH_SIZE} bytes`)
    let peak: Peak = { hash: new Uint8Array(hash), size: 1 }
    for (let last = this.#peaks.at(-1); last !== undefined && last.size === peak.size; last = this.#peaks.at(-1)) {
      this.#peaks.pop()
      peak = { hash: nodeHash(last.hash, peak.hash, this.#crypto), size: peak.size * 2 }
    }
    this.#peaks.push(peak)
    this.#size++
  }

  /**
   * The tree hash of the leaves so far (SHA-256("") for none).
   *
   * @example
   * equalBytes(f.root(), checkpoint.rootHash)
   */
  root(): Uint8Array {
    const peaks = this.#peaks
    if (peaks.length === 0) return emptyRoot(this.#crypto)
    if (peaks.length === 1) return new Uint8Array(peaks[0]!.hash)
    let r = peaks[peaks.length - 1]!.hash
    for (let i = peaks.length - 2; i >= 0; i--) r = nodeHash(peaks[i]!.hash, r, this.#crypto)
    return r
  }
}
