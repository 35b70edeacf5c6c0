import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { parseTimeBound } from '../args/time-bound.js'
import { isCliError } from '../errors.js'
import { csvLine, timelineFormatter, type TimelineLine } from './timeline-format.js'

const LINE: TimelineLine = {
  time: '2023-06-27T10:00:00.000Z', source: 'audit', id: 'e1', actorType: 'anonymous', actorId: null, actorName: '=HYPERLINK("x")',
  action: 'session.login', targetType: 'admin', targetId: null, result: 'failure', statusCode: 401, sourceAddr: '10.0.0.1',
  requestId: 'r-1', devices: ['d1', 'd2'], details: { reason: 'bad, "password"' },
}

describe('timeline formats', () => {
  it('writes CSV per RFC 4180 and defuses formula cells', () => {
    assert.equal(
      csvLine(LINE),
      `2023-06-27T10:00:00.000Z,audit,e1,anonymous,,"'=HYPERLINK(""x"")",session.login,admin,,failure,401,10.0.0.1,r-1,d1 d2,"{""reason"":""bad, \\""password\\""""}"\r\n`,
    )
  })

  it('writes a JSON array element by element, and [] when empty', () => {
    const f = timelineFormatter('json')
    const text = f.begin() + f.line(LINE) + f.line(LINE) + f.end()
    assert.equal((JSON.parse(text) as unknown[]).length, 2)
    const e = timelineFormatter('json')
    assert.equal(e.begin() + e.end(), '[]\n')
  })
})

describe('--since / --until', () => {
  const now = Date.UTC(2024, 0, 10, 12)
  it('accepts a date (midnight UTC), a zoned time, a duration back, and now', () => {
    assert.equal(parseTimeBound('2023-06-27', now, '--since'), Date.UTC(2023, 5, 27))
    assert.equal(parseTimeBound('2023-06-27T14:05:00+02:00', now, '--since'), Date.UTC(2023, 5, 27, 12, 5))
    assert.equal(parseTimeBound('7d', now, '--since'), now - 7 * 86_400_000)
    assert.equal(parseTimeBound('12h', now, '--since'), now - 12 * 3_600_000)
    assert.equal(parseTimeBound('now', now, '--until'), now)
  })

  it('refuses anything else, naming the flag', () => {
    for (const bad of ['', 'yesterday', '12', '2023-02-30', '2023-13-01', '2023-06-27T10:00', '2023-06-27T24:00Z', '2023-06-27 10:00Z', '-7d']) {
      assert.throws(() => parseTimeBound(bad, now, '--until'), (e: unknown) => isCliError(e, 'CLI_ARG_INVALID') && e.message.includes('--until'), bad)
    }
  })
})
