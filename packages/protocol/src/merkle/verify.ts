/**
 * Verifying RFC 9162 Merkle proofs: inclusion (§2.1.3.2) and consistency
 * (§2.1.4.2). This is what a device runs before it trusts a log entry (G2),
 * and what a witness runs before it cosigns, so every argument is treated as
 * attacker-controlled: the boolean forms answer `false` for anything that is
 * not a valid proof (wrong types, lengths, sizes, NaN, 2^53, proxies, …) and
 * never throw. The one exception is PROTO_CRYPTO_UNAVAILABLE when no
 * CryptoProvider is installed: that is a deployment error, not an input, and
 * reporting it as "proof invalid" would raise a false compromise alarm.
 *
 * Conventions beyond the bare RFC algorithms:
 * - every hash (leaf, roots, proof entries) is exactly 32 bytes; this is
 *   stricter than transparency-dev/merkle, which checks only the leaf hash
 *   and so accepts equal 12-byte "roots" for equal sizes;
 * - a proof has at most MAX_PROOF_HASHES entries;
 * - sizes and indices are safe non-negative integers (up to 2^53 − 1);
 * - as in transparency-dev/merkle, consistency needs 0 < size1 ≤ size2;
 *   size1 = size2 needs an empty proof and equal roots; size1 = 0 is refused
 *   even when size2 = 0, because the empty tree is a prefix of every tree and
 *   is handled by the protocol layer.
 *
 * A proof does not commit to the tree size by itself: the same audit path
 * can fit several sizes (leaf 0 of 5 also verifies "at size 7" against the
 * size-5 root). Callers must take the size and the root from the same
 * signed checkpoint.
 *
 * Trusts: the injected CryptoProvider's SHA-256, nothing else.
 */
import { alloc, equalBytes } from '../bytes.js'
import { cryptoProvider, type CryptoProvider } from '../crypto/provider.js'
import { fail } from '../errors.js'
import { HASH_SIZE, nodeHashAt } from './hash.js'

/**
 * The longest proof accepted. A tree of 2^53 − 1 leaves needs at most 53
 * inclusion hashes and 54 consistency hashes; the cap bounds the work an
 * attacker can make a device do.
 */
export const MAX_PROOF_HASHES = 64

/**
 * True when `proof` shows that the leaf with hash `leafHash` (SHA-256(0x00 ‖ data))
 * is at `index` in the tree of `treeSize` leaves whose root is `rootHash`
 * (RFC 9162 §2.1.3.2). Never throws on bad input: returns false.
 *
 * @example
 * if (!verifyInclusion(leafHash(entry), index, checkpoint.size, proof, checkpoint.root)) reject()
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  rootHash: Uint8Array,
  crypto?: CryptoProvider,
): boolean {
  return inclusionFailure(leafHash, index, treeSize, proof, rootHash, cryptoProvider(crypto)) === undefined
}

/**
 * verifyInclusion that throws PROTO_PROOF_INVALID, with the reason, instead
 * of returning false.
 *
 * @example
 * checkInclusion(leafHash(entry), index, checkpoint.size, proof, checkpoint.root)
 */
export function checkInclusion(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  rootHash: Uint8Array,
  crypto?: CryptoProvider,
): void {
  const why = inclusionFailure(leafHash, index, treeSize, proof, rootHash, cryptoProvider(crypto))
  if (why !== undefined) {
    fail('PROTO_PROOF_INVALID', `inclusion proof rejected: ${why}`, { index: count(index), treeSize: count(treeSize) })
  }
}

/**
 * True when `proof` shows that the tree of `size1` leaves with root `root1`
 * is a prefix of the tree of `size2` leaves with root `root2` (RFC 9162
 * §2.1.4.2): the log only appended. Never throws on bad input: returns false.
 *
 * @example
 * if (!verifyConsistency(last.size, next.size, proof, last.root, next.root)) alarm()
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
  crypto?: CryptoProvider,
): boolean {
  return consistencyFailure(size1, size2, proof, root1, root2, cryptoProvider(crypto)) === undefined
}

/**
 * verifyConsistency that throws PROTO_PROOF_INVALID, with the reason,
 * instead of returning false.
 *
 * @example
 * checkConsistency(last.size, next.size, proof, last.root, next.root)
 */
