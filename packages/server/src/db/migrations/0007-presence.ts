/**
 * 0007 — device presence shared by every server node (issue: `online` was
 * per node). `agent_sessions` holds one row per device with a live gateway
 * connection: the node holding it, the connection's own id (so that a node
 * removes exactly the row its connection wrote, never a newer
 * connection's) and when it connected. `server_nodes` holds each
 * node's heartbeat and its own TTL. A device is online when its session
 * names a node whose heartbeat is fresh by that node's TTL, on the
 * database's clock (presence/node-presence.ts), so a crashed node's
 * devices go offline by themselves, with no one cleaning up first, and
 * nodes configured with different TTLs read each other right.
 *
 * No foreign keys, on purpose: these rows are written in reconnect storms
 * (thousands per second, batched) and garbage-collected in any order by
 * whichever node notices a dead one; a session of a deleted device or of a
 * collected node is simply never joined.
 */
import type { Kysely, Migration } from 'kysely'
import type { ColumnTypes } from './column-types.js'

/** Builds migration 0007 for a dialect's column types. */
export function presenceMigration(t: ColumnTypes): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createTable('server_nodes')
        .addColumn('node_id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('instance', 'text', (c) => c.notNull())
        .addColumn('heartbeat_at', t.millis, (c) => c.notNull())
        .addColumn('ttl_ms', 'integer', (c) => c.notNull())
        .execute()
      await db.schema.createTable('agent_sessions')
        .addColumn('device_id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('connection_id', 'text', (c) => c.notNull())
        .addColumn('connected_at', t.millis, (c) => c.notNull())
        .execute()
      // A node's own sessions, in device order: its repair pages and the
      // collection of a dead node's rows read them by node.
      await db.schema.createIndex('agent_sessions_node_idx').on('agent_sessions').columns(['node_id', 'device_id']).execute()
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('agent_sessions').execute()
      await db.schema.dropTable('server_nodes').execute()
    },
  }
}
