import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyPluginAsync } from 'fastify'
import { ProtocolError } from '@palisade/protocol'
import { BODY_LIMIT } from '../app.js'
import { PUBLIC } from '../auth/access.js'
import { ServerError } from '../errors.js'
import { createTestApp, type TestApp } from '../fixtures.test.helper.js'
import { MAX_FIELD_ERRORS, problemType, type Problem } from './problem.js'
import { NO_QUERY, objectSchema } from './schemas.js'

const SECRET_MESSAGE = 'connection to 10.0.0.7 failed, password hunter2'

const testRoutes: FastifyPluginAsync = async (app) => {
  const ok = { 200: objectSchema({ name: { type: 'string' } }) }
  app.post('/echo', { config: { access: PUBLIC, audit: { action: 'test.echo' } }, schema: { querystring: NO_QUERY, body: objectSchema({ name: { type: 'string' } }, ['name']), response: ok } },
    async (request) => request.body)
  app.get('/boom', { config: { access: PUBLIC }, schema: { querystring: NO_QUERY, response: ok } }, async () => {
    throw new Error(SECRET_MESSAGE)
  })
  app.get('/server-error', { config: { access: PUBLIC }, schema: { querystring: NO_QUERY, response: ok } }, async () => {
    throw new ServerError('SRV_RATE_LIMITED', 'slow down', { headers: { 'retry-after': '30' } })
  })
  app.get('/internal-server-error', { config: { access: PUBLIC }, schema: { querystring: NO_QUERY, response: ok } }, async () => {
    throw new ServerError('SRV_INTERNAL', SECRET_MESSAGE)
  })
  app.get('/proto/:code', { config: { access: PUBLIC }, schema: { querystring: NO_QUERY, params: objectSchema({ code: { type: 'string' } }), response: ok } },
    async (request) => {
      const { code } = request.params as { code: 'PROTO_SIG_INVALID' }
      throw new ProtocolError(code, `checked: ${code}`)
    })
}

// One app for the whole suite: every test reads only its own request's
// response and log lines, and building an app per test costs ~0.3 s.
let shared: TestApp
before(async () => {
  shared = await createTestApp({ plugin: testRoutes })
})
after(() => shared.dispose())

function problemOf(res: { statusCode: number; headers: Record<string, unknown>; body: string }): Problem {
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  const p = JSON.parse(res.body) as Problem
  assert.equal(p.status, res.statusCode)
  assert.equal(p.type, problemType(p.code))
  assert.equal(p.instance, `urn:palisade:request:${String(res.headers['x-request-id'])}`)
  assert.ok(p.title.length > 0 && p.detail.length > 0)
  return p
}

