/**
 * Console sessions, listable and revocable (WIRE.md "Console accounts"):
 *
 * - GET /v1/me/sessions, DELETE /v1/me/sessions/:id: the signed-in admin's own;
 * - GET /v1/orgs/:org/sessions, DELETE /v1/orgs/:org/sessions/:id
 *   (org:admin): those of every admin whose ONLY role is in this org;
 *   any other session id is "not found". Sessions are server-wide, so an
 *   org may not watch or end the sessions of an admin who also serves
 *   other orgs (an MSP operator): it removes their role instead, which cuts
 *   their access to this org at once (roles are checked on every request).
 *
 * Lists show live sessions only (not revoked, not expired, not idle);
 * tokens and their hashes never leave the database.
 */
import type { FastifyInstance } from 'fastify'
import type { ExpressionBuilder } from 'kysely'
import { withAuditedTransaction } from '../audit/audited-transaction.js'
import { SESSION, orgAccess } from '../auth/access.js'
import { orgOf } from '../auth/request-principal.js'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import { ORG_ID_SCHEMA } from '../log/route-schemas.js'
import { sessionAdminOf, type AccountsDeps } from './accounts-deps.js'
import { onlyOfOrg } from './only-of-org.js'
import { clearedSessionCookie } from './session-cookie.js'

const ID = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' }
const SESSION_ITEM = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'createdAt', 'lastSeenAt', 'expiresAt', 'sourceAddr', 'userAgent', 'current'],
  properties: {
    id: { type: 'string' },
    adminId: { type: 'string' },
    username: { type: 'string' },
    createdAt: { type: 'integer' },
    lastSeenAt: { type: 'integer' },
    expiresAt: { type: 'integer' },
    sourceAddr: { type: ['string', 'null'] },
    userAgent: { type: ['string', 'null'] },
    current: { type: 'boolean' },
  },
}
const LIST = objectSchema({ sessions: { type: 'array', items: SESSION_ITEM } }, ['sessions'])
/** Sessions listed at most (per admin a few; per org bounded anyway). */
const MAX_LISTED = 1000

/** Registers the session routes. */
export function sessionsRoutes(app: FastifyInstance, deps: AccountsDeps): void {
  const { db, policy } = deps
  const live = (t: number) => (eb: ExpressionBuilder<Database, 'sessions'>) =>
    eb.and([eb('sessions.revoked_at', 'is', null), eb('sessions.expires_at', '>', t), eb('sessions.last_seen_at', '>', t - policy.idleTimeoutMs)])

  app.get(
    '/v1/me/sessions',
    { config: { access: SESSION }, schema: { querystring: NO_QUERY, response: { 200: LIST } } },
    async (request) => {
      const { adminId, sessionId } = sessionAdminOf(request)
      const rows = await db
        .selectFrom('sessions')
        .select(['id', 'created_at', 'last_seen_at', 'expires_at', 'source_addr', 'user_agent'])
        .where('admin_id', '=', adminId)
        .where(live(deps.now()))
        .orderBy('created_at', 'desc')
        .limit(MAX_LISTED)
        .execute()
      return { sessions: rows.map((r) => ({ ...view(r), current: r.id === sessionId })) }
    },
  )

  app.delete(
    '/v1/me/sessions/:id',
    {
      config: { access: SESSION, audit: { action: 'session.revoke', target: 'session' } },
      schema: { params: objectSchema({ id: ID }, ['id']), querystring: NO_QUERY, response: { 200: objectSchema({}) } },
    },
    async (request, reply) => {
      const { adminId, sessionId } = sessionAdminOf(request)
      const { id } = request.params as { id: string }
      const t = deps.now()
      await withAuditedTransaction(db, request, async (trx) => {
        const r = await trx.updateTable('sessions').set({ revoked_at: t }).where('id', '=', id).where('admin_id', '=', adminId).where('revoked_at', 'is', null).executeTakeFirst()
        if (r.numUpdatedRows === 0n) throw new ServerError('SRV_NOT_FOUND', 'no such session')
      }, { at: t })
      if (id === sessionId) reply.header('set-cookie', clearedSessionCookie())
      return {}
    },
  )

  app.get(
    '/v1/orgs/:org/sessions',
    { config: { access: orgAccess('org:admin') }, schema: { params: objectSchema({ org: ORG_ID_SCHEMA }, ['org']), querystring: NO_QUERY, response: { 200: LIST } } },
    async (request) => {
      const org = orgOf(request)
      const p = request.principal
      const current = p.kind === 'admin' ? p.sessionId : null
      const rows = await db
        .selectFrom('sessions')
        .innerJoin('admins as a', 'a.id', 'sessions.admin_id')
        .select(['sessions.id', 'sessions.admin_id', 'a.username', 'sessions.created_at', 'sessions.last_seen_at', 'sessions.expires_at', 'sessions.source_addr', 'sessions.user_agent'])
        .where('sessions.admin_id', 'in', onlyOfOrg(org))
        .where(live(deps.now()))
        .orderBy('sessions.created_at', 'desc')
        .limit(MAX_LISTED)
        .execute()
      return { sessions: rows.map((r) => ({ ...view(r), adminId: r.admin_id, username: r.username, current: r.id === current })) }
    },
  )

  app.delete(
    '/v1/orgs/:org/sessions/:id',
    {
      config: { access: orgAccess('org:admin'), audit: { action: 'session.revoke', target: 'session' } },
      schema: { params: objectSchema({ org: ORG_ID_SCHEMA, id: ID }, ['org', 'id']), querystring: NO_QUERY, response: { 200: objectSchema({}) } },
    },
    async (request) => {
      const org = orgOf(request)
      const { id } = request.params as { id: string }
      const t = deps.now()
      await withAuditedTransaction(db, request, async (trx) => {
        const r = await trx
          .updateTable('sessions')
          .set({ revoked_at: t })
          .where('id', '=', id)
          .where('revoked_at', 'is', null)
          .where('admin_id', 'in', onlyOfOrg(org))
          .executeTakeFirst()
        if (r.numUpdatedRows === 0n) throw new ServerError('SRV_NOT_FOUND', 'no such session')
      }, { at: t })
      return {}
    },
  )
}

function view(r: { id: string; created_at: number; last_seen_at: number; expires_at: number; source_addr: string | null; user_agent: string | null }) {
  return {
    id: r.id,
    createdAt: Number(r.created_at),
    lastSeenAt: Number(r.last_seen_at),
    expiresAt: Number(r.expires_at),
    sourceAddr: r.source_addr,
    userAgent: r.user_agent,
  }
}
