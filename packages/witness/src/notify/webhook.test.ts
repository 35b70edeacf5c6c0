import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkpoint, cosignature, dsse, formatRootLine, rootFingerprint } from '@palisade/protocol'
import { isWitnessError } from '../errors.js'
import { addWitnessedLog, startWitness } from '../index.js'
import { addCheckpoint, postReport, rejectionEnvelope, signTestRoot, TestLog, testKey } from '../test-log.test.helper.js'
import { parseWebhookUrl, Webhook, type WitnessEvent } from './webhook.js'
import type { FastifyBaseLogger } from 'fastify'

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

  it('retries every kind of event until the receiver takes it: cosigned, refused, root verified, report received', async () => {
    // each event is first answered 503, then 200
    const hook = await receiver([503, 200, 503, 200, 503, 200, 503, 200])
    const dir = join(root, 'data3')
    const log = (await TestLog.create('palisade/acme')).grow(4)
    const admins = [0, 1, 2].map((i) => testKey(`hook admin ${i}`, `admin${i}`))
    const v1 = await signTestRoot(log, 1, admins, admins.slice(0, 2))
    const v2 = await signTestRoot(log, 2, admins, admins.slice(0, 2))
    const fp = (e: string) => rootFingerprint(dsse.parseEnvelope(e).payload)
    await addWitnessedLog(dir, log.vkey, fp(v1))
    const w = await startWitness({ listen: '127.0.0.1:0', dataDir: dir, logger: false, webhook: { url: hook.url, baseDelayMs: 10 } })
    try {
      const extensions = [formatRootLine({ version: 1, fingerprint: fp(v1) })]
      assert.equal((await addCheckpoint(w.url, await log.request(0, 4, { extensions }))).status, 200)
      assert.equal((await addCheckpoint(w.url, await log.request(2, 4, { extensions }))).status, 409)
      const added = await fetch(`${w.url}/add-root`, { method: 'POST', body: JSON.stringify({ origin: log.origin, roots: [v1, v2] }) })
      assert.equal(added.status, 200, await added.text())
      const envelope = await rejectionEnvelope(testKey('hook device'), 'dev1')
      assert.equal((await postReport(w.url, { origin: log.origin, deviceId: 'dev1', envelope })).status, 202)
      await hook.next(4)
      assert.equal(hook.hits(), 8)
      // Log events (cosigned, root verified) go ahead of refusals and
      // reports, so the order of the middle two depends on when each was
      // queued; every kind arrives exactly once, the report last.
      const types = hook.events.map((e) => e['type'] as string)
      assert.deepEqual([...types].sort(), ['checkpoint.cosigned', 'checkpoint.refused', 'report.received', 'root.verified'])
      assert.equal(types[0], 'checkpoint.cosigned')
      assert.equal(types[3], 'report.received')
      const byType = (t: string) => (hook.events as Record<string, unknown>[]).find((e) => e['type'] === t)!
      const [cosigned, verified, report] = [byType('checkpoint.cosigned'), byType('root.verified'), byType('report.received')]
      assert.deepEqual([cosigned!['oldSize'], cosigned!['size']], [0, 4], 'the cosigned event says which entries are new')
      assert.deepEqual([verified!['version'], verified!['fingerprint']], [2, fp(v2)])
      assert.deepEqual([report!['origin'], report!['seq'], report!['deviceId'], report!['kind'], report!['code'], report!['envelope']], [log.origin, 1, 'dev1', 'rejection', 'PROTO_SIG_THRESHOLD', envelope])
    } finally {
      await w.close()
      hook.server.close()
    }
  })

  it('never lets report events evict or delay checkpoint events: those go first, and a report flood is coalesced (M2)', async () => {
    const hook = await receiver()
    const warnings: Record<string, unknown>[] = []
    const log = { warn: (o: Record<string, unknown>) => warnings.push(o), debug: () => undefined } as unknown as FastifyBaseLogger
    const hooked = new Webhook({ url: hook.url, maxQueue: 10, maxReportQueue: 5 }, log)
    try {
      const time = new Date().toISOString()
      const report = (seq: number): WitnessEvent => ({ type: 'report.received', witness: 'w', origin: 'o', seq, deviceId: 'd', kind: 'rejection', envelope: '{}', time })
      const cosigned = (size: number): WitnessEvent => ({ type: 'checkpoint.cosigned', witness: 'w', origin: 'o', oldSize: size - 1, size, rootHash: 'h', note: 'n', time })
      for (let seq = 1; seq <= 300; seq++) hooked.notify(report(seq)) // the first goes out at once
      for (let size = 1; size <= 3; size++) hooked.notify(cosigned(size))
      await hook.next(1 + 3 + 5)
      const types = hook.events.map((e) => `${String(e['type'])} ${String(e['seq'] ?? e['size'])}`)
      assert.deepEqual(types.slice(0, 4), ['report.received 1', 'checkpoint.cosigned 1', 'checkpoint.cosigned 2', 'checkpoint.cosigned 3'])
      assert.deepEqual(types.slice(4), ['report.received 2', 'report.received 3', 'report.received 4', 'report.received 5', 'report.received 6'])
      assert.ok(warnings.some((w) => w['coalesced'] === 1) && warnings.some((w) => w['coalesced'] === 200 || w['coalesced'] === 100))
    } finally {
      hooked.close()
      hook.server.close()
    }
  })

  it('never lets a flood of junk refusals evict or delay a cosigned event; unsigned refusals are coalesced into counts first (N4)', async () => {
    const hook = await receiver()
    const warnings: Record<string, unknown>[] = []
    const log = { warn: (o: Record<string, unknown>) => warnings.push(o), debug: () => undefined } as unknown as FastifyBaseLogger
    const hooked = new Webhook({ url: hook.url, maxQueue: 10, maxRefusalQueue: 5 }, log)
    try {
      const time = new Date().toISOString()
      const junk = (n: number): WitnessEvent => ({ type: 'checkpoint.refused', witness: 'w', code: n % 2 === 0 ? 'WIT_MALFORMED' : 'WIT_LOG_UNKNOWN', status: 400, ip: `10.0.0.${n % 2}`, ...(n % 2 === 0 ? {} : { origin: 'junk' }), authenticated: false, time })
      const evidence: WitnessEvent = { type: 'checkpoint.refused', witness: 'w', code: 'WIT_ROOT_MISMATCH', status: 409, ip: '10.0.0.9', origin: 'o', size: 7, authenticated: true, time }
      const cosigned = (size: number): WitnessEvent => ({ type: 'checkpoint.cosigned', witness: 'w', origin: 'o', oldSize: size - 1, size, rootHash: 'h', note: 'n', time })
      for (let n = 1; n <= 2000; n++) hooked.notify(junk(n)) // the first goes out at once, 2..6 wait, the rest are counted
      hooked.notify(evidence) // evicts junk 2 into the counts
      for (let size = 1; size <= 3; size++) hooked.notify(cosigned(size))
      await hook.next(1 + 3 + 5 + 1)
      const labels = hook.events.map((e) => (e['type'] === 'checkpoint.refused' ? `${String(e['code'])} ${String(e['authenticated'])}` : `${String(e['type'])} ${String(e['size'] ?? '')}`))
      assert.deepEqual(labels, [
        'WIT_LOG_UNKNOWN false',
        'checkpoint.cosigned 1',
        'checkpoint.cosigned 2',
        'checkpoint.cosigned 3',
        'WIT_LOG_UNKNOWN false',
        'WIT_MALFORMED false',
        'WIT_LOG_UNKNOWN false',
        'WIT_MALFORMED false',
        'WIT_ROOT_MISMATCH true',
        'checkpoint.refusals-coalesced ',
      ])
      const counts = hook.events[9]!['counts'] as { code: string; origin?: string; authenticated: boolean; count: number }[]
      assert.deepEqual(
        counts.map((c) => [c.code, c.origin, c.authenticated, c.count]).sort(),
        [
          ['WIT_LOG_UNKNOWN', 'junk', false, 997],
          ['WIT_MALFORMED', undefined, false, 998],
        ].sort(),
      )
      assert.ok(warnings.some((w) => w['coalesced'] === 1))
    } finally {
      hooked.close()
      hook.server.close()
    }
  })
})
