/**
 * Opens a console session: two random tokens (auth/session-token.ts), of
 * which the database keeps only SHA-256 hashes, and a row whose absolute
 * expiry is fixed now and whose idle expiry the access hook enforces.
 */
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { SessionPolicy } from '../auth/session-policy.js'
import { newSessionTokens } from '../auth/session-token.js'

/** What {@link createSession} stores. */
export interface SessionSpec {
  readonly adminId: string
  /** True when the session passed MFA, or the admin has none (see auth/access-hook.ts). */
  readonly mfa: boolean
  readonly now: number
  readonly policy: SessionPolicy
  readonly sourceAddr: string | null
  readonly userAgent: string | null
}

/** A session just opened: the only time its tokens exist in clear. */
export interface NewSession {
  readonly id: string
  /** The cookie value. Never log it. */
  readonly token: string
  /** The CSRF token. Never log it. */
  readonly csrfToken: string
  readonly expiresAt: number
}

/**
 * Inserts a session row and returns its tokens.
 *
 * @example
 * const s = await createSession(db, { adminId, mfa: true, now, policy: SESSION_POLICY, sourceAddr: request.ip, userAgent })
 * reply.header('set-cookie', sessionCookie(s.token, policy.absoluteTimeoutMs / 1000))
 */
export async function createSession(db: Kysely<Database>, spec: SessionSpec): Promise<NewSession> {
  const tokens = newSessionTokens()
  const id = randomUUID()
  const expiresAt = spec.now + spec.policy.absoluteTimeoutMs
  await db
    .insertInto('sessions')
    .values({
      id,
      token_hash: tokens.tokenHash,
      csrf_hash: tokens.csrfHash,
      admin_id: spec.adminId,
      mfa: spec.mfa ? 1 : 0,
      created_at: spec.now,
      last_seen_at: spec.now,
      expires_at: expiresAt,
      revoked_at: null,
      source_addr: spec.sourceAddr?.slice(0, 64) ?? null,
      user_agent: spec.userAgent?.slice(0, 256) ?? null,
    })
    .execute()
  return Object.freeze({ id, token: tokens.token, csrfToken: tokens.csrf, expiresAt })
}

/**
 * Revokes sessions of `adminId` that are still open, except `keepId`;
 * returns how many.
 *
 * @example
 * await revokeSessions(db, adminId, now, currentSessionId) // after a password change
 */
export async function revokeSessions(db: Kysely<Database>, adminId: string, now: number, keepId?: string): Promise<number> {
  let q = db.updateTable('sessions').set({ revoked_at: now }).where('admin_id', '=', adminId).where('revoked_at', 'is', null)
  if (keepId !== undefined) q = q.where('id', '!=', keepId)
  const r = await q.executeTakeFirst()
  return Number(r.numUpdatedRows)
}
