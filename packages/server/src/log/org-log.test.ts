import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { checkpoint, cosignature, merkle, note, utf8 } from '@palisade/protocol'
import { buildApp } from '../app.js'
import { openDatabase } from '../db/open.js'
import { isServerError } from '../errors.js'
import { captureLogger, createTestApp, type TestApp } from '../fixtures.test.helper.js'
import { setupOrg, type TestOrg } from '../setup/test-org.test.helper.js'
import { startWitnesses, type TestWitness } from '../witness-client/test-witness.test.helper.js'
import { OrgLog } from './org-log.js'
import { WitnessQuorumError } from './witness-quorum-error.js'

let shared: TestApp
let witnesses: TestWitness[]
before(async () => {
  shared = await createTestApp()
  witnesses = await startWitnesses(2, 'log-w')
})
after(async () => {
  await shared.dispose()
  await Promise.all(witnesses.map((w) => w.close()))
})

function policy(o: TestOrg) {
  return {
    origin: o.origin,
    logVerifier: note.verifierFromString(o.logKey),
    witnesses: o.witnesses.map((w) => cosignature.witnessVerifierFromString(w.key)),
    quorum: o.quorum,
  }
}

const entry = (i: number | string) => ({ kind: 'command' as const, refId: `cmd-${i}`, data: utf8(`{"command":"${i}"}`) })

