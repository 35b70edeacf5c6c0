import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { checkpoint, CLOCK_SKEW_SECONDS, type note } from '../../dist/node.js'

type Verifier = note.Verifier

const NOW = 1_790_000_000
const { cosignedAtAsOf, clampCosignedAt, quorumCosignedAt } = checkpoint

/** A witness verifier: only name, key hash and public key matter to the count. */
function witness(i: number, publicKey = Uint8Array.of(i, 1, 2, 3)): Verifier {
  return { name: `w${i}`, keyHash: 0x1000 + i, type: 0x04, publicKey, verify: () => true }
}
const line = (w: Verifier, time: number) => ({ name: w.name, keyHash: w.keyHash, time })

describe('quorumCosignedAt', () => {
  it('is the quorum-th newest, or null when too few times', () => {
    assert.equal(quorumCosignedAt([1000, 2000, 1500], 2), 1500)
    assert.equal(quorumCosignedAt([1000], 2), null)
  })
})

describe('cosignedAtAsOf', () => {
  it('ignores a far-future time before the quorum count: a quorum of one cannot be switched off by one late witness', () => {
    const [a, b] = [witness(1), witness(2)]
    assert.equal(cosignedAtAsOf([line(a, NOW + 10 ** 9), line(b, NOW - 50)], [a, b], 1, NOW, CLOCK_SKEW_SECONDS), NOW - 50)
    assert.equal(cosignedAtAsOf([line(a, NOW + 10 ** 9)], [a], 1, NOW, CLOCK_SKEW_SECONDS), null)
  })
  it('uses a witness\'s newest believable line when it also has a future one', () => {
    const [a, b] = [witness(1), witness(2)]
    const lines = [line(a, NOW + 5000), line(a, NOW - 900), line(b, NOW - 100)]
    assert.equal(cosignedAtAsOf(lines, [a, b], 2, NOW, CLOCK_SKEW_SECONDS), NOW - 900)
  })
  it('caps a time ahead within the skew at now', () => {
    const a = witness(1)
    assert.equal(cosignedAtAsOf([line(a, NOW + CLOCK_SKEW_SECONDS)], [a], 1, NOW, CLOCK_SKEW_SECONDS), NOW)
    assert.equal(cosignedAtAsOf([line(a, NOW + CLOCK_SKEW_SECONDS + 1)], [a], 1, NOW, CLOCK_SKEW_SECONDS), null)
  })
  it('counts one public key listed under two names once', () => {
    const key = Uint8Array.of(9, 9, 9)
    const [a, a2] = [witness(1, key), witness(2, key)]
    assert.equal(cosignedAtAsOf([line(a, NOW - 10), line(a2, NOW - 20)], [a, a2], 2, NOW, CLOCK_SKEW_SECONDS), null)
    assert.equal(cosignedAtAsOf([line(a, NOW - 10), line(a2, NOW - 20)], [a, a2], 1, NOW, CLOCK_SKEW_SECONDS), NOW - 10)
  })
  it('ignores lines of keys it does not trust', () => {
    const [a, b] = [witness(1), witness(2)]
    assert.equal(cosignedAtAsOf([line(b, NOW - 1)], [a], 1, NOW, CLOCK_SKEW_SECONDS), null)
  })

  // The guarantee, for any witness set: with fewer than `quorum` liars
  // (any times, any number of lines, far-future ones included), the answer
  // is never later than now, nor later than the newest honest time.
  it('property: fewer than quorum liars cannot move freshness past an honest member\'s time or past now', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((quorum) =>
          fc.record({
            quorum: fc.constant(quorum),
            honest: fc.array(fc.integer({ min: NOW - 10 ** 7, max: NOW + CLOCK_SKEW_SECONDS }), { minLength: 0, maxLength: 8 }),
            liars: fc.array(fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 1, maxLength: 4 }), { minLength: 0, maxLength: quorum - 1 }),
          }),
        ),
        ({ quorum, honest, liars }) => {
          const hw = honest.map((_, i) => witness(i))
          const lw = liars.map((_, i) => witness(100 + i))
          const lines = [...honest.map((t, i) => line(hw[i]!, t)), ...liars.flatMap((ts, i) => ts.map((t) => line(lw[i]!, t)))]
          const at = cosignedAtAsOf(lines, [...hw, ...lw], quorum, NOW, CLOCK_SKEW_SECONDS)
          if (at === null) return
          assert.ok(at <= NOW, `${at} is past now`)
          assert.ok(honest.length > 0 && at <= Math.max(...honest), `${at} is past every honest time ${honest}`)
        },
      ),
    )
  })
  it('property: a far-future line never changes the answer, whoever signs it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.integer({ min: NOW - 10 ** 6, max: NOW + CLOCK_SKEW_SECONDS }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(5), fc.integer({ min: NOW + CLOCK_SKEW_SECONDS + 1, max: 2 ** 45 })), { maxLength: 6 }),
        (quorum, times, future) => {
          const ws = times.map((_, i) => witness(i))
          const base = times.map((t, i) => line(ws[i]!, t))
          const extra = future.map(([i, t]) => line(ws[i % ws.length]!, t))
          assert.equal(cosignedAtAsOf([...extra, ...base], ws, quorum, NOW, CLOCK_SKEW_SECONDS), cosignedAtAsOf(base, ws, quorum, NOW, CLOCK_SKEW_SECONDS))
        },
      ),
    )
  })
})

describe('clampCosignedAt', () => {
  it('caps a remembered time at now and keeps null and past times', () => {
    assert.equal(clampCosignedAt(NOW + 10 ** 6, NOW), NOW)
    assert.equal(clampCosignedAt(NOW - 5, NOW), NOW - 5)
    assert.equal(clampCosignedAt(null, NOW), null)
  })
})
