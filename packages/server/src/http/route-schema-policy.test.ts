import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { RouteOptions } from 'fastify'
import { testApp } from '../fixtures.test.helper.js'
import { routeSchemaViolations } from './route-schema-policy.js'
import { NO_QUERY, objectSchema } from './schemas.js'
import { PUBLIC } from '../auth/access.js'

const handler = async () => ({})
const route = (r: Partial<RouteOptions>): RouteOptions => ({ method: 'GET', url: '/x', handler, ...r }) as RouteOptions

describe('routeSchemaViolations', () => {
  it('accepts a GET route with querystring and response schemas', () => {
    assert.deepEqual(routeSchemaViolations(route({ schema: { querystring: NO_QUERY, response: { 200: {} } } })), [])
  })

  it('lists every missing schema of a POST route with params', () => {
    assert.deepEqual(routeSchemaViolations(route({ method: 'POST', url: '/orgs/:id', schema: {} })), [
      'schema.response is missing',
      'schema.querystring is missing',
      'schema.params is missing',
      'schema.body is missing',
    ])
  })

  it('requires object schemas to refuse unknown properties', () => {
    const open = { type: 'object', properties: { a: { type: 'string' } } }
    const v = routeSchemaViolations(route({ method: 'PUT', schema: { querystring: NO_QUERY, body: open, response: { 200: {} } } }))
    assert.deepEqual(v, ['schema.body must set additionalProperties: false'])
  })

  it('skips HEAD routes and spares WebSocket routes a response schema', () => {
    assert.deepEqual(routeSchemaViolations(route({ method: 'HEAD' })), [])
    const ws = { ...route({ schema: { querystring: NO_QUERY } }), websocket: true } as RouteOptions
    assert.deepEqual(routeSchemaViolations(ws), [])
  })
})

describe('enforceRouteSchema in the app', () => {
  it('fails startup when a plugin registers a route without schemas', async (t) => {
    const { app } = await testApp(t, {
      plugin: async (a) => {
        a.post('/careless', handler)
      },
    })
    await assert.rejects(async () => app.ready(), /route POST \/careless: schema.response is missing/)
  })

  it('lets several routes share NO_QUERY and objectSchema results', async (t) => {
    const body = objectSchema({ n: { type: 'string' } }, ['n'])
    const { app } = await testApp(t, {
      plugin: async (a) => {
        a.post('/a', { config: { access: PUBLIC, audit: { action: 'test.a' } }, schema: { querystring: NO_QUERY, body, response: { 200: body } } }, async (r) => r.body)
        a.post('/b', { config: { access: PUBLIC, audit: { action: 'test.b' } }, schema: { querystring: NO_QUERY, body, response: { 200: body } } }, async (r) => r.body)
      },
    })
    for (const url of ['/a', '/b']) {
      const res = await app.inject({ method: 'POST', url, payload: { n: 'x' } })
      assert.deepEqual([res.statusCode, res.json()], [200, { n: 'x' }])
    }
  })
})
