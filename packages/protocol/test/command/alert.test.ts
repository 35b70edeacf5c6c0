import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { formatAlert, parseAlert, ProtocolError, type Alert } from '../../dist/node.js'
import { errorCode as code } from '../fixtures/error-code.js'

const alert: Alert = {
  type: 'palisade.alert/v1',
  org: 'acme',
  deviceId: 'dev-1',
  code: 'AGENT_CHECKPOINT_STALE',
  message: 'no fresh checkpoint for 90000 s',
  time: 1_790_000_000,
  details: { cosignedAt: 1_789_910_000, maxAgeSeconds: 86400, ageSeconds: 90000, checkpointSize: 12, note: null, known: true },
}

describe('alert payload (palisade.alert/v1)', () => {
  it('formats to canonical JSON (golden) and parses back to the same value', () => {
    const bytes = formatAlert(alert)
    assert.equal(
      new TextDecoder().decode(bytes),
      '{"code":"AGENT_CHECKPOINT_STALE","details":{"ageSeconds":90000,"checkpointSize":12,"cosignedAt":1789910000,"known":true,"maxAgeSeconds":86400,"note":null},"deviceId":"dev-1","message":"no fresh checkpoint for 90000 s","org":"acme","time":1790000000,"type":"palisade.alert/v1"}',
    )
    assert.deepEqual(parseAlert(bytes), alert)
  })
  it('refuses a code outside AGENT_* (PROTO_MALFORMED)', () => {
    for (const c of ['PROTO_MALFORMED', 'AGENT_', 'agent_stale', 'AGENT_x']) {
      assert.equal(code(() => formatAlert({ ...alert, code: c })), 'PROTO_MALFORMED', c)
    }
  })
  it('refuses unknown fields, a wrong type, nested details and fractional times (PROTO_MALFORMED)', () => {
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o))
    assert.equal(code(() => parseAlert(enc({ ...alert, extra: 1 }))), 'PROTO_MALFORMED')
    assert.equal(code(() => parseAlert(enc({ ...alert, type: 'palisade.rejection/v1' }))), 'PROTO_MALFORMED')
    assert.equal(code(() => parseAlert(enc({ ...alert, details: { a: { b: 1 } } }))), 'PROTO_MALFORMED')
    assert.equal(code(() => parseAlert(enc({ ...alert, details: [] }))), 'PROTO_MALFORMED')
    assert.equal(code(() => parseAlert(enc({ ...alert, details: { 'not an id': 1 } }))), 'PROTO_MALFORMED')
    assert.equal(code(() => parseAlert(enc({ ...alert, time: 1.5 }))), 'PROTO_MALFORMED')
    assert.equal(code(() => parseAlert(enc({ ...alert, details: undefined }))), 'PROTO_MALFORMED')
  })
  it('bounds the message, detail strings and the number of details (PROTO_TOO_LARGE)', () => {
    assert.equal(code(() => formatAlert({ ...alert, message: 'x'.repeat(4097) })), 'PROTO_TOO_LARGE')
    assert.equal(code(() => formatAlert({ ...alert, details: { s: 'x'.repeat(1025) } })), 'PROTO_TOO_LARGE')
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`d${i}`, i]))
    assert.equal(code(() => formatAlert({ ...alert, details: many })), 'PROTO_TOO_LARGE')
  })
  it('round-trips every valid alert (property)', () => {
    const detail = fc.oneof(fc.string({ maxLength: 50 }), fc.integer(), fc.boolean(), fc.constant(null))
    const arb = fc.record({
      type: fc.constant('palisade.alert/v1' as const),
      org: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
      deviceId: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/),
      code: fc.stringMatching(/^AGENT_[A-Z0-9_]{2,20}$/),
      message: fc.string({ maxLength: 200 }),
      time: fc.integer({ min: 0, max: 253402300799 }),
      details: fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,10}$/), detail, { maxKeys: 8 }),
    })
    fc.assert(
      fc.property(arb, (a) => {
        // fast-check builds null-prototype objects; compare plain copies
        assert.deepEqual(parseAlert(formatAlert(a)), { ...a, details: { ...a.details } })
      }),
      { numRuns: 500 },
    )
  })
  it('never throws anything but a ProtocolError on mutated bytes (fuzz)', () => {
    const text = new TextDecoder().decode(formatAlert(alert))
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), fc.integer({ min: 0, max: 127 }), (at, ch) => {
        const mutated = text.slice(0, at) + String.fromCharCode(ch) + text.slice(at + 1)
        try {
          parseAlert(mutated)
        } catch (e) {
          assert.ok(e instanceof ProtocolError, String(e))
        }
      }),
      { numRuns: 3000 },
    )
  })
})
