// Device reports (POST /palisade/v1/reports bodies), read by witnesses and
// by `palisade monitor --listen`: golden body, every refusal naming its
// field, and mutated bodies never throwing anything but PROTO_MALFORMED.
import { before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  ALERT_PAYLOAD_TYPE,
  dsse,
  DEVICE_REPORT_LIMIT,
  formatAlert,
  formatDeviceReport,
  formatReport,
  isProtocolError,
  openDeviceReport,
  parseDeviceReport,
  REJECTION_PAYLOAD_TYPE,
  utf8,
  type Rejection,
} from '../../dist/node.js'
import { key } from '../fixtures/org.js'

const device = key('device/d1')
const ORIGIN = 'palisade/acme'
const rejection: Rejection = {
  type: 'palisade.rejection/v1',
  org: 'acme',
  deviceId: 'd1',
  commandId: 'c1',
  code: 'PROTO_SIG_THRESHOLD',
  message: 'one of two signatures',
  at: 1_790_000_000_000,
}

const body = (o: unknown): Uint8Array => utf8(JSON.stringify(o))
/** The field a refusal names, or 'OK'. */
function fieldOf(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    assert.ok(isProtocolError(e, 'PROTO_MALFORMED'), String(e))
    const field = String(e.details?.['field'])
    assert.ok(e.message.startsWith(`${field === '' ? 'body' : field}: `), e.message)
    return field
  }
  return 'OK'
}

describe('device report (POST /palisade/v1/reports body)', () => {
  let envelope = ''
  let alertEnvelope = ''
  before(async () => {
    const signer = dsse.ed25519Signer(device.id, device.seed)
    envelope = dsse.formatEnvelope(await dsse.signEnvelope(REJECTION_PAYLOAD_TYPE, formatReport(rejection), [signer]))
    const alert = formatAlert({ type: 'palisade.alert/v1', org: 'acme', deviceId: 'd1', code: 'AGENT_CHECKPOINT_STALE', message: 'stale', time: 1_790_000_000, details: { commandId: 'c9' } })
    alertEnvelope = dsse.formatEnvelope(await dsse.signEnvelope(ALERT_PAYLOAD_TYPE, alert, [signer]))
  })

  describe('when the body is a rejection report', () => {
    it('formats to the three members (golden shape) and parses back with what the payload says', () => {
      const bytes = formatDeviceReport({ origin: ORIGIN, deviceId: 'd1', envelope })
      assert.equal(new TextDecoder().decode(bytes), `{"origin":"palisade/acme","deviceId":"d1","envelope":${JSON.stringify(envelope)}}`)
      const r = parseDeviceReport(bytes)
      assert.deepEqual([r.origin, r.deviceId, r.envelope], [ORIGIN, 'd1', envelope])
      assert.deepEqual([r.opened.kind, r.opened.deviceId, r.opened.code, r.opened.message, r.opened.commandId], ['rejection', 'd1', 'PROTO_SIG_THRESHOLD', 'one of two signatures', 'c1'])
      assert.ok(Object.isFrozen(r) && Object.isFrozen(r.opened))
    })
  })

  describe('when the body is an alert report', () => {
    it('takes the command id from the alert details', () => {
      const r = openDeviceReport(alertEnvelope)
      assert.deepEqual([r.kind, r.code, r.commandId], ['alert', 'AGENT_CHECKPOINT_STALE', 'c9'])
    })
  })

  describe('when the body is malformed', () => {
    it('throws PROTO_MALFORMED naming the wrong member', () => {
      const env = dsse.parseEnvelope(envelope)
      const other = dsse.formatEnvelope({ ...env, payloadType: 'application/vnd.palisade.result+json' })
      const badPayload = dsse.formatEnvelope({ ...env, payload: utf8('{"type":"palisade.rejection/v1"}') })
      const unsigned = dsse.formatEnvelope({ ...env, signatures: [] })
      const cases: [Uint8Array, string][] = [
        [utf8('not json'), ''],
        [body([1, 2]), ''],
        [body(null), ''],
        [utf8(JSON.stringify({ origin: ORIGIN, deviceId: 'd1', envelope: envelope + ' '.repeat(DEVICE_REPORT_LIMIT) })), ''],
        [body({ deviceId: 'd1', envelope }), '/origin'],
        [body({ origin: '', deviceId: 'd1', envelope }), '/origin'],
        [body({ origin: 'a\nb', deviceId: 'd1', envelope }), '/origin'],
        [body({ origin: 'x'.repeat(257), deviceId: 'd1', envelope }), '/origin'],
        [body({ origin: ORIGIN, deviceId: 'no spaces allowed', envelope }), '/deviceId'],
        [body({ origin: ORIGIN, deviceId: 'd1', envelope: { payload: 'x' } }), '/envelope'],
        [body({ origin: ORIGIN, deviceId: 'd1', envelope: '{"payload":"%%%"}' }), '/envelope'],
        [body({ origin: ORIGIN, deviceId: 'd1', envelope: other }), '/envelope/payloadType'],
        [body({ origin: ORIGIN, deviceId: 'd1', envelope: badPayload }), '/envelope/payload'],
        [body({ origin: ORIGIN, deviceId: 'd1', envelope: unsigned }), '/envelope/signatures'],
        [body({ origin: ORIGIN, deviceId: 'd2', envelope }), '/deviceId'],
        [body({ origin: ORIGIN, deviceId: 'd1', envelope, extra: 1 }), '/extra'],
      ]
      for (const [b, field] of cases) assert.equal(fieldOf(() => parseDeviceReport(b)), field, new TextDecoder().decode(b).slice(0, 80))
      assert.equal(fieldOf(() => formatDeviceReport({ origin: ORIGIN, deviceId: 'd2', envelope })), '/deviceId')
    })
  })

  describe('when the body is mutated at random (fuzz)', () => {
    it('never throws anything but PROTO_MALFORMED with a field', () => {
      const text = new TextDecoder().decode(formatDeviceReport({ origin: ORIGIN, deviceId: 'd1', envelope }))
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat({ max: text.length - 1 }), fc.integer({ min: 0, max: 127 })), { minLength: 1, maxLength: 4 }), (edits) => {
          let mutated = text
          for (const [at, ch] of edits) mutated = mutated.slice(0, at) + String.fromCharCode(ch) + mutated.slice(at + 1)
          fieldOf(() => parseDeviceReport(utf8(mutated)))
        }),
        { numRuns: 3000 },
      )
    })
    it('never throws anything but PROTO_MALFORMED on random bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
          assert.notEqual(fieldOf(() => parseDeviceReport(bytes)), 'OK')
        }),
      )
    })
  })
})
