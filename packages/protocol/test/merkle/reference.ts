// A deliberately naive RFC 9162 reference, written straight from the
// definitions (§2.1.1 MTH, §2.1.3.1 PATH, §2.1.4.1 SUBPROOF) with
// node:crypto, sharing no code with src/merkle. The tests compare the
// efficient implementation and the bit-twiddling verifiers against it.
import { createHash, randomBytes } from 'node:crypto'

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

export const refLeafHash = (data: Uint8Array): Uint8Array => sha256(Uint8Array.of(0), data)
export const refNodeHash = (l: Uint8Array, r: Uint8Array): Uint8Array => sha256(Uint8Array.of(1), l, r)

/** Largest power of two strictly smaller than n (n ≥ 2). */
export function split(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/** MTH over leaf hashes, by the recursive definition. */
export function refMth(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha256()
  if (d.length === 1) return d[0]!
  const k = split(d.length)
  return refNodeHash(refMth(d.slice(0, k)), refMth(d.slice(k)))
}

/** PATH(m, D[n]) by the recursive definition. */
export function refPath(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return []
  const k = split(d.length)
  return m < k
    ? [...refPath(m, d.slice(0, k)), refMth(d.slice(k))]
    : [...refPath(m - k, d.slice(k)), refMth(d.slice(0, k))]
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true) by the recursive definition. */
export function refProof(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  return subproof(m, d, true)
}

function subproof(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [refMth(d)]
  const k = split(d.length)
  return m <= k
    ? [...subproof(m, d.slice(0, k), b), refMth(d.slice(k))]
    : [...subproof(m - k, d.slice(k), false), refMth(d.slice(0, k))]
}

// ---- symbolic proofs: which subtree [lo, hi) each proof hash stands for ----

type Range = readonly [number, number]

/** The subtrees PATH(m, D[lo:hi]) returns, in proof order. */
export function pathRanges(m: number, lo: number, hi: number): Range[] {
  const n = hi - lo
  if (n <= 1) return []
  const k = split(n)
  return m < k
    ? [...pathRanges(m, lo, lo + k), [lo + k, hi]]
    : [...pathRanges(m - k, lo + k, hi), [lo, lo + k]]
}

/** The subtrees SUBPROOF(m, D[lo:hi], b) returns, in proof order. */
export function subproofRanges(m: number, lo: number, hi: number, b: boolean): Range[] {
  const n = hi - lo
  if (m === n) return b ? [] : [[lo, hi]]
  const k = split(n)
  return m <= k
    ? [...subproofRanges(m, lo, lo + k, b), [lo + k, hi]]
    : [...subproofRanges(m - k, lo + k, hi, false), [lo, lo + k]]
}

/**
 * MTH(D[lo:hi]) from known subtree hashes, splitting by the definition.
 * Returns undefined when a needed subtree is unknown.
 */
function mthFrom(known: Map<string, Uint8Array>, lo: number, hi: number, budget = { n: 4096 }): Uint8Array | undefined {
  if (--budget.n < 0) throw new Error('reference: proof does not determine the subtree')
  const h = known.get(`${lo},${hi}`)
  if (h !== undefined) return h
  if (hi - lo <= 1) return undefined
  const k = split(hi - lo)
  const l = mthFrom(known, lo, lo + k, budget)
  if (l === undefined) return undefined
  const r = mthFrom(known, lo + k, hi, budget)
  return r === undefined ? undefined : refNodeHash(l, r)
}

const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0
const is32 = (h: Uint8Array): boolean => h.length === 32
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(b)

/**
 * Definitional inclusion verifier: label each proof hash with the subtree
 * PATH says it is, then rebuild the root by the MTH definition.
 */
export function refVerifyInclusion(
  leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array,
): boolean {
  if (!isCount(index) || !isCount(size) || index >= size) return false
  if (!is32(leaf) || !is32(root) || proof.length > 64 || !proof.every(is32)) return false
  const ranges = pathRanges(index, 0, size)
  if (ranges.length !== proof.length) return false
  const known = new Map<string, Uint8Array>([[`${index},${index + 1}`, leaf]])
  ranges.forEach(([lo, hi], i) => known.set(`${lo},${hi}`, proof[i]!))
  const got = mthFrom(known, 0, size)
  return got !== undefined && same(got, root)
}

/** Definitional consistency verifier (transparency-dev conventions for the edge cases). */
export function refVerifyConsistency(
  size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array,
): boolean {
  if (!isCount(size1) || !isCount(size2) || size1 === 0 || size1 > size2) return false
  if (!is32(root1) || !is32(root2) || proof.length > 64 || !proof.every(is32)) return false
  if (size1 === size2) return proof.length === 0 && same(root1, root2)
  const ranges = subproofRanges(size1, 0, size2, true)
  if (ranges.length !== proof.length) return false
  const known = new Map<string, Uint8Array>()
  ranges.forEach(([lo, hi], i) => known.set(`${lo},${hi}`, proof[i]!))
  // When SUBPROOF ends with b still true, the old tree is itself a subtree
  // of the new one and the verifier supplies its root.
  if (!known.has(`0,${size1}`) && !subtreeIsCovered(ranges, size1)) known.set(`0,${size1}`, root1)
  const r1 = mthFrom(known, 0, size1)
  const r2 = mthFrom(known, 0, size2)
  return r1 !== undefined && r2 !== undefined && same(r1, root1) && same(r2, root2)
}

function subtreeIsCovered(ranges: Range[], size1: number): boolean {
  let covered = 0
  for (const [lo, hi] of ranges) if (hi <= size1) covered += hi - lo
  return covered === size1
}

/** Random proof hashes for (index, size) and the root they imply: valid at any size. */
export function synthesizeInclusion(index: number, size: number) {
  const leaf = new Uint8Array(randomBytes(32))
  const ranges = pathRanges(index, 0, size)
  const proof = ranges.map(() => new Uint8Array(randomBytes(32)))
  const known = new Map<string, Uint8Array>([[`${index},${index + 1}`, leaf]])
  ranges.forEach(([lo, hi], i) => known.set(`${lo},${hi}`, proof[i]!))
  return { leaf, proof, root: mthFrom(known, 0, size)! }
}

/** Random proof hashes for size1 → size2 and the two roots they imply. */
export function synthesizeConsistency(size1: number, size2: number) {
  const ranges = subproofRanges(size1, 0, size2, true)
  const proof = ranges.map(() => new Uint8Array(randomBytes(32)))
  const known = new Map<string, Uint8Array>()
  ranges.forEach(([lo, hi], i) => known.set(`${lo},${hi}`, proof[i]!))
  if (!subtreeIsCovered(ranges, size1)) known.set(`0,${size1}`, new Uint8Array(randomBytes(32)))
  return { proof, root1: mthFrom(known, 0, size1)!, root2: mthFrom(known, 0, size2)! }
}

/** A copy of `h` with bit `bit` (0 = most significant bit of byte 0) flipped. */
export function flipBit(h: Uint8Array, bit: number): Uint8Array {
  const c = new Uint8Array(h) // a copy even when h is a Buffer
  c[bit >> 3] = c[bit >> 3]! ^ (0x80 >> (bit & 7))
  return c
}

/** `n` with bit `bit` flipped, for bit < 53 (exact in a double). */
export function flipNumberBit(n: number, bit: number): number {
  const p = 2 ** bit
  return Math.floor(n / p) % 2 === 1 ? n - p : n + p
}
