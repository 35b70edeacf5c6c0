import '../../dist/node.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { utf8 } from '../../dist/bytes.js'
import { isProtocolError, type ProtocolError } from '../../dist/errors.js'
import { leafHash } from '../../dist/merkle/hash.js'
import { consistencyProof, inclusionProof, rootHash } from '../../dist/merkle/tree.js'
import {
  checkConsistency,
  checkInclusion,
  MAX_PROOF_HASHES,
  verifyConsistency,
  verifyInclusion,
} from '../../dist/merkle/verify.js'
import { synthesizeConsistency, synthesizeInclusion } from './reference.js'

const leaves = Array.from({ length: 21 }, (_, i) => utf8(`entry ${i}`))
const root21 = rootHash(leaves)
const index = 6
const leaf6 = leafHash(leaves[index]!)
const proof6 = inclusionProof(leaves, index)
const root13 = rootHash(leaves.slice(0, 13))
const cproof = consistencyProof(leaves, 13, 21)

const rejectedBecause = (msg: RegExp) => (e: unknown) =>
  isProtocolError(e, 'PROTO_PROOF_INVALID') && msg.test((e as ProtocolError).message)

/** The same call with one argument replaced. */
function incl(over: Partial<{ leaf: unknown; index: unknown; size: unknown; proof: unknown; root: unknown }>) {
  const a = { leaf: leaf6, index, size: 21, proof: proof6, root: root21, ...over }
  return [a.leaf, a.index, a.size, a.proof, a.root] as [Uint8Array, number, number, Uint8Array[], Uint8Array]
}
function cons(over: Partial<{ size1: unknown; size2: unknown; proof: unknown; root1: unknown; root2: unknown }>) {
  const a = { size1: 13, size2: 21, proof: cproof, root1: root13, root2: root21, ...over }
  return [a.size1, a.size2, a.proof, a.root1, a.root2] as [number, number, Uint8Array[], Uint8Array, Uint8Array]
}

describe('verifyInclusion / checkInclusion (RFC 9162 §2.1.3.2)', () => {
  describe('when the proof is correct', () => {
    it('returns true, and checkInclusion returns', () => {
      assert.equal(verifyInclusion(...incl({})), true)
      checkInclusion(...incl({}))
    })
  })

  const rejects: [string, Parameters<typeof incl>[0], RegExp][] = [
    ['the proof is one hash short', { proof: proof6.slice(0, -1) }, /fewer hashes/],
    ['the proof has one hash too many', { proof: [...proof6, root21] }, /more hashes/],
    ['the proof is empty', { proof: [] }, /fewer hashes/],
    [`the proof has more than ${MAX_PROOF_HASHES} hashes`, { proof: Array(65).fill(root21) }, /at most 64/],
    ['a proof hash is 31 bytes', { proof: [proof6[0]!.slice(1), ...proof6.slice(1)] }, /proof hash 0 is not 32 bytes/],
    ['a proof hash is 33 bytes', { proof: [...proof6.slice(0, -1), new Uint8Array(33)] }, /proof hash 4 is not 32 bytes/],
    ['a proof hash is not a Uint8Array', { proof: [...proof6.slice(0, -1), Array(32).fill(0)] }, /not 32 bytes/],
    ['the proof is not an array', { proof: proof6[0] }, /not an array/],
    ['the leaf hash is the leaf data, not its hash', { leaf: leaves[index] }, /leaf hash is not 32 bytes/],
    ['the root is 64 hex characters instead of 32 bytes', { root: utf8('a'.repeat(64)) }, /root hash is not 32 bytes/],
    ['the root is of another tree size', { root: rootHash(leaves.slice(0, 20)) }, /does not lead to the root/],
    ['the leaf is another leaf', { leaf: leafHash(leaves[7]!) }, /does not lead to the root/],
    ['the index equals the tree size', { index: 21 }, /not below tree size 21/],
    ['the index is negative', { index: -1 }, /leaf index is not/],
    ['the index is fractional', { index: 6.5 }, /leaf index is not/],
    ['the index is NaN', { index: Number.NaN }, /leaf index is not/],
    ['the index is a numeric string', { index: '6' }, /leaf index is not/],
    ['the index is a bigint', { index: 6n }, /leaf index is not/],
    ['the tree size is 2^53 (not a safe integer)', { size: 2 ** 53 }, /tree size is not/],
    ['the tree size is Infinity', { size: Infinity }, /tree size is not/],
    ['the tree size is 0', { size: 0 }, /not below tree size 0/],
  ]
  for (const [when, over, why] of rejects) {
    describe(`when ${when}`, () => {
      it('returns false, and checkInclusion throws PROTO_PROOF_INVALID saying why', () => {
        assert.equal(verifyInclusion(...incl(over)), false)
        assert.throws(() => checkInclusion(...incl(over)), rejectedBecause(why))
      })
    })
  }

  describe('when the proof array is a proxy that throws on access', () => {
    it('returns false', () => {
      const hostile = new Proxy([...proof6], {
        get() {
          throw new Error('boom')
        },
      })
      assert.equal(verifyInclusion(...incl({ proof: hostile })), false)
      assert.throws(() => checkInclusion(...incl({ proof: hostile })), rejectedBecause(/could not be read/))
    })
  })

  describe('when a proof hash claims a length it does not have', () => {
    it('returns false (the real byte length is checked)', () => {
      const liar = proof6.at(-1)!.slice(1)
      Object.defineProperty(liar, 'length', { get: () => 32 })
      assert.equal(liar.length, 32)
      assert.equal(verifyInclusion(...incl({ proof: [...proof6.slice(0, -1), liar] })), false)
    })
  })

  describe('when the caller mutates the proof after the call', () => {
    it('has already decided on a snapshot', () => {
      const p = proof6.map((h) => new Uint8Array(h))
      assert.equal(verifyInclusion(...incl({ proof: p })), true)
      p[0]!.fill(0)
      assert.equal(verifyInclusion(...incl({ proof: p })), false)
    })
  })

  describe('when the tree has 2^53 − 1 leaves (beyond 32-bit arithmetic)', () => {
    it('accepts a correctly shaped proof for the first, a middle and the last leaf', () => {
      const size = Number.MAX_SAFE_INTEGER
      for (const i of [0, 2 ** 40 + 12345, 2 ** 52 + 1, size - 1]) {
        const s = synthesizeInclusion(i, size)
        assert.equal(verifyInclusion(s.leaf, i, size, s.proof, s.root), true, `leaf ${i}`)
        assert.equal(verifyInclusion(s.leaf, i === 0 ? 1 : i - 1, size, s.proof, s.root), false)
      }
    })
  })
})

