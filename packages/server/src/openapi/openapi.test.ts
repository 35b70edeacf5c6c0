import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createTestApp, type TestApp } from '../fixtures.test.helper.js'
import { openApiPath } from './openapi-document.js'
import { registeredRoutes } from './route-registry.js'

type Json = Record<string, any>

let t: TestApp
let doc: Json
before(async () => {
  t = await createTestApp()
  await t.app.ready()
  const res = await t.app.inject({ method: 'GET', url: '/v1/openapi.json' })
  assert.equal(res.statusCode, 200)
  assert.match(String(res.headers['content-type']), /^application\/json/)
  doc = JSON.parse(res.body) as Json
})
after(() => t.dispose())

describe('GET /v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document with both security schemes', () => {
    assert.equal(doc['openapi'], '3.1.0')
    assert.equal(typeof doc['info'].title, 'string')
    assert.equal(typeof doc['info'].version, 'string')
    assert.deepEqual(Object.keys(doc['components'].securitySchemes).sort(), ['apiKey', 'session'])
    assert.deepEqual(doc['components'].securitySchemes.session, { ...doc['components'].securitySchemes.session, type: 'apiKey', in: 'cookie', name: 'palisade_session' })
    assert.equal(doc['components'].securitySchemes.apiKey.scheme, 'bearer')
  })

  it('lists every registered route with its access rule, audit action and schemas', () => {
    const routes = registeredRoutes(t.app)
    assert.ok(routes.length > 20)
    const operationIds = new Set<string>()
    for (const r of routes) {
      const path = openApiPath(r.url)
      const op = doc['paths'][path]?.[r.method.toLowerCase()] as Json | undefined
      assert.ok(op !== undefined, `${r.method} ${r.url} is missing from the document`)
      assert.deepEqual(op['x-palisade-access'], JSON.parse(JSON.stringify(r.access)), `${r.method} ${r.url}`)
      assert.deepEqual(op['x-palisade-audit'], r.audit === undefined ? undefined : { ...r.audit }, `${r.method} ${r.url}`)
      assert.ok(!operationIds.has(op['operationId']), `duplicate operationId ${op['operationId']}`)
      operationIds.add(op['operationId'])
      const pathParams = [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1])
      const declared = ((op['parameters'] ?? []) as Json[]).filter((p) => p['in'] === 'path').map((p) => p['name'])
      assert.deepEqual(declared.sort(), pathParams.sort(), `${r.method} ${r.url} path parameters`)
      assert.ok(op['responses'].default.content['application/problem+json'], `${r.method} ${r.url} problem response`)
      if (r.access?.kind === 'org') assert.deepEqual(op['security'], [{ apiKey: [] }, { session: [] }])
      if (r.access?.kind === 'public') assert.deepEqual(op['security'], [])
    }
  })

  it('carries the same schemas the routes validate with', () => {
    const enroll = doc['paths']['/v1/orgs/{org}/enrollment-tokens'].post as Json
    assert.deepEqual(enroll['x-palisade-access'], { kind: 'org', permission: 'devices:write' })
    assert.deepEqual(enroll['x-palisade-audit'], { action: 'enrollment-token.create', target: 'enrollment-token' })
    const body = enroll['requestBody'].content['application/json'].schema as Json
    assert.equal(body['additionalProperties'], false)
    assert.deepEqual(Object.keys(body['properties']).sort(), ['ttlSeconds', 'uses'])
    assert.deepEqual(enroll['responses']['201'].content['application/json'].schema.required, ['token', 'expiresAt', 'fingerprint', 'installCommand'])
    const audit = doc['paths']['/v1/orgs/{org}/audit'].get as Json
    const query = (audit['parameters'] as Json[]).filter((p) => p['in'] === 'query').map((p) => p['name'])
    assert.deepEqual(query.sort(), ['action', 'actor', 'cursor', 'limit', 'result', 'since', 'until'])
    assert.equal(doc['paths']['/v1/agent'].get['responses']['101'] !== undefined, true)
  })
})
