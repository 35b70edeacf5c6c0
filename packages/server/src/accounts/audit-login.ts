/**
 * The audit events of a login attempt, which the generic audit hook cannot
 * write: the actor is whoever the presented username names (or anonymous
 * with that username as typed, truncated), and the event goes into every
 * org where that admin holds a role, so each org's trail shows attempts on
 * its admins (one event with no org when they hold none, or the name is
 * unknown). The handler sets `request.auditRecorded` so that the hook does
 * not add a second, poorer event. A success is written in the transaction
 * that opens the session (login.ts), so a session never exists unaudited.
 */
import type { FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import '../audit/audit-hook.js'
import { recordAudit } from '../audit/record-audit.js'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'
import { adminOrgs } from './find-admin.js'

/** Longest presented username kept in an event. */
export const MAX_PRESENTED_NAME = 64

/** One login attempt, as audited. */
export interface LoginAudit {
  readonly action: string
  /** The account the username named, if any. */
  readonly admin: { readonly id: string; readonly username: string } | undefined
  /** What the caller typed as username or email (never the password). */
  readonly presented: string
  readonly result: 'success' | 'failure'
  readonly statusCode: number
  readonly details: Readonly<Record<string, unknown>>
  readonly at: number
}

/**
 * Writes the events of one attempt and marks the request as audited.
 * Throws SRV_UNAVAILABLE when they cannot be stored: an attempt the trail
 * does not show must not succeed.
 *
 * @example
 * await auditLogin(db, request, { action: 'session.login', admin, presented: body.username, result: 'failure', statusCode: 401, details: { reason: 'bad-password' }, at: now })
 */
export async function auditLogin(db: Kysely<Database>, request: FastifyRequest, event: LoginAudit): Promise<void> {
  request.auditRecorded = true
  const orgs: (string | null)[] = event.admin === undefined ? [null] : await adminOrgs(db, event.admin.id)
  if (orgs.length === 0) orgs.push(null)
  const actor =
    event.admin === undefined
      ? { type: 'anonymous' as const, id: null, name: event.presented.slice(0, MAX_PRESENTED_NAME) }
      : { type: 'admin' as const, id: event.admin.id, name: event.admin.username }
  try {
    for (const orgId of orgs) {
      await recordAudit(db, {
        orgId,
        actor,
        action: event.action,
        target: { type: 'admin', id: event.admin?.id ?? null },
        result: event.result,
        statusCode: event.statusCode,
        sourceAddr: request.ip,
        requestId: request.id,
        details: event.details,
        at: event.at,
      })
    }
  } catch (e) {
    request.log.error({ err: e, action: event.action }, 'login audit event not recorded')
    throw new ServerError('SRV_UNAVAILABLE', 'the audit event could not be recorded', { cause: e })
  }
}
