// A witness that pins an org's root (add-log --root-fingerprint): it cosigns
// only checkpoints whose root line names the newest root it verified, and
// learns newer roots from admin-signed chains (POST /add-root), over real
// HTTP with a real data directory, across a restart.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dsse, formatRootLine, rootFingerprint } from '@palisade/protocol'
import { addWitnessedLog, startWitness, type RunningWitness } from './index.js'
import { addCheckpoint, signTestRoot, TestLog, testKey } from './test-log.test.helper.js'

const admins = [0, 1, 2, 3].map((i) => testKey(`root pinning admin ${i}`, `admin${i}`))
const fp = (envelope: string) => rootFingerprint(dsse.parseEnvelope(envelope).payload)
const line = (version: number, envelope: string) => formatRootLine({ version, fingerprint: fp(envelope) })

describe('witness with a pinned org root', () => {
  let dir: string
  let w: RunningWitness
  let log: TestLog
  let plain: TestLog
  let v1: string
  let v2: string
  const start = () => startWitness({ listen: '127.0.0.1:0', dataDir: dir, name: 'witness.test', logger: false })
  const addRoot = async (body: unknown) => {
    const res = await fetch(`${w.url}/add-root`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) })
    return { status: res.status, body: await res.text() }
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-witness-root-'))
    log = (await TestLog.create('example.com/acme')).grow(12)
    plain = (await TestLog.create('example.com/plain')).grow(4)
    v1 = await signTestRoot(log, 1, admins.slice(0, 3), admins.slice(0, 2))
    // v2 removes admin0: signed by two of v1's keys and two of its own
    v2 = await signTestRoot(log, 2, admins.slice(1, 4), admins.slice(1, 3))
    assert.deepEqual(await addWitnessedLog(dir, log.vkey, fp(v1)), { origin: log.origin, added: true, pinned: true })
    await addWitnessedLog(dir, plain.vkey)
    w = await start()
  })
  after(async () => {
    await w.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('cosigns a checkpoint naming the pinned v1, and refuses one without a root line, or with two (400 WIT_ROOT_LINE)', async () => {
    for (const extensions of [[], [line(1, v1), line(1, v1)], ['palisade-root 1 nothex']]) {
      const r = await addCheckpoint(w.url, await log.request(0, 2, { extensions }))
      assert.equal(r.status, 400, r.body)
      assert.match(r.body, /^WIT_ROOT_LINE: /)
    }
    const r = await addCheckpoint(w.url, await log.request(0, 2, { extensions: ['other 1', line(1, v1)] }))
    assert.equal(r.status, 200, r.body)
  })

  it('refuses a root it was not shown (409 WIT_ROOT_UNKNOWN), also v1 with another fingerprint', async () => {
    let r = await addCheckpoint(w.url, await log.request(2, 4, { extensions: [line(2, v2)] }))
    assert.equal(r.status, 409)
    assert.match(r.body, /^WIT_ROOT_UNKNOWN: the checkpoint names root v2; this witness verified only v1/)
    r = await addCheckpoint(w.url, await log.request(2, 4, { extensions: [formatRootLine({ version: 1, fingerprint: 'ab'.repeat(32) })] }))
    assert.equal(r.status, 409)
    assert.match(r.body, /^WIT_ROOT_UNKNOWN: /)
  })

  it('refuses chains that do not verify from the pin (422), bodies that are not chains (400), unknown (404) and unpinned (409) logs', async () => {
    const forged = await signTestRoot(log, 2, admins.slice(1, 4), [admins[3]!, admins[2]!]) // only one of v1's keys
    for (const roots of [[v2], [v1, forged], [forged]]) {
      const r = await addRoot({ origin: log.origin, roots })
      assert.equal(r.status, 422, r.body)
      assert.match(r.body, /^WIT_ROOT_INVALID: /)
    }
    for (const body of ['not json', { origin: log.origin }, { origin: log.origin, roots: [] }, { origin: log.origin, roots: [1] }, []]) {
      assert.equal((await addRoot(body)).status, 400)
    }
    assert.match((await addRoot({ origin: 'example.com/none', roots: [v1] })).body, /^WIT_LOG_UNKNOWN: /)
    const unpinned = await addRoot({ origin: plain.origin, roots: [v1] })
    assert.equal(unpinned.status, 409)
    assert.match(unpinned.body, /^WIT_ROOT_NOT_PINNED: /)
  })

  it('learns v2 from the admin-signed chain, then refuses checkpoints naming v1 (409 WIT_ROOT_STALE) and cosigns v2', async () => {
    const r = await addRoot({ origin: log.origin, roots: [v1, v2] })
    assert.equal(r.status, 200, r.body)
    assert.deepEqual(JSON.parse(r.body), { origin: log.origin, version: 2, fingerprint: fp(v2), updated: true })
    const stale = await addCheckpoint(w.url, await log.request(2, 4, { extensions: [line(1, v1)] }))
    assert.equal(stale.status, 409)
    assert.equal(stale.type, 'text/plain; charset=utf-8')
    assert.match(stale.body, /^WIT_ROOT_STALE: the checkpoint names root v1; this witness verified v2: a root update is being withheld\n$/)
    const ok = await addCheckpoint(w.url, await log.request(2, 4, { extensions: [line(2, v2)] }))
    assert.equal(ok.status, 200, ok.body)
    // an older chain changes nothing: never back
    assert.deepEqual(JSON.parse((await addRoot({ origin: log.origin, roots: [v1] })).body), { origin: log.origin, version: 2, fingerprint: fp(v2), updated: false })
    const refusals = (await readFile(join(dir, 'refusals.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { code: string })
    assert.ok(refusals.some((x) => x.code === 'WIT_ROOT_STALE'))
  })

  it('keeps v2 across a restart, and a plain log still needs no root line', async () => {
    await w.close()
    w = await start()
    const stale = await addCheckpoint(w.url, await log.request(4, 6, { extensions: [line(1, v1)] }))
    assert.equal(stale.status, 409)
    assert.match(stale.body, /^WIT_ROOT_STALE: /)
    assert.equal((await addCheckpoint(w.url, await log.request(4, 6, { extensions: [line(2, v2)] }))).status, 200)
    assert.equal((await addCheckpoint(w.url, await plain.request(0, 4))).status, 200)
  })
})
