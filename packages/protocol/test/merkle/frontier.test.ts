// The frontier (compact range) against the naive reference MTH: every
// prefix root, across save (peaks) and restore (fromPeaks), by data and by
// leaf hash; restoring refuses peaks that cannot describe the size; and
// random peaks and sizes never crash it.
import '../../dist/node.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { toHex, utf8 } from '../../dist/bytes.js'
import { isProtocolError } from '../../dist/errors.js'
import { Frontier } from '../../dist/merkle/frontier.js'
import { leafHash } from '../../dist/merkle/hash.js'
import { refLeafHash, refMth, sha256 } from './reference.js'

const leavesOf = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => utf8(`leaf ${i}`))
const malformed = (e: unknown) => isProtocolError(e, 'PROTO_MALFORMED')

describe('merkle.Frontier', () => {
  describe('when leaves are appended one by one, 0 to 70', () => {
    it('gives the reference root of every prefix, by data and by leaf hash', () => {
      const data = leavesOf(70)
      const byData = Frontier.empty()
      const byHash = Frontier.empty()
      assert.equal(toHex(byData.root()), toHex(sha256()))
      data.forEach((d, i) => {
        byData.append(d)
        byHash.appendLeafHash(leafHash(d))
        const want = toHex(refMth(data.slice(0, i + 1).map(refLeafHash)))
        assert.equal(toHex(byData.root()), want, `size ${i + 1}`)
        assert.equal(toHex(byHash.root()), want, `size ${i + 1} by hash`)
      })
      assert.equal(byData.size, 70)
    })
  })

  describe('when it is saved and restored after every leaf', () => {
    it('goes on giving the reference root', () => {
      const data = leavesOf(37)
      let f = Frontier.empty()
      for (let n = 0; n <= data.length; n++) {
        assert.equal(toHex(f.root()), toHex(refMth(data.slice(0, n).map(refLeafHash))), `size ${n}`)
        assert.equal(f.peaks().length, n.toString(2).split('1').length - 1)
        f = Frontier.fromPeaks(f.size, f.peaks())
        if (n < data.length) f.append(data[n]!)
      }
    })
  })

  describe('when a clone is appended to', () => {
    it('leaves the original unchanged', () => {
      const f = Frontier.empty()
      for (const d of leavesOf(5)) f.append(d)
      const before = toHex(f.root())
      const g = f.clone()
      g.append(utf8('more'))
      assert.equal(toHex(f.root()), before)
      assert.equal(f.size, 5)
      assert.equal(g.size, 6)
    })
  })

  describe('when a caller changes the bytes it passed in or got back', () => {
    it('keeps its own copies', () => {
      const f = Frontier.empty()
      const h = leafHash(utf8('only'))
      f.appendLeafHash(h)
      const want = toHex(f.root())
      h.fill(0)
      f.root().fill(0)
      f.peaks()[0]!.fill(0)
      assert.equal(toHex(f.root()), want)
    })
  })

  describe('when the peaks do not fit the size', () => {
    it('throws PROTO_MALFORMED', () => {
      const h = leafHash(utf8('x'))
      assert.throws(() => Frontier.fromPeaks(5, []), malformed)
      assert.throws(() => Frontier.fromPeaks(5, [h]), malformed)
      assert.throws(() => Frontier.fromPeaks(4, [h, h]), malformed)
      assert.throws(() => Frontier.fromPeaks(1, [new Uint8Array(31)]), malformed)
      assert.throws(() => Frontier.fromPeaks(-1, []), malformed)
      assert.throws(() => Frontier.fromPeaks(1.5, [h]), malformed)
      assert.throws(() => Frontier.empty().appendLeafHash(new Uint8Array(33)), malformed)
    })
  })

  describe('when it is given random sizes and peaks', () => {
    it('returns a frontier or throws PROTO_MALFORMED, nothing else', () => {
      fc.assert(
        fc.property(fc.oneof(fc.nat(), fc.double(), fc.constant(2 ** 53)), fc.array(fc.uint8Array({ minLength: 30, maxLength: 34 }), { maxLength: 60 }), (size, peaks) => {
          try {
            const f = Frontier.fromPeaks(size, peaks)
            assert.equal(f.root().length, 32)
          } catch (e) {
            assert.ok(malformed(e), String(e))
          }
        }),
        { numRuns: 500 },
      )
    })
  })
})
