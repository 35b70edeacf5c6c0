/**
 * The body of `POST /palisade/v1/reports` (docs/WIRE.md, "Witness"): a
 * device's report of a rejection or an alert, sent to the org's witnesses
 * so that a breached server cannot silence it (DESIGN.md G6). The rules
 * are protocol's (parseDeviceReport, shared with `palisade monitor
 * --listen`); this file turns its refusals into WIT_REPORT_INVALID.
 *
 * Trusts: nothing. The device signature is NOT checked: a witness does not
 * know device keys. A stored report is what a client claims a device
 * signed; a monitor that knows the device keys (palisade monitor, from the
 * server's device list) checks it.
 */
import { ALERT_PAYLOAD_TYPE, DEVICE_REPORT_LIMIT, isProtocolError, parseDeviceReport } from '@palisade/protocol'
import { WitnessError } from '../errors.js'

/** Largest report body (the route's body limit). */
export const REPORT_BODY_LIMIT = DEVICE_REPORT_LIMIT

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
  try {
    const r = parseDeviceReport(body)
    return Object.freeze({ origin: r.origin, deviceId: r.deviceId, envelope: r.envelope, kind: r.opened.kind, code: r.opened.code })
  } catch (e) {
    if (!isProtocolError(e, 'PROTO_MALFORMED')) throw e
    throw new WitnessError('WIT_REPORT_INVALID', e.message, { details: { field: String(e.details?.['field'] ?? '') }, cause: e })
  }
}
