/**
 * device.json: who this device is, which server it talks to and which org
 * root it pinned. Written once at enrollment, never by anything remote.
 *
 * The record is local and written by the agent itself, but it is still
 * parsed strictly on every start: a hand-edited or corrupted file must stop
 * the agent with a clear error rather than make it talk to another server
 * or follow another root.
 */
import { FINGERPRINT_RE, fromBase64, ID_RE, ORG_ID_RE } from '@palisade/protocol'
import { AgentError } from '../errors.js'
import { parseServerUrl } from '../net/server-url.js'

/** The identity of an enrolled device. */
export interface DeviceRecord {
  readonly deviceId: string
  readonly org: string
  /** Server base URL (http or https, no trailing slash). */
  readonly server: string
  /** Base64 Ed25519 public key of the device key. */
  readonly publicKey: string
  /** SHA-256 fingerprint of the org root v1 pinned at enrollment. */
  readonly fingerprint: string
}

const FIELDS = ['deviceId', 'org', 'server', 'publicKey', 'fingerprint'] as const

/**
 * Validates a parsed device.json; names every bad field.
 *
 * @example
 * parseDeviceRecord(JSON.parse(text))
 */
export function parseDeviceRecord(value: unknown, where = 'device.json'): DeviceRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AgentError('AGENT_STATE_INVALID', `${where} must be a JSON object`)
  }
  const v = { ...(value as Record<string, unknown>) }
  const problems = Object.keys(v).filter((k) => !(FIELDS as readonly string[]).includes(k)).map((k) => `${JSON.stringify(k)}: unknown field`)
  const str = (k: (typeof FIELDS)[number], ok: (s: string) => boolean): string => {
    const s = v[k]
    if (typeof s !== 'string' || !ok(s)) {
      problems.push(`${k}: missing or malformed`)
      return ''
    }
    return s
  }
  const record: DeviceRecord = {
    deviceId: str('deviceId', (s) => ID_RE.test(s)),
    org: str('org', (s) => ORG_ID_RE.test(s)),
    server: str('server', (s) => {
      try {
        return parseServerUrl(s) === s
      } catch {
        return false
      }
    }),
    publicKey: str('publicKey', (s) => {
      try {
        return fromBase64(s, 'publicKey').length === 32
      } catch {
        return false
      }
    }),
    fingerprint: str('fingerprint', (s) => FINGERPRINT_RE.test(s)),
  }
  if (problems.length > 0) {
    throw new AgentError('AGENT_STATE_INVALID', `${where} is invalid: ${problems.join('; ')}`, { details: { problems } })
  }
  return Object.freeze(record)
}

/** device.json text: fixed field order, trailing newline. */
export function formatDeviceRecord(r: DeviceRecord): string {
  const { deviceId, org, server, publicKey, fingerprint } = r
  return `${JSON.stringify({ deviceId, org, server, publicKey, fingerprint }, null, 2)}\n`
}
