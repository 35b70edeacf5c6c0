/**
 * Asks a signed-in admin for their password again before a sensitive
 * change (password change, turning MFA off). A stolen session cookie is
 * not enough for those. Wrong passwords count toward the same lockout as
 * login and are taken before the check (failed-login.ts), so a stolen
 * session cannot be used to guess the password either; a locked account
 * cannot re-authenticate (its password is then not checked at all, so the
 * answer tells nothing about it). A correct password resets the count.
 *
 * Answers 403 (not 401): the session itself is fine, and a 401 would make
 * the console believe it was signed out.
 */
import type { Kysely } from 'kysely'
import type { Database, Row } from '../db/schema.js'
import { ServerError } from '../errors.js'
import { clearLoginFailures, takeLoginAttempt } from './failed-login.js'
import { verifyPassword } from './password-hash.js'

/**
 * Loads the admin and checks `password`; throws SRV_FORBIDDEN naming
 * `field` when it is wrong or the account is locked.
 *
 * @example
 * const admin = await reauthenticate(db, adminId, body.currentPassword, '/body/currentPassword', now)
 */
export async function reauthenticate(db: Kysely<Database>, adminId: string, password: string, field: string, now: number): Promise<Row<'admins'>> {
  const admin = await db.selectFrom('admins').selectAll().where('id', '=', adminId).executeTakeFirst()
  if (admin === undefined) throw new ServerError('SRV_UNAUTHENTICATED', 'the account no longer exists')
  const slot = await takeLoginAttempt(db, adminId, now)
  if (!slot.taken) throw wrong(field, 'too many failed attempts: the account is locked for now')
  const { ok } = await verifyPassword(admin.password_hash, password)
  if (!ok) throw wrong(field, 'is wrong')
  await clearLoginFailures(db, adminId)
  return admin
}

function wrong(field: string, message: string): ServerError<'SRV_FORBIDDEN'> {
  return new ServerError('SRV_FORBIDDEN', `password check failed: ${message}`, { errors: [{ path: field, message }] })
}
