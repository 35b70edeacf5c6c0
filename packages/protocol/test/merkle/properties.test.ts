// Property tests over random trees of 1..300 leaves: generated proofs
// verify; every single-bit mutation is caught; the leaf-data and leaf-hash
// forms agree; and both agree with the naive reference in ./reference.ts.
import '../../dist/node.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { toHex } from '../../dist/bytes.js'
import { leafHash } from '../../dist/merkle/hash.js'
import {
  consistencyProof,
  consistencyProofFromLeafHashes,
  inclusionProof,
  inclusionProofFromLeafHashes,
  rootFromLeafHashes,
  rootHash,
} from '../../dist/merkle/tree.js'
import { checkConsistency, checkInclusion, verifyConsistency, verifyInclusion } from '../../dist/merkle/verify.js'
import {
  flipBit,
  flipNumberBit,
  refMth,
  refPath,
  refProof,
  refVerifyConsistency,
  refVerifyInclusion,
} from './reference.js'

const hex = (hs: readonly Uint8Array[]): string[] => hs.map(toHex)

/** Any leaves, duplicates allowed. */
const anyLeaves = fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 300 })
/**
 * Distinct leaves: with two equal leaves, proving one at the other's index
 * is genuinely valid, so mutation tests need distinct ones.
 */
const distinctLeaves = fc.uniqueArray(fc.uint8Array({ maxLength: 16 }), {
  minLength: 1,
  maxLength: 300,
  selector: (a) => toHex(a),
})

/** A tree, a leaf index in it, and sizes 1 ≤ size1 ≤ size2 ≤ n. */
const scenario = (leaves: fc.Arbitrary<Uint8Array[]>) =>
  fc.tuple(leaves, fc.nat(), fc.nat(), fc.nat()).map(([d, a, b, c]) => {
    const n = d.length
    const size2 = 1 + (b % n)
    const size1 = 1 + (c % size2)
    return { d, h: d.map((x) => leafHash(x)), index: a % n, size1, size2 }
  })

const RUNS = { numRuns: 150 }
const MUTATION_RUNS = { numRuns: 60 }

