/**
 * POST /v1/me/password `{ currentPassword, newPassword }`: the signed-in
 * admin changes their password. The current one is asked again
 * (reauthenticate.ts); the new one must pass the policy; every other
 * session of the admin is revoked, so a thief who had one loses it.
 */
import type { FastifyInstance } from 'fastify'
import { SESSION } from '../auth/access.js'
import { withAuditedTransaction } from '../audit/audited-transaction.js'
import { ServerError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import { sessionAdminOf, type AccountsDeps } from './accounts-deps.js'
import { revokeSessions } from './create-session.js'
import { hashPassword } from './password-hash.js'
import { checkPassword } from './password-policy.js'
import { reauthenticate } from './reauthenticate.js'

const PASSWORD = { type: 'string', minLength: 1, maxLength: 1024 }

/** Registers the password route. */
export function passwordRoute(app: FastifyInstance, deps: AccountsDeps): void {
  const { db } = deps
  app.post(
    '/v1/me/password',
    {
      config: { access: SESSION, audit: { action: 'admin.password-change', target: 'admin' } },
      schema: {
        querystring: NO_QUERY,
        body: objectSchema({ currentPassword: PASSWORD, newPassword: PASSWORD }, ['currentPassword', 'newPassword']),
        response: { 200: objectSchema({ revokedSessions: { type: 'integer' } }, ['revokedSessions']) },
      },
    },
    async (request) => {
      const { adminId, sessionId } = sessionAdminOf(request)
      request.auditTarget = adminId
      const { currentPassword, newPassword } = request.body as { currentPassword: string; newPassword: string }
      const t = deps.now()
      const admin = await reauthenticate(db, adminId, currentPassword, '/body/currentPassword', t)
      const refusal = checkPassword(newPassword, { username: admin.username, email: admin.email })
      if (refusal !== undefined) {
        throw new ServerError('SRV_VALIDATION', `newPassword ${refusal.message}`, { errors: [{ path: '/body/newPassword', message: `${refusal.message} (${refusal.rule})` }] })
      }
      if (newPassword.normalize('NFC') === currentPassword.normalize('NFC')) {
        throw new ServerError('SRV_VALIDATION', 'newPassword must differ from the current one', { errors: [{ path: '/body/newPassword', message: 'must differ from the current password' }] })
      }
      const hash = await hashPassword(newPassword)
      const revokedSessions = await withAuditedTransaction(db, request, async (trx) => {
        await trx
          .updateTable('admins')
          .set((eb) => ({ password_hash: hash, password_changed_at: t, updated_at: t, failed_logins: 0, locked_until: null, version: eb('version', '+', 1) }))
          .where('id', '=', adminId)
          .execute()
        const revoked = await revokeSessions(trx, adminId, t, sessionId)
        request.auditDetails = { revokedSessions: revoked }
        return revoked
      }, { at: t })
      return { revokedSessions }
    },
  )
}
