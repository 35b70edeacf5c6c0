/**
 * Asks a signed-in admin for their password again (and, where MFA is being
 * managed, a second-factor code) before a sensitive change (password
 * change, turning MFA off, new recovery codes). A stolen session cookie is
 * not enough for those.
 *
 * Each request takes ONE attempt of the same lockout as login before any
 * factor is checked (failed-login.ts), so a stolen session cannot be used
 * to guess the password or the TOTP code either: concurrent guesses get at
 * most `threshold` checks per lock window, and a locked account checks
 * nothing (the answer then tells nothing about the factors). The count is
 * reset only once every factor of the request has passed: a right password
 * with a wrong code stays counted (security re-review N3).
 *
 * Answers 403 (not 401) for the password and the lock: the session itself
 * is fine, and a 401 would make the console believe it was signed out.
 */
import type { Kysely } from 'kysely'
import type { Database, Row } from '../db/schema.js'
import { ServerError } from '../errors.js'
import type { AccountsDeps } from './accounts-deps.js'
import { clearLoginFailures, takeLoginAttempt } from './failed-login.js'
import { verifyPassword } from './password-hash.js'
import { RECOVERY_CODE_RE } from './recovery-codes.js'
import { useSecondFactor } from './second-factor.js'

/**
 * Loads the admin and checks `password`; throws SRV_FORBIDDEN naming
 * `field` when it is wrong or the account is locked.
 *
 * @example
 * const admin = await reauthenticate(db, adminId, body.currentPassword, '/body/currentPassword', now)
 */
export async function reauthenticate(db: Kysely<Database>, adminId: string, password: string, field: string, now: number): Promise<Row<'admins'>> {
  const admin = await takeAndCheckPassword(db, adminId, password, field, now)
  await clearLoginFailures(db, adminId)
  return admin
}

/**
 * Like {@link reauthenticate}, then also checks (and uses up) `code`, a
 * TOTP code or a recovery code (by its shape), within the same counted
 * attempt: 401 SRV_MFA_CODE_INVALID naming `/body/code` when it is wrong,
 * and the failure stays counted. The count is reset only when both passed.
 *
 * @example
 * const admin = await reauthenticateWithCode(deps, adminId, body.password, body.code, now)
 */
export async function reauthenticateWithCode(deps: Pick<AccountsDeps, 'db' | 'box'>, adminId: string, password: string, code: string, now: number): Promise<Row<'admins'>> {
  const admin = await takeAndCheckPassword(deps.db, adminId, password, '/body/password', now)
  const input = RECOVERY_CODE_RE.test(code) ? { recoveryCode: code } : { totp: code }
  const result = admin.totp_enabled_at === null ? 'invalid' : await useSecondFactor(deps.db, deps.box, admin, input, now)
  if (result !== 'totp' && result !== 'recovery-code') {
    throw new ServerError('SRV_MFA_CODE_INVALID', 'the code is wrong or was already used', { errors: [{ path: '/body/code', message: 'is not a valid code' }] })
  }
  await clearLoginFailures(deps.db, adminId)
  return admin
}

/** Counts one attempt, then checks the password (unless locked); the count is left for the caller to clear. */
async function takeAndCheckPassword(db: Kysely<Database>, adminId: string, password: string, field: string, now: number): Promise<Row<'admins'>> {
  const admin = await db.selectFrom('admins').selectAll().where('id', '=', adminId).executeTakeFirst()
  if (admin === undefined) throw new ServerError('SRV_UNAUTHENTICATED', 'the account no longer exists')
  const slot = await takeLoginAttempt(db, adminId, now)
  if (!slot.taken) throw wrong(field, 'too many failed attempts: the account is locked for now')
  const { ok } = await verifyPassword(admin.password_hash, password)
  if (!ok) throw wrong(field, 'is wrong')
  return admin
}

function wrong(field: string, message: string): ServerError<'SRV_FORBIDDEN'> {
  return new ServerError('SRV_FORBIDDEN', `password check failed: ${message}`, { errors: [{ path: field, message }] })
}
