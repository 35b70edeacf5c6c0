/**
 * Finds the console session a request presents: the row whose token_hash is
 * SHA-256 of the cookie, not revoked, before its absolute expiry, used within
 * the idle timeout, of an admin whose account is active. Refreshes
 * last_seen_at at most once per touch interval.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { SessionPolicy } from './session-policy.js'
import { hashSessionToken } from './session-token.js'

/** A live session and its admin. */
export interface ResolvedSession {
  readonly id: string
  readonly csrfHash: string
  /** True when the session passed MFA (sessions.mfa = 1). */
  readonly mfa: boolean
  readonly adminId: string
  readonly username: string
  /** True when the admin has confirmed TOTP (admins.totp_enabled_at is set). */
  readonly totpEnabled: boolean
}

/**
 * The live session of `token` at `now`, or undefined. `touch: false`
 * checks without refreshing last_seen_at.
 *
 * @example
 * const session = await resolveSession(db, cookieToken, Date.now(), SESSION_POLICY)
 */
export async function resolveSession(
  db: Kysely<Database>,
  token: string | undefined,
  now: number,
  policy: SessionPolicy,
  options: { readonly touch?: boolean } = {},
): Promise<ResolvedSession | undefined> {
  if (token === undefined) return undefined
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('admins as a', 'a.id', 's.admin_id')
    .select(['s.id', 's.csrf_hash', 's.mfa', 's.admin_id', 's.last_seen_at', 's.expires_at', 's.revoked_at', 'a.username', 'a.status', 'a.totp_enabled_at'])
    .where('s.token_hash', '=', hashSessionToken(token))
    .executeTakeFirst()
  if (row === undefined || row.revoked_at !== null || now >= row.expires_at || now - row.last_seen_at >= policy.idleTimeoutMs) return undefined
  if (row.status !== 'active') return undefined
  // touch: false for re-checks that are not the admin's activity (a live stream), so they cannot keep an idle session alive
  if (options.touch !== false && now - row.last_seen_at >= policy.touchIntervalMs) {
    await db
      .updateTable('sessions')
      .set({ last_seen_at: now })
      .where('id', '=', row.id)
      .where('last_seen_at', '<=', now - policy.touchIntervalMs)
      .execute()
  }
  return Object.freeze({
    id: row.id,
    csrfHash: row.csrf_hash,
    mfa: Number(row.mfa) === 1,
    adminId: row.admin_id,
    username: row.username,
    totpEnabled: row.totp_enabled_at !== null,
  })
}