describe('verifyConsistency / checkConsistency (RFC 9162 §2.1.4.2)', () => {
  describe('when the proof is correct', () => {
    it('returns true, and checkConsistency returns', () => {
      assert.equal(verifyConsistency(...cons({})), true)
      checkConsistency(...cons({}))
    })
  })

  const rejects: [string, Parameters<typeof cons>[0], RegExp][] = [
    ['the proof is one hash short', { proof: cproof.slice(0, -1) }, /fewer hashes/],
    ['the proof has one hash too many', { proof: [...cproof, root21] }, /more hashes/],
    ['the proof is empty', { proof: [] }, /proof is empty/],
    [`the proof has more than ${MAX_PROOF_HASHES} hashes`, { proof: Array(65).fill(root21) }, /at most 64/],
    ['a proof hash is 31 bytes', { proof: [cproof[0]!.slice(1), ...cproof.slice(1)] }, /proof hash 0 is not 32 bytes/],
    ['the roots are swapped', { root1: root21, root2: root13 }, /root1/],
    ['root2 belongs to another tree', { root2: rootHash(leaves.slice(0, 20)) }, /root2/],
    ['root1 is 31 bytes', { root1: root13.slice(1) }, /root1 is not 32 bytes/],
    ['root2 is 33 bytes', { root2: new Uint8Array(33) }, /root2 is not 32 bytes/],
    ['size1 is larger than size2', { size1: 22 }, /never shrinks/],
    ['size1 is 0', { size1: 0 }, /size1 is 0/],
    ['size1 is fractional', { size1: 12.5 }, /safe non-negative integers/],
    ['size2 is 2^53', { size2: 2 ** 53 }, /safe non-negative integers/],
    ['size2 is negative', { size2: -21 }, /safe non-negative integers/],
    ['size1 is null', { size1: null }, /safe non-negative integers/],
  ]
  for (const [when, over, why] of rejects) {
    describe(`when ${when}`, () => {
      it('returns false, and checkConsistency throws PROTO_PROOF_INVALID saying why', () => {
        assert.equal(verifyConsistency(...cons(over)), false)
        assert.throws(() => checkConsistency(...cons(over)), rejectedBecause(why))
      })
    })
  }

  describe('when both sizes are 0 and the proof is empty (transparency-dev convention)', () => {
    it('returns false: consistency from the empty tree is left to the protocol layer', () => {
      const empty = rootHash([])
      assert.equal(verifyConsistency(0, 0, [], empty, empty), false)
    })
  })

  describe('when the sizes are equal', () => {
    it('returns true for an empty proof and equal roots', () => {
      assert.equal(verifyConsistency(21, 21, [], root21, root21.slice()), true)
    })
    it('returns false for equal roots but a non-empty proof', () => {
      assert.equal(verifyConsistency(21, 21, [root21], root21, root21), false)
    })
    it('returns false for different roots', () => {
      assert.equal(verifyConsistency(21, 21, [], root21, root13), false)
    })
  })

  describe('when checkConsistency rejects', () => {
    it('attaches both sizes as details', () => {
      try {
        checkConsistency(...cons({ root2: root13 }))
        assert.fail('should have thrown')
      } catch (e) {
        assert.ok(isProtocolError(e, 'PROTO_PROOF_INVALID'))
        assert.deepEqual({ ...e.details }, { size1: 13, size2: 21 })
      }
    })
  })

  describe('when the sizes are near 2^53 − 1 (beyond 32-bit arithmetic)', () => {
    it('accepts correctly shaped proofs and rejects them at a neighbouring size1', () => {
      const big = Number.MAX_SAFE_INTEGER
      const pairs: [number, number][] = [
        [1, big],
        [2 ** 52, big],
        [2 ** 40 + 3, 2 ** 52 + 7],
        [big - 1, big],
        [2 ** 33 - 1, 2 ** 33 + 1],
      ]
      for (const [m, n] of pairs) {
        const s = synthesizeConsistency(m, n)
        assert.equal(verifyConsistency(m, n, s.proof, s.root1, s.root2), true, `${m} -> ${n}`)
        assert.equal(verifyConsistency(m + 1, n, s.proof, s.root1, s.root2), false, `${m + 1} -> ${n}`)
      }
    })
  })
})
