import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { RateLimiter } from './rate-limiter.js'

describe('RateLimiter', () => {
  it('allows a burst, then refills at the average rate', () => {
    const l = new RateLimiter({ burst: 2, perSecond: 1 })
    assert.deepEqual([l.take('a', 0), l.take('a', 0), l.take('a', 0)], [true, true, false])
    assert.equal(l.take('a', 500), false)
    assert.equal(l.take('a', 1000), true)
    assert.equal(l.take('b', 1000), true, 'another address has its own bucket')
  })

  it('keeps at most maxKeys buckets, forgetting the least recently used', () => {
    const l = new RateLimiter({ burst: 1, perSecond: 0.001, maxKeys: 100 })
    for (let i = 0; i < 10_000; i++) l.take(`10.0.${i >> 8}.${i & 255}`, i)
    assert.equal(l.size, 100)
    assert.equal(l.take('10.0.39.15', 10_000), false, 'a recent address is still limited') // i = 9999
  })
})
