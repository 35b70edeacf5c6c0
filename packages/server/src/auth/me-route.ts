/**
 * GET /v1/me — who the console session belongs to, and the orgs its admin
 * holds a role in. Allowed before MFA is complete (`mfaOptional`), so the
 * console can tell a half-signed-in user what is missing; such a session
 * sees its account but no orgs until it passes MFA. A session opened for
 * an admin without TOTP while an org of theirs requires MFA says so:
 * `session.mfaEnrolmentRequiredBy` lists those orgs, and the session may
 * only enrol TOTP (POST /v1/me/mfa/totp, then …/confirm) or sign out.
 */
import { ROLES, SESSION_MFA_OPTIONAL, type Role } from './access.js'
import { ServerError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import type { RoutePlugin } from '../routes/route-context.js'

const ME = objectSchema(
  {
    admin: objectSchema(
      { id: { type: 'string' }, username: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' }, mfaEnabled: { type: 'boolean' } },
      ['id', 'username', 'email', 'name', 'mfaEnabled'],
    ),
    session: objectSchema(
      { id: { type: 'string' }, mfa: { type: 'boolean' }, mfaEnrolmentRequiredBy: { type: 'array', items: { type: 'string' } } },
      ['id', 'mfa', 'mfaEnrolmentRequiredBy'],
    ),
    orgs: {
      type: 'array',
      items: objectSchema(
        { id: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', enum: [...ROLES] }, requireMfa: { type: 'boolean' } },
        ['id', 'name', 'role', 'requireMfa'],
      ),
    },
  },
  ['admin', 'session', 'orgs'],
)

/** The /v1/me route. */
export const meRoute: RoutePlugin = async (app, { db }) => {
  app.get(
    '/v1/me',
    { config: { access: SESSION_MFA_OPTIONAL }, schema: { querystring: NO_QUERY, response: { 200: ME } } },
    async (request) => {
      const p = request.principal
      if (p.kind !== 'admin') throw new ServerError('SRV_INTERNAL', '/v1/me reached without a session principal')
      const admin = await db
        .selectFrom('admins')
        .select(['id', 'username', 'email', 'name', 'totp_enabled_at'])
        .where('id', '=', p.adminId)
        .executeTakeFirstOrThrow()
      const requiring =
        p.mfa || admin.totp_enabled_at !== null
          ? []
          : await db
              .selectFrom('admin_roles as r')
              .innerJoin('orgs as o', 'o.id', 'r.org_id')
              .select('o.id')
              .where('r.admin_id', '=', p.adminId)
              .where('o.require_mfa', '=', 1)
              .orderBy('o.id')
              .execute()
      const orgs = !p.mfa
        ? []
        : await db
            .selectFrom('admin_roles as r')
            .innerJoin('orgs as o', 'o.id', 'r.org_id')
            .select(['o.id', 'o.name', 'r.role', 'o.require_mfa'])
            .where('r.admin_id', '=', p.adminId)
            .orderBy('o.id')
            .execute()
      return {
        admin: { id: admin.id, username: admin.username, email: admin.email, name: admin.name, mfaEnabled: admin.totp_enabled_at !== null },
        session: { id: p.sessionId, mfa: p.mfa, mfaEnrolmentRequiredBy: requiring.map((o) => o.id) },
        orgs: orgs
          .filter((o) => (ROLES as readonly string[]).includes(o.role))
          .map((o) => ({ id: o.id, name: o.name, role: o.role as Role, requireMfa: Number(o.require_mfa) === 1 })),
      }
    },
  )
}
