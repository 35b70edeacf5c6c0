/**
 * GET /v1/openapi.json — the OpenAPI 3.1 document of this server (public:
 * it describes the API, not anyone's data). Built once, when the app is
 * ready, from every registered route.
 */
import { createRequire } from 'node:module'
import { PUBLIC } from '../auth/access.js'
import { NO_QUERY } from '../http/schemas.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { openApiDocument } from './openapi-document.js'
import { registeredRoutes } from './route-registry.js'

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version

/** The OpenAPI route. */
export const openApiRoute: RoutePlugin = async (app, { config }) => {
  let text: string | undefined
  // The document needs every route: the root's ready hook runs after all plugins registered theirs.
  app.addHook('onReady', async () => {
    text = JSON.stringify(openApiDocument(registeredRoutes(app), { version: VERSION, serverUrl: config.publicUrl }))
  })
  app.get(
    '/v1/openapi.json',
    { config: { access: PUBLIC }, schema: { querystring: NO_QUERY, response: { 200: { type: 'object', additionalProperties: true } } } },
    async (_request, reply) => reply.type('application/json; charset=utf-8').send(text ?? '{}'),
  )
}
