import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { merkle } from '@palisade/protocol'
import { MerkleLevels } from './merkle-levels.js'

const leaf = (i: number): Uint8Array => merkle.leafHash(new TextEncoder().encode(`entry ${i}`))

describe('MerkleLevels', () => {
  it('gives the same roots and proofs as protocol merkle for every size, index and old size up to 70', () => {
    const hashes: Uint8Array[] = []
    const tree = new MerkleLevels()
    for (let n = 1; n <= 70; n++) {
      hashes.push(leaf(n))
      tree.append(hashes[n - 1]!)
      assert.equal(tree.size, n)
      assert.deepEqual(tree.root(n), merkle.rootFromLeafHashes(hashes), `root ${n}`)
      for (let i = 0; i < n; i++) assert.deepEqual(tree.inclusion(i, n), merkle.inclusionProofFromLeafHashes(hashes, i), `inclusion ${i}/${n}`)
      for (let m = 1; m <= n; m++) assert.deepEqual(tree.consistency(m, n), merkle.consistencyProofFromLeafHashes(hashes, m, n), `consistency ${m}→${n}`)
    }
    // Older sizes of a grown tree, too (a device's checkpoint, a witness's last size).
    for (let n = 1; n <= 70; n += 7) {
      assert.deepEqual(tree.root(n), merkle.rootFromLeafHashes(hashes.slice(0, n)), `old root ${n}`)
      assert.deepEqual(tree.inclusion(n - 1, n), merkle.inclusionProofFromLeafHashes(hashes.slice(0, n), n - 1))
    }
  })

  it('agrees at a few thousand leaves, where its proofs verify', () => {
    const hashes = Array.from({ length: 5000 }, (_, i) => leaf(i))
    const tree = new MerkleLevels()
    for (const h of hashes) tree.append(h)
    const root = tree.root(5000)
    assert.deepEqual(root, merkle.rootFromLeafHashes(hashes))
    for (const i of [0, 1, 2047, 2048, 4095, 4096, 4999]) {
      const proof = tree.inclusion(i, 5000)
      assert.deepEqual(proof, merkle.inclusionProofFromLeafHashes(hashes, i))
      assert.equal(merkle.verifyInclusion(hashes[i]!, i, 5000, proof, root), true)
    }
    for (const m of [1, 1000, 4096, 4999]) {
      const proof = tree.consistency(m, 5000)
      assert.deepEqual(proof, merkle.consistencyProofFromLeafHashes(hashes, m, 5000))
      assert.equal(merkle.verifyConsistency(m, 5000, proof, merkle.rootFromLeafHashes(hashes.slice(0, m)), root), true)
    }
  })

  it('refuses a leaf hash of the wrong length', () => {
    assert.throws(() => new MerkleLevels().append(new Uint8Array(31)), /32 bytes/)
  })
})
