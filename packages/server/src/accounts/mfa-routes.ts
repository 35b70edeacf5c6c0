/**
 * TOTP MFA of the signed-in admin (WIRE.md "Console accounts"):
 *
 * - POST /v1/me/mfa/totp `{ password }`: start (or restart) enrolment
 *   after re-entering the password (reauthenticate.ts: a stolen session of
 *   an admin without MFA cannot enrol the thief's authenticator): a fresh secret,
 *   sealed under the server key (secret-box.ts), pending until confirmed;
 *   answered once as base32, otpauth:// URI and QR code SVG;
 * - POST /v1/me/mfa/totp/confirm `{ code }`: a first valid code enables it,
 *   marks the current session as MFA-passed and returns 10 recovery codes
 *   (shown once, stored hashed);
 * - DELETE /v1/me/mfa `{ password, code }`: turns it off, unless an org the
 *   admin belongs to requires MFA;
 * - POST /v1/me/mfa/recovery-codes `{ password, code }`: a fresh set of
 *   recovery codes.
 *
 * Every code checked here takes an attempt of the login lockout first
 * (failed-login.ts, reauthenticate.ts), like login does: a session cannot
 * guess codes without limit (security re-review N3).
 *
 * Enrolment routes are `mfaOptional`, so that a session which has not
 * passed MFA can still set it up.
 */
