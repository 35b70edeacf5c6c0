import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { addOrg, approve, createTestOrg, draftCommand, enrollDevice, type TestOrg } from '../commands/org.test.helper.js'
import { signedResult, TestAgent } from '../gateway/agent.test.helper.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../app.js'
import { startWitness } from '../commands/org.test.helper.js'
import { openDatabase } from '../db/open.js'
import { testDatabase } from '../db/test-database.test.helper.js'
import { captureLogger, testConfig } from '../fixtures.test.helper.js'
import { ROUTES } from '../routes/index.js'
import { setupRoutes } from '../setup/routes.js'
import { eventsRoute, type EventsRouteOptions } from './events-route.js'
import { MAX_SUBSCRIBERS_PER_PRINCIPAL, OrgEvents } from './org-events.js'

/** An open SSE stream whose frames can be awaited. */
class Stream {
  text = ''
  #waiters: (() => void)[] = []
  constructor(readonly res: IncomingMessage) {
    res.setEncoding('utf8')
    res.on('data', (d: string) => {
      this.text += d
      for (const w of this.#waiters.splice(0)) w()
    })
    res.on('end', () => {
      for (const w of this.#waiters.splice(0)) w()
    })
  }

  /** Resolves when `frame` (a whole SSE frame) has arrived. */
  async frame(frame: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!this.text.includes(frame)) {
      if (this.res.readableEnded) throw new Error(`stream ended without ${JSON.stringify(frame)}; got ${this.text}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no ${JSON.stringify(frame)} within ${timeoutMs} ms; got ${this.text}`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.#waiters.push(() => (clearTimeout(t), resolve()))
      })
    }
  }

  close(): void {
    this.res.destroy()
  }
}

