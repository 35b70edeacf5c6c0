/**
 * Garbage collection of dead nodes' presence rows. A crashed node's
 * sessions need no cleanup to be right (its heartbeat goes stale, so its
 * devices read offline); they are only space. Whichever node notices a
 * node silent for longer than that node's own collection age (ten of its
 * TTLs, on the database's clock) deletes a bounded number of its session
 * rows per heartbeat, then its row once none is left.
 *
 * Safe against a node that comes back: sessions are deleted only while the
 * node is still silent (checked in the deleting statement itself) and only
 * those stamped before the cutoff, and the node row only while it is still
 * stale and has no session left. A revived node whose rows were collected
 * re-records its sessions (node-presence.ts repair).
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { deleteSessionsInOrder } from './session-writes.js'

/** A node to collect, and its cutoff: its heartbeat is older, and so are the sessions to delete (database clock, ms). */
export interface DeadNode {
  readonly nodeId: string
  readonly cutoff: number
}

/**
 * Deletes up to `budget` session rows of the nodes in `dead`, and the row
 * of each dead node with no session left; returns how many session rows
 * were deleted. Concurrent collectors are harmless: every statement is
 * idempotent, and takes its locks in device order (session-writes.ts).
 *
 * @example
 * await collectDeadNodes(db, [{ nodeId: 'node-x', cutoff: dbTime - 300_000 }], 1000)
 */
export async function collectDeadNodes(db: Kysely<Database>, dead: readonly DeadNode[], budget: number): Promise<number> {
  let deleted = 0
  for (const { nodeId, cutoff } of dead) {
    const room = budget - deleted
    if (room <= 0) break
    const n = await deleteSessionsInOrder(
      db,
      (eb) =>
        eb.and([
          eb('node_id', '=', nodeId),
          eb('connected_at', '<', cutoff),
          eb.not(eb.exists(eb.selectFrom('server_nodes as n').select('n.node_id').where('n.node_id', '=', nodeId).where('n.heartbeat_at', '>=', cutoff))),
        ]),
      room,
    )
    deleted += n
    if (n >= room) break
    await db
      .deleteFrom('server_nodes')
      .where('node_id', '=', nodeId)
      .where('heartbeat_at', '<', cutoff)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('agent_sessions as s').select('s.device_id').where('s.node_id', '=', nodeId))))
      .execute()
  }
  return deleted
}
