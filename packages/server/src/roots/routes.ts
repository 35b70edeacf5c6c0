/**
 * The org root routes (WIRE.md "Setup and org"):
 *
 * - GET /v1/orgs/:org/roots → `{ roots: [<envelope JSON>, …] }`, v1 first;
 * - POST /v1/orgs/:org/roots `{ envelope, witnesses? }` → 201 `{ version }`:
 *   a rotation (see rotate-root.ts). `witnesses` gives URLs for witnesses
 *   the new root adds; it may be left out when it adds none.
 */
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import { orgAccess } from '../auth/access.js'
import { auditedTransactionRunner } from '../audit/audited-transaction.js'
import { orgOf } from '../auth/request-principal.js'
import { ORG_PARAMS_SCHEMA, WITNESSES_SCHEMA } from '../log/route-schemas.js'
import { witnessQuorumErrorHandler } from '../log/witness-quorum-error.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { rotateRoot, type RotateRequest } from './rotate-root.js'

/** The roots routes. */
export const rootsRoutes: RoutePlugin = async (app, { db, log }) => {
  app.setErrorHandler(witnessQuorumErrorHandler)

  app.get(
    '/v1/orgs/:org/roots',
    {
      config: { access: orgAccess('read') },
      schema: {
        params: ORG_PARAMS_SCHEMA,
        querystring: NO_QUERY,
        response: { 200: objectSchema({ roots: { type: 'array', items: { type: 'string' } } }, ['roots']) },
      },
    },
    async (request) => {
      const rows = await db.selectFrom('roots').select('envelope').where('org_id', '=', orgOf(request)).orderBy('version').execute()
      return { roots: rows.map((r) => r.envelope) }
    },
  )

  app.post(
    '/v1/orgs/:org/roots',
    {
      // Rotations are signed by the admins' own keys; calling this only relays them.
      config: { access: orgAccess('commands:sign'), audit: { action: 'root.rotate', target: 'root' } },
      schema: {
        params: ORG_PARAMS_SCHEMA,
        querystring: NO_QUERY,
        body: objectSchema({ envelope: { type: 'string', minLength: 1, maxLength: 256 * 1024 }, witnesses: WITNESSES_SCHEMA }, ['envelope']),
        response: { 201: objectSchema({ version: { type: 'integer' } }, ['version']) },
      },
    },
    async (request, reply) => {
      const org = orgOf(request)
      const result = await rotateRoot(
        {
          db,
          log,
          // The new root commits with its `root.rotate` event, which names the version.
          transaction: auditedTransactionRunner(db, request, { statusCode: 201 }),
          stored: (version) => {
            request.auditTarget = String(version)
          },
        },
        org,
        request.body as RotateRequest,
      )
      request.log.info({ org, version: result.version }, 'root rotated')
      return reply.code(201).send(result)
    },
  )
}
