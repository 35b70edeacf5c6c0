import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import { openDatabase } from './open.js'
import type { Database } from './schema.js'
import { testDatabase, type TestDatabase } from './test-database.test.helper.js'
import { isRetryableDbError, withTransaction } from './transaction.js'

const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })

describe('withTransaction', () => {
  let dir = ''
  let db: Kysely<Database>
  let made: TestDatabase
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-trx-'))
    made = await testDatabase('trx')
    db = await openDatabase(made.url ?? `sqlite:${join(dir, 'p.db')}`)
  })
  after(async () => {
    await db.destroy()
    await made.drop()
    rmSync(dir, { recursive: true, force: true })
  })
  const orgIds = async () => (await db.selectFrom('orgs').select('id').orderBy('id').execute()).map((r) => r.id)

  it('commits when the work resolves, and returns its value', async () => {
    const out = await withTransaction(db, async (trx) => {
      await trx.insertInto('orgs').values({ id: 'a', name: 'A', created_at: 1 }).execute()
      return 'done'
    })
    assert.equal(out, 'done')
    assert.deepEqual(await orgIds(), ['a'])
  })

  it('rolls everything back when the work throws', async () => {
    await assert.rejects(
      withTransaction(db, async (trx) => {
        await trx.insertInto('orgs').values({ id: 'b', name: 'B', created_at: 1 }).execute()
        throw new Error('changed my mind')
      }),
      /changed my mind/,
    )
    assert.deepEqual(await orgIds(), ['a'])
  })

  it('retries a retryable failure, and the retry sees none of the failed attempt', async () => {
    let attempts = 0
    await withTransaction(db, async (trx) => {
      attempts++
      await trx.insertInto('orgs').values({ id: 'c', name: 'C', created_at: 1 }).execute()
      if (attempts === 1) throw busy()
    })
    assert.equal(attempts, 2)
    assert.deepEqual(await orgIds(), ['a', 'c'])
  })

  it('gives up after the allowed retries, and never retries other errors', async () => {
    let attempts = 0
    await assert.rejects(withTransaction(db, async () => {
      attempts++
      throw busy()
    }, { retries: 2 }), { code: 'SQLITE_BUSY' })
    assert.equal(attempts, 3)
    attempts = 0
    await assert.rejects(withTransaction(db, async () => {
      attempts++
      throw Object.assign(new Error('dup'), { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' })
    }))
    assert.equal(attempts, 1)
  })
})

describe('isRetryableDbError', () => {
  it('recognises serialization failures, deadlocks and busy locks only', () => {
    for (const code of ['40001', '40P01', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']) {
      assert.ok(isRetryableDbError({ code }), code)
    }
    for (const e of [{ code: '23505' }, { code: 'SQLITE_CONSTRAINT' }, new Error('x'), null, undefined, 'SQLITE_BUSY']) {
      assert.ok(!isRetryableDbError(e), String(e))
    }
  })
})
