/**
 * Reading shared presence: a device is online when its session row names
 * a node whose heartbeat is not older than that node's own TTL (stored in
 * its row: nodes may be configured differently), on the database's clock
 * (db-clock.ts: no node's clock is trusted). Written as one SQL expression
 * to select next to a device's columns, so a page of devices is one query
 * (two primary-key lookups per device), whichever node is asked and
 * whichever node holds each connection.
 */
import { sql, type RawBuilder } from 'kysely'

/**
 * 1 when the device at column `deviceRef` (e.g. `'d.id'`) has a session on
 * a node whose heartbeat is fresh at `now` (SQL for the database's time,
 * ms: db-clock.ts dbNow), else 0. Portable: SQLite and PostgreSQL both
 * read it as an integer.
 *
 * @example
 * db.selectFrom('devices as d').select(['d.id', onlineExpression('d.id', dbNow(db)).as('online')])
 */
export function onlineExpression(deviceRef: string, now: RawBuilder<number>): RawBuilder<0 | 1> {
  // Aliases of their own, so they never shadow the outer query's.
  return sql<0 | 1>`case when exists (select 1 from agent_sessions presence_s inner join server_nodes presence_n on presence_n.node_id = presence_s.node_id where presence_s.device_id = ${sql.ref(deviceRef)} and presence_n.heartbeat_at + presence_n.ttl_ms >= ${now}) then 1 else 0 end`
}

/** What routes read presence through (the gateway's NodePresence). */
export interface PresenceView {
  /**
   * {@link onlineExpression} for now: select it `.as('online')` and read
   * `row.online === 1`.
   */
  online(deviceRef: string): RawBuilder<0 | 1>
}
