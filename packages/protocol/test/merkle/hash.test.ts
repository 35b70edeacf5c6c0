import '../../dist/node.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { fromHex, toHex } from '../../dist/bytes.js'
import { nodeCrypto } from '../../dist/node.js'
import { sha256 as portableSha256 } from '../../dist/crypto/sha256.js'
import type { CryptoProvider } from '../../dist/crypto/provider.js'
import { emptyRoot, HASH_SIZE, leafHash, nodeHash } from '../../dist/merkle/hash.js'
import { vectorJson } from '../vectors.js'

interface ReferenceTree {
  leafInputsHex: string[]
  nodeHashes: string[][]
  rootHashes: string[]
}
const tree = vectorJson<ReferenceTree>('rfc6962-reference-tree.json')

describe('merkle hashes (RFC 9162 §2.1.1)', () => {
  describe('when hashing the leaves of the transparency-dev reference tree', () => {
    it('matches every published leaf hash, including the empty leaf', () => {
      tree.leafInputsHex.forEach((hex, i) => {
        assert.equal(toHex(leafHash(fromHex(hex))), tree.nodeHashes[0]![i])
      })
    })
  })

  describe('when hashing each pair of published child hashes', () => {
    it('matches every published parent hash on every level', () => {
      for (let level = 1; level < tree.nodeHashes.length; level++) {
        tree.nodeHashes[level]!.forEach((want, i) => {
          const below = tree.nodeHashes[level - 1]!
          assert.equal(toHex(nodeHash(fromHex(below[2 * i]!), fromHex(below[2 * i + 1]!))), want)
        })
      }
    })
  })

  describe('when asked for the empty tree root', () => {
    it('returns SHA-256 of the empty string, not the hash of an empty leaf', () => {
      assert.equal(toHex(emptyRoot()), tree.rootHashes[0])
      assert.notEqual(toHex(emptyRoot()), toHex(leafHash(new Uint8Array(0))))
      assert.equal(emptyRoot().length, HASH_SIZE)
    })
  })

  describe('when a leaf and a node have the same bytes after the prefix', () => {
    it('hashes them differently (domain separation)', () => {
      const l = new Uint8Array(32).fill(7)
      const r = new Uint8Array(32).fill(9)
      const asNode = nodeHash(l, r)
      const asLeaf = leafHash(new Uint8Array([...l, ...r]))
      assert.notEqual(toHex(asNode), toHex(asLeaf))
    })
  })

  describe('when the provider returns Node Buffers', () => {
    it('still returns plain Uint8Arrays, so slice() copies on every platform', () => {
      const buffers: CryptoProvider = { ...nodeCrypto, sha256: (d: Uint8Array) => Buffer.from(nodeCrypto.sha256(d)) }
      assert.equal(Object.getPrototypeOf(buffers.sha256(new Uint8Array(1))) === Uint8Array.prototype, false)
      const a = leafHash(new Uint8Array(1), buffers)
      for (const h of [a, nodeHash(a, a, buffers), emptyRoot(buffers)]) assert.equal(Object.getPrototypeOf(h), Uint8Array.prototype)
      assert.equal(Object.getPrototypeOf(nodeCrypto.sha256(new Uint8Array(1))), Uint8Array.prototype)
    })
  })

  describe('when an explicit crypto provider is passed', () => {
    it('uses it for every hash and agrees with node:crypto', () => {
      let calls = 0
      const portable: CryptoProvider = {
        ...nodeCrypto,
        name: 'portable',
        sha256: (d: Uint8Array) => {
          calls++
          return portableSha256(d)
        },
      }
      const data = new Uint8Array([1, 2, 3])
      assert.deepEqual(leafHash(data, portable), new Uint8Array(leafHash(data)))
      const a = leafHash(data)
      assert.deepEqual(nodeHash(a, a, portable), new Uint8Array(nodeHash(a, a)))
      assert.deepEqual(emptyRoot(portable), new Uint8Array(emptyRoot()))
      assert.equal(calls, 3)
    })
  })
})
