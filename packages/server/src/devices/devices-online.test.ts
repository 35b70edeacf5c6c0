/**
 * `online` in the device routes with two server nodes (two apps, each its
 * own gateway, node id and connection pool) on one database: a SQLite
 * file, or a fresh PostgreSQL database under PALISADE_TEST_DATABASE=postgres.
 * Real agents connect over WebSockets; the other node only shares the
 * database with the one they are connected to.
 */
import { describe, it, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { request, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { buildApp } from '../app.js'
import { createTestOrg, enrollDevice, type TestOrg } from '../commands/org.test.helper.js'
import { openDatabase } from '../db/open.js'
import { TEST_DATABASE } from '../db/test-database.test.helper.js'
import { captureLogger, tempDir, testConfig } from '../fixtures.test.helper.js'
import { TestAgent } from '../gateway/agent.test.helper.js'
import { replaceDevicePackages } from './device-packages.js'

/** Why a test that needs a second transaction holding a row lock is skipped on SQLite (one writer for the whole file). */
const POSTGRES_ONLY = TEST_DATABASE === 'postgres' ? false : 'holds a row lock in another transaction: PostgreSQL only (PALISADE_TEST_DATABASE=postgres)'

/** Another node on `a`'s database, listening; closed by the caller (before `a`'s database goes). */
async function secondNode(t: Parameters<typeof tempDir>[0], a: TestOrg): Promise<{ app: FastifyInstance; nodeId: string }> {
  const config = testConfig(tempDir(t), { PALISADE_DATABASE_URL: a.config.databaseUrl, PALISADE_LISTEN: '127.0.0.1:0' })
  const app = buildApp({ config, db: await openDatabase(config.databaseUrl), logger: captureLogger().logger })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, nodeId: config.nodeId }
}

/** `online` of `deviceId` in the list, the list filtered by package, and the detail, as `app` answers. */
async function onlineThrough(app: FastifyInstance, o: TestOrg, deviceId: string): Promise<boolean[]> {
  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: o.auth })
    assert.equal(res.statusCode, 200, res.body)
    return res.json()
  }
  const list = (await get(`/v1/orgs/${o.org}/devices`)).devices.find((d: { id: string }) => d.id === deviceId)
  const filtered = (await get(`/v1/orgs/${o.org}/devices?package=openssl`)).devices.find((d: { id: string }) => d.id === deviceId)
  const detail = await get(`/v1/orgs/${o.org}/devices/${deviceId}`)
  return [list.online, filtered.online, detail.online]
}

async function lastSeen(o: TestOrg, deviceId: string): Promise<number> {
  const row = await o.db.selectFrom('devices').select('last_seen_at').where('id', '=', deviceId).executeTakeFirstOrThrow()
  return row.last_seen_at ?? 0
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** The `device` events of `o`'s org, as the console's stream receives them from `app` (listening). */
async function deviceEvents(t: TestContext, app: FastifyInstance, o: TestOrg): Promise<string[]> {
  const { port } = app.server.address() as AddressInfo
  const res = await new Promise<IncomingMessage>((resolve, reject) =>
    request({ host: '127.0.0.1', port, path: `/v1/orgs/${o.org}/events`, headers: o.auth }, resolve).on('error', reject).end(),
  )
  t.after(() => res.destroy())
  assert.equal(res.statusCode, 200)
  const events: string[] = []
  let text = ''
  res.setEncoding('utf8')
  res.on('data', (d: string) => {
    text += d
    for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
      const frame = text.slice(0, end)
      text = text.slice(end + 2)
      if (frame.startsWith('event: device\n')) events.push(frame.slice(frame.indexOf('data: ') + 6))
    }
  })
  return events
}