describe('problem responses', () => {
  it('answers an unknown route with a 404 SRV_NOT_FOUND problem naming method and path only', async () => {
    const { app } = shared
    const res = await app.inject({ method: 'DELETE', url: '/v1/nothing?token=abc' })
    const p = problemOf(res)
    assert.equal(p.code, 'SRV_NOT_FOUND')
    assert.equal(p.detail, 'no route for DELETE /v1/nothing')
  })

  it('answers malformed JSON with 400 SRV_MALFORMED', async () => {
    const { app } = shared
    const res = await app.inject({ method: 'POST', url: '/echo', payload: '{"name":', headers: { 'content-type': 'application/json' } })
    assert.equal(problemOf(res).code, 'SRV_MALFORMED')
  })

  it('answers an empty JSON body with 400 SRV_MALFORMED', async () => {
    const { app } = shared
    const res = await app.inject({ method: 'POST', url: '/echo', payload: '', headers: { 'content-type': 'application/json' } })
    assert.equal(problemOf(res).code, 'SRV_MALFORMED')
  })

  it('answers a body over 1 MiB with 413 SRV_PAYLOAD_TOO_LARGE', async () => {
    const { app } = shared
    const payload = JSON.stringify({ name: 'x'.repeat(BODY_LIMIT) })
    const res = await app.inject({ method: 'POST', url: '/echo', payload, headers: { 'content-type': 'application/json' } })
    assert.equal(problemOf(res).code, 'SRV_PAYLOAD_TOO_LARGE')
  })

  it('refuses an unknown body field with 400 SRV_VALIDATION naming it', async () => {
    const { app } = shared
    const res = await app.inject({ method: 'POST', url: '/echo', payload: { name: 'a', isAdmin: true } })
    const p = problemOf(res)
    assert.equal(p.code, 'SRV_VALIDATION')
    assert.deepEqual(p.errors, [{ path: '/body/isAdmin', message: 'unknown field' }])
    assert.match(p.detail, /\/body\/isAdmin/)
  })

  it('reports every invalid field at once', async () => {
    const { app } = shared
    const res = await app.inject({ method: 'POST', url: '/echo', payload: { a: 1, b: 2 } })
    const paths = (problemOf(res).errors ?? []).map((e) => e.path).sort()
    assert.deepEqual(paths, ['/body/a', '/body/b', '/body/name'])
  })

  it('caps the field errors of a body full of unknown fields, and answers quickly', async () => {
    const { app } = shared
    const body: Record<string, number> = { name: 0 }
    for (let i = 0; i < 80_000; i++) body[`k${i}`] = 0
    const started = performance.now()
    const res = await app.inject({ method: 'POST', url: '/echo', payload: body })
    const p = problemOf(res)
    assert.equal(p.errors?.length, MAX_FIELD_ERRORS)
    assert.match(p.detail, /and 79998 more/)
    assert.ok(performance.now() - started < 3000)
  })

  it('does not coerce types: a number where a string is declared is refused', async () => {
    const { app } = shared
    const res = await app.inject({ method: 'POST', url: '/echo', payload: { name: 42 } })
    assert.deepEqual(problemOf(res).errors, [{ path: '/body/name', message: 'must be string' }])
  })

  it('refuses unknown query parameters with 400 SRV_VALIDATION', async () => {
    const { app } = shared
    const res = await app.inject({ method: 'GET', url: '/healthz?verbose=1' })
    assert.deepEqual(problemOf(res).errors, [{ path: '/querystring/verbose', message: 'unknown field' }])
  })

  it('answers a text/plain body with 415 SRV_UNSUPPORTED_MEDIA', async () => {
    const { app } = shared
    const res = await app.inject({ method: 'POST', url: '/echo', payload: 'name=a', headers: { 'content-type': 'text/plain' } })
    assert.equal(problemOf(res).code, 'SRV_UNSUPPORTED_MEDIA')
  })

  it('answers an unexpected exception with 500 SRV_INTERNAL, leaking nothing, and logs it with the request id', async () => {
    const { app, lines } = shared
    const res = await app.inject({ method: 'GET', url: '/boom' })
    const p = problemOf(res)
    assert.equal(p.code, 'SRV_INTERNAL')
    assert.ok(!res.body.includes('hunter2') && !res.body.includes('10.0.0.7'))
    const logged = lines.map((l) => JSON.parse(l) as { level: number; reqId?: string; err?: { message?: string } })
      .find((l) => l.level === 50 && l.reqId === res.headers['x-request-id'])
    assert.equal(logged?.reqId, res.headers['x-request-id'])
    assert.equal(logged?.err?.message, SECRET_MESSAGE)
  })

  it('does not disclose the message of a 5xx ServerError either', async () => {
    const { app } = shared
    const res = await app.inject({ method: 'GET', url: '/internal-server-error' })
    assert.equal(problemOf(res).code, 'SRV_INTERNAL')
    assert.ok(!res.body.includes('hunter2'))
  })

  it('sends a 4xx ServerError with its message and headers', async () => {
    const { app } = shared
    const res = await app.inject({ method: 'GET', url: '/server-error' })
    const p = problemOf(res)
    assert.deepEqual([p.status, p.code, p.detail], [429, 'SRV_RATE_LIMITED', 'slow down'])
    assert.equal(res.headers['retry-after'], '30')
  })

  it('maps a ProtocolError rule violation to 422 carrying the protocol code', async () => {
    const { app } = shared
    const p = problemOf(await app.inject({ method: 'GET', url: '/proto/PROTO_SIG_INVALID' }))
    assert.deepEqual([p.status, p.code, p.title, p.detail], [422, 'PROTO_SIG_INVALID', 'a signature did not verify', 'checked: PROTO_SIG_INVALID'])
  })

  it('maps a malformed-input ProtocolError to 400', async () => {
    const { app } = shared
    const p = problemOf(await app.inject({ method: 'GET', url: '/proto/PROTO_NOT_CANONICAL' }))
    assert.deepEqual([p.status, p.code], [400, 'PROTO_NOT_CANONICAL'])
  })

  it('treats PROTO_CRYPTO_UNAVAILABLE as the server’s own failure (500)', async () => {
    const { app } = shared
    const p = problemOf(await app.inject({ method: 'GET', url: '/proto/PROTO_CRYPTO_UNAVAILABLE' }))
    assert.deepEqual([p.status, p.code], [500, 'SRV_INTERNAL'])
  })

  it('answers a URL the router cannot decode with 400 SRV_MALFORMED', async () => {
    const { app } = shared
    const res = await app.inject({ method: 'GET', url: '/%zz' })
    assert.equal(res.statusCode, 400)
    assert.equal(JSON.parse(res.body).code, 'SRV_MALFORMED')
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  })
})
