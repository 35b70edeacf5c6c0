/**
 * A device report (docs/WIRE.md, "Witness": `POST /palisade/v1/reports`):
 * a device's signed rejection or alert, sent to the org's witnesses and
 * monitors so that a breached server cannot silence it (DESIGN.md G6):
 *
 *     { "origin": "palisade/acme", "deviceId": "d1", "envelope": "<DSSE envelope JSON text>" }
 *
 * Forward compatibility: none. Exactly these three members; a new member
 * needs a new route, because every reader refuses unknown members.
 *
 * Guarantees: a body that returns from parseDeviceReport is a JSON object
 * of at most DEVICE_REPORT_LIMIT bytes with exactly these members; `origin`
 * is one line of 1..256 characters; `envelope` parses as a DSSE envelope
 * with at least one signature, whose payload type is a rejection or an
 * alert, whose payload parses with protocol's parser of that type, and
 * which names `deviceId`. Every other body is PROTO_MALFORMED with
 * `details.field`, the JSON pointer of the wrong member ('' for the body).
 *
 * Trusts: nothing, and proves nothing: every field is attacker-controlled.
 * The device signature is NOT checked here (a witness does not know device
 * keys); a reader that knows the device's key checks it with
 * dsse.verifyEnvelope before believing the report.
 */
import { fail, isProtocolError } from '../errors.js'
import { parseJson } from '../json/parse.js'
import { parseEnvelope, type Envelope } from '../dsse/envelope.js'
import { ALERT_PAYLOAD_TYPE, parseAlert } from './alert.js'
import { ID_RE } from './payload.js'
import { parseRejection, REJECTION_PAYLOAD_TYPE } from './result.js'

/** Largest report body, in bytes (witnesses and monitors refuse larger ones). */
export const DEVICE_REPORT_LIMIT = 64 * 1024

/** What a report's envelope says, before any signature check. */
export interface OpenedDeviceReport {
  readonly envelope: Envelope
  readonly kind: 'rejection' | 'alert'
  readonly deviceId: string
  readonly code: string
  readonly message: string
  /** The command rejected (or named in the alert's details), if any. */
  readonly commandId: string | null
}

/** A report body that passed the shape checks. */
export interface DeviceReport {
  readonly origin: string
  readonly deviceId: string
  /** The envelope JSON text, as received. */
  readonly envelope: string
  readonly opened: OpenedDeviceReport
}

/**
 * The body a device sends: canonical member order is not required by
 * readers, so this is plain JSON of the three members, checked by
 * parseDeviceReport before it is returned.
 *
 * @example
 * await fetch(`${monitor}/palisade/v1/reports`, { method: 'POST', body: formatDeviceReport({ origin, deviceId, envelope }) })
 */
export function formatDeviceReport(r: { readonly origin: string; readonly deviceId: string; readonly envelope: string }): Uint8Array {
  const bytes = new TextEncoder().encode(JSON.stringify({ origin: r.origin, deviceId: r.deviceId, envelope: r.envelope }))
  parseDeviceReport(bytes)
  return bytes
}

/**
 * Parses and shape-checks a report body. PROTO_MALFORMED otherwise, with
 * the message prefixed by, and `details.field` set to, the wrong member.
 *
 * @example
 * const r = parseDeviceReport(body)
 * r.opened.code // 'PROTO_SIG_THRESHOLD'
 */
export function parseDeviceReport(body: Uint8Array): DeviceReport {
  let doc: unknown
  try {
    doc = parseJson(body, DEVICE_REPORT_LIMIT, 'a report body')
  } catch (e) {
    malformed('', `the body is not JSON: ${reason(e)}`)
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) malformed('', 'the body must be a JSON object { origin, deviceId, envelope }')
  const o = doc as Record<string, unknown>
  for (const k of Object.keys(o)) if (k !== 'origin' && k !== 'deviceId' && k !== 'envelope') malformed(`/${k}`, 'unknown member')
  const { origin, deviceId, envelope } = o
  if (typeof origin !== 'string' || origin.length === 0 || origin.length > 256 || /[\u0000-\u001f]/.test(origin)) {
    malformed('/origin', 'must be the log origin, one line of at most 256 characters')
  }
  if (typeof deviceId !== 'string' || !ID_RE.test(deviceId)) malformed('/deviceId', 'must be a device id')
  if (typeof envelope !== 'string') malformed('/envelope', 'must be the DSSE envelope as JSON text')
  const opened = openDeviceReport(envelope)
  if (opened.deviceId !== deviceId) malformed('/deviceId', "differs from the device id in the envelope's payload")
  return Object.freeze({ origin, deviceId, envelope, opened })
}

/**
 * Parses a report's envelope (JSON text), as a witness serves it back.
 * PROTO_MALFORMED naming the part that is wrong (`details.field`).
 *
 * @example
 * openDeviceReport(served.envelope).kind // 'rejection'
 */
export function openDeviceReport(text: string): OpenedDeviceReport {
  let envelope: Envelope
  try {
    envelope = parseEnvelope(text)
  } catch (e) {
    malformed('/envelope', `not a DSSE envelope: ${reason(e)}`)
  }
  if (envelope.signatures.length === 0) malformed('/envelope/signatures', 'the envelope carries no signature')
  let opened: OpenedDeviceReport | undefined
  try {
    if (envelope.payloadType === REJECTION_PAYLOAD_TYPE) {
      const r = parseRejection(envelope.payload)
      opened = { envelope, kind: 'rejection', deviceId: r.deviceId, code: r.code, message: r.message, commandId: r.commandId }
    } else if (envelope.payloadType === ALERT_PAYLOAD_TYPE) {
      const a = parseAlert(envelope.payload)
      const commandId = a.details['commandId']
      opened = { envelope, kind: 'alert', deviceId: a.deviceId, code: a.code, message: a.message, commandId: typeof commandId === 'string' ? commandId : null }
    }
  } catch (e) {
    malformed('/envelope/payload', reason(e))
  }
  if (opened === undefined) malformed('/envelope/payloadType', `must be ${REJECTION_PAYLOAD_TYPE} or ${ALERT_PAYLOAD_TYPE}`)
  return Object.freeze(opened)
}

function malformed(field: string, message: string): never {
  fail('PROTO_MALFORMED', `${field === '' ? 'body' : field}: ${message}`, { field })
}

// The inner parsers throw only ProtocolErrors; the code tells a reader of
// the refusal which rule the device's report broke.
function reason(e: unknown): string {
  return isProtocolError(e) ? `${e.code}: ${e.message}` : String(e)
}
