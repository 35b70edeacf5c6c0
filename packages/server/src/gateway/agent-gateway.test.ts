import { describe, it, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { openDatabase } from '../db/open.js'
import { testDatabase } from '../db/test-database.test.helper.js'
import { OrgLog } from '../log/org-log.js'
import { createLogger } from '../logger.js'
import { AgentGateway } from './agent-gateway.js'
import { serveGateway } from './agent.test.helper.js'

/** A gateway on a bare ws server (no Fastify), with short timers. */
async function standalone(
  t: TestContext,
  options: { pingIntervalMs?: number; helloTimeoutMs?: number; maxQueuedFrames?: number },
): Promise<{ url: string; gateway: AgentGateway }> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-gw-'))
  const made = await testDatabase('gw')
  const db = await openDatabase(made.url ?? `sqlite:${join(dir, 'p.db')}`)
  const gateway = new AgentGateway({
    db,
    log: new OrgLog({ db }),
    logger: createLogger('silent'),
    pingIntervalMs: options.pingIntervalMs ?? 60_000,
    limits: { helloTimeoutMs: options.helloTimeoutMs ?? 60_000, ...(options.maxQueuedFrames === undefined ? {} : { maxQueuedFrames: options.maxQueuedFrames }) },
  })
  const url = await serveGateway(t, gateway)
  // After hooks run in the order added: the gateway is closed (serveGateway's) before its database goes.
  t.after(async () => {
    await db.destroy()
    await made.drop()
    rmSync(dir, { recursive: true, force: true })
  })
  return { url, gateway }
}

function closeOf(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.on('close', (code) => resolve(code)))
}

describe('AgentGateway timers', { concurrency: true }, () => {
  it('closes a connection that does not say hello in time (4408)', async (t) => {
    const { url } = await standalone(t, { helloTimeoutMs: 100 })
    const ws = new WebSocket(url)
    const first = await new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))))
    assert.equal(JSON.parse(first).type, 'challenge')
    assert.equal(Buffer.from(JSON.parse(first).nonce, 'base64').length, 32)
    assert.equal(await closeOf(ws), 4408)
  })

  it('terminates a client that stops answering pings', async (t) => {
    const { url } = await standalone(t, { pingIntervalMs: 50 })
    const ws = new WebSocket(url, { autoPong: false })
    const started = Date.now()
    assert.equal(await closeOf(ws), 1006)
    assert.ok(Date.now() - started < 2000)
  })

  it('keeps a client that answers pings', async (t) => {
    const { url } = await standalone(t, { pingIntervalMs: 200 })
    const ws = new WebSocket(url)
    let closed = false
    ws.on('close', () => (closed = true))
    await new Promise((r) => setTimeout(r, 700))
    assert.equal(closed, false)
    ws.close()
  })

  it('closes a client that floods frames faster than they are handled (4429)', async (t) => {
    const { url } = await standalone(t, { maxQueuedFrames: 4 })
    const ws = new WebSocket(url)
    await new Promise((resolve) => ws.once('message', resolve))
    const closed = closeOf(ws)
    for (let i = 0; i < 200; i++) ws.send('{"type":"inventory","inventory":{},"digest":null}')
    assert.equal(await closed, 4429)
  })

  it('closes every connection with 1001 when the gateway closes', async (t) => {
    const { url, gateway } = await standalone(t, {})
    const ws = new WebSocket(url)
    await new Promise((resolve) => ws.once('message', resolve))
    const closed = closeOf(ws)
    await gateway.close()
    assert.equal(await closed, 1001)
    await gateway.close() // idempotent
  })
})
