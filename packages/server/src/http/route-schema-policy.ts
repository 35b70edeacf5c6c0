/**
 * Enforces, when each route is registered, that it declares the JSON
 * schemas STYLE.md asks for, so that no route can accept unvalidated input
 * or leak unlisted fields by forgetting one:
 *
 * - `response` always (fast-json-stringify then drops anything unlisted);
 * - `querystring` always (an absent schema would silently accept any
 *   parameters; use `NO_QUERY` from ./schemas.ts when there are none);
 * - `params` when the URL has parameters;
 * - `body` for POST, PUT and PATCH;
 * - every object schema of body, querystring and params refuses unknown
 *   properties (`additionalProperties: false`); together with Ajv's
 *   `removeAdditional: false` an unknown field is an error, not dropped.
 *
 * Fastify's automatic HEAD routes copy their GET route and are skipped;
 * WebSocket routes (@fastify/websocket) need no response schema.
 */
import type { RouteOptions } from 'fastify'

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])

/**
 * The policy violations of a route (empty when it complies).
 *
 * @example
 * routeSchemaViolations({ method: 'GET', url: '/x', handler, schema: {} })
 * // ['schema.response is missing', 'schema.querystring is missing']
 */
export function routeSchemaViolations(route: RouteOptions): string[] {
  const methods = [route.method].flat().map((m) => m.toUpperCase())
  if (methods.every((m) => m === 'HEAD')) return []
  const schema = (route.schema ?? {}) as Record<string, unknown>
  const isWebSocket = (route as { websocket?: unknown }).websocket === true
  const out: string[] = []
  if (schema['response'] === undefined && !isWebSocket) out.push('schema.response is missing')
  if (schema['querystring'] === undefined) out.push('schema.querystring is missing')
  if (/[:*]/.test(route.url) && schema['params'] === undefined) out.push('schema.params is missing')
  if (methods.some((m) => BODY_METHODS.has(m)) && schema['body'] === undefined) out.push('schema.body is missing')
  for (const part of ['body', 'querystring', 'params']) {
    const s = schema[part] as { type?: unknown; additionalProperties?: unknown } | undefined
    if (s !== undefined && s.type === 'object' && s.additionalProperties !== false) {
      out.push(`schema.${part} must set additionalProperties: false`)
    }
  }
  return out
}

/**
 * Fastify `onRoute` hook: throws when a route breaks the policy, which
 * fails the plugin that registered it and so `app.ready()` — at startup,
 * in the route's own test, never in production traffic.
 */
export function enforceRouteSchema(route: RouteOptions): void {
  const violations = routeSchemaViolations(route)
  if (violations.length > 0) {
    const methods = [route.method].flat().join(',')
    throw new Error(`route ${methods} ${route.url}: ${violations.join('; ')} (see http/route-schema-policy.ts)`)
  }
}
