/**
 * GET /v1/orgs/:org/devices and GET /v1/orgs/:org/devices/:id — the org's
 * enrolled devices. `online` says whether the device holds a gateway
 * connection to this server node right now; `lastSeenAt` is when it last
 * authenticated or reported. Inventory is the device's own claim.
 */
import { requireOrgKey } from '../auth/require-org-key.js'
import { NO_QUERY } from '../http/schemas.js'
import { ServerError } from '../errors.js'
import { ORG_ENTITY_PARAMS, ORG_PARAMS } from '../commands/route-params.js'
import type { RoutePlugin } from '../routes/route-context.js'

const NULLABLE_INT = { type: ['integer', 'null'] }

const DEVICE_SUMMARY = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'hostname', 'enrolledAt', 'lastSeenAt', 'online', 'os'],
  properties: {
    id: { type: 'string' },
    hostname: { type: 'string' },
    enrolledAt: { type: 'integer' },
    lastSeenAt: NULLABLE_INT,
    online: { type: 'boolean' },
    os: { type: ['string', 'null'] },
  },
}

const DEVICE = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'hostname', 'publicKey', 'enrolledAt', 'lastSeenAt', 'online', 'inventory', 'inventoryAt'],
  properties: {
    id: { type: 'string' },
    hostname: { type: 'string' },
    publicKey: { type: 'string' },
    enrolledAt: { type: 'integer' },
    lastSeenAt: NULLABLE_INT,
    online: { type: 'boolean' },
    // The agent's inventory object, passed through as stored.
    inventory: { anyOf: [{ type: 'object', additionalProperties: true }, { type: 'null' }] },
    inventoryAt: NULLABLE_INT,
  },
}

/** The device routes. */
export const devicesRoutes: RoutePlugin = async (app, { db, gateway }) => {
  app.get(
    '/v1/orgs/:org/devices',
    {
      preHandler: requireOrgKey,
      schema: {
        params: ORG_PARAMS,
        querystring: NO_QUERY,
        response: {
          200: { type: 'object', additionalProperties: false, required: ['devices'], properties: { devices: { type: 'array', items: DEVICE_SUMMARY } } },
        },
      },
    },
    async (request) => {
      const { org } = request.params as { org: string }
      const rows = await db
        .selectFrom('devices')
        .select(['id', 'hostname', 'enrolled_at', 'last_seen_at', 'os'])
        .where('org_id', '=', org)
        .orderBy('hostname')
        .orderBy('id')
        .execute()
      return {
        devices: rows.map((r) => ({
          id: r.id,
          hostname: r.hostname,
          enrolledAt: r.enrolled_at,
          lastSeenAt: r.last_seen_at,
          online: gateway.isOnline(r.id),
          os: r.os,
        })),
      }
    },
  )

  app.get(
    '/v1/orgs/:org/devices/:id',
    {
      preHandler: requireOrgKey,
      schema: { params: ORG_ENTITY_PARAMS, querystring: NO_QUERY, response: { 200: DEVICE } },
    },
    async (request) => {
      const { org, id } = request.params as { org: string; id: string }
      const r = await db.selectFrom('devices').selectAll().where('org_id', '=', org).where('id', '=', id).executeTakeFirst()
      if (r === undefined) throw new ServerError('SRV_NOT_FOUND', `no device ${id} in this org`)
      return {
        id: r.id,
        hostname: r.hostname,
        publicKey: r.public_key,
        enrolledAt: r.enrolled_at,
        lastSeenAt: r.last_seen_at,
        online: gateway.isOnline(r.id),
        inventory: r.inventory === null ? null : (JSON.parse(r.inventory) as unknown),
        inventoryAt: r.inventory_at,
      }
    },
  )
}
