import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { captureLogger, tempDir, testConfig } from './fixtures.test.helper.js'
import { ServerError } from './errors.js'
import { readConnectionLimits } from './db/connection-budget.js'
import { openPostgres } from './db/open-postgres.js'
import { freshPostgres, POSTGRES_SKIP } from './db/postgres.test.helper.js'
import { startServer } from './main.js'

/** Sends raw bytes and returns everything the server answers before closing. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes))
    let out = ''
    socket.on('data', (d) => (out += d.toString()))
    socket.on('close', () => resolve(out))
    socket.on('error', reject)
  })
}

describe('startServer', () => {
  it('listens on 127.0.0.1 with port 0, serves over a real socket, and closes', async (t) => {
    const dir = tempDir(t)
    const config = testConfig(dir, { PALISADE_LISTEN: '127.0.0.1:0' })
    const server = await startServer(config, { logger: captureLogger().logger, handleSignals: false })
    t.after(() => server.close())
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.ok(!server.url.endsWith(':0'))
    assert.ok(existsSync(join(dir, 'palisade.db')))

    const ok = await fetch(`${server.url}/healthz`)
    assert.deepEqual([ok.status, await ok.json()], [200, { status: 'ok', checks: { database: 'ok', bus: 'ok' } }])

    const missing = await fetch(`${server.url}/nope`)
    assert.equal(missing.status, 404)
    assert.equal(missing.headers.get('content-type'), 'application/problem+json; charset=utf-8')

    await server.close()
    await server.close() // idempotent
    await assert.rejects(fetch(`${server.url}/healthz`))
  })

  it('answers bytes that are not HTTP with a 400 problem', async (t) => {
    const config = testConfig(tempDir(t), { PALISADE_LISTEN: '127.0.0.1:0' })
    const server = await startServer(config, { logger: captureLogger().logger, handleSignals: false })
    t.after(() => server.close())
    const answer = await rawExchange(server.url, 'HELLO\r\n\r\n')
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/)
    assert.match(answer, /Content-Type: application\/problem\+json/)
    assert.equal(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).code, 'SRV_MALFORMED')
  })

  it('closes gracefully on SIGTERM and removes its signal handlers', async (t) => {
    const config = testConfig(tempDir(t), { PALISADE_LISTEN: '127.0.0.1:0' })
    const before = process.listeners('SIGTERM')
    const beforeInt = process.listeners('SIGINT')
    const server = await startServer(config, { logger: captureLogger().logger })
    t.after(() => server.close())
    const added = process.listeners('SIGTERM').filter((l) => !before.includes(l))
    assert.equal(added.length, 1)
    // Call the handler directly: emitting a real signal would also reach the test runner's own handlers.
    added[0]?.('SIGTERM')
    await server.close() // resolves when the signal-initiated close is done
    await assert.rejects(fetch(`${server.url}/healthz`))
    assert.deepEqual(process.listeners('SIGTERM'), before)
    assert.deepEqual(process.listeners('SIGINT'), beforeInt)
  })

  it('answers a request that completes during shutdown with a 503 problem', async (t) => {
    const config = testConfig(tempDir(t), { PALISADE_LISTEN: '127.0.0.1:0' })
    const server = await startServer(config, { logger: captureLogger().logger, handleSignals: false })
    t.after(() => server.close())
    const { hostname, port } = new URL(server.url)
    // A request whose headers are half sent keeps its connection busy, so closing waits for it.
    const socket = connect(Number(port), hostname)
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
    await new Promise((resolve) => setTimeout(resolve, 50))
    const closed = server.close()
    await new Promise((resolve) => setImmediate(resolve))
    let answer = ''
    socket.on('data', (d) => (answer += d.toString()))
    const ended = new Promise((resolve) => socket.once('close', resolve))
    socket.write('\r\n')
    await ended
    await closed
    assert.match(answer, /^HTTP\/1\.1 503 /)
    assert.match(answer, /connection: close/i)
    assert.equal(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).code, 'SRV_UNAVAILABLE')
  })

  it('refuses a config with several workers (startNode runs those), before opening anything', async (t) => {
    const dir = tempDir(t)
    const config = testConfig(dir, { PALISADE_DATABASE_URL: 'postgres://127.0.0.1:1/none', PALISADE_BUS_URL: 'nats://127.0.0.1:1', PALISADE_WORKERS: '2' })
    await assert.rejects(startServer(config, { logger: captureLogger().logger, handleSignals: false }), (e: unknown) => {
      assert.ok(e instanceof ServerError)
      assert.equal(e.code, 'SRV_CONFIG_INVALID')
      assert.deepEqual(e.errors?.map((x) => x.path), ['PALISADE_WORKERS'])
      return true
    })
  })

  it("refuses a database pool larger than PostgreSQL's max_connections allows, before listening", { skip: POSTGRES_SKIP }, async (t) => {
    const fresh = await freshPostgres('main_budget')
    t.after(() => fresh.drop())
    const probe = openPostgres(fresh.url)
    const limits = await readConnectionLimits(probe).finally(() => probe.destroy())
    if (limits.maxConnections - limits.reserved >= 500) return t.skip('this PostgreSQL allows 500 connections')
    const config = testConfig(tempDir(t), { PALISADE_DATABASE_URL: fresh.url, PALISADE_DATABASE_POOL: '500', PALISADE_LISTEN: '127.0.0.1:0' })
    const { logger, lines } = captureLogger()
    await assert.rejects(startServer(config, { logger, handleSignals: false }), (e: unknown) => {
      assert.ok(e instanceof ServerError)
      assert.equal(e.code, 'SRV_CONFIG_INVALID')
      assert.deepEqual(e.errors?.map((x) => x.path), ['PALISADE_DATABASE_POOL'])
      assert.match(e.message, /PALISADE_DATABASE_POOL 500: up to 500 PostgreSQL connections, more than the server allows/)
      return true
    })
    assert.ok(!lines.some((l) => l.includes('listening')), 'it never listened')
  })

  it('refuses to start on an address already in use', async (t) => {
    const first = await startServer(testConfig(tempDir(t), { PALISADE_LISTEN: '127.0.0.1:0' }), { logger: captureLogger().logger, handleSignals: false })
    t.after(() => first.close())
    const port = new URL(first.url).port
    const config = testConfig(tempDir(t), { PALISADE_LISTEN: `127.0.0.1:${port}` })
    await assert.rejects(startServer(config, { logger: captureLogger().logger, handleSignals: false }), { code: 'EADDRINUSE' })
  })
})