export function checkConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
  crypto?: CryptoProvider,
): void {
  const why = consistencyFailure(size1, size2, proof, root1, root2, cryptoProvider(crypto))
  if (why !== undefined) {
    fail('PROTO_PROOF_INVALID', `consistency proof rejected: ${why}`, { size1: count(size1), size2: count(size2) })
  }
}

/** The reason an inclusion proof fails, or undefined when it holds. */
function inclusionFailure(
  leafHash: unknown,
  index: unknown,
  treeSize: unknown,
  proof: unknown,
  rootHash: unknown,
  c: CryptoProvider,
): string | undefined {
  const size = count(treeSize)
  if (size === undefined) return 'tree size is not a safe non-negative integer'
  let fn = count(index)
  if (fn === undefined) return 'leaf index is not a safe non-negative integer'
  // §2.1.3.2 step 1
  if (fn >= size) return `leaf index ${fn} is not below tree size ${size}`
  const leaf = snapshotHash(leafHash)
  if (leaf === undefined) return `leaf hash is not ${HASH_SIZE} bytes`
  const root = snapshotHash(rootHash)
  if (root === undefined) return `root hash is not ${HASH_SIZE} bytes`
  const path = snapshotProof(proof)
  if (typeof path === 'string') return path

  // §2.1.3.2 steps 2–5. fn walks up from the leaf, sn from the last leaf;
  // where fn is a right child, or the rightmost node of its level (fn = sn,
  // no sibling on the right), the proof hash is the left sibling.
  let sn = size - 1
  let r = leaf
  for (let p = 0; p < path.length; p += HASH_SIZE) {
    if (sn === 0) return `proof has more hashes than the path from leaf ${fn} to the root`
    if (isOdd(fn) || fn === sn) {
      r = nodeHashAt(path, p, r, 0, c)
      // Skip the levels where this node is a lone rightmost node with no
      // sibling: it is carried up unchanged, so no proof hash is spent.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn)
        sn = half(sn)
      }
    } else {
      r = nodeHashAt(r, 0, path, p, c)
    }
    fn = half(fn)
    sn = half(sn)
  }
  if (sn !== 0) return 'proof has fewer hashes than the path from the leaf to the root'
  if (!equalBytes(r, root)) return 'the proof does not lead to the root hash'
  return undefined
}

