/**
 * The signed-in admin's invitations (WIRE.md "Console accounts"):
 *
 * - GET  /v1/me/invitations: live invitations addressed to my account (the
 *   id its username or email named when they were sent, invitations.ts),
 *   with the inviting org's id and name and the role offered;
 * - POST /v1/me/invitations/:id/accept: I get the role in that org (the
 *   invitation is used up); audited in each of my orgs, that one included;
 * - POST /v1/me/invitations/:id/decline: the invitation is deleted; audited
 *   in my orgs only, so the inviting org does not learn that my account
 *   exists.
 *
 * Anything else (not mine, expired, answered) is 404.
 */
import type { FastifyInstance } from 'fastify'
import { ROLES, SESSION, type Role } from '../auth/access.js'
import { withAuditedTransaction } from '../audit/audited-transaction.js'
import { ServerError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import { sessionAdminOf, type AccountsDeps } from './accounts-deps.js'
import { grantRole } from './create-admin.js'
import { receivedInvitations } from './invitations.js'

const ID = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' }
const PARAMS = objectSchema({ id: ID }, ['id'])
const INVITATION = objectSchema(
  {
    id: { type: 'string' },
    org: objectSchema({ id: { type: 'string' }, name: { type: 'string' } }, ['id', 'name']),
    role: { type: 'string' },
    createdAt: { type: 'integer' },
    expiresAt: { type: 'integer' },
  },
  ['id', 'org', 'role', 'createdAt', 'expiresAt'],
)

/** Registers the invitation routes of the signed-in admin. */
export function invitationsRoutes(app: FastifyInstance, deps: AccountsDeps): void {
  const { db } = deps

  app.get(
    '/v1/me/invitations',
    { config: { access: SESSION }, schema: { querystring: NO_QUERY, response: { 200: objectSchema({ invitations: { type: 'array', items: INVITATION } }, ['invitations']) } } },
    async (request) => ({ invitations: await receivedInvitations(db, sessionAdminOf(request).adminId, deps.now()) }),
  )

  app.post(
    '/v1/me/invitations/:id/accept',
    {
      config: { access: SESSION, audit: { action: 'invitation.accept', target: 'invitation' } },
      schema: { params: PARAMS, querystring: NO_QUERY, body: objectSchema({}), response: { 200: objectSchema({ org: { type: 'string' }, role: { type: 'string' } }, ['org', 'role']) } },
    },
    async (request) => {
      const { adminId } = sessionAdminOf(request)
      const { id } = request.params as { id: string }
      const t = deps.now()
      return withAuditedTransaction(db, request, async (trx) => {
        const [invitation] = await receivedInvitations(trx, adminId, t, id)
        if (invitation === undefined || !(ROLES as readonly string[]).includes(invitation.role)) throw new ServerError('SRV_NOT_FOUND', 'no such invitation')
        // Used up first: of two racing accepts, one deletes it, the other finds nothing.
        const r = await trx.deleteFrom('admin_invitations').where('id', '=', id).executeTakeFirst()
        if (r.numDeletedRows === 0n) throw new ServerError('SRV_NOT_FOUND', 'no such invitation')
        await grantRole(trx, adminId, invitation.org.id, invitation.role as Role, t)
        request.auditDetails = { org: invitation.org.id, role: invitation.role }
        return { org: invitation.org.id, role: invitation.role }
      }, { at: t })
    },
  )

  app.post(
    '/v1/me/invitations/:id/decline',
    {
      config: { access: SESSION, audit: { action: 'invitation.decline', target: 'invitation' } },
      schema: { params: PARAMS, querystring: NO_QUERY, body: objectSchema({}), response: { 200: objectSchema({}) } },
    },
    async (request) => {
      const { adminId } = sessionAdminOf(request)
      const { id } = request.params as { id: string }
      const t = deps.now()
      await withAuditedTransaction(db, request, async (trx) => {
        const [invitation] = await receivedInvitations(trx, adminId, t, id)
        if (invitation === undefined) throw new ServerError('SRV_NOT_FOUND', 'no such invitation')
        await trx.deleteFrom('admin_invitations').where('id', '=', id).execute()
        request.auditDetails = { org: invitation.org.id }
      }, { at: t })
      return {}
    },
  )
}
