import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { LOCKOUT, lockedUntilAfter } from './lockout.js'
import { LoginRateLimiter } from './login-rate-limit.js'

const MIN = 60_000

describe('lockedUntilAfter', () => {
  it('locks on every 5th failure: 15 min, doubling, capped at 24 h', () => {
    assert.equal(lockedUntilAfter(1, 0), null)
    assert.equal(lockedUntilAfter(4, 0), null)
    assert.equal(lockedUntilAfter(5, 1000), 1000 + 15 * MIN)
    assert.equal(lockedUntilAfter(6, 0), null)
    assert.equal(lockedUntilAfter(10, 0), 30 * MIN)
    assert.equal(lockedUntilAfter(15, 0), 60 * MIN)
    assert.equal(lockedUntilAfter(35, 0), 960 * MIN)
    assert.equal(lockedUntilAfter(40, 0), LOCKOUT.maxLockMs)
    assert.equal(lockedUntilAfter(5 * 1000, 0), LOCKOUT.maxLockMs)
    assert.equal(lockedUntilAfter(0, 0), null)
  })
})

describe('LoginRateLimiter', () => {
  it('allows `limit` attempts per window and address, then says when to retry', () => {
    const l = new LoginRateLimiter({ limit: 3, windowMs: 60_000 })
    for (let i = 0; i < 3; i++) assert.deepEqual(l.hit('10.0.0.1', 1000 + i), { allowed: true })
    assert.deepEqual(l.hit('10.0.0.1', 31_000), { allowed: false, retryAfterSeconds: 30 })
    assert.deepEqual(l.hit('10.0.0.2', 31_000), { allowed: true })
    assert.deepEqual(l.hit('10.0.0.1', 61_000), { allowed: true })
  })

  it('stays within maxEntries addresses, dropping expired windows first, then the oldest', () => {
    const l = new LoginRateLimiter({ limit: 1, windowMs: 1000, maxEntries: 3 })
    l.hit('a', 0)
    l.hit('b', 500)
    l.hit('c', 900)
    l.hit('d', 1200) // 'a' expired: dropped
    assert.equal(l.size, 3)
    assert.deepEqual(l.hit('b', 1300), { allowed: false, retryAfterSeconds: 1 })
    l.hit('e', 1350) // none expired: the oldest live window ('b') goes
    assert.deepEqual(l.hit('b', 1360), { allowed: true })
    assert.equal(l.size, 3)
    for (let i = 0; i < 100; i++) l.hit(`x${i}`, 1400)
    assert.equal(l.size, 3)
  })
})
