import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { backoffDelay } from './backoff.js'
import { formatStatus, sumCounters, zeroCounters } from './counters.js'
import { isSimError } from './errors.js'
import { resolveSimOptions } from './sim-options.js'

const FP = 'a'.repeat(64)

describe('resolveSimOptions', () => {
  it('fills the defaults and normalises the server URL', () => {
    const o = resolveSimOptions({ server: 'http://127.0.0.1:8080/', tokens: ['t'], fingerprint: FP.toUpperCase(), agents: 10 })
    assert.equal(o.server, 'http://127.0.0.1:8080')
    assert.equal(o.fingerprint, FP)
    assert.equal(o.workers, 1)
    assert.equal(o.rampRate, 500)
    assert.deepEqual(o.sourceAddresses, [])
    assert.ok(Object.isFrozen(o))
  })
  it('reports every bad option at once, each by name', () => {
    assert.throws(
      () => resolveSimOptions({ server: 'ftp://x', tokens: ['has space'], fingerprint: 'abc', agents: 0, workers: 100, rampRate: 0 }),
      (e: unknown) =>
        isSimError(e, 'SIM_ARG_INVALID') &&
        ['server', 'token', 'fingerprint', 'agents', 'workers', 'rampRate'].every((f) => e.message.includes(f)),
    )
  })
  it('refuses more agents per process than the open-file limit allows, naming the workers needed', () => {
    assert.throws(
      () => resolveSimOptions({ server: 'http://127.0.0.1:1', tokens: ['t'], fingerprint: FP, agents: 50_000 }),
      (e: unknown) => isSimError(e, 'SIM_ARG_INVALID') && /use workers ≥ \d+/.test(e.message),
    )
  })
  it('needs tokens or a state directory', () => {
    assert.throws(() => resolveSimOptions({ server: 'http://127.0.0.1:1', agents: 1 }), (e: unknown) => isSimError(e, 'SIM_ARG_INVALID'))
  })
})

describe('backoffDelay', () => {
  it('stays under min(max, base·2^attempt)', () => {
    assert.equal(backoffDelay(3, { baseMs: 1000, maxMs: 120_000 }, () => 0.999), 7992)
    assert.equal(backoffDelay(60, { baseMs: 1000, maxMs: 120_000 }, () => 0.5), 60_000)
  })
})

describe('counters', () => {
  it('sum field by field and format one status line', () => {
    const a = { ...zeroCounters(), agents: 2, connected: 1, verified: 3 }
    const b = { ...zeroCounters(), agents: 3, connected: 3, verified: 4 }
    const s = sumCounters([a, b])
    assert.equal(s.agents, 5)
    assert.equal(s.verified, 7)
    assert.match(formatStatus(s), /^connected 4\/5, .*deliveries verified 7\/0/)
  })
})
