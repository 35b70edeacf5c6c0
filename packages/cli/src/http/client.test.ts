import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Secret } from '../config/config.js'
import { ApiClient } from './client.js'
import { object, string } from './shape.js'

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void

describe('ApiClient (against a loopback server)', () => {
  let server: Server
  let base: string
  let handler: Handler = (_q, res) => res.end()
  const seen: { method: string; url: string; auth: string | undefined; body: string }[] = []
  before(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d.toString()))
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body })
        handler(req, res, body)
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(() => new Promise<void>((r) => server.close(() => r())))

  const apiKey = new Secret('pal_abcd1234_' + 's'.repeat(32))
  const readName = (b: unknown): string => string(object(b, 'answer')['name'], 'name')
  const json = (status: number, value: unknown, type = 'application/json'): Handler => (_q, res) => {
    res.writeHead(status, { 'content-type': type })
    res.end(JSON.stringify(value))
  }

  it('sends JSON with the bearer key and query, and reads the answer', async () => {
    handler = json(200, { name: 'acme', extra: [1, 2] })
    const api = new ApiClient({ server: base, apiKey })
    assert.equal(await api.post('/v1/x', { a: 1 }, readName, { query: { start: 0, end: 10 } }), 'acme')
    const last = seen.at(-1)!
    assert.equal(last.method, 'POST')
    assert.equal(last.url, '/v1/x?start=0&end=10')
    assert.equal(last.auth, `Bearer ${apiKey.reveal()}`)
    assert.deepEqual(JSON.parse(last.body), { a: 1 })
  })

  it('sends no Authorization header without a key', async () => {
    handler = json(200, { name: 'x' })
    await new ApiClient({ server: base }).get('/v1/y', readName)
    assert.equal(seen.at(-1)!.auth, undefined)
  })

  it('turns an RFC 9457 problem into CLI_SERVER_REFUSED with the server\'s detail and code, never the key', async () => {
    handler = json(404, { type: 'urn:palisade:problem:SRV_NOT_FOUND', title: 'Not found', status: 404, detail: 'no such command', code: 'SRV_NOT_FOUND', instance: 'urn:palisade:request:7' }, 'application/problem+json')
    const api = new ApiClient({ server: base, apiKey })
    await assert.rejects(api.get('/v1/z', readName), (e: any) => {
      assert.equal(e.code, 'CLI_SERVER_REFUSED')
      assert.equal(e.message, `the server at ${base} refused: no such command (SRV_NOT_FOUND)`)
      assert.deepEqual(e.details, { status: 404, serverCode: 'SRV_NOT_FOUND', instance: 'urn:palisade:request:7' })
      assert.match(e.hint, /check the id/)
      assert.equal(e.server, base)
      assert.ok(!JSON.stringify([e.message, e.hint, e.details]).includes(apiKey.reveal()))
      return true
    })
  })

  it('lists field errors of a validation problem, and hints at login on 401', async () => {
    handler = json(400, { status: 400, code: 'SRV_VALIDATION', detail: 'invalid body', errors: [{ path: '/body/uses', message: 'must be <= 10000' }] })
    await assert.rejects(new ApiClient({ server: base }).get('/v1/z', readName), { code: 'CLI_SERVER_REFUSED', message: /refused: invalid body \[\/body\/uses: must be <= 10000\] \(SRV_VALIDATION\)/ })
    handler = json(401, { status: 401, code: 'SRV_UNAUTHENTICATED', detail: 'authentication required' })
    await assert.rejects(new ApiClient({ server: base }).get('/v1/z', readName), { hint: /palisade login/ })
  })

  it('sends PUT and PATCH with a JSON body, like POST', async () => {
    handler = json(200, { name: 'ok' })
    const api = new ApiClient({ server: base, apiKey })
    assert.equal(await api.put('/v1/p', { personId: 'person-1' }, readName), 'ok')
    assert.deepEqual([seen.at(-1)!.method, JSON.parse(seen.at(-1)!.body)], ['PUT', { personId: 'person-1' }])
    assert.equal(await api.patch('/v1/p', { version: 3, name: 'x' }, readName), 'ok')
    assert.deepEqual([seen.at(-1)!.method, JSON.parse(seen.at(-1)!.body), seen.at(-1)!.auth], ['PATCH', { version: 3, name: 'x' }, `Bearer ${apiKey.reveal()}`])
  })

  it('names the field of a 409 duplicate or stale version', async () => {
    const api = new ApiClient({ server: base })
    handler = json(409, { status: 409, code: 'SRV_DUPLICATE', detail: 'another person of this organisation already has this username', errors: [{ path: '/body/username', message: 'is already used' }] })
    await assert.rejects(api.patch('/v1/p', { version: 1 }, readName), (e: any) => {
      assert.equal(e.code, 'CLI_SERVER_REFUSED')
      assert.match(e.message, /refused: the username is already taken: another person .* \(SRV_DUPLICATE\)$/)
      assert.match(e.hint, /choose another username/)
      assert.deepEqual(e.details, { status: 409, serverCode: 'SRV_DUPLICATE', field: '/body/username' })
      return true
    })
    handler = json(409, { status: 409, code: 'SRV_DUPLICATE', detail: 'taken', errors: [{ path: '/body/owner/email', message: 'is already used by another account' }] })
    await assert.rejects(api.post('/v1/setup', {}, readName), { message: /the owner email is already taken/ })
    handler = json(409, { status: 409, code: 'SRV_CONFLICT', detail: 'the person changed since version 1', errors: [{ path: '/body/version', message: 'is 1, but the current version is 2' }] })
    await assert.rejects(api.put('/v1/p', {}, readName), (e: any) => {
      assert.match(e.message, /someone else changed it since it was read \(version\)/)
      assert.deepEqual(e.details, { status: 409, serverCode: 'SRV_CONFLICT', field: '/body/version', currentVersion: 2 })
      return true
    })
    handler = json(409, { status: 409, code: 'SRV_CONFLICT', detail: 'org acme already exists' })
    await assert.rejects(api.post('/v1/p', {}, readName), { message: /refused: org acme already exists \(SRV_CONFLICT\)$/, hint: /already exists/ })
  })

  it('reports a non-problem error answer by its HTTP status', async () => {
    handler = (_q, res) => {
      res.writeHead(502)
      res.end('<html>bad gateway</html>')
    }
    await assert.rejects(new ApiClient({ server: base }).get('/v1/z', readName), { code: 'CLI_SERVER_REFUSED', message: /refused: HTTP 502$/ })
  })

  it('reports an answer of the wrong shape, or not JSON, as CLI_SERVER_RESPONSE naming the route and field', async () => {
    handler = json(200, { name: 42 })
    await assert.rejects(new ApiClient({ server: base }).get('/v1/shape', readName), { code: 'CLI_SERVER_RESPONSE', message: /invalid answer to GET \/v1\/shape: name is not a string/ })
    handler = (_q, res) => res.end('{"name": "a", "name": "b"}')
    await assert.rejects(new ApiClient({ server: base }).get('/v1/dup', readName), { code: 'CLI_SERVER_RESPONSE', message: /not JSON/ })
  })

  it('refuses an answer over the size cap', async () => {
    handler = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ name: 'x'.repeat(5000) }))
    }
    await assert.rejects(new ApiClient({ server: base, maxResponseBytes: 1000 }).get('/v1/big', readName), { code: 'CLI_SERVER_RESPONSE', message: /larger than 1000 bytes/ })
  })

  it('does not follow a redirect (the key stays with one server)', async () => {
    handler = (q, res) => {
      if (q.url === '/v1/moved') {
        res.writeHead(307, { location: '/v1/elsewhere' })
        res.end()
      } else json(200, { name: 'followed' })(q, res, '')
    }
    const before = seen.length
    await assert.rejects(new ApiClient({ server: base, apiKey }).get('/v1/moved', readName), { code: 'CLI_SERVER_RESPONSE', message: /redirected GET \/v1\/moved to \/v1\/elsewhere/ })
    assert.equal(seen.length, before + 1)
  })

  it('times out a server that does not answer (CLI_SERVER_UNREACHABLE)', async () => {
    handler = () => undefined // never answers
    await assert.rejects(new ApiClient({ server: base, timeoutMs: 200 }).get('/v1/slow', readName), { code: 'CLI_SERVER_UNREACHABLE', message: /no answer to GET \/v1\/slow within 0.2 s/ })
    server.closeAllConnections()
  })

  it('reports a refused connection as CLI_SERVER_UNREACHABLE', async () => {
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((r) => closed.close(() => r()))
    await assert.rejects(new ApiClient({ server: `http://127.0.0.1:${port}` }).get('/v1/x', readName), {
      code: 'CLI_SERVER_UNREACHABLE',
      message: `cannot reach the server at http://127.0.0.1:${port}: connection refused`,
    })
  })
})
