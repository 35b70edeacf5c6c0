import '../../dist/node.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { toHex, utf8 } from '../../dist/bytes.js'
import { isProtocolError } from '../../dist/errors.js'
import { nodeCrypto } from '../../dist/node.js'
import type { CryptoProvider } from '../../dist/crypto/provider.js'
import { leafHash } from '../../dist/merkle/hash.js'
import {
  consistencyProof,
  consistencyProofFromLeafHashes,
  inclusionProof,
  inclusionProofFromLeafHashes,
  rootFromLeafHashes,
  rootHash,
} from '../../dist/merkle/tree.js'
import { refLeafHash, refMth, refPath, refProof, sha256 } from './reference.js'

const leavesOf = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => utf8(`leaf ${i}`))
const hashesOf = (n: number): Uint8Array[] => leavesOf(n).map(refLeafHash)
const hex = (hs: readonly Uint8Array[]): string[] => hs.map(toHex)
const code = (c: string) => (e: unknown) => isProtocolError(e) && e.code === c

function counting(): { provider: CryptoProvider; calls: () => number } {
  let n = 0
  const provider: CryptoProvider = {
    ...nodeCrypto,
    sha256: (d: Uint8Array) => {
      n++
      return nodeCrypto.sha256(d)
    },
  }
  return { provider, calls: () => n }
}

describe('merkle tree building', () => {
  describe('when the tree is empty', () => {
    it('has SHA-256("") as its root', () => {
      assert.equal(toHex(rootHash([])), toHex(sha256()))
      assert.equal(toHex(rootFromLeafHashes([])), toHex(sha256()))
    })
    it('throws PROTO_PROOF_INVALID for any inclusion proof', () => {
      assert.throws(() => inclusionProof([], 0), code('PROTO_PROOF_INVALID'))
    })
  })

  describe('when the tree has one leaf', () => {
    it('has the leaf hash as root and an empty inclusion proof', () => {
      const d = [utf8('only')]
      assert.equal(toHex(rootHash(d)), toHex(refLeafHash(d[0]!)))
      assert.deepEqual(inclusionProof(d, 0), [])
    })
  })

  describe('when every tree of 1 to 40 leaves is built and every proof generated', () => {
    it('agrees with the naive recursive reference (RFC 9162 definitions)', () => {
      for (let n = 1; n <= 40; n++) {
        const h = hashesOf(n)
        assert.equal(toHex(rootFromLeafHashes(h)), toHex(refMth(h)), `root of ${n}`)
        for (let i = 0; i < n; i++) assert.deepEqual(hex(inclusionProofFromLeafHashes(h, i)), hex(refPath(i, h)))
        for (let m = 1; m <= n; m++) assert.deepEqual(hex(consistencyProofFromLeafHashes(h, m, n)), hex(refProof(m, h)))
      }
    })
  })

  describe('when the same tree is given as leaf data and as leaf hashes', () => {
    it('gives the same roots and proofs', () => {
      const d = leavesOf(13)
      const h = d.map((x) => leafHash(x))
      assert.equal(toHex(rootHash(d)), toHex(rootFromLeafHashes(h)))
      for (let i = 0; i < 13; i++) assert.deepEqual(hex(inclusionProof(d, i)), hex(inclusionProofFromLeafHashes(h, i)))
      for (let m = 1; m <= 13; m++) {
        assert.deepEqual(hex(consistencyProof(d, m, 13)), hex(consistencyProofFromLeafHashes(h, m, 13)))
        if (m <= 9) assert.deepEqual(hex(consistencyProof(d, m, 9)), hex(consistencyProofFromLeafHashes(h, m, 9)))
      }
    })
  })

  describe('when the index is not a leaf of the tree', () => {
    for (const index of [5, 6, -1, 1.5, Number.NaN, Infinity, 2 ** 53]) {
      it(`throws PROTO_PROOF_INVALID for index ${index} of 5 leaves`, () => {
        assert.throws(() => inclusionProofFromLeafHashes(hashesOf(5), index), code('PROTO_PROOF_INVALID'))
        assert.throws(() => inclusionProof(leavesOf(5), index), code('PROTO_PROOF_INVALID'))
      })
    }
  })

  describe('when the consistency sizes are out of range', () => {
    const cases: [string, number, number][] = [
      ['size1 is 0', 0, 3],
      ['both sizes are 0', 0, 0],
      ['size1 is larger than size2', 4, 3],
      ['size2 is beyond the leaves', 2, 6],
      ['size1 is fractional', 1.5, 3],
      ['size2 is NaN', 1, Number.NaN],
      ['size1 is negative', -1, 3],
    ]
    for (const [what, s1, s2] of cases) {
      it(`throws PROTO_PROOF_INVALID when ${what}`, () => {
        assert.throws(() => consistencyProofFromLeafHashes(hashesOf(5), s1, s2), code('PROTO_PROOF_INVALID'))
        assert.throws(() => consistencyProof(leavesOf(5), s1, s2), code('PROTO_PROOF_INVALID'))
      })
    }
  })

  describe('when the two consistency sizes are equal', () => {
    it('returns the empty proof', () => {
      assert.deepEqual(consistencyProofFromLeafHashes(hashesOf(5), 3, 3), [])
    })
  })

  describe('when a stored leaf hash is not 32 bytes', () => {
    it('throws PROTO_MALFORMED', () => {
      const h = hashesOf(4)
      h[2] = new Uint8Array(31)
      assert.throws(() => rootFromLeafHashes(h), code('PROTO_MALFORMED'))
      assert.throws(() => inclusionProofFromLeafHashes(h, 0), code('PROTO_MALFORMED'))
      assert.throws(() => consistencyProofFromLeafHashes(h, 1, 4), code('PROTO_MALFORMED'))
    })
  })

  describe('when the caller later changes its leaf hashes', () => {
    it('does not change a returned proof or root, and the proof is frozen', () => {
      const h = hashesOf(2)
      const proof = inclusionProofFromLeafHashes(h, 0)
      const root = rootFromLeafHashes(h.slice(0, 1))
      const before = [toHex(proof[0]!), toHex(root)]
      h[1]!.fill(0)
      h[0]!.fill(0)
      assert.deepEqual([toHex(proof[0]!), toHex(root)], before)
      assert.ok(Object.isFrozen(proof))
    })
  })

  describe('when counting the hashes a tree of n leaves costs', () => {
    for (const n of [1, 2, 3, 255, 256, 257, 1000, 4097]) {
      it(`uses n − 1 node hashes for the root and at most n − 1 for any proof (n = ${n})`, () => {
        const h = hashesOf(n)
        const root = counting()
        rootFromLeafHashes(h, root.provider)
        assert.equal(root.calls(), n - 1)
        for (const i of [0, Math.floor(n / 2), n - 1]) {
          const c = counting()
          inclusionProofFromLeafHashes(h, i, c.provider)
          assert.ok(c.calls() <= Math.max(0, n - 1), `inclusion ${i}: ${c.calls()}`)
        }
        for (const m of [1, Math.ceil(n / 3), n - 1, n].filter((x) => x >= 1)) {
          const c = counting()
          consistencyProofFromLeafHashes(h, m, n, c.provider)
          assert.ok(c.calls() <= Math.max(0, n - 1), `consistency ${m}: ${c.calls()}`)
        }
      })
    }
  })

  describe('when the root is built from leaf data', () => {
    it('hashes each leaf once and each node once', () => {
      const c = counting()
      rootHash(leavesOf(100), c.provider)
      assert.equal(c.calls(), 100 + 99)
    })
  })
})