function open(o: TestOrg, org: string, headers: Record<string, string>): Promise<{ status: number; type: string; stream: Stream }> {
  const { port } = o.app.server.address() as AddressInfo
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/v1/orgs/${org}/events`, headers }, (res) =>
      resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), stream: new Stream(res) }),
    )
    req.on('error', reject)
    req.end()
  })
}

describe('GET /v1/orgs/:org/events', { concurrency: true }, () => {
  it('streams what changes in the org: commands drafted and signed, devices connecting, results and disconnects', async (t) => {
    const o = await createTestOrg(t, { listen: true })
    const device = await enrollDevice(o)
    const { status, type, stream } = await open(o, o.org, o.auth)
    t.after(() => stream.close())
    assert.equal(status, 200)
    assert.equal(type, 'text/event-stream; charset=utf-8')
    await stream.frame(': connected\n\n')

    const agent = await TestAgent.online(o.app, device)
    await stream.frame(`event: device\ndata: {"id":"${device.id}"}\n\n`)

    const cmd = await draftCommand(o)
    await stream.frame(`event: command\ndata: {"id":"${cmd.id}"}\n\n`)
    await approve(o, cmd)
    await stream.frame('event: log\ndata: {}\n\n')
    const delivery = await agent.next('delivery')
    const envelope = await signedResult(device.key, { org: o.org, commandId: cmd.id, deviceId: device.id, exitCode: 0 })
    agent.send({ type: 'result', envelope, state: { rootVersion: 1, checkpointSize: 1 } })
    await agent.next('ack')
    assert.equal(delivery['commandId'], cmd.id)
    // drafted, signed twice, sent, answered: the last one is the result
    const commandFrames = stream.text.split(`event: command\ndata: {"id":"${cmd.id}"}\n\n`).length - 1
    await stream.frame(`event: command\ndata: {"id":"${cmd.id}"}\n\n`)
    assert.ok(commandFrames >= 3, `only ${commandFrames} command events`)

    const before = stream.text.length
    agent.close()
    await agent.closed
    await new Promise<void>((resolve) => {
      const check = (): void => (stream.text.slice(before).includes(`event: device\ndata: {"id":"${device.id}"}`) ? resolve() : void setTimeout(check, 10))
      check()
    })
  })

  it('tells one org nothing of another, and refuses callers without access', async (t) => {
    const o = await createTestOrg(t, { listen: true })
    const beta = await addOrg(o, 'beta')
    const mine = await open(o, o.org, o.auth)
    t.after(() => mine.stream.close())
    await mine.stream.frame(': connected\n\n')
    const cmd = await draftCommand(beta)
    const own = await draftCommand(o)
    await mine.stream.frame(`event: command\ndata: {"id":"${own.id}"}\n\n`)
    assert.doesNotMatch(mine.stream.text, new RegExp(cmd.id))

    const other = await open(o, beta.org, o.auth)
    assert.equal(other.status, 404)
    other.stream.close()
    const anon = await open(o, o.org, {})
    assert.equal(anon.status, 401)
    anon.stream.close()
  })

  it('ends open streams when the server closes', async (t) => {
    const o = await createTestOrg(t, { listen: true })
    const { stream } = await open(o, o.org, o.auth)
    await stream.frame(': connected\n\n')
    const ended = new Promise<void>((resolve) => stream.res.once('end', () => resolve()))
    await o.app.close()
    await ended
  })
})

/** An org on an app whose events route has `options` (short re-check, small buffer, own hub). */
async function orgWith(t: { after: (fn: () => Promise<void> | void) => void }, options: EventsRouteOptions): Promise<TestOrg> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-events-test-'))
  const made = await testDatabase('events')
  const config = testConfig(dir, { ...made.env, PALISADE_LISTEN: '127.0.0.1:0' })
  const db = await openDatabase(config.databaseUrl)
  const { logger, lines } = captureLogger('info')
  const routes = [...ROUTES.filter((r) => r.name !== 'eventsPlugin'), eventsRoute(options), ...(ROUTES.includes(setupRoutes) ? [] : [setupRoutes])]
  const app = buildApp({ config, db, logger, routes })
  t.after(async () => {
    await app.close()
    await made.drop()
    rmSync(dir, { recursive: true, force: true })
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const witness = await startWitness(t as never)
  return addOrg({ app, db, config, lines, witness }, 'acme')
}

async function newKey(o: TestOrg, scopes: string[] = ['read']): Promise<{ id: string; auth: { authorization: string } }> {
  const res = await o.app.inject({ method: 'POST', url: `/v1/orgs/${o.org}/api-keys`, headers: o.auth, payload: { name: `k${Math.random()}`, scopes } })
  assert.equal(res.statusCode, 201, res.body)
  const b = res.json() as { id: string; key: string }
  return { id: b.id, auth: { authorization: `Bearer ${b.key}` } }
}

const ended = (s: Stream): Promise<void> => new Promise((resolve) => (s.res.closed || s.res.readableEnded ? resolve() : s.res.once('close', () => resolve())))

describe('GET /v1/orgs/:org/events — bounds (M5)', { concurrency: true }, () => {
  it('caps the streams of one credential (429 SRV_RATE_LIMITED), not those of another credential of the org', async (t) => {
    const o = await createTestOrg(t, { listen: true })
    const streams: Stream[] = []
    t.after(() => streams.forEach((s) => s.close()))
    for (let i = 0; i < MAX_SUBSCRIBERS_PER_PRINCIPAL; i++) {
      const r = await open(o, o.org, o.auth)
      assert.equal(r.status, 200)
      streams.push(r.stream)
    }
    const refused = await open(o, o.org, o.auth)
    assert.equal(refused.status, 429)
    if (!refused.stream.res.readableEnded) await new Promise<void>((resolve) => refused.stream.res.once('end', () => resolve()))
    assert.equal((JSON.parse(refused.stream.text) as { code: string }).code, 'SRV_RATE_LIMITED')
    const other = await newKey(o)
    const ok = await open(o, o.org, other.auth)
    streams.push(ok.stream)
    assert.equal(ok.status, 200)
  })

  it('closes a stream whose client does not read once its write buffer passes the bound', async (t) => {
    const hub = new OrgEvents()
    const o = await orgWith(t, { pick: () => hub, maxBufferedBytes: 64 * 1024 })
    const { status, stream } = await open(o, o.org, o.auth)
    t.after(() => stream.close())
    assert.equal(status, 200)
    await stream.frame(': connected\n\n')
    stream.res.pause()
    const closed = ended(stream)
    let done = false
    void closed.then(() => (done = true))
    const big = 'x'.repeat(64 * 1024)
    // The server side gives up before a bounded amount is queued; the kernel buffers some first.
    for (let i = 0; i < 4000 && !done && hub.size > 0; i++) {
      hub.emit(o.org, { kind: 'device', id: big })
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    assert.equal(hub.size, 0, 'the server unsubscribed the stream')
  })

  it('ends a stream within one re-check when its API key is revoked, and keeps one whose key is live', async (t) => {
    const o = await orgWith(t, { recheckMs: 50 })
    const doomed = await newKey(o)
    const kept = await newKey(o)
    const a = await open(o, o.org, doomed.auth)
    const b = await open(o, o.org, kept.auth)
    t.after(() => (a.stream.close(), b.stream.close()))
    await a.stream.frame(': connected\n\n')
    await b.stream.frame(': connected\n\n')
    const res = await o.app.inject({ method: 'DELETE', url: `/v1/orgs/${o.org}/api-keys/${doomed.id}`, headers: o.auth })
    assert.equal(res.statusCode, 200, res.body)
    await ended(a.stream)
    assert.equal(b.stream.res.readableEnded, false, 'the live key\'s stream stays open')
  })
})
