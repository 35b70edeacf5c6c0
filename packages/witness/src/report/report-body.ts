/**
 * The body of `POST /palisade/v1/reports` (docs/WIRE.md, "Witness"): a
 * device's report of a rejection or an alert, sent to the org's witnesses
 * so that a breached server cannot silence it (DESIGN.md G6):
 *
 *     { "origin": "palisade/acme", "deviceId": "d1", "envelope": "<DSSE envelope JSON text>" }
 *
 * Guarantees: a body that returns from parseReportBody is a JSON object
 * with exactly these three members; `envelope` parses as a DSSE envelope
 * with at least one signature, whose payload type is a rejection or an
 * alert and whose payload parses with protocol's parser of that type and
 * names `deviceId`. Every other body is WIT_REPORT_INVALID naming the
 * field (a JSON pointer) that is wrong.
 *
 * Trusts: nothing. The device signature is NOT checked: a witness does not
 * know device keys. A stored report is what a client claims a device
 * signed; a monitor that knows the device keys (palisade monitor, from the
 * server's device list) checks it.
 */
import { ALERT_PAYLOAD_TYPE, dsse, ID_RE, parseAlert, parseJson, parseRejection, REJECTION_PAYLOAD_TYPE } from '@palisade/protocol'
import { WitnessError } from '../errors.js'

/** Largest report body (the route's body limit). */
export const REPORT_BODY_LIMIT = 64 * 1024

export { ALERT_PAYLOAD_TYPE }

/** A report that passed the shape checks. */
export interface ReportBody {
  readonly origin: string
  readonly deviceId: string
  /** The envelope JSON text, as received. */
  readonly envelope: string
  readonly kind: 'rejection' | 'alert'
  /** The rejection or alert code the device reported, when it has one. */
  readonly code: string | undefined
}

/**
 * Parses and checks a report body. WIT_REPORT_INVALID (details.field =
 * the JSON pointer of the wrong member) otherwise.
 *
 * @example
 * const r = parseReportBody(utf8(JSON.stringify({ origin, deviceId, envelope })))
 */
export function parseReportBody(body: Uint8Array): ReportBody {
  let doc: unknown
  try {
    doc = parseJson(body, REPORT_BODY_LIMIT, 'a report body')
  } catch (e) {
    throw invalid('', `the body is not JSON: ${(e as Error).message}`)
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid('', 'the body must be a JSON object { origin, deviceId, envelope }')
  const o = doc as Record<string, unknown>
  for (const k of Object.keys(o)) if (k !== 'origin' && k !== 'deviceId' && k !== 'envelope') throw invalid(`/${k}`, 'unknown member')
  const { origin, deviceId, envelope } = o
  if (typeof origin !== 'string' || origin.length === 0 || origin.length > 256 || /[\u0000-\u001f]/.test(origin)) {
    throw invalid('/origin', 'must be the log origin, one line of at most 256 characters')
  }
  if (typeof deviceId !== 'string' || !ID_RE.test(deviceId)) throw invalid('/deviceId', 'must be a device id')
  if (typeof envelope !== 'string') throw invalid('/envelope', 'must be the DSSE envelope as JSON text')
  let env: dsse.Envelope
  try {
    env = dsse.parseEnvelope(envelope)
  } catch (e) {
    throw invalid('/envelope', `not a DSSE envelope: ${(e as Error).message}`)
  }
  if (env.signatures.length === 0) throw invalid('/envelope/signatures', 'the envelope carries no signature')
  const payload = openPayload(env)
  if (payload.deviceId !== deviceId) throw invalid('/deviceId', "differs from the device id in the envelope's payload")
  return Object.freeze({ origin, deviceId, envelope, kind: payload.kind, code: payload.code })
}

/** What a report's payload says, for routing and display; unauthenticated. */
export function openPayload(env: dsse.Envelope): { kind: 'rejection' | 'alert'; deviceId: string; code: string | undefined } {
  try {
    if (env.payloadType === REJECTION_PAYLOAD_TYPE) {
      const r = parseRejection(env.payload)
      return { kind: 'rejection', deviceId: r.deviceId, code: r.code }
    }
    if (env.payloadType === ALERT_PAYLOAD_TYPE) {
      const a = parseAlert(env.payload)
      return { kind: 'alert', deviceId: a.deviceId, code: a.code }
    }
  } catch (e) {
    throw invalid('/envelope/payload', (e as Error).message)
  }
  throw invalid('/envelope/payloadType', `must be ${REJECTION_PAYLOAD_TYPE} or ${ALERT_PAYLOAD_TYPE}`)
}

function invalid(field: string, message: string): WitnessError {
  return new WitnessError('WIT_REPORT_INVALID', `${field === '' ? 'body' : field}: ${message}`, { details: { field } })
}
