/**
 * Org routes other than commands and the log (docs/WIRE.md): roots,
 * enrollment tokens, devices, alerts. Answers are read into typed values;
 * what they claim (a root, a fingerprint) is checked by the caller.
 * Device inventory is passed on as JSON: it is the device's own report,
 * relayed by the server, and only ever displayed.
 */
import { ID_RE } from '@palisade/protocol'
import type { JsonValue } from '../io/output.js'
import { segment, type OrgSession } from './session.js'
import { array, boolean, integer, millis, object, optional, string } from './shape.js'

/** `GET /v1/orgs/:org/roots`: every root envelope (JSON text), v1 first. */
export function getRoots(s: OrgSession): Promise<string[]> {
  return s.api.get(s.path('/roots'), readRoots)
}

/** Reads `{ roots: [<envelope JSON string>, …] }`. */
export function readRoots(body: unknown): string[] {
  return array(object(body, 'answer')['roots'], 'roots', (x, w) => string(x, w, undefined, 4 * 1024 * 1024), 1024)
}

/** An enrollment token as the server issues it (untrusted until checked against the pinned fingerprint). */
export interface EnrollmentToken {
  readonly token: string
  readonly expiresAt: number | null
  readonly fingerprint: string
  readonly installCommand: string
}

/** `POST /v1/orgs/:org/enrollment-tokens`. */
export function createEnrollmentToken(s: OrgSession, ttlSeconds: number, uses: number): Promise<EnrollmentToken> {
  return s.api.post(s.path('/enrollment-tokens'), { ttlSeconds, uses }, (body) => {
    const o = object(body, 'answer')
    return {
      token: string(o['token'], 'token', undefined, 512),
      expiresAt: millis(o['expiresAt'], 'expiresAt'),
      fingerprint: string(o['fingerprint'], 'fingerprint', undefined, 128),
      installCommand: string(o['installCommand'], 'installCommand', undefined, 4096),
    }
  })
}

/** One line of the device list. */
export interface DeviceSummary {
  readonly id: string
  readonly hostname: string
  readonly enrolledAt: number | null
  readonly lastSeenAt: number | null
  readonly online: boolean
  /** Whatever the server reports as the OS (a name, or os-release fields). */
  readonly os: JsonValue
}

/** `GET /v1/orgs/:org/devices`. */
export function listDevices(s: OrgSession): Promise<DeviceSummary[]> {
  return s.api.get(s.path('/devices'), (body) =>
    array(object(body, 'answer')['devices'], 'devices', (x, w) => {
      const o = object(x, w)
      return {
        id: string(o['id'], `${w}.id`, ID_RE),
        hostname: string(o['hostname'], `${w}.hostname`, undefined, 1024),
        enrolledAt: millis(o['enrolledAt'], `${w}.enrolledAt`),
        lastSeenAt: millis(o['lastSeenAt'], `${w}.lastSeenAt`),
        online: boolean(o['online'] ?? false, `${w}.online`),
        os: json(o['os']),
      }
    }),
  )
}

/** One device in full. */
export interface DeviceDetail {
  readonly id: string
  readonly hostname: string
  readonly publicKey: string
  readonly enrolledAt: number | null
  readonly lastSeenAt: number | null
  readonly online: boolean
  readonly inventory: JsonValue
  readonly inventoryAt: number | null
}

/** `GET /v1/orgs/:org/devices/:id`. */
export function getDevice(s: OrgSession, id: string): Promise<DeviceDetail> {
  return s.api.get(s.path(`/devices/${segment(id)}`), (body) => {
    const o = object(body, 'answer')
    return {
      id: string(o['id'], 'id', ID_RE),
      hostname: string(o['hostname'], 'hostname', undefined, 1024),
      publicKey: string(o['publicKey'] ?? '', 'publicKey', undefined, 1024),
      enrolledAt: millis(o['enrolledAt'], 'enrolledAt'),
      lastSeenAt: millis(o['lastSeenAt'], 'lastSeenAt'),
      online: boolean(o['online'] ?? false, 'online'),
      inventory: json(o['inventory']),
      inventoryAt: millis(o['inventoryAt'], 'inventoryAt'),
    }
  })
}

/** One alert (a rejection an agent reported, and the like). */
export interface Alert {
  readonly id: string
  readonly deviceId: string | null
  readonly code: string
  readonly message: string
  readonly commandId: string | null
  readonly createdAt: number | null
}

/** `GET /v1/orgs/:org/alerts`. */
export function listAlerts(s: OrgSession): Promise<Alert[]> {
  return s.api.get(s.path('/alerts'), (body) =>
    array(object(body, 'answer')['alerts'], 'alerts', (x, w) => {
      const o = object(x, w)
      return {
        id: idText(o['id'], `${w}.id`),
        deviceId: optional(o['deviceId'], (v) => string(v, `${w}.deviceId`, undefined, 256)) ?? null,
        code: string(o['code'], `${w}.code`, undefined, 128),
        message: string(o['message'] ?? '', `${w}.message`, undefined, 4096),
        commandId: optional(o['commandId'], (v) => string(v, `${w}.commandId`, undefined, 256)) ?? null,
        createdAt: millis(o['createdAt'], `${w}.createdAt`),
      }
    }),
  )
}

/** An id the server may send as a number or a string. */
function idText(v: unknown, where: string): string {
  return typeof v === 'number' ? String(integer(v, where)) : string(v, where, undefined, 256)
}

/** Any JSON value as received (already bounded in size and depth by the client's parser). */
function json(v: unknown): JsonValue {
  return v === undefined ? null : (v as JsonValue)
}
