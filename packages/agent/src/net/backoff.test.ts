import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Backoff, nextDelay } from './backoff.js'

const almostOne = 1 - Number.EPSILON

describe('nextDelay', () => {
  const opts = { baseMs: 100, maxMs: 5000 }

  it('doubles the ceiling per attempt until maxMs', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 7].map((a) => nextDelay(a, { ...opts, random: () => almostOne }))
    assert.deepEqual(ceilings, [99, 199, 399, 799, 1599, 3199, 4999, 4999])
  })

  it('uses full jitter: the random draw scales the whole window down to 0', () => {
    assert.equal(nextDelay(4, { ...opts, random: () => 0 }), 0)
    assert.equal(nextDelay(4, { ...opts, random: () => 0.5 }), 800)
  })

  it('stays in range for huge, negative and fractional attempts', () => {
    assert.equal(nextDelay(1e9, { ...opts, random: () => 0.5 }), 2500)
    assert.equal(nextDelay(Infinity, { ...opts, random: () => 0.5 }), 2500)
    assert.equal(nextDelay(NaN, { ...opts, random: () => 0.5 }), 50)
    assert.equal(nextDelay(-3, { ...opts, random: () => 0.5 }), 50)
    assert.equal(nextDelay(2.7, { ...opts, random: () => 0.5 }), 200)
  })

  it('ignores a random source that leaves [0, 1)', () => {
    for (const bad of [1, 2, -1, NaN]) assert.equal(nextDelay(3, { ...opts, random: () => bad }), 0)
  })

  it('refuses negative or non-finite bounds', () => {
    assert.throws(() => nextDelay(0, { baseMs: -1, maxMs: 10 }), RangeError)
    assert.throws(() => nextDelay(0, { baseMs: 1, maxMs: Infinity }), RangeError)
  })

  it('spreads draws over the window with the default random source', () => {
    const draws = Array.from({ length: 2000 }, () => nextDelay(3, opts))
    assert.ok(draws.every((d) => Number.isInteger(d) && d >= 0 && d < 800))
    assert.ok(draws.some((d) => d < 200) && draws.some((d) => d >= 600))
  })
})

describe('Backoff', () => {
  const make = (): Backoff => new Backoff({ baseMs: 100, maxMs: 1000, resetAfterMs: 30_000, random: () => almostOne })

  it('grows with each failed attempt', () => {
    const b = make()
    assert.deepEqual([b.next(), b.next(), b.next(), b.attempt], [99, 199, 399, 3])
  })

  describe('when a connection drops soon after it was accepted', () => {
    it('keeps backing off instead of resetting', () => {
      const b = make()
      b.next()
      b.next()
      b.connectionEnded(500)
      assert.equal(b.next(), 399)
    })
  })

  describe('when a connection stayed up for resetAfterMs', () => {
    it('starts again from the base delay', () => {
      const b = make()
      b.next()
      b.next()
      b.connectionEnded(30_000)
      assert.equal(b.attempt, 0)
      assert.equal(b.next(), 99)
    })
  })

  it('resets on demand and validates options up front', () => {
    const b = make()
    b.next()
    b.reset()
    assert.equal(b.attempt, 0)
    assert.throws(() => new Backoff({ baseMs: NaN, maxMs: 1, resetAfterMs: 1 }), RangeError)
  })
})
