// The portable SHA-256 (what the browser provider hashes with) against the
// FIPS 180-4 / NIST example digests and against node:crypto.
import '../../dist/node.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as nc from 'node:crypto'
import fc from 'fast-check'
import { sha256 } from '../../dist/crypto/sha256.js'
import { nodeCrypto } from '../../dist/crypto/ed25519-node.js'
import { toHex, utf8 } from '../../dist/bytes.js'

const nodeHex = (data: Uint8Array) => nc.createHash('sha256').update(data).digest('hex')

// NIST CSRC "Examples with Intermediate Values" (SHA-256) and FIPS 180-2 Appendix B.
const NIST = [
  { name: '"abc"', data: utf8('abc'), digest: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
  { name: 'the empty string', data: new Uint8Array(), digest: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
  {
    name: 'the 448-bit message "abcdbcde…nopq"',
    data: utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
    digest: '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  },
  { name: '1,000,000 × "a"', data: new Uint8Array(1_000_000).fill(0x61), digest: 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0' },
]

describe('portable sha256', () => {
  for (const v of NIST) {
    it(`gives the NIST digest of ${v.name}, as node:crypto does`, () => {
      assert.equal(toHex(sha256(v.data)), v.digest)
      assert.equal(nodeHex(v.data), v.digest)
      assert.equal(toHex(nodeCrypto.sha256(v.data)), v.digest)
    })
  }

  it('equals node:crypto for every length 0..300 around the padding boundaries', () => {
    const data = new Uint8Array(301)
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 255
    for (let n = 0; n <= 300; n++) assert.equal(toHex(sha256(data.subarray(0, n))), nodeHex(data.subarray(0, n)), `length ${n}`)
  })

  it('equals node:crypto on random inputs of length 0..300', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        assert.equal(toHex(sha256(data)), nodeHex(data))
      }),
      { numRuns: 1000 },
    )
  })

  it('hashes a view into a larger buffer by its own bytes only', () => {
    const big = new Uint8Array(200).map((_, i) => i)
    const view = big.subarray(50, 120)
    assert.equal(toHex(sha256(view)), nodeHex(view))
  })
})
