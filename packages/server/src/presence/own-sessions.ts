/**
 * A node's own session rows, read for its repair (node-presence.ts) a page
 * at a time in device order (index agent_sessions_node_idx), so no single
 * statement reads a whole large node.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

/** Rows per page. */
const PAGE = 1000

/**
 * Every session row naming `nodeId`: device id → the id of the connection that wrote it.
 *
 * @example
 * const mine = await readOwnSessions(db, 'node-a') // Map { 'dev-1' => '3f9c….1' }
 */
export async function readOwnSessions(db: Kysely<Database>, nodeId: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  let after: string | undefined
  for (;;) {
    let query = db.selectFrom('agent_sessions').select(['device_id', 'connection_id']).where('node_id', '=', nodeId)
    if (after !== undefined) query = query.where('device_id', '>', after)
    const rows = await query.orderBy('device_id').limit(PAGE).execute()
    for (const r of rows) out.set(r.device_id, r.connection_id)
    if (rows.length < PAGE) return out
    after = rows[rows.length - 1]!.device_id
  }
}
