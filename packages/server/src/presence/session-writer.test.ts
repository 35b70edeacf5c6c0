/**
 * The session writes of two nodes under a reconnect storm, on a real
 * database of this run's dialect, each node with its own connection pool
 * on PostgreSQL (as two server processes have): devices move between the
 * nodes all at once, each node recording the arrivals and removing the
 * departures at the same time as the other. On PostgreSQL the server's
 * own deadlock counter must not move (pg_stat_database, read once every
 * connection is closed: a backend reports its counts as it exits).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { KyselyPlugin } from 'kysely'
import pg from 'pg'
import { clockAt, sessions, world, type TestNode } from './presence.test.helper.js'

/** Devices in the storm. */
const N = 2000
/** Times every device moves to the other node. */
const ROUNDS = 3

/** Counts the statements run through a Kysely instance. */
function counting(): { plugin: KyselyPlugin; readonly count: number } {
  let count = 0
  return {
    plugin: { transformQuery: (args) => (count++, args.node), transformResult: async (args) => args.result },
    get count() {
      return count
    },
  }
}

/** The deadlocks PostgreSQL counted in database `name`, once no connection to it is left. */
async function deadlocksIn(name: string): Promise<number> {
  const { POSTGRES_ADMIN_URL } = await import('../db/postgres.test.helper.js')
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL })
  await admin.connect()
  try {
    const deadline = Date.now() + 10_000
    while (Number((await admin.query('select count(*) as n from pg_stat_activity where datname = $1', [name])).rows[0].n) > 0) {
      if (Date.now() > deadline) throw new Error(`connections to ${name} still open`)
      await new Promise((r) => setTimeout(r, 50))
    }
    return Number((await admin.query('select deadlocks from pg_stat_database where datname = $1', [name])).rows[0].deadlocks)
  } finally {
    await admin.end()
  }
}

describe('SessionWriter: session writes of several nodes in a reconnect storm', () => {
  it(`moves ${N} devices between two nodes at once, ${ROUNDS} times, without a deadlock, every row right, in a few statements (M1)`, async (t) => {
    const w = await world(t, 'presence_storm')
    const counter = counting()
    const a = w.node('node-a', clockAt(), { db: (await w.pool()).withPlugin(counter.plugin) })
    const b = w.node('node-b', clockAt(), { db: await w.pool() })
    const ids = Array.from({ length: N }, (_, i) => `dev-${i.toString(16).padStart(4, '0')}`)
    const home = (i: number, round: number): [TestNode, TestNode] => ((i + round) % 2 === 0 ? [a, b] : [b, a])
    const connected: Promise<void>[] = []
    ids.forEach((id, i) => connected.push(home(i, 0)[0].presence.connected(id, 'acme')))
    await Promise.all(connected)
    for (let round = 1; round <= ROUNDS; round++) {
      // Shuffled, so that each node's flushes mix devices arriving and leaving in any order.
      const order = ids.map((id, i) => ({ id, i, key: Math.random() })).sort((x, y) => x.key - y.key)
      for (const { id, i } of order) {
        const [to, from] = home(i, round)
        void to.presence.connected(id, 'acme')
        from.presence.disconnected(id)
      }
      await Promise.all([a.settled(), b.settled()])
      const rows = await sessions(w.db)
      const wrong = ids.filter((id, i) => rows[id] !== (home(i, round)[0] === a ? 'node-a' : 'node-b'))
      assert.deepEqual(wrong, [], `round ${round}: devices on the wrong node or on none`)
    }
    assert.deepEqual([...a.warnings, ...b.warnings], [])
    // 4 × 1000 sessions recorded and 3 × 1000 removed by node A: a few multi-row statements per flush.
    assert.ok(counter.count < 100, `node A ran ${counter.count} statements`)
    if (w.postgresName !== undefined) {
      await w.shutdown()
      assert.equal(await deadlocksIn(w.postgresName), 0)
    }
  })
})
