/**
 * Test support (not a test file): console admins, their roles and sessions,
 * and API keys, written straight into the database the way the accounts
 * code writes them, so access tests need no login flow.
 */
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Role } from './access.js'
import { createApiKey } from './api-key.js'
import { SESSION_COOKIE, SESSION_POLICY } from './session-policy.js'
import { newSessionTokens } from './session-token.js'

/** An admin account made for a test. */
export interface TestAdmin {
  readonly id: string
  readonly username: string
}

/** Creates an active admin (optionally with confirmed TOTP) holding `roles` ({ org: role }). */
export async function createAdmin(
  db: Kysely<Database>,
  username: string,
  roles: Readonly<Record<string, Role>> = {},
  options: { totp?: boolean; status?: string; now?: number } = {},
): Promise<TestAdmin> {
  const id = randomUUID()
  const t = options.now ?? Date.now()
  await db
    .insertInto('admins')
    .values({
      id,
      username,
      username_key: username.toLowerCase(),
      email: `${username}@example.com`,
      email_key: `${username.toLowerCase()}@example.com`,
      name: `Test ${username}`,
      password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
      totp_enabled_at: options.totp === true ? t : null,
      status: options.status ?? 'active',
      failed_logins: 0,
      password_changed_at: t,
      created_at: t,
      updated_at: t,
      version: 1,
    })
    .execute()
  for (const [org, role] of Object.entries(roles)) {
    await db.insertInto('admin_roles').values({ admin_id: id, org_id: org, role, created_at: t }).execute()
  }
  return { id, username }
}

/** A session made for a test, with the headers a browser would send. */
export interface TestSession {
  readonly id: string
  readonly token: string
  readonly csrf: string
  /** `cookie` header only (enough for GET). */
  readonly read: { readonly cookie: string }
  /** `cookie` and `x-csrf-token` headers (for any method). */
  readonly write: { readonly cookie: string; readonly 'x-csrf-token': string }
}

/** Creates a session of `adminId`. Defaults: MFA passed, created and seen at `now`, the default lifetime. */
export async function createSession(
  db: Kysely<Database>,
  adminId: string,
  options: { mfa?: boolean; now?: number; lastSeenAt?: number; expiresAt?: number; revokedAt?: number | null } = {},
): Promise<TestSession> {
  const t = options.now ?? Date.now()
  const id = randomUUID()
  const { token, tokenHash, csrf, csrfHash } = newSessionTokens()
  await db
    .insertInto('sessions')
    .values({
      id,
      token_hash: tokenHash,
      csrf_hash: csrfHash,
      admin_id: adminId,
      mfa: options.mfa === false ? 0 : 1,
      created_at: t,
      last_seen_at: options.lastSeenAt ?? t,
      expires_at: options.expiresAt ?? t + SESSION_POLICY.absoluteTimeoutMs,
      revoked_at: options.revokedAt ?? null,
    })
    .execute()
  const cookie = `${SESSION_COOKIE}=${token}`
  return { id, token, csrf, read: { cookie }, write: { cookie, 'x-csrf-token': csrf } }
}

/** Creates an API key of `org` with `scopes`; returns its id and the authorization header. */
export async function createKey(
  db: Kysely<Database>,
  org: string,
  scopes: readonly string[],
  options: { name?: string; expiresAt?: number | null; now?: number } = {},
): Promise<{ readonly id: string; readonly key: string; readonly auth: { readonly authorization: string } }> {
  const made = await createApiKey(db, org, options.name ?? `key ${scopes.join('+') || 'none'}`, scopes, {
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
  })
  return { id: made.id, key: made.key, auth: { authorization: `Bearer ${made.key}` } }
}
