/**
 * The audit trail: one audit_events row per audited action (every route
 * that is not GET/HEAD, every login attempt), written before the answer
 * leaves, so a caller who saw success can rely on the event (audit-hook.ts).
 *
 * This module is the one way to write an event. Routes are audited by the
 * hook from their `config.audit`; handlers refine the event through the
 * request fields below; code that must record something the hook cannot
 * see (a failed login naming a username) calls {@link recordAudit} itself.
 *
 * Never put a secret in an event: no passwords, tokens, keys or codes, and
 * no hashes of them.
 */
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The id of the object this call acted on, when not the `:id` URL parameter (e.g. a row just created). */
    auditTarget?: string
    /** Small facts about the call for its audit event (never secrets); at most {@link MAX_AUDIT_DETAILS} bytes as JSON. */
    auditDetails?: Readonly<Record<string, unknown>>
    /**
     * The org a `public` route acted in, once the handler established it
     * from a credential of its own (an enrollment token, a setup code).
     * Ignored on org routes, whose org is the URL's.
     */
    auditOrg?: string
  }
}

/** Largest details object kept, as JSON bytes; larger ones are replaced by `{ truncated: true }`. */
export const MAX_AUDIT_DETAILS = 4096

/** How an audited call ended. */
export type AuditResult = 'success' | 'failure' | 'denied'

/** One event, as callers describe it. */
export interface AuditEvent {
  /** The org the event belongs to; null when it belongs to none (or to one the actor is not part of). */
  readonly orgId: string | null
  readonly actor: { readonly type: 'admin' | 'api-key' | 'device' | 'anonymous' | 'system'; readonly id: string | null; readonly name: string | null }
  /** Dotted name, e.g. `person.create`, `session.login`. */
  readonly action: string
  readonly target?: { readonly type: string | null; readonly id: string | null }
  readonly result: AuditResult
  readonly statusCode: number
  readonly sourceAddr?: string | null
  readonly requestId?: string | null
  readonly details?: Readonly<Record<string, unknown>>
  /** Milliseconds since the epoch (default Date.now()). */
  readonly at?: number
}

/**
 * Writes one audit event; resolves once it is stored (and throws if it was not).
 *
 * @example
 * await recordAudit(db, {
 *   orgId: null, actor: { type: 'anonymous', id: null, name: presentedUsername },
 *   action: 'session.login', result: 'failure', statusCode: 401,
 *   sourceAddr: request.ip, requestId: request.id, details: { reason: 'bad-password' },
 * })
 */
export async function recordAudit(db: Kysely<Database>, event: AuditEvent): Promise<string> {
  const id = randomUUID()
  await db
    .insertInto('audit_events')
    .values({
      id,
      org_id: event.orgId,
      actor_type: event.actor.type,
      actor_id: clip(event.actor.id, 200),
      actor_name: clip(event.actor.name, 200),
      action: event.action.slice(0, 100),
      target_type: clip(event.target?.type ?? null, 100),
      target_id: clip(event.target?.id ?? null, 200),
      result: event.result,
      status_code: event.statusCode,
      source_addr: clip(event.sourceAddr ?? null, 64),
      request_id: clip(event.requestId ?? null, 64),
      details: detailsJson(event.details),
      created_at: event.at ?? Date.now(),
    })
    .execute()
  return id
}

function clip(v: string | null, max: number): string | null {
  return v === null ? null : v.slice(0, max)
}

function detailsJson(details: Readonly<Record<string, unknown>> | undefined): string {
  if (details === undefined) return '{}'
  let text: string
  try {
    text = JSON.stringify(details)
  } catch {
    return '{"unserialisable":true}'
  }
  return Buffer.byteLength(text) <= MAX_AUDIT_DETAILS ? text : '{"truncated":true}'
}
