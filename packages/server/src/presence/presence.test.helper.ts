/**
 * Test support (not a test file) for shared presence on a real database
 * (a SQLite file, or a fresh PostgreSQL database under
 * PALISADE_TEST_DATABASE=postgres): several NodePresence instances on one
 * database stand for several server nodes. Time on the database's clock
 * moves by aging the rows (what a clock moved forward would do to them);
 * each node's own clock is one the test holds, and may skew or step.
 */
import type { TestContext } from 'node:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql, type Kysely } from 'kysely'
import { openDatabase } from '../db/open.js'
import type { Database } from '../db/schema.js'
import { TEST_DATABASE, testDatabase } from '../db/test-database.test.helper.js'
import type { OrgEvent } from '../events/org-events.js'
import { NodePresence } from './node-presence.js'
import { presenceTiming } from './presence-timing.js'

/** The TTL of the test nodes unless a test says otherwise. */
export const TIMING = presenceTiming(30_000)

/** A node's own clock: this machine's (which the database shares), `skew` ms off; the test moves or steps it. */
export interface Clock {
  skew: number
}

/** A clock `skewMs` off this machine's. */
export function clockAt(skewMs = 0): Clock {
  return { skew: skewMs }
}

/** Options of {@link World.node}. */
export interface NodeOptions {
  readonly gcBudget?: number
  readonly ttlMs?: number
  /** Another connection pool on the world's database (default: the world's). */
  readonly db?: Kysely<Database>
}

/** One database with org `acme` and devices d1..d5 (and `beta` with b1), and the nodes on it. */
export interface World {
  readonly db: Kysely<Database>
  /** Opens another connection pool on the database (PostgreSQL), or returns `db` (SQLite: one connection per file). Closed with the world. */
  pool(): Promise<Kysely<Database>>
  /** The PostgreSQL database's name, or undefined on SQLite. */
  readonly postgresName: string | undefined
  /** A node on the database (closed before the database is). */
  node(nodeId: string, clock: Clock, options?: NodeOptions): TestNode
  /** Closes every node, then every pool and the database (as the end of the test does; idempotent). */
  shutdown(): Promise<void>
}

/** A node: its presence, and what it logged and announced. */
export interface TestNode {
  readonly presence: NodePresence
  readonly warnings: string[]
  readonly infos: string[]
  /** Events for every node's streams (emit) and for this node's (emitLocal). */
  readonly emitted: { org: string; event: OrgEvent }[]
  readonly local: { org: string; event: OrgEvent }[]
  /** Resolves once every session write queued so far is committed. */
  settled(): Promise<void>
}

/** A fresh world, dropped when the test ends. */
export async function world(t: TestContext, label = 'presence'): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-presence-'))
  const made = await testDatabase(label)
  const db = await openDatabase(made.url ?? `sqlite:${join(dir, 'p.db')}`)
  const nodes: TestNode[] = []
  const pools: Kysely<Database>[] = []
  let down: Promise<void> | undefined
  const shutdown = (): Promise<void> =>
    (down ??= (async () => {
      for (const n of nodes) await n.presence.close()
      for (const p of pools) await p.destroy()
      await db.destroy()
    })())
  t.after(async () => {
    await shutdown()
    await made.drop()
    rmSync(dir, { recursive: true, force: true })
  })
  await db.insertInto('orgs').values([{ id: 'acme', name: 'Acme', created_at: 1 }, { id: 'beta', name: 'Beta', created_at: 1 }]).execute()
  const devices = [...['d1', 'd2', 'd3', 'd4', 'd5'].map((id) => ({ id, org: 'acme' })), { id: 'b1', org: 'beta' }]
  await db
    .insertInto('devices')
    .values(devices.map((d) => ({ id: d.id, org_id: d.org, public_key: `pk-${d.id}`, hostname: d.id, enrolled_at: 1 })))
    .execute()
  return {
    db,
    postgresName: made.url === undefined ? undefined : new URL(made.url).pathname.slice(1),
    async pool() {
      if (made.url === undefined) return db
      const p = await openDatabase(made.url, { migrate: false })
      pools.push(p)
      return p
    },
    shutdown,
    node(nodeId, clock, options = {}) {
      const n = startNode(options.db ?? db, nodeId, clock, options)
      nodes.push(n)
      return n
    },
  }
}

