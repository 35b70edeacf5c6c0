import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { restartDelay, RESTART_BASE_MS, RESTART_MAX_MS } from './restart-delay.js'

describe('restartDelay', () => {
  it('starts at the base delay and doubles', () => {
    assert.deepEqual([0, 1, 2, 3].map(restartDelay), [RESTART_BASE_MS, 2 * RESTART_BASE_MS, 4 * RESTART_BASE_MS, 8 * RESTART_BASE_MS])
  })

  it('stops growing at the cap, however many failures', () => {
    for (const n of [7, 8, 20, 1000, Number.MAX_SAFE_INTEGER]) assert.equal(restartDelay(n), RESTART_MAX_MS)
  })

  it('treats nonsense counts as the first failure', () => {
    for (const n of [-1, NaN, -Infinity]) assert.equal(restartDelay(n), RESTART_BASE_MS)
  })
})
