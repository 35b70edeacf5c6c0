import { describe, it, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { Migrator, sql, type Kysely } from 'kysely'
import { ServerError } from '../errors.js'
import { tempDir } from '../fixtures.test.helper.js'
import { openDatabase, sqlFamilyOf } from './open.js'
import { openPostgres } from './open-postgres.js'
import { POSTGRES_ADMIN_URL, POSTGRES_SKIP } from './postgres.test.helper.js'
import { openSqlite } from './open-sqlite.js'
import { SQLITE_ONLY } from './test-database.test.helper.js'

async function pragma(db: Kysely<any>, name: string): Promise<unknown> {
  const { rows } = await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(db)
  return Object.values(rows[0] ?? {})[0]
}

async function open(t: TestContext, file = 'palisade.db'): Promise<{ url: string; dir: string }> {
  const dir = tempDir(t)
  return { url: `sqlite:${join(dir, file)}`, dir }
}

describe('openDatabase with sqlite:', { skip: SQLITE_ONLY }, () => {
  it('keeps data across a close and reopen', async (t) => {
    const { url } = await open(t)
    const first = await openDatabase(url)
    await first.insertInto('orgs').values({ id: 'org1', name: 'Acme', created_at: 1 }).execute()
    await first.destroy()
    const second = await openDatabase(url)
    t.after(() => second.destroy())
    assert.deepEqual(await second.selectFrom('orgs').select(['id', 'name', 'created_at']).execute(), [{ id: 'org1', name: 'Acme', created_at: 1 }])
  })

  it('runs with WAL, synchronous=FULL, foreign keys and a busy timeout', async (t) => {
    const { url } = await open(t)
    const db = await openDatabase(url)
    t.after(() => db.destroy())
    assert.equal(await pragma(db, 'journal_mode'), 'wal')
    assert.equal(await pragma(db, 'synchronous'), 2)
    assert.equal(await pragma(db, 'foreign_keys'), 1)
    assert.equal(await pragma(db, 'busy_timeout'), 5000)
  })

  it('creates a missing data directory, private to the server user', async (t) => {
    const { url, dir } = await open(t, 'nested/deeper/palisade.db')
    const db = await openDatabase(url)
    await db.destroy()
    assert.equal(statSync(join(dir, 'nested/deeper')).mode & 0o777, 0o700)
  })
})

describe('sqlFamilyOf', () => {
  it('names the family of each accepted scheme and refuses others', () => {
    assert.equal(sqlFamilyOf('sqlite:/x.db'), 'sqlite')
    assert.equal(sqlFamilyOf('postgres://h/db'), 'postgres')
    assert.equal(sqlFamilyOf('postgresql://h/db'), 'postgres')
    assert.throws(() => sqlFamilyOf('mysql://h/db'), (e) => e instanceof ServerError && e.code === 'SRV_CONFIG_INVALID')
  })
})

describe('openSqlite migrations', { skip: SQLITE_ONLY }, () => {
  it('roll back a failing migration completely (no half-created tables)', async (t) => {
    const db = openSqlite(join(tempDir(t), 'x.db'))
    t.after(() => db.destroy())
    const migrator = new Migrator({
      db,
      provider: {
        async getMigrations() {
          return {
            '0001-half': {
              async up(d: Kysely<any>) {
                await d.schema.createTable('half').addColumn('id', 'text').execute()
                throw new Error('crash mid-migration')
              },
            },
          }
        },
      },
    })
    const { error } = await migrator.migrateToLatest()
    assert.match(String(error), /crash mid-migration/)
    const tables = (await db.introspection.getTables()).map((x) => x.name)
    assert.ok(!tables.includes('half'))
  })
})

describe('openPostgres', () => {
  it('reads int8 as a number, and refuses one that a number cannot hold exactly', async (t) => {
    if (POSTGRES_SKIP !== false) return t.skip(POSTGRES_SKIP)
    const db = openPostgres(POSTGRES_ADMIN_URL)
    t.after(() => db.destroy())
    const { rows } = await sql<{ n: unknown }>`select 1764000000123::int8 as n`.execute(db)
    assert.equal(rows[0]?.n, 1_764_000_000_123)
    await assert.rejects(sql`select 9007199254740993::int8 as n`.execute(db), RangeError)
  })
})
