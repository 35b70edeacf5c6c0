/**
 * Alerts a device raises on its own account, signed with its device key
 * like its rejections (result.ts): things that are wrong although no
 * delivery was refused, above all AGENT_CHECKPOINT_STALE (no fresh
 * checkpoint for longer than the root allows: the server may be hiding a
 * freeze or a fork). The agent sends each to the server and to every
 * monitor the root names, and keeps it locally (G6).
 *
 * Payload (canonical JSON, DSSE payload type ALERT_PAYLOAD_TYPE):
 *
 *     { "type": "palisade.alert/v1", "org", "deviceId",
 *       "code": "AGENT_…", "message": ≤ 4096 chars, "time": unix seconds,
 *       "details": { <name>: string ≤ 1024 | integer | boolean | null, … ≤ 32 } }
 *
 * Parsing is strict (unknown fields refused); every field is attacker-
 * controlled until the envelope's device signature is checked.
 */
import { fail } from '../errors.js'
import { canonicalJsonBytes } from '../json/canonical.js'
import { expectInteger, expectObject, expectString } from '../json/expect.js'
import { parseJson } from '../json/parse.js'
import { ID_RE, ORG_ID_RE } from './payload.js'

export const ALERT_PAYLOAD_TYPE = 'application/vnd.palisade.alert+json'
export const ALERT_TYPE = 'palisade.alert/v1'
/** Alert codes are the agent's: AGENT_ and upper-case words. */
export const ALERT_CODE_RE = /^AGENT_[A-Z0-9_]{2,58}$/
const MAX_ALERT_BYTES = 64 * 1024
const MAX_DETAILS = 32
const DETAIL_NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/
const MAX_TIME = 253402300799

/** A detail value: small and flat, so an alert stays readable and bounded. */
export type AlertDetail = string | number | boolean | null

export interface Alert {
  readonly type: typeof ALERT_TYPE
  readonly org: string
  readonly deviceId: string
  readonly code: string
  readonly message: string
  /** Unix seconds. */
  readonly time: number
  readonly details: Readonly<Record<string, AlertDetail>>
}

/**
 * @example
 * const alert = parseAlert(envelope.payload) // after the device signature verified
 */
export function parseAlert(payload: Uint8Array | string): Alert {
  const o = expectObject(parseJson(payload, MAX_ALERT_BYTES, 'alert'), 'alert', ['type', 'org', 'deviceId', 'code', 'message', 'time', 'details'])
  if (o.type !== ALERT_TYPE) fail('PROTO_MALFORMED', `alert.type must be "${ALERT_TYPE}"`)
  const raw = o.details
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('PROTO_MALFORMED', 'alert.details must be an object')
  const d = raw as Record<string, unknown>
  const names = Object.keys(d)
  if (names.length > MAX_DETAILS) fail('PROTO_TOO_LARGE', `alert.details has more than ${MAX_DETAILS} entries`)
  const details: Record<string, AlertDetail> = {}
  for (const name of names) {
    if (!DETAIL_NAME_RE.test(name)) fail('PROTO_MALFORMED', 'alert.details has a name that is not an identifier')
    const v = d[name]
    const where = `alert.details.${name}`
    if (typeof v === 'string') details[name] = expectString(v, where, undefined, 1024)
    else if (typeof v === 'number') details[name] = expectInteger(v, where, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    else if (typeof v === 'boolean' || v === null) details[name] = v
    else fail('PROTO_MALFORMED', `${where} must be a string, an integer, a boolean or null`)
  }
  return Object.freeze({
    type: ALERT_TYPE,
    org: expectString(o.org, 'alert.org', ORG_ID_RE),
    deviceId: expectString(o.deviceId, 'alert.deviceId', ID_RE),
    code: expectString(o.code, 'alert.code', ALERT_CODE_RE),
    message: expectString(o.message, 'alert.message', undefined, 4096),
    time: expectInteger(o.time, 'alert.time', 0, MAX_TIME),
    details: Object.freeze(details),
  })
}

/**
 * Canonical payload bytes of an alert, checked by parseAlert before signing.
 *
 * @example
 * const bytes = formatAlert({ type: 'palisade.alert/v1', org, deviceId, code: 'AGENT_CHECKPOINT_STALE', message, time, details: {} })
 */
export function formatAlert(alert: Alert): Uint8Array {
  const bytes = canonicalJsonBytes(alert)
  parseAlert(bytes)
  return bytes
}
