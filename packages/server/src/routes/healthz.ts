/**
 * GET /healthz — liveness and readiness in one: 200 when the process runs
 * and the database answers, a 503 problem otherwise. Unauthenticated and
 * free of detail, so load balancers can call it and attackers learn nothing.
 */
import { sql } from 'kysely'
import { ServerError } from '../errors.js'
import { NO_QUERY } from '../http/schemas.js'
import type { RoutePlugin } from './route-context.js'

/** The /healthz route. */
export const healthzRoute: RoutePlugin = async (app, { db }) => {
  app.get(
    '/healthz',
    {
      schema: {
        querystring: NO_QUERY,
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['status'],
            properties: { status: { type: 'string', enum: ['ok'] } },
          },
        },
      },
    },
    async () => {
      try {
        await sql`select 1`.execute(db)
      } catch (e) {
        throw new ServerError('SRV_UNAVAILABLE', 'database unreachable', { cause: e })
      }
      return { status: 'ok' as const }
    },
  )
}