describe('OrgLog', () => {
  let org: TestOrg
  before(async () => {
    org = await setupOrg(shared.app, shared.db, { org: 'logorg', witnesses })
  })

  it('assigns consecutive indexes and coalesces concurrent publishes: fewer checkpoints than callers, every entry covered', async () => {
    const log = new OrgLog({ db: shared.db })
    const before = witnesses.map((w) => w.requests)
    const results = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const [index] = await log.append(org.org, [entry(i)])
        const published = await log.publish(org.org)
        return { index: index!, published }
      }),
    )
    assert.deepEqual(results.map((r) => r.index).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    const sizes = new Set(results.map((r) => r.published.size))
    assert.ok(sizes.size < 10, `${sizes.size} checkpoints for 10 publishes`)
    for (const w of witnesses) assert.ok(w.requests - before[witnesses.indexOf(w)]! < 10)
    for (const { index, published } of results) {
      assert.ok(published.size > index, 'each caller gets a checkpoint that covers its entry')
      const { checkpoint: cp } = checkpoint.openCosignedCheckpoint(published.note, policy(org))
      const proof = await log.inclusionProof(org.org, index, cp.size)
      const [stored] = await log.entries(org.org, index, index + 1)
      assert.ok(merkle.verifyInclusion(merkle.leafHash(stored!.data), index, cp.size, proof, cp.rootHash))
    }
    assert.equal((await log.latest(org.org))?.size, 11)
    const listed = await log.checkpoints(org.org)
    assert.deepEqual(listed.map((c) => c.size), [1, ...[...sizes].sort((a, b) => a - b)])
  })

  it('returns the latest checkpoint without asking witnesses when nothing was appended', async () => {
    const log = new OrgLog({ db: shared.db })
    const before = witnesses[0]!.requests
    const latest = await log.latest(org.org)
    assert.deepEqual(await log.publish(org.org), { size: latest!.size, note: latest!.note })
    assert.equal(witnesses[0]!.requests, before)
  })

  it('keeps the log and its proofs across a restart (a new app on the same database file)', async () => {
    const db = await openDatabase(shared.config.databaseUrl)
    const app = buildApp({ config: shared.config, db, logger: captureLogger().logger })
    try {
      const get = async (url: string) => {
        const res = await app.inject({ method: 'GET', url: `/v1/orgs/logorg${url}`, headers: org.auth })
        assert.equal(res.statusCode, 200, res.body)
        return res.json()
      }
      const { note: latestNote } = await get('/log/checkpoint')
      const latest = checkpoint.openCosignedCheckpoint(latestNote, policy(org)).checkpoint
      const { entries } = await get(`/log/entries?start=0&end=${latest.size}`)
      assert.equal(entries.length, latest.size)
      const leaves = (entries as { data: string }[]).map((e) => merkle.leafHash(Buffer.from(e.data, 'base64')))
      assert.deepEqual(merkle.rootFromLeafHashes(leaves), latest.rootHash)
      for (const i of [0, 5, latest.size - 1]) {
        const { proof } = await get(`/log/proof/inclusion?index=${i}&size=${latest.size}`)
        assert.ok(merkle.verifyInclusion(leaves[i]!, i, latest.size, proof.map((p: string) => Buffer.from(p, 'base64')), latest.rootHash))
      }
      for (const { size, note: n } of (await get('/log/checkpoints')).checkpoints as { size: number; note: string }[]) {
        const old = checkpoint.openCosignedCheckpoint(n, policy(org)).checkpoint
        const { proof } = await get(`/log/proof/consistency?from=${size}&to=${latest.size}`)
        const hashes = proof.map((p: string) => Buffer.from(p, 'base64'))
        assert.ok(merkle.verifyConsistency(size, latest.size, hashes, old.rootHash, latest.rootHash), `consistency from ${size}`)
      }
      // And the restarted log appends after what is there.
      const log = new OrgLog({ db })
      assert.deepEqual(await log.append(org.org, [entry('after-restart')]), [latest.size])
      assert.equal((await log.publish(org.org)).size, latest.size + 1)
    } finally {
      await app.close()
    }
  })

  it('throws WitnessQuorumError and publishes nothing when a witness is down; the next publish proves consistency from its last size', async () => {
    const log = new OrgLog({ db: shared.db })
    const size = await log.size(org.org)
    const checkpointsBefore = (await log.checkpoints(org.org)).length
    witnesses[1]!.mode = 'down'
    try {
      await log.append(org.org, [entry('while-down')])
      await assert.rejects(log.publish(org.org), (e) => {
        assert.ok(e instanceof WitnessQuorumError)
        assert.ok(isServerError(e, 'SRV_UNAVAILABLE'))
        assert.deepEqual([e.size, e.quorum, e.cosigned], [size + 1, 2, 1])
        assert.deepEqual(e.failures.map((f) => [f.witness, f.url]), [[witnesses[1]!.name, witnesses[1]!.url]])
        return true
      })
    } finally {
      witnesses[1]!.mode = 'honest'
    }
    assert.equal((await log.checkpoints(org.org)).length, checkpointsBefore)
    const row = await shared.db.selectFrom('org_witnesses').selectAll().where('org_id', '=', org.org).where('key', '=', witnesses[1]!.key).executeTakeFirstOrThrow()
    assert.equal(row.last_size, size)
    assert.match(row.last_error ?? '', /^connection failed/)

    const published = await log.publish(org.org)
    assert.equal(published.size, size + 1)
    assert.equal(witnesses[1]!.oldSizes.at(-1), size, 'offered a proof from the size it cosigned')
    assert.equal(witnesses[0]!.oldSizes.at(-1), size + 1, 'w0 already had this size')
    const after = await shared.db.selectFrom('org_witnesses').select(['last_size', 'last_error']).where('org_id', '=', org.org).execute()
    assert.deepEqual(after.map((r) => [r.last_size, r.last_error]), [[size + 1, null], [size + 1, null]])
  })

  it('retries once from the size a witness reports in a 409, with the matching consistency proof', async () => {
    const log = new OrgLog({ db: shared.db })
    // As if this server had lost track of what w0 holds.
    await shared.db.updateTable('org_witnesses').set({ last_size: null }).where('org_id', '=', org.org).where('key', '=', witnesses[0]!.key).execute()
    const held = witnesses[0]!.sizeOf(org.origin)!
    await log.append(org.org, [entry('after-409')])
    const published = await log.publish(org.org)
    assert.equal(published.size, held + 1)
    assert.deepEqual(witnesses[0]!.oldSizes.slice(-2), [0, held])
  })

  it('refuses proofs outside the log with SRV_VALIDATION', async () => {
    const log = new OrgLog({ db: shared.db })
    const size = await log.size(org.org)
    await assert.rejects(log.inclusionProof(org.org, size, size), { code: 'SRV_VALIDATION' })
    await assert.rejects(log.inclusionProof(org.org, 0, size + 1), { code: 'SRV_VALIDATION' })
    await assert.rejects(log.consistencyProof(org.org, 0, size), { code: 'SRV_VALIDATION' })
    await assert.rejects(log.consistencyProof(org.org, 2, 1), { code: 'SRV_VALIDATION' })
    await assert.rejects(log.entries(org.org, 0, 1001), { code: 'SRV_VALIDATION' })
    assert.deepEqual(await log.consistencyProof(org.org, size, size), [])
    assert.deepEqual(await log.entries(org.org, size + 5, size + 10), [])
  })

  it('refuses to append to an org that has no log', async () => {
    const log = new OrgLog({ db: shared.db })
    await assert.rejects(log.append('nolog', [entry(1)]), { code: 'SRV_NOT_FOUND' })
  })

  it('rolls an append back with the caller’s transaction: the index is reused, the cache never saw it', async () => {
    const log = new OrgLog({ db: shared.db })
    const size = await log.size(org.org)
    await assert.rejects(
      shared.db.transaction().execute(async (trx) => {
        assert.deepEqual(await log.append(org.org, [entry('rolled-back')], trx), [size])
        throw new Error('abort')
      }),
      /abort/,
    )
    assert.equal(await log.size(org.org), size)
    assert.deepEqual(await log.append(org.org, [entry('kept'), entry('kept-2')]), [size, size + 1])
    const [e] = await log.entries(org.org, size, size + 1)
    assert.equal(e?.refId, 'cmd-kept')
    // Witnesses check the consistency proof: a stale leaf in memory would make them refuse.
    const published = await log.publish(org.org)
    const cp = checkpoint.openCosignedCheckpoint(published.note, policy(org)).checkpoint
    const all = await log.entries(org.org, 0, cp.size)
    assert.deepEqual(cp.rootHash, merkle.rootHash(all.map((x) => x.data)))
  })
})
