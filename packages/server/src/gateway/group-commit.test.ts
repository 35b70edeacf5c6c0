import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Kysely, Transaction } from 'kysely'
import { openDatabase } from '../db/open.js'
import type { Database } from '../db/schema.js'
import { testDatabase, type TestDatabase } from '../db/test-database.test.helper.js'
import { GroupCommit, GroupCommitClosedError } from './group-commit.js'

describe('GroupCommit', () => {
  let dir = ''
  let db: Kysely<Database>
  let made: TestDatabase
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-gc-'))
    made = await testDatabase('gc')
    db = await openDatabase(made.url ?? `sqlite:${join(dir, 'p.db')}`)
  })
  after(async () => {
    await db.destroy()
    await made.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('commits concurrent work together and resolves each with its own value', async () => {
    const commits = new GroupCommit(db)
    const ids = Array.from({ length: 50 }, (_, i) => `o${i}`)
    const out = await Promise.all(ids.map((id) => commits.run(async (trx) => {
      await trx.insertInto('orgs').values({ id, name: id, created_at: 1 }).execute()
      return id.toUpperCase()
    })))
    assert.deepEqual(out, ids.map((id) => id.toUpperCase()))
    assert.equal((await db.selectFrom('orgs').select('id').execute()).length, 50)
    await commits.close()
  })

  it('fails only the item that fails, when a batch goes wrong', async () => {
    const commits = new GroupCommit(db)
    const good = commits.run((trx) => trx.insertInto('orgs').values({ id: 'good', name: 'g', created_at: 1 }).execute())
    const bad = commits.run((trx) => trx.insertInto('orgs').values({ id: 'good', name: 'dup', created_at: 1 }).execute())
    await good
    await assert.rejects(bad)
    const row = await db.selectFrom('orgs').select('name').where('id', '=', 'good').executeTakeFirstOrThrow()
    assert.equal(row.name, 'g')
    await commits.close()
  })

  it('commits queued work on close and refuses work afterwards', async () => {
    const commits = new GroupCommit(db, { delayMs: 1000 })
    const queued = commits.run((trx) => trx.insertInto('orgs').values({ id: 'late', name: 'l', created_at: 1 }).execute())
    await commits.close()
    await queued
    await assert.rejects(commits.run(async () => 1), GroupCommitClosedError)
  })

  it('runs each collector once per batch with every value collected, lower phases first, inside the batch transaction', async () => {
    const commits = new GroupCommit(db, { delayMs: 20 })
    const calls: string[] = []
    const insertOrgs = async (trx: Transaction<Database>, ids: readonly string[]) => {
      calls.push(`orgs:${ids.join(',')}`)
      await trx.insertInto('orgs').values(ids.map((id) => ({ id, name: id, created_at: 1 }))).execute()
    }
    const countOrgs = async (trx: Transaction<Database>) => {
      const n = await trx.selectFrom('orgs').select('id').where('id', 'like', 'batch-%').execute()
      calls.push(`count:${n.length}`)
    }
    await Promise.all(
      ['batch-1', 'batch-2', 'batch-3'].map((id) =>
        commits.run(async (_trx, batch) => {
          batch.collect('count', 1, null, countOrgs) // registered first, runs after phase 0
          batch.collect('orgs', 0, id, insertOrgs)
        }),
      ),
    )
    assert.deepEqual(calls, ['orgs:batch-1,batch-2,batch-3', 'count:3'])
    await commits.close()
  })

  it('replays collected work item by item when the batch fails, so only the failing item fails', async () => {
    const commits = new GroupCommit(db, { delayMs: 20 })
    const insert = async (trx: Transaction<Database>, ids: readonly string[]) => {
      await trx.insertInto('orgs').values(ids.map((id) => ({ id, name: id, created_at: 1 }))).execute()
    }
    const good = commits.run(async (_trx, batch) => batch.collect('orgs', 0, 'replay-ok', insert))
    const bad = commits.run(async (_trx, batch) => batch.collect('orgs', 0, 'good', insert)) // 'good' exists: the batch fails
    await good
    await assert.rejects(bad)
    assert.ok(await db.selectFrom('orgs').select('id').where('id', '=', 'replay-ok').executeTakeFirst())
    await commits.close()
  })
})
