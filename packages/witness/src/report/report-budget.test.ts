// The byte budget of a log's device reports, over real HTTP on 127.0.0.1
// with a real data directory and a real webhook receiver: past the budget
// new reports are refused (507) and one alarm fires, nothing stored is
// ever rotated away, a restart keeps it all, and only the operator's prune
// (while the witness is stopped) frees space, keeping seq numbering.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addWitnessedLog, isWitnessError, pruneWitnessReports, startWitness, type RunningWitness } from '../index.js'
import { dataPaths, reportsPath } from '../store/data-dir.js'
import { addCheckpoint, postReport, rejectionEnvelope, TestLog, testKey } from '../test-log.test.helper.js'

const BUDGET = 128 * 1024

interface Served {
  seq: number
  deviceId: string
  envelope: string
}

/** A webhook receiver keeping every event; `until` resolves once one matches. */
async function hookReceiver(): Promise<{ url: string; events: Record<string, unknown>[]; server: Server; until: (f: (e: Record<string, unknown>) => boolean) => Promise<void> }> {
  const events: Record<string, unknown>[] = []
  const waiters: { f: (e: Record<string, unknown>) => boolean; resolve: () => void }[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      const e = JSON.parse(body) as Record<string, unknown>
      events.push(e)
      res.end()
      for (const w of waiters.filter((w) => w.f(e))) w.resolve()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    events,
    server,
    until: (f) => (events.some(f) ? Promise.resolve() : new Promise((resolve) => waiters.push({ f, resolve }))),
  }
}

