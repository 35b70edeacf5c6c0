// Fuzz-style: the boolean verifiers take attacker-controlled arguments, so
// thousands of random and mutated argument combinations must give a boolean
// and never throw; the check* forms must only ever throw PROTO_PROOF_INVALID.
import '../../dist/node.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { isProtocolError } from '../../dist/errors.js'
import { leafHash } from '../../dist/merkle/hash.js'
import { consistencyProofFromLeafHashes, inclusionProofFromLeafHashes, rootFromLeafHashes } from '../../dist/merkle/tree.js'
import { checkConsistency, checkInclusion, verifyConsistency, verifyInclusion } from '../../dist/merkle/verify.js'
import { refVerifyConsistency, refVerifyInclusion } from './reference.js'

const hostile = [
  new Proxy([], { get: () => { throw new Error('get') } }),
  new Proxy(new Uint8Array(32), { getPrototypeOf: () => { throw new Error('proto') } }),
  { valueOf: () => { throw new Error('valueOf') }, toString: () => { throw new Error('toString') } },
  Symbol('s'),
  12n,
  () => 0,
]

const weirdNumber = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 70 }) },
  fc.constantFrom(
    0, -0, 1, 0.5, Number.NaN, Infinity, -Infinity, 2 ** 31, 2 ** 32, 2 ** 32 - 1, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2,
    -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON,
  ),
  fc.maxSafeNat(),
  fc.double(),
  fc.anything(),
  fc.constantFrom(...hostile),
)

const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const weirdHash = fc.oneof(
  { weight: 4, arbitrary: hash32 },
  fc.uint8Array({ maxLength: 70 }),
  fc.constantFrom(new Uint8Array(0), new Uint8Array(31), new Uint8Array(33), new Uint16Array(16), new ArrayBuffer(32)),
  fc.array(fc.nat(255), { minLength: 32, maxLength: 32 }),
  fc.anything(),
  fc.constantFrom(...hostile),
)
const weirdProof = fc.oneof(
  { weight: 3, arbitrary: fc.array(hash32, { maxLength: 70 }) },
  fc.array(weirdHash, { maxLength: 70 }),
  fc.anything(),
  fc.constantFrom(...hostile),
)

/** A valid proof from a small random tree, then a few random edits. */
const mutatedValid = fc
  .tuple(
    fc.integer({ min: 1, max: 64 }),
    fc.nat(),
    fc.nat(),
    fc.array(
      fc.tuple(fc.constantFrom('drop', 'dup', 'swap', 'byte', 'index', 'size', 'size1', 'root'), fc.nat(), fc.integer()),
      { maxLength: 3 },
    ),
  )
  .map(([n, a, b, edits]) => {
    const h = Array.from({ length: n }, (_, i) => leafHash(Uint8Array.of(i, a & 255)))
    const index = a % n
    const size1 = 1 + (b % n)
    let inc = {
      leaf: h[index]!, index, size: n as number,
      proof: inclusionProofFromLeafHashes(h, index).slice(), root: rootFromLeafHashes(h),
    }
    let con = {
      size1, size2: n as number, proof: consistencyProofFromLeafHashes(h, size1, n).slice(),
      root1: rootFromLeafHashes(h.slice(0, size1)), root2: inc.root,
    }
    for (const [kind, at, delta] of edits) {
      for (const p of [inc.proof, con.proof]) {
        const j = p.length === 0 ? 0 : at % p.length
        if (kind === 'drop') p.splice(j, 1)
        if (kind === 'dup' && p.length > 0) p.splice(j, 0, p[j]!)
        if (kind === 'swap' && p.length > 1) p.splice(j, 1, p[(j + 1) % p.length]!)
        if (kind === 'byte' && p.length > 0) {
          p[j] = new Uint8Array(p[j]!)
          p[j]![at % 32] = (p[j]![at % 32]! + 1 + (Math.abs(delta) % 255)) & 255
        }
      }
      if (kind === 'index') inc = { ...inc, index: inc.index + delta }
      if (kind === 'size') {
        inc = { ...inc, size: inc.size + delta }
        con = { ...con, size2: con.size2 + delta }
      }
      if (kind === 'size1') con = { ...con, size1: con.size1 + delta }
      if (kind === 'root') con = { ...con, root1: con.root2, root2: con.root1 }
    }
    return { inc, con }
  })

const onlyProofInvalid = (f: () => void): void => {
  try {
    f()
  } catch (e) {
    assert.ok(isProtocolError(e, 'PROTO_PROOF_INVALID'), `unexpected ${String(e)}`)
  }
}

describe('merkle verifiers under fuzzing', () => {
  describe('when every argument of verifyInclusion is random or hostile', () => {
    it('returns a boolean and never throws (4000 cases)', () => {
      fc.assert(
        fc.property(weirdHash, weirdNumber, weirdNumber, weirdProof, weirdHash, (leaf, index, size, proof, root) => {
          const args = [leaf, index, size, proof, root] as Parameters<typeof verifyInclusion>
          assert.equal(typeof verifyInclusion(...args), 'boolean')
          onlyProofInvalid(() => checkInclusion(...args))
        }),
        { numRuns: 4000 },
      )
    })
  })

  describe('when every argument of verifyConsistency is random or hostile', () => {
    it('returns a boolean and never throws (4000 cases)', () => {
      fc.assert(
        fc.property(weirdNumber, weirdNumber, weirdProof, weirdHash, weirdHash, (size1, size2, proof, root1, root2) => {
          const args = [size1, size2, proof, root1, root2] as Parameters<typeof verifyConsistency>
          assert.equal(typeof verifyConsistency(...args), 'boolean')
          onlyProofInvalid(() => checkConsistency(...args))
        }),
        { numRuns: 4000 },
      )
    })
  })

  describe('when a valid proof is edited (hashes dropped, duplicated, swapped, changed; sizes and roots shifted)', () => {
    it('never throws, and agrees with the definitional reference verifier (3000 cases)', () => {
      fc.assert(
        fc.property(mutatedValid, ({ inc, con }) => {
          const i = verifyInclusion(inc.leaf, inc.index, inc.size, inc.proof, inc.root)
          assert.equal(i, refVerifyInclusion(inc.leaf, inc.index, inc.size, inc.proof, inc.root))
          const c = verifyConsistency(con.size1, con.size2, con.proof, con.root1, con.root2)
          assert.equal(c, refVerifyConsistency(con.size1, con.size2, con.proof, con.root1, con.root2))
        }),
        { numRuns: 3000 },
      )
    })
  })
})
