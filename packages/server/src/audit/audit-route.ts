/**
 * GET /v1/orgs/:org/audit — the org's audit trail, newest first (permission
 * `audit:read`). Filters: `since` (inclusive) and `until` (exclusive), Unix
 * milliseconds; `actor` (an actor id or name, exact); `action` (exact, or a
 * prefix ending in `.*`, e.g. `person.*`); `result`; `limit` (1..1000,
 * default 100); `cursor` (the `nextCursor` of the previous page). Pages are
 * keyset pages (audit-cursor.ts): stable while events are being added.
 *
 * Only events recorded in this org are visible; refused attempts by
 * outsiders are recorded without an org (audit-hook.ts) and never appear.
 */
import { orgAccess } from '../auth/access.js'
import { orgOf } from '../auth/request-principal.js'
import { LIST_QUERY, listLimit, ORG_PARAMS } from '../commands/route-params.js'
import { ServerError } from '../errors.js'
import { objectSchema } from '../http/schemas.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { formatAuditCursor, parseAuditCursor } from './audit-cursor.js'

const MILLIS = { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' }
const ACTION_FILTER = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[a-z][a-z0-9.-]*(\\.\\*)?$' }

const QUERY = objectSchema({
  since: MILLIS,
  until: MILLIS,
  actor: { type: 'string', minLength: 1, maxLength: 200 },
  action: ACTION_FILTER,
  result: { type: 'string', enum: ['success', 'failure', 'denied'] },
  limit: (LIST_QUERY['properties'] as Record<string, unknown>)['limit'] as Record<string, unknown>,
  cursor: { type: 'string', minLength: 1, maxLength: 120, pattern: '^[A-Za-z0-9_-]+$' },
})

const NULLABLE_STRING = { type: ['string', 'null'] }

const EVENT = objectSchema(
  {
    id: { type: 'string' },
    createdAt: { type: 'integer' },
    actorType: { type: 'string' },
    actorId: NULLABLE_STRING,
    actorName: NULLABLE_STRING,
    action: { type: 'string' },
    targetType: NULLABLE_STRING,
    targetId: NULLABLE_STRING,
    result: { type: 'string' },
    statusCode: { type: 'integer' },
    sourceAddr: NULLABLE_STRING,
    requestId: NULLABLE_STRING,
    details: { type: 'object', additionalProperties: true },
  },
  ['id', 'createdAt', 'actorType', 'actorId', 'actorName', 'action', 'targetType', 'targetId', 'result', 'statusCode', 'sourceAddr', 'requestId', 'details'],
)

interface AuditQuery {
  since?: string
  until?: string
  actor?: string
  action?: string
  result?: string
  limit?: string
  cursor?: string
}

/** The audit search route. */
export const auditRoutes: RoutePlugin = async (app, { db }) => {
  app.get(
    '/v1/orgs/:org/audit',
    {
      config: { access: orgAccess('audit:read') },
      schema: {
        params: ORG_PARAMS,
        querystring: QUERY,
        response: { 200: objectSchema({ events: { type: 'array', items: EVENT }, nextCursor: NULLABLE_STRING }, ['events', 'nextCursor']) },
      },
    },
    async (request) => {
      const org = orgOf(request)
      const q = request.query as AuditQuery
      const cursor = q.cursor === undefined ? undefined : parseAuditCursor(q.cursor)
      if (q.cursor !== undefined && cursor === undefined) throw invalid('cursor', 'is not a cursor this server returned')
      const since = q.since === undefined ? undefined : Number(q.since)
      const until = q.until === undefined ? undefined : Number(q.until)
      if (since !== undefined && until !== undefined && since >= until) throw invalid('until', 'must be greater than since')
      const limit = listLimit(q)

      let query = db.selectFrom('audit_events').selectAll().where('org_id', '=', org)
      if (since !== undefined) query = query.where('created_at', '>=', since)
      if (until !== undefined) query = query.where('created_at', '<', until)
      if (q.actor !== undefined) {
        const actor = q.actor
        query = query.where((eb) => eb.or([eb('actor_id', '=', actor), eb('actor_name', '=', actor)]))
      }
      if (q.action !== undefined) {
        // A prefix filter: the pattern leaves only [a-z0-9.-] before `.*`, so no LIKE wildcard can slip in.
        query = q.action.endsWith('.*') ? query.where('action', 'like', `${q.action.slice(0, -1)}%`) : query.where('action', '=', q.action)
      }
      if (q.result !== undefined) query = query.where('result', '=', q.result)
      if (cursor !== undefined) {
        query = query.where((eb) =>
          eb.or([eb('created_at', '<', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)])]),
        )
      }
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
      const page = rows.slice(0, limit)
      const last = page[page.length - 1]
      return {
        events: page.map((r) => ({
          id: r.id,
          createdAt: r.created_at,
          actorType: r.actor_type,
          actorId: r.actor_id,
          actorName: r.actor_name,
          action: r.action,
          targetType: r.target_type,
          targetId: r.target_id,
          result: r.result,
          statusCode: r.status_code,
          sourceAddr: r.source_addr,
          requestId: r.request_id,
          details: parseDetails(r.details),
        })),
        nextCursor: rows.length > limit && last !== undefined ? formatAuditCursor({ createdAt: last.created_at, id: last.id }) : null,
      }
    },
  )
}

function invalid(field: string, message: string): ServerError<'SRV_VALIDATION'> {
  return new ServerError('SRV_VALIDATION', `the request querystring is invalid: /querystring/${field} ${message}`, {
    errors: [{ path: `/querystring/${field}`, message }],
  })
}

function parseDetails(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text)
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}
