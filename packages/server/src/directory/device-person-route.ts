/**
 * Devices bound to people (WIRE.md "Directory"): `PUT …/devices/:id/person`
 * binds a device to a person of the same org, `DELETE` unbinds it. Each
 * change commits together with its audit event (withAuditedTransaction).
 */
import { orgAccess } from '../auth/access.js'
import { withAuditedTransaction } from '../audit/audited-transaction.js'
import { ENTITY_ID, ORG_ENTITY_PARAMS } from '../commands/route-params.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { bindDevice } from './bind-device.js'
import { orgIdOf } from './org-scope.js'

const BINDING = objectSchema({ deviceId: { type: 'string' }, personId: { type: ['string', 'null'] } }, ['deviceId', 'personId'])

/** The device-binding routes. */
export const devicePersonRoutes: RoutePlugin = async (app, { db }) => {
  app.put(
    '/v1/orgs/:org/devices/:id/person',
    {
      config: { access: orgAccess('devices:write'), audit: { action: 'device.bind-person', target: 'device' } },
      schema: { params: ORG_ENTITY_PARAMS, querystring: NO_QUERY, body: objectSchema({ personId: ENTITY_ID }, ['personId']), response: { 200: BINDING } },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      const { personId } = request.body as { personId: string }
      await withAuditedTransaction(db, request, (trx) => bindDevice(trx, orgIdOf(request), id, personId))
      return { deviceId: id, personId }
    },
  )

  app.delete(
    '/v1/orgs/:org/devices/:id/person',
    {
      config: { access: orgAccess('devices:write'), audit: { action: 'device.unbind-person', target: 'device' } },
      schema: { params: ORG_ENTITY_PARAMS, querystring: NO_QUERY, response: { 200: BINDING } },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      await withAuditedTransaction(db, request, (trx) => bindDevice(trx, orgIdOf(request), id, null))
      return { deviceId: id, personId: null }
    },
  )
}
