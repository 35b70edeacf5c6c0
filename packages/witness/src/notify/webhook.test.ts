import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkpoint, cosignature } from '@palisade/protocol'
import { isWitnessError } from '../errors.js'
import { addWitnessedLog, startWitness } from '../index.js'
import { addCheckpoint, TestLog } from '../test-log.test.helper.js'
import { parseWebhookUrl } from './webhook.js'

/** A webhook receiver that answers each POST with the next status of `plan` (then 200). */
async function receiver(plan: number[] = []): Promise<{ url: string; events: Record<string, unknown>[]; hits: () => number; server: Server; next: (n: number) => Promise<void> }> {
  const events: Record<string, unknown>[] = []
  const waiters: { n: number; resolve: () => void }[] = []
  let hits = 0
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      hits++
      const status = plan.shift() ?? 200
      if (status === 200) events.push(JSON.parse(body) as Record<string, unknown>)
      res.statusCode = status
      res.end()
      for (const w of waiters.filter((w) => events.length >= w.n)) w.resolve()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    events,
    hits: () => hits,
    server,
    next: (n) => (events.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  }
}

describe('webhook', () => {
  let root: string
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'palisade-witness-hook-'))
  })
  after(async () => rm(root, { recursive: true, force: true }))

  it('accepts only http(s) URLs without credentials', () => {
    assert.equal(parseWebhookUrl('https://hooks.example.com/x?y=1'), 'https://hooks.example.com/x?y=1')
    for (const bad of ['not a url', 'ftp://example.com/', 'https://user:pw@example.com/']) {
      assert.throws(() => parseWebhookUrl(bad), (e) => isWitnessError(e, 'WIT_CONFIG'))
    }
  })

  it('posts cosigned and refused events, retrying failed deliveries with backoff, without delaying answers', async () => {
    const hook = await receiver([500, 503])
    const dir = join(root, 'data')
    const log = (await TestLog.create('example.com/hooked')).grow(5)
    await addWitnessedLog(dir, log.vkey)
    const w = await startWitness({
      listen: '127.0.0.1:0',
      dataDir: dir,
      name: 'hook.witness',
      logger: false,
      webhook: { url: hook.url, baseDelayMs: 20 },
    })
    try {
      const started = Date.now()
      assert.equal((await addCheckpoint(w.url, await log.request(0, 5))).status, 200)
      assert.equal((await addCheckpoint(w.url, await log.request(1, 5))).status, 409)
      assert.ok(Date.now() - started < 1000)
      await hook.next(2)
      assert.equal(hook.hits(), 4) // two failures, then both events
      const [cosigned, refused] = hook.events as [Record<string, unknown>, Record<string, unknown>]
      assert.deepEqual(
        [cosigned['type'], cosigned['witness'], cosigned['origin'], cosigned['oldSize'], cosigned['size']],
        ['checkpoint.cosigned', 'hook.witness', 'example.com/hooked', 0, 5],
      )
      // the event carries the cosigned note: the receiver can check it came from the witness
      checkpoint.openCosignedCheckpoint(cosigned['note'] as string, {
        origin: log.origin,
        logVerifier: (await import('@palisade/protocol')).note.verifierFromString(log.vkey),
        witnesses: [cosignature.witnessVerifierFromString(w.verifierKey)],
        quorum: 1,
      })
      assert.deepEqual(
        [refused['type'], refused['code'], refused['status'], refused['oldSize'], refused['size'], refused['storedSize']],
        ['checkpoint.refused', 'WIT_OLD_SIZE_CONFLICT', 409, 1, 5, 5],
      )
    } finally {
      await w.close()
      hook.server.close()
    }
  })

  it('gives up on an event the receiver refuses with a 4xx, and goes on with the next', async () => {
    const hook = await receiver([400])
    const dir = join(root, 'data2')
    const log = (await TestLog.create('example.com/hooked2')).grow(5)
    await addWitnessedLog(dir, log.vkey)
    const w = await startWitness({ listen: '127.0.0.1:0', dataDir: dir, logger: false, webhook: { url: hook.url, baseDelayMs: 20 } })
    try {
      assert.equal((await addCheckpoint(w.url, await log.request(0, 2))).status, 200)
      assert.equal((await addCheckpoint(w.url, await log.request(2, 5))).status, 200)
      await hook.next(1)
      assert.equal(hook.hits(), 2)
      assert.equal(hook.events[0]!['size'], 5)
    } finally {
      await w.close()
      hook.server.close()
    }
  })
})
