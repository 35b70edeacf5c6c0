/**
 * The statements of shared presence: session rows recorded and removed as
 * multi-row statements (a reconnect storm of 10,000 agents costs a handful
 * of statements, session-writer.ts batches them), and a node's heartbeat.
 *
 * A session row is one connection's: it carries the connection's id
 * (unique per server process and connection, node-presence.ts), so a
 * delete names the exact row its connection recorded and never removes a
 * newer connection's row, on this node or on another one.
 *
 * No deadlock between nodes: each statement here runs in its own short
 * transaction (never in the gateway's result batches), and takes its row
 * locks in device order, the same order for every statement of every node
 * (upserts by sorting their rows, deletes by locking what they delete
 * `order by device_id … for update` first). Transactions that all take
 * locks in one order cannot wait on each other in a cycle. On PostgreSQL
 * that order is the "C" collation (byte order), which is also the order of
 * {@link byDevice} for the ASCII device ids the server issues; SQLite has
 * one writer at a time and takes no row locks.
 */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool, type Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import { isPostgres } from '../log/org-lock.js'
import { dbNow } from './db-clock.js'

/** Rows per multi-row insert (4 parameters each) and pairs per delete (2 each): far below both dialects' limits. */
const CHUNK = 500

/** The node a write comes from. */
export interface NodeStamp {
  readonly nodeId: string
  /** Random per process: tells two processes that share a node id apart (node-presence.ts). */
  readonly instance: string
  /** How long this node's heartbeat stays fresh; stored in its row, so every reader applies the node's own TTL. */
  readonly ttlMs: number
}

/** One connection's session row, as written. */
export interface Session {
  readonly device_id: string
  readonly connection_id: string
  /** When its hello was authenticated, on the database's clock (db-clock.ts). */
  readonly connected_at: number
}

/** Which row to remove: a device's row as one connection wrote it. */
export type SessionKey = Pick<Session, 'device_id' | 'connection_id'>

/**
 * Device order of the lock-taking statements (code-unit order; PostgreSQL's "C" collation for ASCII ids).
 *
 * @example
 * [{ device_id: 'dev-b' }, { device_id: 'dev-a' }].sort(byDevice) // dev-a first
 */
export function byDevice(a: { device_id: string }, b: { device_id: string }): number {
  return a.device_id < b.device_id ? -1 : a.device_id > b.device_id ? 1 : 0
}

/**
 * Records `sessions` (connections of their devices to `node`), each
 * replacing the row of an earlier connection on any node, and any row of
 * this node; a row of a later connection on another node wins. One row per
 * device (PostgreSQL refuses to update a row twice in one upsert). Creates
 * the node's row when it has none, so a session never names a node without
 * a row, but never moves an existing heartbeat (only {@link beat} does).
 *
 * @example
 * await withTransaction(db, (trx) => upsertSessions(trx, { nodeId: 'node-a', instance, ttlMs: 30_000 }, [{ device_id: 'dev-1', connection_id: 'c1', connected_at: Date.now() }]))
 */
export async function upsertSessions(trx: Transaction<Database>, node: NodeStamp, sessions: readonly Session[]): Promise<void> {
  await trx
    .insertInto('server_nodes')
    .values({ node_id: node.nodeId, instance: node.instance, heartbeat_at: dbNow(trx), ttl_ms: node.ttlMs })
    .onConflict((oc) => oc.column('node_id').doNothing())
    .execute()
  const rows = [...sessions].sort(byDevice).map((s) => ({ ...s, node_id: node.nodeId }))
  for (let i = 0; i < rows.length; i += CHUNK) {
    await trx
      .insertInto('agent_sessions')
      .values(rows.slice(i, i + CHUNK))
      .onConflict((oc) =>
        oc
          .column('device_id')
          .doUpdateSet((eb) => ({
            node_id: eb.ref('excluded.node_id'),
            connection_id: eb.ref('excluded.connection_id'),
            connected_at: eb.ref('excluded.connected_at'),
          }))
          // The latest connection wins: a write delayed in a storm must not
          // replace the row of the connection the device made since on
          // another node. A row of this node is always replaced: its writes
          // are queued in order, and its newest connection is the one it
          // holds, whatever the stamps say (the node's clock may have stepped
          // back since the older one's).
          .where((eb) =>
            eb.or([eb('agent_sessions.connected_at', '<=', eb.ref('excluded.connected_at')), eb('agent_sessions.node_id', '=', eb.ref('excluded.node_id'))]),
          ),
      )
      .execute()
  }
}

