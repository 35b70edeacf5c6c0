/**
 * The org's audit trail, `GET /v1/orgs/:org/audit` (docs/WIRE.md "Access"):
 * one keyset page at a time, newest first. The server is untrusted, so
 * every field is read and bounded here; the trail is what the server says
 * happened (unlike the log, nobody signed it), which is why `audit export
 * --include-log` adds the log's verified signed actions beside it.
 */
import { array, integer, object, string } from './shape.js'
import type { OrgSession } from './session.js'

/** One audit event as the server serves it. */
export interface AuditEventRow {
  readonly id: string
  /** Unix milliseconds. */
  readonly createdAt: number
  readonly actorType: string
  readonly actorId: string | null
  readonly actorName: string | null
  readonly action: string
  readonly targetType: string | null
  readonly targetId: string | null
  readonly result: string
  readonly statusCode: number
  readonly sourceAddr: string | null
  readonly requestId: string | null
  readonly details: Readonly<Record<string, unknown>>
}

/** One page and where the next one starts (null on the last). */
export interface AuditPage {
  readonly events: readonly AuditEventRow[]
  readonly nextCursor: string | null
}

/** The server's filters (times in Unix milliseconds; `until` exclusive). */
export interface AuditQuery {
  readonly since?: number
  readonly until?: number
  readonly actor?: string
  readonly action?: string
  readonly result?: string
  /** 1..1000 (the server's bound). */
  readonly limit?: number
  readonly cursor?: string
}

const CURSOR_RE = /^[A-Za-z0-9_-]{1,120}$/

/**
 * `GET /v1/orgs/:org/audit` — one page.
 *
 * @example
 * let page = await getAuditPage(s, { since: Date.now() - 86_400_000, limit: 500 })
 * while (page.nextCursor !== null) page = await getAuditPage(s, { ...q, cursor: page.nextCursor })
 */
export function getAuditPage(s: OrgSession, q: AuditQuery): Promise<AuditPage> {
  const query: Record<string, string | number> = {}
  for (const [k, v] of Object.entries(q)) if (v !== undefined) query[k] = v
  return s.api.get(s.path('/audit'), readAuditPage, { query })
}

/** Reads one page of the audit route. */
export function readAuditPage(body: unknown): AuditPage {
  const o = object(body, 'answer')
  const cursor = o['nextCursor']
  return {
    events: array(o['events'], 'events', readEvent, 1000),
    nextCursor: cursor === null ? null : string(cursor, 'nextCursor', CURSOR_RE, 120),
  }
}

function readEvent(x: unknown, w: string): AuditEventRow {
  const e = object(x, w)
  const text = (k: string, max: number): string => string(e[k], `${w}.${k}`, undefined, max)
  const nullable = (k: string, max: number): string | null => (e[k] === null || e[k] === undefined ? null : text(k, max))
  const details = e['details'] === undefined ? {} : object(e['details'], `${w}.details`)
  return {
    id: text('id', 64),
    createdAt: integer(e['createdAt'], `${w}.createdAt`, 0, 253402300799999),
    actorType: text('actorType', 32),
    actorId: nullable('actorId', 200),
    actorName: nullable('actorName', 200),
    action: text('action', 100),
    targetType: nullable('targetType', 100),
    targetId: nullable('targetId', 200),
    result: text('result', 16),
    statusCode: integer(e['statusCode'], `${w}.statusCode`, 0, 999),
    sourceAddr: nullable('sourceAddr', 64),
    requestId: nullable('requestId', 64),
    details,
  }
}
