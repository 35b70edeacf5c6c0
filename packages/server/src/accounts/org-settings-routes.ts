/**
 * GET /v1/orgs/:org/settings (read) and PATCH /v1/orgs/:org/settings
 * `{ requireMfa }` (org:admin): per-org console policy. With requireMfa,
 * sessions of admins without TOTP are refused in the org (the access hook
 * checks it on every request) and its admins cannot turn TOTP off.
 */
import type { FastifyInstance } from 'fastify'
import { orgAccess } from '../auth/access.js'
import { withAuditedTransaction } from '../audit/audited-transaction.js'
import { orgOf } from '../auth/request-principal.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import { ORG_ID_SCHEMA } from '../log/route-schemas.js'
import type { AccountsDeps } from './accounts-deps.js'

const SETTINGS = objectSchema({ requireMfa: { type: 'boolean' } }, ['requireMfa'])
const PARAMS = objectSchema({ org: ORG_ID_SCHEMA }, ['org'])

/** Registers the org settings routes. */
export function orgSettingsRoutes(app: FastifyInstance, deps: AccountsDeps): void {
  const { db } = deps
  const read = async (org: string) => {
    const row = await db.selectFrom('orgs').select('require_mfa').where('id', '=', org).executeTakeFirstOrThrow()
    return { requireMfa: Number(row.require_mfa) === 1 }
  }

  app.get(
    '/v1/orgs/:org/settings',
    { config: { access: orgAccess('read') }, schema: { params: PARAMS, querystring: NO_QUERY, response: { 200: SETTINGS } } },
    async (request) => read(orgOf(request)),
  )

  app.patch(
    '/v1/orgs/:org/settings',
    {
      config: { access: orgAccess('org:admin'), audit: { action: 'org.settings', target: 'org' } },
      schema: { params: PARAMS, querystring: NO_QUERY, body: SETTINGS, response: { 200: SETTINGS } },
    },
    async (request) => {
      const org = orgOf(request)
      const { requireMfa } = request.body as { requireMfa: boolean }
      request.auditTarget = org
      request.auditDetails = { requireMfa }
      await withAuditedTransaction(db, request, (trx) => trx.updateTable('orgs').set({ require_mfa: requireMfa ? 1 : 0 }).where('id', '=', org).execute(), { at: deps.now() })
      return read(org)
    },
  )
}