/**
 * Deletes exactly these rows of `nodeId` (a row a newer connection
 * replaced is left alone).
 *
 * @example
 * await withTransaction(db, (trx) => deleteSessions(trx, 'node-a', [{ device_id: 'dev-1', connection_id: 'c1' }]))
 */
export async function deleteSessions(trx: Transaction<Database>, nodeId: string, keys: readonly SessionKey[]): Promise<void> {
  const sorted = [...keys].sort(byDevice)
  for (let i = 0; i < sorted.length; i += CHUNK) {
    const chunk = sorted.slice(i, i + CHUNK)
    await deleteSessionsInOrder(trx, (eb) =>
      eb.and([
        eb('node_id', '=', nodeId),
        // The plain IN lets PostgreSQL find the rows by primary key; the tuple IN picks the exact connections.
        eb('device_id', 'in', chunk.map((r) => r.device_id)),
        eb(eb.refTuple('device_id', 'connection_id'), 'in', chunk.map((r) => eb.tuple(r.device_id, r.connection_id))),
      ]),
    )
  }
}

/** Which session rows a delete picks. */
export type SessionFilter = (eb: ExpressionBuilder<Database, 'agent_sessions'>) => Expression<SqlBool>

/**
 * Deletes the session rows `filter` picks (at most `limit` of them, in
 * device order), having locked them in device order first on PostgreSQL
 * (see the module comment); returns how many it deleted. Every delete of
 * session rows goes through here.
 *
 * @example
 * await deleteSessionsInOrder(db, (eb) => eb('node_id', '=', 'node-x'), 1000)
 */
export async function deleteSessionsInOrder(db: Kysely<Database>, filter: SessionFilter, limit?: number): Promise<number> {
  const postgres = isPostgres(db)
  const result = await db
    .deleteFrom('agent_sessions')
    .where(filter)
    .where('device_id', 'in', (eb) =>
      eb
        .selectFrom('agent_sessions')
        .select('device_id')
        .where(filter)
        .orderBy(postgres ? sql`device_id collate "C"` : sql`device_id`)
        .$if(limit !== undefined, (q) => q.limit(limit!))
        // The lock is taken row by row as the sorted rows come out.
        .$if(postgres, (q) => q.forUpdate()),
    )
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/**
 * Writes `node`'s heartbeat at the database's time now (never moving it
 * back: a heartbeat is only ever replaced by a later one), with its TTL
 * and instance; returns the database's time of the write.
 *
 * @example
 * const at = await beat(db, { nodeId: 'node-a', instance, ttlMs: 30_000 })
 */
export async function beat(db: Kysely<Database>, node: NodeStamp): Promise<number> {
  const now = dbNow(db)
  const row = await db
    .insertInto('server_nodes')
    .values({ node_id: node.nodeId, instance: node.instance, heartbeat_at: now, ttl_ms: node.ttlMs })
    .onConflict((oc) =>
      oc.column('node_id').doUpdateSet((eb) => ({
        instance: eb.ref('excluded.instance'),
        ttl_ms: eb.ref('excluded.ttl_ms'),
        // greatest() in both dialects (SQLite's is max()).
        heartbeat_at: eb.case().when('server_nodes.heartbeat_at', '>', eb.ref('excluded.heartbeat_at')).then(eb.ref('server_nodes.heartbeat_at')).else(eb.ref('excluded.heartbeat_at')).end(),
      })),
    )
    .returning(now.as('db_now'))
    .executeTakeFirstOrThrow()
  return Number(row.db_now)
}