/** The reason a consistency proof fails, or undefined when it holds. */
function consistencyFailure(
  size1: unknown,
  size2: unknown,
  proof: unknown,
  root1: unknown,
  root2: unknown,
  c: CryptoProvider,
): string | undefined {
  const first = count(size1)
  const second = count(size2)
  if (first === undefined || second === undefined) return 'tree sizes must be safe non-negative integers'
  if (first > second) return `size1 ${first} is larger than size2 ${second}: a log never shrinks`
  if (first === 0) return 'size1 is 0: consistency with the empty tree is not a Merkle proof'
  const firstHash = snapshotHash(root1)
  if (firstHash === undefined) return `root1 is not ${HASH_SIZE} bytes`
  const secondHash = snapshotHash(root2)
  if (secondHash === undefined) return `root2 is not ${HASH_SIZE} bytes`
  const path = snapshotProof(proof)
  if (typeof path === 'string') return path

  // §2.1.4.2 covers 0 < first < second; equal sizes are consistent exactly
  // when the roots are equal, and then nothing needs proving.
  if (first === second) {
    if (path.length !== 0) return 'sizes are equal but the proof is not empty'
    return equalBytes(firstHash, secondHash) ? undefined : 'sizes are equal but the roots differ'
  }
  // step 1
  if (path.length === 0) return 'proof is empty'
  // step 2: when the old tree is a complete subtree of the new one, its root
  // is a node of the new tree and the prover leaves it out: it comes first,
  // before the proof's hashes. Otherwise the proof's first hash does.
  const leadsWithRoot = isPowerOfTwo(first)
  // steps 3–4: start at the level where the old tree's last node is a left
  // child or the root of that complete subtree.
  let fn = first - 1
  let sn = second - 1
  while (isOdd(fn)) {
    fn = half(fn)
    sn = half(sn)
  }
  // steps 5–6: fr rebuilds the old root, sr the new one, from the same hashes.
  let fr = leadsWithRoot ? firstHash : path.subarray(0, HASH_SIZE)
  let sr = fr
  for (let p = leadsWithRoot ? 0 : HASH_SIZE; p < path.length; p += HASH_SIZE) {
    if (sn === 0) return 'proof has more hashes than the two sizes need'
    if (isOdd(fn) || fn === sn) {
      fr = nodeHashAt(path, p, fr, 0, c)
      sr = nodeHashAt(path, p, sr, 0, c)
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn)
        sn = half(sn)
      }
    } else {
      sr = nodeHashAt(sr, 0, path, p, c)
    }
    fn = half(fn)
    sn = half(sn)
  }
  // step 7
  if (sn !== 0) return 'proof has fewer hashes than the two sizes need'
  if (!equalBytes(fr, firstHash)) return 'the proof does not lead to root1'
  if (!equalBytes(sr, secondHash)) return 'the proof does not lead to root2'
  return undefined
}

/**
 * Copies the proof out of the caller's array into one flat array of
 * 32-byte hashes, so that getters, proxies or later mutation cannot change
 * what was checked; anything odd is a reason string, never an exception.
 * One array rather than one per hash: a 32-byte Uint8Array takes some 250
 * bytes of heap, and per-hash copies were a quarter of what a command
 * check allocated (measured 8.7 KB of 34 KB for a 20- and a 14-step proof).
 */
function snapshotProof(proof: unknown): Uint8Array | string {
  try {
    if (!Array.isArray(proof)) return 'proof is not an array'
    const n: number = proof.length
    if (n > MAX_PROOF_HASHES) return `proof has ${n} hashes; at most ${MAX_PROOF_HASHES} are accepted`
    const out = alloc(n * HASH_SIZE)
    for (let i = 0; i < n; i++) {
      if (!copyHash(proof[i], out, i * HASH_SIZE)) return `proof hash ${i} is not ${HASH_SIZE} bytes`
    }
    return out
  } catch {
    return 'proof could not be read'
  }
}

// The intrinsic %TypedArray%.prototype.length getter reads a typed array's
// internal length, which a subclass or proxy cannot fake the way it can
// fake `.length`; on anything that is not a typed array it throws.
const typedArrayLength = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'length')!.get!

/** Copies a 32-byte hash into `out` at `at`; false for anything else. */
function copyHash(h: unknown, out: Uint8Array, at: number): boolean {
  try {
    if (!(h instanceof Uint8Array) || typedArrayLength.call(h) !== HASH_SIZE) return false
    out.set(h, at)
    return true
  } catch {
    return false
  }
}

function snapshotHash(h: unknown): Uint8Array | undefined {
  try {
    if (!(h instanceof Uint8Array)) return undefined
    // The constructor reads the typed array's internal length, which a
    // subclass or proxy cannot fake the way it can fake `.length`.
    const copy = new Uint8Array(h)
    return copy.length === HASH_SIZE ? copy : undefined
  } catch {
    return undefined
  }
}

/** A tree size or index: a safe non-negative integer, else undefined. */
function count(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

// Sizes reach 2^53 − 1, beyond the 32 bits of JavaScript's bitwise
// operators, so bit operations are done with arithmetic (exact below 2^53).
function isOdd(n: number): boolean {
  return n % 2 === 1
}

function half(n: number): number {
  return Math.floor(n / 2)
}

function isPowerOfTwo(n: number): boolean {
  let p = 1
  while (p < n) p *= 2
  return p === n
}