describe('witness report budget', () => {
  let dir: string
  let w: RunningWitness
  let log: TestLog
  let hook: Awaited<ReturnType<typeof hookReceiver>>
  let first: string
  let big: string
  let stored = 0
  const start = () =>
    startWitness({ listen: '127.0.0.1:0', dataDir: dir, name: 'witness.test', logger: false, reportStoreBytes: BUDGET, webhook: { url: hook.url, baseDelayMs: 10 } })
  const served = async (after = 0): Promise<Served[]> => {
    const res = await fetch(`${w.url}/palisade/v1/reports?origin=${encodeURIComponent(log.origin)}&after=${after}&limit=1000`)
    assert.equal(res.status, 200)
    return ((await res.json()) as { reports: Served[] }).reports
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-witness-budget-'))
    log = (await TestLog.create('palisade/acme')).grow(3)
    await addWitnessedLog(dir, log.vkey)
    hook = await hookReceiver()
    const device = testKey('device d1')
    first = await rejectionEnvelope(device, 'd1', 'PROTO_SIG_THRESHOLD', 'the genuine first report')
    // JSON allows whitespace after the envelope: a ~30 KiB report fills the budget in a few.
    big = (await rejectionEnvelope(device, 'd1', 'PROTO_SIG_THRESHOLD', 'a forged flood')) + ' '.repeat(30_000)
    w = await start()
  })
  after(async () => {
    await w.close()
    await new Promise((r) => hook.server.close(r))
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses with 507 WIT_REPORT_STORE_FULL past the budget, still serves the first report, and raises one alarm', async () => {
    const r1 = await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope: first })
    assert.equal(r1.status, 202, r1.body)
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) statuses.push((await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope: big })).status)
    stored = 1 + statuses.filter((s) => s === 202).length
    assert.deepEqual(statuses, [...Array<number>(stored - 1).fill(202), ...Array<number>(9 - stored).fill(507)], statuses.join(' '))
    assert.ok(stored >= 3, `stored ${stored}`)
    const full = await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope: big })
    assert.equal(full.status, 507)
    assert.match(full.body, /^WIT_REPORT_STORE_FULL: /)

    const reports = await served()
    assert.deepEqual(reports.map((r) => r.seq), Array.from({ length: stored }, (_, i) => i + 1))
    assert.equal(reports[0]!.envelope, first, 'the first report is never rotated away')
    assert.deepEqual(await readdir(join(dir, 'reports')), [reportsPath(dataPaths(dir), log.origin).split('/').at(-1)], 'no rotated file')
    assert.ok((await stat(reportsPath(dataPaths(dir), log.origin))).size <= BUDGET)

    // The alarm goes first in the webhook's log-event queue; a later log
    // event delivered means any second alarm would have been delivered too.
    assert.equal((await addCheckpoint(w.url, await log.request(0, 3))).status, 200)
    await hook.until((e) => e['type'] === 'checkpoint.cosigned')
    const alarms = hook.events.filter((e) => e['type'] === 'reports.store-full')
    assert.equal(alarms.length, 1, JSON.stringify(alarms))
    assert.deepEqual({ ...alarms[0], time: undefined, bytes: undefined }, {
      type: 'reports.store-full',
      witness: 'witness.test',
      origin: log.origin,
      budget: BUDGET,
      lastSeq: stored,
      time: undefined,
      bytes: undefined,
    })
    assert.ok((alarms[0]!['bytes'] as number) > BUDGET - 40 * 1024 && (alarms[0]!['bytes'] as number) <= BUDGET)
  })

  it('keeps every report and its numbering across a restart, and stays full', async () => {
    await w.close()
    w = await start()
    assert.deepEqual((await served()).map((r) => r.seq), Array.from({ length: stored }, (_, i) => i + 1))
    assert.equal((await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope: big })).status, 507)
  })

  it('prune refuses while the witness runs, and refuses an unknown origin or a seq past the last', async () => {
    await assert.rejects(pruneWitnessReports(dir, log.origin, 1), (e: unknown) => isWitnessError(e, 'WIT_DATA_LOCKED'))
    await w.close()
    await assert.rejects(pruneWitnessReports(dir, 'palisade/other', 1), (e: unknown) => isWitnessError(e, 'WIT_LOG_UNKNOWN'))
    await assert.rejects(pruneWitnessReports(dir, log.origin, stored + 1), (e: unknown) => isWitnessError(e, 'WIT_CONFIG'))
    await assert.rejects(pruneWitnessReports(dir, log.origin, 0), (e: unknown) => isWitnessError(e, 'WIT_CONFIG'))
    w = await start()
    assert.equal((await served()).length, stored, 'a refused prune changes nothing')
  })

  it('prune archives the reports through a seq, frees their space, and numbering goes on', async () => {
    await w.close()
    const before = (await stat(reportsPath(dataPaths(dir), log.origin))).size
    const r = await pruneWitnessReports(dir, log.origin, 2)
    assert.equal(r.archived, 2)
    assert.equal(r.kept, stored - 2)
    assert.equal(r.nextSeq, stored + 1)
    assert.ok(r.freedBytes > 30_000, `freed ${r.freedBytes}`)
    assert.equal((await stat(reportsPath(dataPaths(dir), log.origin))).size, before - r.freedBytes)
    assert.ok(r.archive !== undefined && r.archive.startsWith(join(dir, 'reports-archive')), r.archive)
    const archived = (await readFile(r.archive, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Served & { source: string })
    assert.deepEqual(archived.map((a) => a.seq), [1, 2])
    assert.equal(archived[0]!.envelope, first)
    assert.equal(archived[0]!.source, '127.0.0.1')

    w = await start()
    assert.deepEqual((await served()).map((x) => x.seq), Array.from({ length: stored - 2 }, (_, i) => i + 3))
    const next = await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope: big })
    assert.equal(next.status, 202, next.body)
    assert.deepEqual(JSON.parse(next.body), { seq: stored + 1 })
  })

  it('prune of every report keeps the numbering across restarts', async () => {
    await w.close()
    const r = await pruneWitnessReports(dir, log.origin, stored + 1)
    assert.deepEqual([r.archived, r.kept, r.nextSeq], [stored - 1, 0, stored + 2])
    assert.equal((await pruneWitnessReports(dir, log.origin, stored + 1)).archived, 0, 'pruning again is a no-op')
    assert.equal((await readdir(join(dir, 'reports-archive'))).length, 2)
    w = await start()
    assert.deepEqual(await served(), [])
    assert.deepEqual(JSON.parse((await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope: first })).body), { seq: stored + 2 })
    await w.close()
    w = await start()
    assert.deepEqual((await served()).map((x) => [x.seq, x.envelope]), [[stored + 2, first]])
    assert.deepEqual(JSON.parse((await postReport(w.url, { origin: log.origin, deviceId: 'd1', envelope: first })).body), { seq: stored + 3 })
  })

  it('serves, counts and prunes a rotated file left by an earlier version', async () => {
    await w.close()
    const other = await TestLog.create('palisade/legacy')
    await addWitnessedLog(dir, other.vkey)
    const path = reportsPath(dataPaths(dir), other.origin)
    const line = (seq: number) => JSON.stringify({ seq, receivedAt: new Date(0).toISOString(), origin: other.origin, deviceId: 'd1', envelope: first, source: '10.0.0.7' }) + '\n'
    await writeFile(`${path}.1`, line(1) + line(2))
    await writeFile(path, line(3))
    w = await start()
    const res = await fetch(`${w.url}/palisade/v1/reports?origin=${encodeURIComponent(other.origin)}`)
    assert.deepEqual(((await res.json()) as { reports: Served[] }).reports.map((x) => x.seq), [1, 2, 3])
    assert.deepEqual(JSON.parse((await postReport(w.url, { origin: other.origin, deviceId: 'd1', envelope: first })).body), { seq: 4 })
    await w.close()
    const r = await pruneWitnessReports(dir, other.origin, 2)
    assert.deepEqual([r.archived, r.kept, r.nextSeq], [2, 2, 5])
    await assert.rejects(stat(`${path}.1`), 'the old file is folded into the archive')
    w = await start()
    const after = await fetch(`${w.url}/palisade/v1/reports?origin=${encodeURIComponent(other.origin)}`)
    assert.deepEqual(((await after.json()) as { reports: Served[] }).reports.map((x) => x.seq), [3, 4])
  })
})
