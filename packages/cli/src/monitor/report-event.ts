/**
 * A device's report of a rejection or an alert (docs/WIRE.md, "Witness":
 * `POST …/palisade/v1/reports`), read from a witness or received on
 * `palisade monitor --listen`, as a MON_REJECTION event.
 *
 * The report is what its sender claims the device signed. The monitor
 * checks the device signature with the device's public key as it first saw
 * the server list it (pinned in the monitor state), and says which of
 * three it is: `verified`, `INVALID` (signed by another key: a forged
 * report, itself worth an alarm) or `unverified` (no key known: the server
 * does not list the device, or could not be asked; a breached server can
 * hide a device, so the report is still printed, saying the device was
 * never seen).
 *
 * Pure, given the device key.
 */
import {
  DEVICE_REPORT_LIMIT,
  dsse,
  fromBase64,
  isProtocolError,
  keyId,
  openDeviceReport,
  parseDeviceReport,
  type DeviceReport,
  type OpenedDeviceReport,
} from '@palisade/protocol'
import { anomaly, type MonitorEvent } from './monitor-event.js'

/** Largest report body (the witness's limit too). */
export const REPORT_BODY_LIMIT = DEVICE_REPORT_LIMIT

/** What a report says, before any signature check. */
export type OpenedReport = OpenedDeviceReport

/** A malformed report, naming the field (a JSON pointer). */
export class ReportError extends Error {
  readonly field: string
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.field = field
  }
}

/**
 * Checks a report body `{ origin, deviceId, envelope }` by protocol's rules
 * (parseDeviceReport, the witness's too). ReportError otherwise.
 *
 * @example
 * const body = parseReportBody(rawBytes)
 */
export function parseReportBody(raw: Uint8Array): DeviceReport {
  return refusingAsReportError(() => parseDeviceReport(raw))
}

/**
 * Parses a report envelope (JSON text); ReportError naming the part that is wrong.
 *
 * @example
 * openReport(envelopeText).code // 'PROTO_SIG_THRESHOLD'
 */
export function openReport(text: string): OpenedReport {
  return refusingAsReportError(() => openDeviceReport(text))
}

function refusingAsReportError<T>(parse: () => T): T {
  try {
    return parse()
  } catch (e) {
    if (!isProtocolError(e, 'PROTO_MALFORMED')) throw e
    throw new ReportError(String(e.details?.['field'] ?? ''), e.message, { cause: e })
  }
}

/** The device key check of a report. */
export type DeviceSignature = 'verified' | 'INVALID' | 'unverified'

/**
 * Checks the report's signature with the device's public key (base64, as
 * the server lists it); 'unverified' without a key.
 */
export function checkDeviceSignature(r: OpenedReport, publicKey: string | undefined): DeviceSignature {
  if (publicKey === undefined || publicKey === '') return 'unverified'
  try {
    const pub = fromBase64(publicKey)
    dsse.verifyEnvelope(r.envelope, { payloadType: r.envelope.payloadType, keys: [{ keyid: keyId(pub), publicKey: pub }], threshold: 1 })
    return 'verified'
  } catch {
    return 'INVALID'
  }
}

/**
 * The MON_REJECTION event of a report.
 *
 * @example
 * reportEvent(Date.now(), opened, 'verified', { from: 'witness http://w:8081', seq: 7 }, 'web-1')
 */
export function reportEvent(
  now: number,
  r: OpenedReport,
  signature: DeviceSignature,
  source: { readonly from: string; readonly seq?: number; readonly receivedAt?: string },
  hostname: string | undefined,
  neverSeen = false,
): MonitorEvent {
  const device = (hostname === undefined ? r.deviceId : `${r.deviceId} (${hostname})`) + (neverSeen ? ' (a device this monitor has never seen listed)' : '')
  const what = r.kind === 'rejection' ? `rejected ${r.commandId === null ? 'a delivery' : `command ${r.commandId}`}` : 'raised an alert'
  return anomaly(now, 'MON_REJECTION', `device ${device} ${what}: ${r.code}: ${r.message.replace(/\s+/g, ' ').slice(0, 300)} [device signature ${signature}; from ${source.from}${source.seq === undefined ? '' : ` #${source.seq}`}]`, {
    deviceId: r.deviceId,
    hostname: hostname ?? null,
    kind: r.kind,
    reportCode: r.code,
    reason: r.message,
    commandId: r.commandId,
    signature,
    from: source.from,
    ...(source.seq === undefined ? {} : { seq: source.seq }),
    ...(source.receivedAt === undefined ? {} : { receivedAt: source.receivedAt }),
    ...(neverSeen ? { neverSeen } : {}),
  })
}
