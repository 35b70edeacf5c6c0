// The byte helpers every format is built on: UTF-8 encoding and the slab
// allocator behind it, which must behave exactly like fresh arrays.
import '../dist/node.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { alloc, utf8 } from '../dist/bytes.js'

const encoder = new TextEncoder()

describe('utf8', () => {
  it('equals TextEncoder on random strings, lone surrogates included, at every length around the slab bounds', () => {
    // Any UTF-16 code units, so lone surrogates too (they encode as U+FFFD).
    const units = fc.array(fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0, max: 0xffff })), { maxLength: 1500 })
    fc.assert(
      fc.property(units.map((u) => String.fromCharCode(...u)), (s) => {
        assert.deepEqual(utf8(s), encoder.encode(s))
      }),
      { numRuns: 2000 },
    )
  })

  describe('when a text uses less than its worst case of three bytes a character', () => {
    it('leaves the rest zeroed for the next array and shares no byte with it', () => {
      for (let round = 0; round < 200; round++) {
        const text = 'x'.repeat(30 + round) // ASCII: a third of the room reserved
        const a = utf8(text)
        const b = alloc(100)
        assert.ok(b.every((x) => x === 0), 'a new array is zeroed')
        b.fill(0xff)
        assert.deepEqual(a, encoder.encode(text), 'and writing it does not change the text')
      }
    })
  })
})

describe('alloc', () => {
  it('returns zeroed arrays of the requested length that do not overlap', () => {
    const arrays = [1, 64, 65, 100, 4096, 4097, 3000, 65, 7].map((n) => alloc(n))
    for (const a of arrays) assert.ok(a.every((x) => x === 0))
    arrays.forEach((a, i) => a.fill(i + 1))
    arrays.forEach((a, i) => assert.ok(a.every((x) => x === i + 1), `array ${i} kept its bytes`))
  })
})
