/**
 * The setup routes (WIRE.md "Setup and org"), authorised by the one-time
 * setup code the server printed at start:
 *
 * - POST /v1/setup/log-key `{ setupCode, org }` → `{ org, origin, logKey }`:
 *   the log key root v1 must name (made once per org, then returned again);
 * - POST /v1/setup `{ setupCode, root, witnesses }` → 201
 *   `{ org, fingerprint, apiKey }` (see create-org.ts).
 *
 * The setup code and the API key travel in bodies, which are never logged.
 */
import { PUBLIC } from '../auth/access.js'
import { ServerError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import { ORG_ID_SCHEMA, WITNESSES_SCHEMA } from '../log/route-schemas.js'
import { witnessQuorumErrorHandler } from '../log/witness-quorum-error.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { createOrg, invalidSetupCode, SETUP_OWNER_SCHEMA, type SetupRequest } from './create-org.js'
import { pendingLogKey } from './pending-log-key.js'
import { setupCodeUsable } from './setup-code.js'

const SETUP_CODE = { type: 'string', minLength: 1, maxLength: 64 }

/** The setup routes. */
export const setupRoutes: RoutePlugin = async (app, { db, log }) => {
  app.setErrorHandler(witnessQuorumErrorHandler)

  app.post(
    '/v1/setup/log-key',
    {
      config: { access: PUBLIC, audit: { action: 'org.log-key', target: 'org' } },
      schema: {
        querystring: NO_QUERY,
        body: objectSchema({ setupCode: SETUP_CODE, org: ORG_ID_SCHEMA }, ['setupCode', 'org']),
        response: {
          200: objectSchema({ org: { type: 'string' }, origin: { type: 'string' }, logKey: { type: 'string' } }, ['org', 'origin', 'logKey']),
        },
      },
    },
    async (request) => {
      const { setupCode, org } = request.body as { setupCode: string; org: string }
      request.auditTarget = org
      if (!(await setupCodeUsable(db, setupCode))) throw invalidSetupCode()
      const exists = await db.selectFrom('orgs').select('id').where('id', '=', org).executeTakeFirst()
      if (exists !== undefined) throw new ServerError('SRV_CONFLICT', `org ${org} already exists`)
      const { origin, logKey } = await pendingLogKey(db, org)
      return { org, origin, logKey }
    },
  )

  app.post(
    '/v1/setup',
    {
      config: { access: PUBLIC, audit: { action: 'org.create', target: 'org' } },
      schema: {
        querystring: NO_QUERY,
        body: objectSchema(
          { setupCode: SETUP_CODE, root: { type: 'string', minLength: 1, maxLength: 256 * 1024 }, witnesses: WITNESSES_SCHEMA, owner: SETUP_OWNER_SCHEMA },
          ['setupCode', 'root', 'witnesses'],
        ),
        response: {
          201: objectSchema(
            { org: { type: 'string' }, fingerprint: { type: 'string' }, apiKey: { type: 'string' }, owner: objectSchema({ id: { type: 'string' }, username: { type: 'string' } }, ['id', 'username']) },
            ['org', 'fingerprint', 'apiKey'],
          ),
        },
      },
    },
    async (request, reply) => {
      const result = await createOrg({ db, log }, request.body as SetupRequest)
      request.log.info({ org: result.org, fingerprint: result.fingerprint }, 'org created')
      request.auditTarget = result.org
      request.auditOrg = result.org
      request.auditDetails = { fingerprint: result.fingerprint }
      return reply.code(201).send(result)
    },
  )
}