function startNode(db: Kysely<Database>, nodeId: string, clock: Clock, options: NodeOptions): TestNode {
  const warnings: string[] = []
  const infos: string[] = []
  const emitted: TestNode['emitted'] = []
  const local: TestNode['local'] = []
  const presence = new NodePresence({
    db,
    nodeId,
    logger: { warn: (_o, msg) => void warnings.push(msg), info: (_o, msg) => void infos.push(msg) },
    events: { emit: (org, event) => void emitted.push({ org, event }), emitLocal: (org, event) => void local.push({ org, event }) },
    now: () => Date.now() + clock.skew,
    ttlMs: options.ttlMs ?? TIMING.ttlMs,
    ...(options.gcBudget === undefined ? {} : { gcBudget: options.gcBudget }),
  })
  return { presence, warnings, infos, emitted, local, settled: () => presence.settled() }
}

/** Every session row: device → node. */
export async function sessions(db: Kysely<Database>): Promise<Record<string, string>> {
  const rows = await db.selectFrom('agent_sessions').select(['device_id', 'node_id']).orderBy('device_id').execute()
  return Object.fromEntries(rows.map((r) => [r.device_id, r.node_id]))
}

/** Which of the devices read online through `reader`. */
export async function onlineThrough(db: Kysely<Database>, reader: NodePresence): Promise<string[]> {
  const rows = await db.selectFrom('devices').select(['id', reader.online('devices.id').as('online')]).orderBy('id').execute()
  return rows.filter((r) => r.online === 1).map((r) => r.id)
}

/** Makes `nodeId`'s heartbeat and sessions `ms` older: the database's clock moved on `ms` since that node last wrote. */
export async function age(db: Kysely<Database>, nodeId: string, ms: number): Promise<void> {
  await db.updateTable('server_nodes').set((eb) => ({ heartbeat_at: eb('heartbeat_at', '-', ms) })).where('node_id', '=', nodeId).execute()
  await db.updateTable('agent_sessions').set((eb) => ({ connected_at: eb('connected_at', '-', ms) })).where('node_id', '=', nodeId).execute()
}

/** `nodeId`'s heartbeat as stored. */
export async function heartbeatOf(db: Kysely<Database>, nodeId: string): Promise<number> {
  return (await db.selectFrom('server_nodes').select('heartbeat_at').where('node_id', '=', nodeId).executeTakeFirstOrThrow()).heartbeat_at
}

/**
 * Creates a row trigger on `table` running `body` (SQL statements, `new`
 * and `old` as usual) `when` (`before delete`, `after insert or update`,
 * …), in this run's dialect.
 */
export async function trigger(db: Kysely<Database>, name: string, when: string, table: string, body: string): Promise<void> {
  if (TEST_DATABASE === 'postgres') {
    // The row as it stands, so that a `before` trigger lets it through when `body` does not fail.
    const row = `if tg_op = 'DELETE' then return old; end if; return new;`
    await sql.raw(`create function ${name}() returns trigger language plpgsql as $$ begin ${body}; ${row} end $$`).execute(db)
    await sql.raw(`create trigger ${name} ${when} on ${table} for each row execute function ${name}()`).execute(db)
    return
  }
  // SQLite: one trigger per event.
  const [timing, events] = [when.split(' ')[0]!, when.split(' ').slice(1).filter((w) => w !== 'or')]
  for (const event of events) await sql.raw(`create trigger ${name}_${event} ${timing} ${event} on ${table} begin ${body}; end`).execute(db)
}

/** A trigger body that fails the statement when `condition` holds. */
export function failWhen(condition: string, message: string): string {
  return TEST_DATABASE === 'postgres' ? `if ${condition} then raise exception '${message}'; end if` : `select raise(abort, '${message}') where ${condition}`
}
