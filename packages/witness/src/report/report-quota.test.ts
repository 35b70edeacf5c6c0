import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isWitnessError } from '../errors.js'
import { ReportQuota } from './report-quota.js'

const HOUR = 3600_000

describe('ReportQuota', () => {
  it('allows a device a burst, then its average rate, with Retry-After one refill; devices and logs are apart', () => {
    const q = new ReportQuota({ perDevice: { burst: 2, perSecond: 1 / 60 } })
    assert.deepEqual([q.take('a', 'o', 'd1', 0).ok, q.take('a', 'o', 'd1', 0).ok], [true, true])
    assert.deepEqual(q.take('a', 'o', 'd1', 1000), { ok: false, retryAfter: 60, detail: 'too many reports for device "d1"; retry later' })
    assert.equal(q.take('b', 'o', 'd1', 1000).ok, false, 'another address does not reset the device')
    assert.equal(q.take('a', 'o', 'd2', 1000).ok, true)
    assert.equal(q.take('a', 'other', 'd1', 1000).ok, true, 'the same id in another log is another device')
    assert.equal(q.take('a', 'o', 'd1', 61_000).ok, true, 'one report back after a minute')
  })

  it('caps the distinct device ids per address within an hour, counting from when each was first seen', () => {
    const q = new ReportQuota({ devicesPerAddress: 2 })
    assert.equal(q.take('a', 'o', 'd1', 0).ok, true)
    assert.equal(q.take('a', 'o', 'd2', 10 * 60_000).ok, true)
    const refused = q.take('a', 'o', 'd3', 30 * 60_000)
    assert.deepEqual(refused, { ok: false, retryAfter: 30 * 60, detail: 'a sent reports for 2 device ids within the hour (at most 2); retry later' })
    assert.equal(q.take('a', 'o', 'd1', 30 * 60_000).ok, true, 'a counted id is still taken')
    assert.equal(q.take('b', 'o', 'd3', 30 * 60_000).ok, true, 'another address has its own count')
    assert.equal(q.take('a', 'o', 'd3', HOUR).ok, true, 'd1 left the window')
    assert.equal(q.take('a', 'o', 'd4', HOUR).ok, false, 'd2 and d3 are within it')
  })

  it('keeps at most maxKeys addresses and device buckets, forgetting the least recently used', () => {
    const q = new ReportQuota({ maxKeys: 100, devicesPerAddress: 1, perDevice: { burst: 1, perSecond: 1 / 3600 } })
    for (let i = 0; i < 10_000; i++) q.take(`10.0.${i >> 8}.${i & 255}`, 'o', `d${i}`, i)
    assert.equal(q.addresses, 100)
    assert.equal(q.take('10.0.39.15', 'o', 'other', 10_000).ok, false, 'a recent address still has its id counted') // i = 9999
    assert.equal(q.take('10.0.39.14', 'o', 'd9998', 10_000).ok, false, 'a recent device is still limited')
  })

  it('refuses settings that are not positive numbers with WIT_CONFIG', () => {
    for (const options of [{ devicesPerAddress: 0 }, { devicesPerAddress: 1.5 }, { maxKeys: 0 }, { perDevice: { burst: 0, perSecond: 1 } }, { perDevice: { burst: 1, perSecond: Infinity } }]) {
      assert.throws(() => new ReportQuota(options), (e) => isWitnessError(e, 'WIT_CONFIG'), JSON.stringify(options))
    }
  })
})
