/**
 * Two nodes (or worker processes) close the last open deliveries of one
 * command at the same time: exactly one of them must mark it done. Each
 * batch checks "is any delivery still open?" in its own transaction, so
 * without the command-row lock of batched-writes.ts doneIfClosed both
 * checks can run before either commits, and the command would stay
 * `delivering` with every result stored (seen in the two-worker e2e test).
 * Forced here with two real transactions on two connections. PostgreSQL
 * only: SQLite has one writer at a time, so the checks cannot interleave.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Kysely, Transaction } from 'kysely'
import { openDatabase } from '../db/open.js'
import { freshPostgres, POSTGRES_SKIP } from '../db/postgres.test.helper.js'
import type { Database } from '../db/schema.js'
import { completeDelivery, insertResult } from './batched-writes.js'
import type { BatchScope } from './group-commit.js'

/** A BatchScope that runs its collected work, phase by phase, when told to (GroupCommit does this before COMMIT). */
function manualScope(): BatchScope & { flush(trx: Transaction<Database>): Promise<void> } {
  const byKey = new Map<string, { phase: number; values: unknown[]; flush: (trx: Transaction<Database>, values: readonly unknown[]) => Promise<void> }>()
  return {
    collect(key, phase, value, flush) {
      let p = byKey.get(key)
      if (p === undefined) byKey.set(key, (p = { phase, values: [], flush: flush as never }))
      p.values.push(value)
    },
    async flush(trx) {
      for (const p of [...byKey.values()].sort((a, b) => a.phase - b.phase)) await p.flush(trx, p.values)
    },
  }
}

/** Runs `work` in a transaction that waits for `release` before it commits. */
function heldTransaction(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<void>, release: Promise<void>): Promise<void> {
  return db.transaction().execute(async (trx) => {
    await work(trx)
    await release
  })
}

/** Two connections to a fresh database with one org, devices d1 and d2, and command acme/c1 sent to both. */
async function twoNodes(name: string): Promise<{ a: Kysely<Database>; b: Kysely<Database> }> {
  const fresh = await freshPostgres(name)
  const a = await openDatabase(fresh.url)
  const b = await openDatabase(fresh.url, { migrate: false })
  after(async () => {
    await a.destroy()
    await b.destroy()
    await fresh.drop()
  })
  const now = Date.now()
  await a.insertInto('orgs').values({ id: 'acme', name: 'Acme', created_at: now }).execute()
  for (const id of ['d1', 'd2']) {
    await a.insertInto('devices').values({ id, org_id: 'acme', public_key: `key-${id}`, hostname: id, enrolled_at: now } as never).execute()
  }
  await a
    .insertInto('commands')
    .values({ id: 'acme/c1', org_id: 'acme', payload: new Uint8Array([1]), status: 'delivering', created_at: now, created_by: 'alice', not_after: now + 60_000, log_index: 0 } as never)
    .execute()
  for (const id of ['d1', 'd2']) {
    await a.insertInto('deliveries').values({ command_id: 'acme/c1', device_id: id, status: 'sent', updated_at: now, attempts: 1, target_proof: null }).execute()
  }
  return { a, b }
}

describe('a command answered on two nodes at once', { skip: POSTGRES_SKIP }, () => {
  it('is marked done by whichever batch commits last', async () => {
    const { a, b } = await twoNodes('done_race')

    let releaseA!: () => void
    const aMayCommit = new Promise<void>((r) => (releaseA = r))
    let aChecked!: () => void
    const aHasChecked = new Promise<void>((r) => (aChecked = r))
    // Node A answers d1 and checks, then holds its transaction open.
    const nodeA = heldTransaction(
      a,
      async (trx) => {
        const scope = manualScope()
        completeDelivery(scope, 'acme/c1', 'd1')
        await scope.flush(trx)
        aChecked()
      },
      aMayCommit,
    )
    await aHasChecked
    // Node B answers d2 and checks while A has not committed; A commits a moment later.
    const nodeB = heldTransaction(
      b,
      async (trx) => {
        const scope = manualScope()
        completeDelivery(scope, 'acme/c1', 'd2')
        await scope.flush(trx)
      },
      Promise.resolve(),
    )
    setTimeout(releaseA, 300)
    await Promise.all([nodeA, nodeB])

    const row = await a.selectFrom('commands').select('status').where('id', '=', 'acme/c1').executeTakeFirstOrThrow()
    assert.equal(row.status, 'done')
  })

  // Storing a result checks its foreign key to the command, which takes a
  // KEY SHARE lock on the command's row until commit. The done check's
  // lock must not conflict with that: as FOR UPDATE it did, so two batches
  // that had each stored a result waited for each other at their checks,
  // and PostgreSQL aborted one as a deadlock after a second (the 50k
  // fan-out on four workers stalled on these, every batch retried and
  // agents cut off with 1011).
  it('does not deadlock when both batches stored results first', async () => {
    const { a, b } = await twoNodes('done_deadlock')
    const now = Date.now()
    const result = (device: string) => ({ command_id: 'acme/c1', device_id: device, envelope: '{}', exit_code: 0, status: 'ok', received_at: now })
    let stored = 0
    let bothStored!: () => void
    const bothHaveStored = new Promise<void>((r) => (bothStored = r))
    const answer = (db: Kysely<Database>, device: string) =>
      db.transaction().execute(async (trx) => {
        const rows = manualScope()
        insertResult(rows, result(device))
        await rows.flush(trx)
        if (++stored === 2) bothStored()
        await bothHaveStored
        const check = manualScope()
        completeDelivery(check, 'acme/c1', device)
        await check.flush(trx)
      })
    const outcomes = await Promise.allSettled([answer(a, 'd1'), answer(b, 'd2')])
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'fulfilled' ? 'committed' : String((o.reason as { code?: string }).code ?? o.reason))),
      ['committed', 'committed'],
    )
    const row = await a.selectFrom('commands').select('status').where('id', '=', 'acme/c1').executeTakeFirstOrThrow()
    assert.equal(row.status, 'done')
  })
})