describe('merkle properties over random trees of 1..300 leaves', () => {
  describe('when an inclusion proof is generated for a random leaf', () => {
    it('verifies against the root', () => {
      fc.assert(
        fc.property(scenario(anyLeaves), ({ d, h, index }) => {
          const proof = inclusionProof(d, index)
          const root = rootHash(d)
          assert.equal(verifyInclusion(h[index]!, index, d.length, proof, root), true)
          checkInclusion(h[index]!, index, d.length, proof, root)
        }),
        RUNS,
      )
    })
  })

  describe('when a consistency proof is generated for random sizes', () => {
    it('verifies against the two roots', () => {
      fc.assert(
        fc.property(scenario(anyLeaves), ({ h, size1, size2 }) => {
          const proof = consistencyProofFromLeafHashes(h, size1, size2)
          const root1 = rootFromLeafHashes(h.slice(0, size1))
          const root2 = rootFromLeafHashes(h.slice(0, size2))
          assert.equal(verifyConsistency(size1, size2, proof, root1, root2), true)
          checkConsistency(size1, size2, proof, root1, root2)
        }),
        RUNS,
      )
    })
  })

  describe('when the same tree is given as leaf data and as leaf hashes', () => {
    it('gives identical roots and proofs', () => {
      fc.assert(
        fc.property(scenario(anyLeaves), ({ d, h, index, size1, size2 }) => {
          assert.equal(toHex(rootHash(d)), toHex(rootFromLeafHashes(h)))
          assert.deepEqual(hex(inclusionProof(d, index)), hex(inclusionProofFromLeafHashes(h, index)))
          assert.deepEqual(hex(consistencyProof(d, size1, size2)), hex(consistencyProofFromLeafHashes(h, size1, size2)))
        }),
        RUNS,
      )
    })
  })

  describe('when compared with the naive recursive reference (RFC 9162 definitions)', () => {
    it('gives identical roots, inclusion proofs and consistency proofs', () => {
      fc.assert(
        fc.property(scenario(anyLeaves), ({ h, index, size1, size2 }) => {
          assert.equal(toHex(rootFromLeafHashes(h)), toHex(refMth(h)))
          assert.deepEqual(hex(inclusionProofFromLeafHashes(h, index)), hex(refPath(index, h)))
          const prefix = h.slice(0, size2)
          assert.deepEqual(hex(consistencyProofFromLeafHashes(h, size1, size2)), hex(refProof(size1, prefix)))
        }),
        RUNS,
      )
    })
  })

  describe('when one bit of an inclusion-proof argument is flipped', () => {
    it('returns false for every bit of every proof hash, of the leaf hash, of the root and of the index', () => {
      fc.assert(
        fc.property(scenario(distinctLeaves), ({ d, h, index }) => {
          const n = d.length
          const leaf = h[index]!
          const proof = inclusionProofFromLeafHashes(h, index)
          const root = rootFromLeafHashes(h)
          for (let j = 0; j < proof.length; j++) {
            for (let bit = 0; bit < 256; bit++) {
              const p = proof.slice()
              p[j] = flipBit(proof[j]!, bit)
              assert.equal(verifyInclusion(leaf, index, n, p, root), false, `proof[${j}] bit ${bit}`)
            }
          }
          for (let bit = 0; bit < 256; bit++) {
            assert.equal(verifyInclusion(leaf, index, n, proof, flipBit(root, bit)), false, `root bit ${bit}`)
            assert.equal(verifyInclusion(flipBit(leaf, bit), index, n, proof, root), false, `leaf bit ${bit}`)
          }
          for (let bit = 0; bit < 53; bit++) {
            const i = flipNumberBit(index, bit)
            assert.equal(verifyInclusion(leaf, i, n, proof, root), false, `index bit ${bit}`)
          }
        }),
        MUTATION_RUNS,
      )
    })

    // RFC 9162 inclusion proofs do not commit to the tree size: a size whose
    // audit path for this index has the same shape computes the same root
    // (e.g. leaf 0 of 5 also "verifies" at size 7). The size is bound by the
    // signed checkpoint, not by the proof. So the property is: a flipped
    // size is rejected exactly when the definitional verifier rejects it.
    it('returns false for a flipped tree-size bit unless the audit path has the same shape at that size', () => {
      let accepted = 0
      fc.assert(
        fc.property(scenario(distinctLeaves), ({ d, h, index }) => {
          const leaf = h[index]!
          const proof = inclusionProofFromLeafHashes(h, index)
          const root = rootFromLeafHashes(h)
          for (let bit = 0; bit < 53; bit++) {
            const size = flipNumberBit(d.length, bit)
            const got = verifyInclusion(leaf, index, size, proof, root)
            assert.equal(got, refVerifyInclusion(leaf, index, size, proof, root), `size ${d.length} -> ${size}`)
            if (got) accepted++
          }
        }),
        { numRuns: 200 },
      )
      assert.ok(accepted < 200 * 53 * 0.2, `${accepted} size mutations accepted`)
    })
  })

  describe('when one bit of a consistency-proof argument is flipped', () => {
    it('returns false for every bit of every proof hash, of both roots and of size1', () => {
      fc.assert(
        fc.property(scenario(distinctLeaves), ({ h, size1, size2 }) => {
          const proof = consistencyProofFromLeafHashes(h, size1, size2)
          const root1 = rootFromLeafHashes(h.slice(0, size1))
          const root2 = rootFromLeafHashes(h.slice(0, size2))
          for (let j = 0; j < proof.length; j++) {
            for (let bit = 0; bit < 256; bit++) {
              const p = proof.slice()
              p[j] = flipBit(proof[j]!, bit)
              assert.equal(verifyConsistency(size1, size2, p, root1, root2), false, `proof[${j}] bit ${bit}`)
            }
          }
          for (let bit = 0; bit < 256; bit++) {
            assert.equal(verifyConsistency(size1, size2, proof, flipBit(root1, bit), root2), false, `root1 bit ${bit}`)
            assert.equal(verifyConsistency(size1, size2, proof, root1, flipBit(root2, bit)), false, `root2 bit ${bit}`)
          }
          for (let bit = 0; bit < 53; bit++) {
            const s1 = flipNumberBit(size1, bit)
            assert.equal(verifyConsistency(s1, size2, proof, root1, root2), false, `size1 ${size1} -> ${s1}`)
          }
        }),
        MUTATION_RUNS,
      )
    })

    // As for inclusion, size2 is bound by the checkpoint signature, not the
    // proof: a size2 with the same proof shape computes the same root2.
    it('returns false for a flipped size2 bit unless the proof has the same shape at that size', () => {
      fc.assert(
        fc.property(scenario(distinctLeaves), ({ h, size1, size2 }) => {
          const proof = consistencyProofFromLeafHashes(h, size1, size2)
          const root1 = rootFromLeafHashes(h.slice(0, size1))
          const root2 = rootFromLeafHashes(h.slice(0, size2))
          for (let bit = 0; bit < 53; bit++) {
            const s2 = flipNumberBit(size2, bit)
            const got = verifyConsistency(size1, s2, proof, root1, root2)
            assert.equal(got, refVerifyConsistency(size1, s2, proof, root1, root2), `size2 ${size2} -> ${s2}`)
          }
        }),
        { numRuns: 200 },
      )
    })
  })
})
