/**
 * What the accounts routes share: the database, the clock (injectable, so
 * lockout expiry and TOTP steps are testable), the session policy, the
 * sealing key for TOTP secrets and the login rate limiter.
 */
import type { FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ServerError } from '../errors.js'
import type { SessionPolicy } from '../auth/session-policy.js'
import type { LoginRateLimiter } from './login-rate-limit.js'
import type { SecretBox } from './secret-box.js'

/** Dependencies of the accounts routes. */
export interface AccountsDeps {
  readonly db: Kysely<Database>
  readonly now: () => number
  readonly policy: SessionPolicy
  readonly box: SecretBox
  readonly limiter: LoginRateLimiter
}

/** The signed-in admin of a `session` route. */
export interface SessionAdmin {
  readonly adminId: string
  readonly username: string
  readonly sessionId: string
}

/**
 * The admin and session of a request the access hook accepted as a
 * console session. A wiring bug (called on another kind of route) is a 500.
 *
 * @example
 * const { adminId, sessionId } = sessionAdminOf(request)
 */
export function sessionAdminOf(request: FastifyRequest): SessionAdmin {
  const p = request.principal
  if (p?.kind !== 'admin') throw new ServerError('SRV_INTERNAL', 'a session route ran without a session principal')
  return { adminId: p.adminId, username: p.username, sessionId: p.sessionId }
}

/** The context a TOTP secret of `adminId` is sealed under (secret-box.ts). */
export function totpContext(adminId: string): string {
  return `palisade/totp/v1:${adminId}`
}
