/**
 * Builds the OpenAPI 3.1 document of the API from the registered routes
 * (route-registry.ts): the same JSON Schemas that validate requests and
 * shape responses, so the document cannot disagree with the server. Each
 * operation also states who may call it (`x-palisade-access`, the route's
 * `config.access`) and how it is audited (`x-palisade-audit`).
 *
 * OpenAPI 3.1 schemas are JSON Schema 2020-12; ours use the common subset
 * (type, properties, required, pattern, enum, items, anyOf…), so they are
 * copied as they are.
 */
import { SERVER_ERROR_CODES } from '../errors.js'
import { SESSION_COOKIE } from '../auth/session-policy.js'
import type { RegisteredRoute } from './route-registry.js'

/** A JSON object. */
type Json = Record<string, unknown>

/** Options of {@link openApiDocument}. */
export interface OpenApiOptions {
  readonly version: string
  /** The server's public URL, when configured. */
  readonly serverUrl?: string | null
}

const PROBLEM: Json = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', description: `SRV_* (${Object.keys(SERVER_ERROR_CODES).join(', ')}) or a PROTO_* code` },
    instance: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
}

/**
 * The document.
 *
 * @example
 * const doc = openApiDocument(registeredRoutes(app), { version: '0.1.0' })
 * doc.paths['/v1/orgs/{org}/devices'].get['x-palisade-access'] // { kind: 'org', permission: 'read' }
 */
export function openApiDocument(routes: readonly RegisteredRoute[], options: OpenApiOptions): Json {
  const paths: Record<string, Record<string, Json>> = {}
  for (const route of [...routes].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method))) {
    const path = openApiPath(route.url)
    paths[path] ??= {}
    paths[path][route.method.toLowerCase()] = operation(route)
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Palisade server API',
      version: options.version,
      description: 'Generated from the route schemas the server validates with. See docs/WIRE.md for the contract in prose.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths,
    components: {
      schemas: { Problem: PROBLEM },
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', bearerFormat: 'pal_<prefix>_<secret>', description: 'An API key of the org in the URL.' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description: 'A console session; every request other than GET/HEAD also needs its CSRF token in x-csrf-token.',
        },
      },
    },
  }
}

function operation(route: RegisteredRoute): Json {
  const schema = copy(route.schema)
  const op: Json = {
    operationId: `${route.method.toLowerCase()}${route.url.replace(/\*/g, 'wildcard').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    'x-palisade-access': route.access ?? null,
    ...(route.audit === undefined ? {} : { 'x-palisade-audit': route.audit }),
    security: security(route),
  }
  const pathParams = parametersOf(schema['params'], 'path')
  // Fastify's `*` is a parameter named '*'; OpenAPI templating calls it {wildcard}.
  if (route.url.endsWith('*')) {
    const star = pathParams.find((p) => p['name'] === '*')
    if (star !== undefined) star['name'] = 'wildcard'
    else pathParams.push({ name: 'wildcard', in: 'path', required: true, schema: { type: 'string' } })
  }
  const parameters = [...pathParams, ...parametersOf(schema['querystring'], 'query')]
  if (parameters.length > 0) op['parameters'] = parameters
  if (schema['body'] !== undefined) op['requestBody'] = { required: true, content: { 'application/json': { schema: schema['body'] } } }
  const responses: Json = {}
  if (route.websocket) responses['101'] = { description: 'Switching to the WebSocket protocol (see WIRE.md "Agent gateway")' }
  for (const [status, body] of Object.entries((schema['response'] ?? {}) as Json)) {
    responses[status] = { description: `${status} response`, content: { 'application/json': { schema: body } } }
  }
  responses['default'] = { description: 'An RFC 9457 problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } }
  op['responses'] = responses
  return op
}

/** `/v1/orgs/:org/x/*` → `/v1/orgs/{org}/x/{wildcard}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{wildcard}')
}

function security(route: RegisteredRoute): Json[] {
  switch (route.access?.kind) {
    case 'session':
      return [{ session: [] }]
    case 'org':
      return [{ apiKey: [] }, { session: [] }]
    default:
      return []
  }
}

function parametersOf(schema: unknown, where: 'path' | 'query'): Json[] {
  if (typeof schema !== 'object' || schema === null) return []
  const s = schema as { properties?: Json; required?: string[] }
  const required = new Set(s.required ?? [])
  return Object.entries(s.properties ?? {}).map(([name, sub]) => ({
    name,
    in: where,
    required: where === 'path' ? true : required.has(name),
    schema: sub,
  }))
}

function copy(value: Readonly<Record<string, unknown>>): Json {
  return JSON.parse(JSON.stringify(value)) as Json
}
