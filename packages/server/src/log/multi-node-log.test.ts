/**
 * The log on several server nodes: two OrgLog instances, each on its own
 * connection pool to one real PostgreSQL database (as two nodes are),
 * appending and publishing for one org at the same time. Afterwards the
 * log is audited from the database and the witness: dense indexes, one
 * entry per append, every published checkpoint cosigned and consistent
 * with the next, and the witness never offered a fork.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkpoint, cosignature, merkle, note, utf8 } from '@palisade/protocol'
import { sql, type Kysely } from 'kysely'
import { buildApp } from '../app.js'
import { openDatabase } from '../db/open.js'
import type { Database } from '../db/schema.js'
import { withTransaction } from '../db/transaction.js'
import { captureLogger, testConfig } from '../fixtures.test.helper.js'
import { setupOrg, type TestOrg } from '../setup/test-org.test.helper.js'
import { startWitnesses, type TestWitness } from '../witness-client/test-witness.test.helper.js'
import { lockKey } from './org-lock.js'
import { OrgLog } from './org-log.js'
import { freshPostgres, POSTGRES_SKIP } from '../db/postgres.test.helper.js'

const entry = (id: string) => ({ kind: 'command' as const, refId: id, data: utf8(`{"command":"${id}"}`) })

describe('the log on two nodes sharing PostgreSQL', { skip: POSTGRES_SKIP }, () => {
  let dbA: Kysely<Database>
  let dbB: Kysely<Database>
  let witnesses: TestWitness[]
  let org: TestOrg
  const dir = mkdtempSync(join(tmpdir(), 'palisade-multi-node-'))
  let closeApp: () => Promise<void> = async () => {}
  let drop: () => Promise<void> = async () => {}

  before(async () => {
    const pg = await freshPostgres('log')
    const url = pg.url
    drop = pg.drop
    dbA = await openDatabase(url)
    dbB = await openDatabase(url, { migrate: false })
    witnesses = await startWitnesses(2, 'mn-w')
    const app = buildApp({ config: testConfig(dir, { PALISADE_DATABASE_URL: url }), db: dbA, logger: captureLogger().logger })
    closeApp = () => app.close()
    org = await setupOrg(app, dbA, { org: 'multi', witnesses })
  })
  after(async () => {
    await closeApp() // closes dbA
    await dbB.destroy()
    await Promise.all(witnesses.map((w) => w.close()))
    await drop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('derives stable, distinct 64-bit lock keys per purpose and org', () => {
    assert.equal(lockKey('append', 'acme'), lockKey('append', 'acme'))
    assert.notEqual(lockKey('append', 'acme'), lockKey('publish', 'acme'))
    assert.notEqual(lockKey('append', 'acme'), lockKey('append', 'acme2'))
    assert.ok(BigInt(lockKey('publish', 'x')) >= -(2n ** 63n) && BigInt(lockKey('publish', 'x')) < 2n ** 63n)
  })

  it('makes an append on node B wait for node A’s append transaction (advisory lock taken before the head is read)', async () => {
    const logA = new OrgLog({ db: dbA })
    const logB = new OrgLog({ db: dbB })
    let release: () => void = () => {}
    const held = new Promise<void>((r) => (release = r))
    let aIndex = -1
    const aDone = withTransaction(dbA, async (trx) => {
      aIndex = (await logA.append(org.org, [entry('lock-a')], trx))[0]!
      await held
    })
    // Wait until A holds the lock, then start B and see it queue behind A in pg_locks.
    const waiting = async (granted: boolean): Promise<number> => {
      const r = await sql<{ n: number }>`select count(*)::int as n from pg_locks where locktype = 'advisory' and granted = ${granted}`.execute(dbB)
      return r.rows[0]!.n
    }
    while ((await waiting(true)) === 0) await new Promise((r) => setImmediate(r))
    const bDone = logB.append(org.org, [entry('lock-b')])
    while ((await waiting(false)) === 0) await new Promise((r) => setImmediate(r))
    release()
    await aDone
    const [bIndex] = await bDone
    assert.equal(bIndex, aIndex + 1)
  })

  it('appends and publishes from both nodes at once: dense indexes, each entry once, checkpoints cosigned and consistent, no fork', async () => {
    const logA = new OrgLog({ db: dbA })
    const logB = new OrgLog({ db: dbB })
    const startSize = await logA.size(org.org)
    const ids = Array.from({ length: 40 }, (_, i) => `par-${i}`)
    const results = await Promise.all(
      ids.map(async (id, i) => {
        const log = i % 2 === 0 ? logA : logB
        const [index] = await log.append(org.org, [entry(id)])
        const published = await log.publish(org.org)
        return { id, index: index!, published }
      }),
    )

    // Dense, unique indexes, one per append.
    const rows = await dbA.selectFrom('log_entries').select(['idx', 'ref_id']).where('org_id', '=', org.org).orderBy('idx').execute()
    assert.deepEqual(rows.map((r) => r.idx), rows.map((_, i) => i), 'no gap, no duplicate')
    assert.equal(rows.length, startSize + ids.length)
    assert.equal(new Set(rows.map((r) => r.ref_id)).size, rows.length, 'each entry once')
    assert.deepEqual(results.map((r) => r.index).sort((a, b) => a - b), ids.map((_, i) => startSize + i))

    // Every stored checkpoint verifies as a device would, and each extends the previous one.
    const policy = {
      origin: org.origin,
      logVerifier: note.verifierFromString(org.logKey),
      witnesses: org.witnesses.map((w) => cosignature.witnessVerifierFromString(w.key)),
      quorum: org.quorum,
    }
    const stored = await logA.checkpoints(org.org)
    assert.ok(stored.length >= 2)
    assert.equal(new Set(stored.map((c) => c.size)).size, stored.length, 'one checkpoint per size')
    const opened = stored.map((c) => checkpoint.openCosignedCheckpoint(c.note, policy).checkpoint)
    assert.equal(opened.at(-1)!.size, startSize + ids.length)
    for (let i = 1; i < opened.length; i++) {
      const [prev, cur] = [opened[i - 1]!, opened[i]!]
      const proof = await logB.consistencyProof(org.org, prev.size, cur.size)
      assert.ok(merkle.verifyConsistency(prev.size, cur.size, proof, prev.rootHash, cur.rootHash), `${prev.size} → ${cur.size} consistent`)
    }
    // Each caller's checkpoint covers its own entry (inclusion proven from the other node's cache).
    for (const r of results) {
      const cp = checkpoint.openCosignedCheckpoint(r.published.note, policy).checkpoint
      assert.ok(cp.size > r.index)
      const proof = await (r.index % 2 === 0 ? logB : logA).inclusionProof(org.org, r.index, cp.size)
      assert.ok(merkle.verifyInclusion(merkle.leafHash(utf8(`{"command":"${r.id}"}`)), r.index, cp.size, proof, cp.rootHash))
    }
    // The witnesses ended at the final size, having refused nothing as a fork.
    for (const w of witnesses) assert.equal(w.sizeOf(org.origin), startSize + ids.length)
  })
})
