/**
 * GET /healthz names the dependency that is down. The bus: a node pointed
 * at a NATS port with nothing listening (the shared NATS cannot be
 * stopped) reports `/checks/bus`, and meanwhile still serves its own
 * agents as a single node.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../app.js'
import { NatsBus } from '../bus/nats-bus.js'
import { addOrg, approve, draftCommand, enrollDevice, startWitness } from '../commands/org.test.helper.js'
import { openDatabase } from '../db/open.js'
import { testDatabase } from '../db/test-database.test.helper.js'
import { captureLogger, testConfig } from '../fixtures.test.helper.js'
import { TestAgent } from '../gateway/agent.test.helper.js'
import { setupRoutes } from '../setup/routes.js'
import { ROUTES } from './index.js'

const DEPLOYMENT = 'healthz-test'

async function deadPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

describe('GET /healthz', () => {
  it('answers 503 naming /checks/bus while NATS is unreachable, and the node still delivers to its own agents', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-healthz-'))
    const made = await testDatabase('healthz')
    const config = testConfig(dir, made.env)
    const db = await openDatabase(config.databaseUrl)
    const port = await deadPort()
    const bus = new NatsBus({ url: `nats://127.0.0.1:${port}`, name: 'healthz-test', deployment: DEPLOYMENT, retryMs: 200, connectTimeoutMs: 500 })
    const { logger, lines } = captureLogger('info')
    const routes = ROUTES.includes(setupRoutes) ? ROUTES : [...ROUTES, setupRoutes]
    const app = buildApp({ config, db, logger, routes, bus })
    t.after(async () => {
      await app.close()
      await bus.close()
      await made.drop()
      rmSync(dir, { recursive: true, force: true })
    })
    await app.listen({ host: '127.0.0.1', port: 0 })

    const res = await app.inject({ method: 'GET', url: '/healthz' })
    assert.equal(res.statusCode, 503)
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    assert.equal(res.headers['retry-after'], '5')
    const problem = res.json()
    assert.equal(problem.code, 'SRV_UNAVAILABLE')
    assert.deepEqual(problem.errors, [{ path: '/checks/bus', message: 'the message bus between server nodes is unreachable' }])
    assert.ok(!res.body.includes(String(port)), 'no address is disclosed to an unauthenticated caller')
    assert.ok(lines.some((l) => l.includes('health check: bus down') && l.includes(`127.0.0.1:${port}`)), 'the operator gets the reason in the log')

    const witness = await startWitness(t)
    const o = await addOrg({ app, db, config, lines, witness }, 'acme')
    const device = await enrollDevice(o)
    const agent = await TestAgent.online(o.app, device)
    t.after(() => agent.close())
    const cmd = await draftCommand(o)
    await approve(o, cmd)
    assert.equal((await agent.next('delivery'))['commandId'], cmd.id)
    assert.ok(bus.dropped > 0, 'what the other nodes would have heard was dropped, not queued')
  })

  it('answers 200 with every check ok on the in-process bus', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-healthz-'))
    const made = await testDatabase('healthz')
    const config = testConfig(dir, made.env)
    const app = buildApp({ config, db: await openDatabase(config.databaseUrl), logger: captureLogger().logger })
    t.after(async () => {
      await app.close()
      await made.drop()
      rmSync(dir, { recursive: true, force: true })
    })
    const res = await app.inject({ method: 'GET', url: '/healthz' })
    assert.deepEqual([res.statusCode, res.json()], [200, { status: 'ok', checks: { database: 'ok', bus: 'ok' } }])
  })
})
