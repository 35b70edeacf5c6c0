/**
 * GET /v1/orgs/:org/alerts — the org's alerts, newest first: every
 * rejection a device reported (G6) and every report the gateway refused.
 * Messages written by devices are shown as they sent them (bounded); they
 * are claims of the device, signed by it.
 */
import { orgAccess } from '../auth/access.js'
import { orgOf } from '../auth/request-principal.js'
import { LIST_QUERY, listLimit, ORG_PARAMS } from '../commands/route-params.js'
import type { RoutePlugin } from '../routes/route-context.js'

const ALERT = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'deviceId', 'code', 'message', 'commandId', 'createdAt'],
  properties: {
    id: { type: 'string' },
    deviceId: { type: ['string', 'null'] },
    code: { type: 'string' },
    message: { type: 'string' },
    commandId: { type: ['string', 'null'] },
    createdAt: { type: 'integer' },
  },
}

/** The alerts routes. */
export const alertsRoutes: RoutePlugin = async (app, { db }) => {
  app.get(
    '/v1/orgs/:org/alerts',
    {
      config: { access: orgAccess('read') },
      schema: {
        params: ORG_PARAMS,
        querystring: LIST_QUERY,
        response: {
          200: { type: 'object', additionalProperties: false, required: ['alerts'], properties: { alerts: { type: 'array', items: ALERT } } },
        },
      },
    },
    async (request) => {
      const org = orgOf(request)
      const rows = await db
        .selectFrom('alerts')
        .select(['id', 'device_id', 'code', 'message', 'command_id', 'created_at'])
        .where('org_id', '=', org)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(listLimit(request.query))
        .execute()
      return {
        alerts: rows.map((r) => ({
          id: r.id,
          deviceId: r.device_id,
          code: r.code,
          message: r.message,
          commandId: r.command_id,
          createdAt: r.created_at,
        })),
      }
    },
  )
}
