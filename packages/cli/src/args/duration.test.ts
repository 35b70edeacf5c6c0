import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { durationOption, durationSeconds, formatDuration, integerOption, parseTime } from './duration.js'

describe('durationSeconds', () => {
  it('reads plain seconds, single units and sums of units', () => {
    assert.equal(durationSeconds('90'), 90)
    assert.equal(durationSeconds('30s'), 30)
    assert.equal(durationSeconds('5m'), 300)
    assert.equal(durationSeconds('24h'), 86400)
    assert.equal(durationSeconds('7d'), 7 * 86400)
    assert.equal(durationSeconds('2w'), 14 * 86400)
    assert.equal(durationSeconds('1h30m'), 5400)
    assert.equal(durationSeconds('1d2h3m4s'), 86400 + 7200 + 180 + 4)
  })

  it('refuses anything else', () => {
    for (const bad of ['', 'h', '1.5h', '-1h', '1 h', '1H', '1y', '1h-', 'abc', '1e3', '99999999999']) {
      assert.equal(durationSeconds(bad), undefined, bad)
    }
  })
})

describe('durationOption', () => {
  const ttl = durationOption('--ttl', 60, 7 * 86400)
  it('returns seconds within the bounds', () => {
    assert.equal(ttl('24h'), 86400)
    assert.equal(ttl(' 1m '), 60)
  })
  it('refuses values out of bounds or malformed with CLI_ARG_INVALID naming the option', () => {
    assert.throws(() => ttl('59s'), { code: 'CLI_ARG_INVALID', message: /invalid --ttl "59s": it must be from 1m to 7d/ })
    assert.throws(() => ttl('8d'), { code: 'CLI_ARG_INVALID' })
    assert.throws(() => ttl('soon'), { code: 'CLI_ARG_INVALID', message: /give a duration such as/ })
  })
})

describe('formatDuration', () => {
  it('uses the largest units that divide', () => {
    assert.equal(formatDuration(0), '0s')
    assert.equal(formatDuration(5400), '1h30m')
    assert.equal(formatDuration(7 * 86400), '7d')
    assert.equal(formatDuration(61), '1m1s')
  })
})

describe('integerOption', () => {
  const uses = integerOption('--uses', 1, 10000)
  it('accepts whole numbers in range only', () => {
    assert.equal(uses('1'), 1)
    assert.equal(uses('10000'), 10000)
    for (const bad of ['0', '10001', '-1', '1.5', 'x', '']) assert.throws(() => uses(bad), { code: 'CLI_ARG_INVALID' }, bad)
  })
})

describe('parseTime', () => {
  const now = 1_700_000_000
  it('reads now, +duration, Unix seconds and ISO 8601 with a zone', () => {
    assert.equal(parseTime('now', now), now)
    assert.equal(parseTime('+10m', now), now + 600)
    assert.equal(parseTime('1700000123', now), 1700000123)
    assert.equal(parseTime('2025-01-31T12:00:00Z', now), Date.UTC(2025, 0, 31, 12) / 1000)
    assert.equal(parseTime('2025-01-31T14:00:00+02:00', now), Date.UTC(2025, 0, 31, 12) / 1000)
  })
  it('refuses a time without a zone, and malformed values', () => {
    for (const bad of ['2025-01-31T12:00:00', '2025-01-31', 'tomorrow', '+', '+x', '2025-13-45T99:00:00Z']) {
      assert.throws(() => parseTime(bad, now), { code: 'CLI_ARG_INVALID' }, bad)
    }
  })
})