describe('online in the device routes, with two server nodes on one database', { concurrency: true }, () => {
  it('welcomes an agent only once its session is committed', { skip: POSTGRES_ONLY }, async (t) => {
    const a = await createTestOrg(t, { listen: true })
    const device = await enrollDevice(a, 'web-1')
    await replaceDevicePackages(a.db, a.org, device.id, [{ name: 'openssl', version: '3.0.13', arch: 'amd64' }])
    // Another transaction holds the device's session row: this node's write waits for it.
    const blocker = new pg.Client({ connectionString: a.config.databaseUrl })
    blocker.on('error', () => {})
    await blocker.connect()
    const agent = await TestAgent.connect(a.app)
    t.after(() => agent.close())
    let quiet: boolean
    try {
      await blocker.query('begin')
      await blocker.query(`insert into agent_sessions (device_id, node_id, connection_id, connected_at) values ($1, 'node-z', 'z.1', 0)`, [device.id])
      agent.hello(device.id, device.key)
      quiet = await agent.quiet(500)
    } finally {
      // Released whatever happened: a held lock would stall the app's close.
      await blocker.query('rollback').catch(() => {})
      await blocker.end().catch(() => {})
    }
    assert.ok(quiet, 'no welcome while the session cannot be written')
    await agent.next('welcome')
    assert.deepEqual(await onlineThrough(a.app, a, device.id), [true, true, true])
  })

  it('announces a disconnect once, after which the device reads offline', async (t) => {
    const a = await createTestOrg(t, { listen: true })
    const device = await enrollDevice(a, 'web-1')
    await replaceDevicePackages(a.db, a.org, device.id, [{ name: 'openssl', version: '3.0.13', arch: 'amd64' }])
    const events = await deviceEvents(t, a.app, a)
    const agent = await TestAgent.online(a.app, device)
    await waitFor('the connection\'s event', async () => events.length === 1)
    const seenOnline = await lastSeen(a, device.id)
    await new Promise((r) => setTimeout(r, 5)) // so that "last seen" of the disconnection is later
    agent.close()
    await agent.closed
    await waitFor('the disconnection\'s event', async () => events.length === 2)
    // The console reloads on that event: it must read the device offline.
    assert.deepEqual(await onlineThrough(a.app, a, device.id), [false, false, false])
    // Everything the end of the connection writes is done ("last seen" is its last write)…
    await waitFor('"last seen" of the disconnection', async () => (await lastSeen(a, device.id)) > seenOnline)
    await new Promise((r) => setTimeout(r, 200))
    // …and no second event came.
    assert.deepEqual(events, [`{"id":"${device.id}"}`, `{"id":"${device.id}"}`])
  })


  it('shows a device connected to node A online through node B, and offline there once it disconnects', async (t) => {
    const a = await createTestOrg(t, { listen: true })
    const b = await secondNode(t, a)
    try {
      const device = await enrollDevice(a, 'web-1')
      const idle = await enrollDevice(a, 'db-1')
      for (const d of [device, idle]) await replaceDevicePackages(a.db, a.org, d.id, [{ name: 'openssl', version: '3.0.13', arch: 'amd64' }])
      assert.deepEqual(await onlineThrough(b.app, a, device.id), [false, false, false])

      const agent = await TestAgent.online(a.app, device)
      // Recorded before welcome: no waiting.
      assert.deepEqual(await onlineThrough(b.app, a, device.id), [true, true, true])
      assert.deepEqual(await onlineThrough(a.app, a, device.id), [true, true, true])
      assert.deepEqual(await onlineThrough(b.app, a, idle.id), [false, false, false])
      const row = await a.db.selectFrom('agent_sessions').select('node_id').where('device_id', '=', device.id).executeTakeFirstOrThrow()
      assert.equal(row.node_id, a.config.nodeId)

      agent.close()
      await agent.closed
      await waitFor('offline through node B', async () => (await onlineThrough(b.app, a, device.id)).every((x) => !x))
    } finally {
      await b.app.close()
    }
  })

  it('follows a device from node A to node B: the end of its old connection on A leaves it online', async (t) => {
    const a = await createTestOrg(t, { listen: true })
    const b = await secondNode(t, a)
    try {
      const device = await enrollDevice(a, 'web-1')
      await replaceDevicePackages(a.db, a.org, device.id, [{ name: 'openssl', version: '3.0.13', arch: 'amd64' }])
      const eventsOnA = await deviceEvents(t, a.app, a)
      const onA = await TestAgent.online(a.app, device)
      await waitFor('the connection\'s event on node A', async () => eventsOnA.length === 1)
      const onB = await TestAgent.online(b.app, device)
      t.after(() => onB.close())
      const row = await a.db.selectFrom('agent_sessions').select('node_id').where('device_id', '=', device.id).executeTakeFirstOrThrow()
      assert.equal(row.node_id, b.nodeId)
      // Node A only now notices its connection is gone (a half-open socket, say).
      onA.close()
      await onA.closed
      // A announces the end of its connection once its removal is committed: A has removed what it would.
      await waitFor('node A to record the end of its connection', async () => eventsOnA.length === 2)
      assert.deepEqual(await onlineThrough(a.app, a, device.id), [true, true, true])
      assert.deepEqual(await onlineThrough(b.app, a, device.id), [true, true, true])
      onB.close()
      await onB.closed
      await waitFor('offline through node A', async () => (await onlineThrough(a.app, a, device.id)).every((x) => !x))
    } finally {
      await b.app.close()
    }
  })
})