import { toString as qrCode } from 'qrcode'
import type { FastifyInstance } from 'fastify'
import { SESSION, SESSION_MFA_OPTIONAL } from '../auth/access.js'
import { withAuditedTransaction } from '../audit/audited-transaction.js'
import { ServerError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import { sessionAdminOf, totpContext, type AccountsDeps } from './accounts-deps.js'
import { orgsRequiringMfa } from './find-admin.js'
import { clearLoginFailures, takeLoginAttempt } from './failed-login.js'
import { reauthenticate, reauthenticateWithCode } from './reauthenticate.js'
import { replaceRecoveryCodes } from './recovery-codes.js'
import { openTotpSecret } from './second-factor.js'
import { acceptTotp, newTotpSecret, totpUri } from './totp.js'

const CODE = { type: 'string', minLength: 6, maxLength: 11 }
const PASSWORD = { type: 'string', minLength: 1, maxLength: 1024 }
const CODES_ANSWER = objectSchema({ recoveryCodes: { type: 'array', items: { type: 'string' } } }, ['recoveryCodes'])

/** Registers the MFA routes. */
export function mfaRoutes(app: FastifyInstance, deps: AccountsDeps): void {
  const { db, box } = deps

  app.post(
    '/v1/me/mfa/totp',
    {
      config: { access: SESSION_MFA_OPTIONAL, audit: { action: 'mfa.enroll-start', target: 'admin' } },
      schema: {
        querystring: NO_QUERY,
        body: objectSchema({ password: { type: 'string', minLength: 1, maxLength: 1024 } }, ['password']),
        response: { 200: objectSchema({ secret: { type: 'string' }, otpauthUri: { type: 'string' }, qrSvg: { type: 'string' } }, ['secret', 'otpauthUri', 'qrSvg']) },
      },
    },
    async (request) => {
      const { adminId, username } = sessionAdminOf(request)
      request.auditTarget = adminId
      const { password } = request.body as { password: string }
      const t = deps.now()
      await reauthenticate(db, adminId, password, '/body/password', t)
      const secret = newTotpSecret()
      // Only while not enabled: replacing an active secret would turn MFA off without the checks of DELETE.
      await withAuditedTransaction(db, request, async (trx) => {
        const r = await trx
          .updateTable('admins')
          .set({ totp_secret: box.seal(secret, totpContext(adminId)), updated_at: t })
          .where('id', '=', adminId)
          .where('totp_enabled_at', 'is', null)
          .executeTakeFirst()
        if (r.numUpdatedRows === 0n) throw new ServerError('SRV_CONFLICT', 'TOTP is already enabled; turn it off first (DELETE /v1/me/mfa)')
      }, { at: t })
      const otpauthUri = totpUri(secret, username)
      return { secret, otpauthUri, qrSvg: await qrCode(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) }
    },
  )

  app.post(
    '/v1/me/mfa/totp/confirm',
    {
      config: { access: SESSION_MFA_OPTIONAL, audit: { action: 'mfa.enable', target: 'admin' } },
      schema: { querystring: NO_QUERY, body: objectSchema({ code: { type: 'string', pattern: '^[0-9]{6}$' } }, ['code']), response: { 200: CODES_ANSWER } },
    },
    async (request) => {
      const { adminId, sessionId } = sessionAdminOf(request)
      request.auditTarget = adminId
      const { code } = request.body as { code: string }
      const admin = await db.selectFrom('admins').select(['totp_secret', 'totp_enabled_at', 'totp_last_step']).where('id', '=', adminId).executeTakeFirstOrThrow()
      if (admin.totp_enabled_at !== null) throw new ServerError('SRV_CONFLICT', 'TOTP is already enabled')
      if (admin.totp_secret === null) throw new ServerError('SRV_CONFLICT', 'no TOTP enrolment is pending: POST /v1/me/mfa/totp first')
      const t = deps.now()
      // Counted before the check, like every code (reset below only on success).
      const slot = await takeLoginAttempt(db, adminId, t)
      if (!slot.taken) {
        throw new ServerError('SRV_FORBIDDEN', 'too many failed attempts: the account is locked for now', { errors: [{ path: '/body/code', message: 'the account is locked for now' }] })
      }
      const step = acceptTotp(openTotpSecret(box, adminId, admin.totp_secret), code, t, admin.totp_last_step === null ? null : Number(admin.totp_last_step))
      if (step === undefined) throw new ServerError('SRV_MFA_CODE_INVALID', 'the code is wrong: check the device clock and the secret entered', { errors: [{ path: '/body/code', message: 'is not a valid code' }] })
      const recoveryCodes = await withAuditedTransaction(db, request, async (trx) => {
        const r = await trx
          .updateTable('admins')
          .set((eb) => ({ totp_enabled_at: t, totp_last_step: step, updated_at: t, version: eb('version', '+', 1) }))
          .where('id', '=', adminId)
          .where('totp_enabled_at', 'is', null)
          .where('totp_secret', '=', admin.totp_secret)
          .executeTakeFirst()
        if (r.numUpdatedRows === 0n) throw new ServerError('SRV_CONFLICT', 'the enrolment changed meanwhile; start again')
        await trx.updateTable('sessions').set({ mfa: 1 }).where('id', '=', sessionId).execute()
        await clearLoginFailures(trx, adminId)
        return replaceRecoveryCodes(trx, adminId, t)
      }, { at: t })
      return { recoveryCodes }
    },
  )

  app.delete(
    '/v1/me/mfa',
    {
      config: { access: SESSION, audit: { action: 'mfa.disable', target: 'admin' } },
      schema: {
        querystring: NO_QUERY,
        body: objectSchema({ password: PASSWORD, code: CODE }, ['password', 'code']),
        response: { 200: objectSchema({}) },
      },
    },
    async (request) => {
      const { adminId } = sessionAdminOf(request)
      request.auditTarget = adminId
      const { password, code } = request.body as { password: string; code: string }
      const t = deps.now()
      // State first, then the factors in one counted attempt: a refusal for
      // state never costs an attempt, and nothing resets the count between
      // the password and the code.
      const current = await db.selectFrom('admins').select('totp_enabled_at').where('id', '=', adminId).executeTakeFirstOrThrow()
      if (current.totp_enabled_at === null) throw new ServerError('SRV_CONFLICT', 'TOTP is not enabled')
      const requiring = await orgsRequiringMfa(db, adminId)
      if (requiring.length > 0) {
        throw new ServerError('SRV_FORBIDDEN', `MFA cannot be turned off: required by organisation ${requiring.join(', ')}`)
      }
      await reauthenticateWithCode(deps, adminId, password, code, t)
      await withAuditedTransaction(db, request, async (trx) => {
        await trx
          .updateTable('admins')
          .set((eb) => ({ totp_secret: null, totp_enabled_at: null, totp_last_step: null, updated_at: t, version: eb('version', '+', 1) }))
          .where('id', '=', adminId)
          .execute()
        await trx.deleteFrom('recovery_codes').where('admin_id', '=', adminId).execute()
      }, { at: t })
      return {}
    },
  )

  app.post(
    '/v1/me/mfa/recovery-codes',
    {
      config: { access: SESSION, audit: { action: 'mfa.recovery-codes', target: 'admin' } },
      schema: { querystring: NO_QUERY, body: objectSchema({ password: PASSWORD, code: CODE }, ['password', 'code']), response: { 200: CODES_ANSWER } },
    },
    async (request) => {
      const { adminId } = sessionAdminOf(request)
      request.auditTarget = adminId
      const { password, code } = request.body as { password: string; code: string }
      const t = deps.now()
      const current = await db.selectFrom('admins').select('totp_enabled_at').where('id', '=', adminId).executeTakeFirstOrThrow()
      if (current.totp_enabled_at === null) throw new ServerError('SRV_CONFLICT', 'TOTP is not enabled')
      await reauthenticateWithCode(deps, adminId, password, code, t)
      return { recoveryCodes: await withAuditedTransaction(db, request, (trx) => replaceRecoveryCodes(trx, adminId, t), { at: t }) }
    },
  )
}
