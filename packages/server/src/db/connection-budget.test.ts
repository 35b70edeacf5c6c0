import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Kysely } from 'kysely'
import pg from 'pg'
import { ServerError } from '../errors.js'
import { captureLogger } from '../fixtures.test.helper.js'
import { checkConnectionBudget, judgeConnectionBudget, readConnectionLimits } from './connection-budget.js'
import { openPostgres } from './open-postgres.js'
import { POSTGRES_ADMIN_URL, POSTGRES_SKIP } from './postgres.test.helper.js'
import type { Database } from './schema.js'

describe('judgeConnectionBudget', () => {
  const stock = { maxConnections: 100, reserved: 3, inUse: 0 }

  it('refuses workers whose pools cannot fit even in an idle server, naming the numbers and the largest pool that fits', () => {
    const v = judgeConnectionBudget({ processes: 16, pool: 10 }, stock)
    assert.deepEqual(v, {
      outcome: 'refused',
      message:
        '16 workers × PALISADE_DATABASE_POOL 10 = up to 160 PostgreSQL connections, more than the server allows ' +
        '(97: max_connections 100 minus 3 reserved): set PALISADE_DATABASE_POOL to at most 6 for 16 workers, or raise max_connections',
    })
  })

  it('suggests fewer workers when even the smallest pool does not fit', () => {
    const v = judgeConnectionBudget({ processes: 64, pool: 4 }, stock)
    assert.equal(v.outcome, 'refused')
    assert.match(v.outcome === 'refused' ? v.message : '', /: run at most 24 workers with PALISADE_DATABASE_POOL 4, or raise max_connections$/)
  })

  it('refuses one process whose pool alone is too large', () => {
    const v = judgeConnectionBudget({ processes: 1, pool: 500 }, stock)
    assert.equal(v.outcome, 'refused')
    assert.match(v.outcome === 'refused' ? v.message : '', /^PALISADE_DATABASE_POOL 500: up to 500 PostgreSQL connections, more than .*set PALISADE_DATABASE_POOL to at most 97, or raise/)
  })

  it('only warns when the pools fit the server but not beside the connections others hold now', () => {
    const v = judgeConnectionBudget({ processes: 4, pool: 10 }, { ...stock, inUse: 70 })
    assert.deepEqual(v, {
      outcome: 'crowded',
      message:
        '4 workers × PALISADE_DATABASE_POOL 10 = up to 40 PostgreSQL connections, but only 27 are free now ' +
        '(max_connections 100 minus 3 reserved, 70 in use by others): under load, queries may fail with "too many clients"',
    })
  })

  it('accepts what fits, up to the last free connection', () => {
    assert.deepEqual(judgeConnectionBudget({ processes: 4, pool: 10 }, { ...stock, inUse: 57 }), { outcome: 'fits' })
    assert.deepEqual(judgeConnectionBudget({ processes: 1, pool: 97 }, stock), { outcome: 'fits' })
    assert.equal(judgeConnectionBudget({ processes: 1, pool: 98 }, stock).outcome, 'refused')
  })
})

describe('the connection budget on a real PostgreSQL server', { skip: POSTGRES_SKIP }, () => {
  let db: Kysely<Database>
  let extra: pg.Client
  before(async () => {
    db = openPostgres(POSTGRES_ADMIN_URL)
    // A connection of someone else's, held for the whole suite.
    extra = new pg.Client({ connectionString: POSTGRES_ADMIN_URL })
    await extra.connect()
  })
  after(async () => {
    await extra.end()
    await db.destroy()
  })

  it("reads max_connections, the reserved slots and the others' connections", async () => {
    const limits = await readConnectionLimits(db)
    const shown = await extra.query<{ max_connections: string }>('show max_connections')
    assert.equal(limits.maxConnections, Number(shown.rows[0]!.max_connections))
    const su = await extra.query<{ superuser_reserved_connections: string }>('show superuser_reserved_connections')
    assert.ok(limits.reserved >= Number(su.rows[0]!.superuser_reserved_connections))
    assert.ok(limits.inUse >= 1, 'the extra client counts')
  })

  it('throws SRV_CONFIG_INVALID naming PALISADE_DATABASE_POOL when refused, and warns when crowded', async () => {
    const limits = await readConnectionLimits(db)
    const usable = limits.maxConnections - limits.reserved
    const { logger, lines } = captureLogger('warn')
    await assert.rejects(checkConnectionBudget(db, { processes: 2, pool: usable }, logger), (e: unknown) => {
      assert.ok(e instanceof ServerError)
      assert.equal(e.code, 'SRV_CONFIG_INVALID')
      assert.deepEqual(e.errors?.map((x) => x.path), ['PALISADE_DATABASE_POOL'])
      assert.match(e.message, new RegExp(`^invalid configuration: PALISADE_DATABASE_POOL: 2 workers × PALISADE_DATABASE_POOL ${usable} = up to ${2 * usable} PostgreSQL connections, more than`))
      return true
    })
    assert.equal(lines.length, 0)
    // All of it for one process: fits an idle server, not beside the extra client.
    await checkConnectionBudget(db, { processes: 1, pool: usable }, logger)
    assert.equal(lines.length, 1)
    const line = JSON.parse(lines[0]!) as Record<string, unknown>
    assert.equal(line['level'], 40)
    assert.match(line['msg'] as string, /are free now .*in use by others\): under load, queries may fail with "too many clients"$/)
  })
})
