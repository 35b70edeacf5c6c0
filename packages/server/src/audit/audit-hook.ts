/**
 * Audits every call to a route that declares `config.audit`.
 *
 * Two writers, one event per call (WIRE.md "Access", Audit):
 * - a handler that changes things in a transaction records its success
 *   event IN that transaction (audited-transaction.ts): the change and its
 *   event commit together or not at all, so a committed change is never
 *   unaudited and a failed commit changed nothing (a retry is safe);
 * - everything else — refusals by the access check, failures, and routes
 *   that change nothing or not in a transaction — is written here, in an
 *   `onSend` hook, before the answer leaves. If that write fails the caller
 *   gets 503 instead of an answer the trail does not show. Only for
 *   successes of the few routes outside a transaction can the change then
 *   have happened: those routes are idempotent, so a retry does not act
 *   twice (log publish, which adds no entry; a repeated root rotation,
 *   which only publishes again).
 *
 * A handler that records its event in its transaction and then fails in a
 * later step that no transaction can span (logging a signed command or
 * publishing a new root waits for witnesses) answers with that error, but
 * the trail keeps the success event: the change it records did commit.
 *
 * The event: actor from `request.principal`; org = the URL's `:org` only if
 * the caller was accepted in that org (a refused outsider's attempt is
 * recorded with no org, so it never shows in another org's trail); on a
 * `session` route (`/v1/me/…`, logout) of a signed-in admin, one event in
 * each org where that admin holds a role, so every owner sees security
 * changes to their admins (none of them: one event without an org); target
 * = `request.auditTarget` else `:id`; result `success` (< 400), `denied`
 * (refused by the access check) or `failure`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import { actorOf, memberOrg } from '../auth/request-principal.js'
import { ANONYMOUS, deniedByAccess } from '../auth/access-hook.js'
import type { Database } from '../db/schema.js'
import { withTransaction } from '../db/transaction.js'
import { ServerError } from '../errors.js'
import { recordAudit, type AuditEvent } from './record-audit.js'

const audited = new WeakSet<FastifyRequest>()

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the call's event(s) are stored by other means (a handler's transaction, login): the hook then writes none. */
    auditRecorded?: boolean
  }
}

/** Options of {@link installAudit}. */
export interface AuditOptions {
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number
}

/**
 * Installs the audit hook on the root instance (buildApp does).
 *
 * @example
 * installAudit(app, db)
 */
export function installAudit(app: FastifyInstance, db: Kysely<Database>, options: AuditOptions = {}): void {
  const now = options.now ?? Date.now
  app.addHook('onSend', async (request, reply, payload) => {
    const decl = request.routeOptions.config.audit
    // Once per request: when the write fails, the error answer passes here again.
    // auditRecorded: the handler wrote its own event(s) (login: accounts/audit-login.ts).
    if (decl === undefined || audited.has(request) || request.auditRecorded === true) return payload
    audited.add(request)
    try {
      const events = await auditEventsOf(db, request, reply.statusCode, decl, now())
      await withTransaction(db, async (trx) => {
        for (const event of events) await recordAudit(trx, event)
      })
    } catch (e) {
      request.log.error({ err: e, action: decl.action }, 'audit event not recorded; answering 503')
      throw new ServerError('SRV_UNAVAILABLE', 'the audit event could not be recorded', { cause: e })
    }
    return payload
  })
}

/**
 * The event(s) of a request that ends with `status`: one, or one per org
 * of the signed-in admin on a `session` route (see the module comment).
 *
 * @example
 * const events = await auditEventsOf(trx, request, 200, { action: 'mfa.disable', target: 'admin' }, now)
 */
export async function auditEventsOf(
  db: Kysely<Database>,
  request: FastifyRequest,
  status: number,
  decl: { readonly action: string; readonly target?: string },
  at: number,
): Promise<AuditEvent[]> {
  const params = (request.params ?? {}) as Record<string, unknown>
  const urlOrg = typeof params['org'] === 'string' ? params['org'] : undefined
  const access = request.routeOptions.config.access
  // Null when an earlier hook answered before the access hook ran (shutdown 503).
  const principal = request.principal ?? ANONYMOUS
  const paramId = typeof params['id'] === 'string' ? params['id'] : null
  const event = (orgId: string | null): AuditEvent => ({
    orgId,
    actor: actorOf(principal),
    action: decl.action,
    target: { type: decl.target ?? null, id: request.auditTarget ?? paramId },
    result: status < 400 ? 'success' : deniedByAccess(request) ? 'denied' : 'failure',
    statusCode: status,
    sourceAddr: request.ip,
    requestId: request.id,
    ...(request.auditDetails === undefined ? {} : { details: request.auditDetails }),
    at,
  })
  if (access?.kind === 'org') return [event(memberOrg(principal, urlOrg))]
  if (access?.kind === 'session' && principal.kind === 'admin') {
    const rows = await db.selectFrom('admin_roles').select('org_id').where('admin_id', '=', principal.adminId).orderBy('org_id').execute()
    return rows.length === 0 ? [event(null)] : rows.map((r) => event(r.org_id))
  }
  return [event(request.auditOrg ?? null)]
}
