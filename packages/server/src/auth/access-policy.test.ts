import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { RouteOptions } from 'fastify'
import { testApp } from '../fixtures.test.helper.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import { orgAccess, PUBLIC, SESSION } from './access.js'
import { accessViolations } from './access-policy.js'

const handler = async () => ({})
const route = (r: Partial<RouteOptions>): RouteOptions => ({ method: 'GET', url: '/x', handler, ...r }) as RouteOptions
const ORG = objectSchema({ org: { type: 'string' } }, ['org'])

describe('accessViolations', () => {
  it('accepts a GET route with an access rule and no audit', () => {
    assert.deepEqual(accessViolations(route({ config: { access: PUBLIC } })), [])
  })

  it('requires an access rule on every route, and an audit declaration unless GET/HEAD', () => {
    assert.deepEqual(accessViolations(route({})), ['config.access is missing'])
    assert.deepEqual(accessViolations(route({ method: 'DELETE', config: { access: SESSION } })), ['config.audit is missing (required unless GET/HEAD)'])
    assert.deepEqual(accessViolations(route({ method: ['GET', 'POST'], config: { access: SESSION } })), ['config.audit is missing (required unless GET/HEAD)'])
  })

  it('requires :org in the URL of an org rule, and no :org for a session rule', () => {
    assert.deepEqual(accessViolations(route({ url: '/v1/things', config: { access: orgAccess('read') } })), ['an org access rule needs :org in the URL'])
    assert.deepEqual(accessViolations(route({ url: '/v1/orgs/:org/x', config: { access: SESSION } })), ['a URL with :org needs an org access rule'])
    assert.deepEqual(accessViolations(route({ url: '/v1/orgs/:organisation/x', config: { access: orgAccess('read') } })), ['an org access rule needs :org in the URL'])
  })

  it('refuses unknown permissions and malformed action names', () => {
    const bad = { kind: 'org', permission: 'everything' } as never
    assert.deepEqual(accessViolations(route({ url: '/v1/orgs/:org', config: { access: bad } })), ['config.access.permission everything is unknown'])
    assert.deepEqual(accessViolations(route({ method: 'POST', config: { access: PUBLIC, audit: { action: 'Create' } } })), [
      'config.audit.action "Create" must be dotted lower-case words, e.g. person.create',
    ])
  })
})

describe('enforceAccessDeclaration in the app', () => {
  const schema = { querystring: NO_QUERY, body: objectSchema({}), response: { 200: objectSchema({}) } }
  it('fails startup when a plugin registers a route without an access rule', async (t) => {
    const { app } = await testApp(t, { plugin: async (a) => void a.get('/careless', { schema: { querystring: NO_QUERY, response: { 200: objectSchema({}) } } }, handler) })
    await assert.rejects(async () => app.ready(), /route GET \/careless: config.access is missing/)
  })

  it('fails startup when a mutation is not audited', async (t) => {
    const { app } = await testApp(t, { plugin: async (a) => void a.post('/v1/orgs/:org/x', { config: { access: orgAccess('read') }, schema: { ...schema, params: ORG } }, handler) })
    await assert.rejects(async () => app.ready(), /route POST \/v1\/orgs\/:org\/x: config.audit is missing/)
  })
})
