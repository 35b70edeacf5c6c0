/**
 * Device presence shared by every server node (and every worker process):
 * which devices hold a gateway connection right now, whichever node is
 * asked. The gateway tells this node's NodePresence when a device's hello
 * is authenticated and when its connection ends; the rows live in the
 * shared database (migration 0007), so `online` in the device routes is
 * the same on every node.
 *
 * - Sessions: one row per connected device naming the node and the
 *   connection (an id unique per process and connection), written by this
 *   node's own SessionWriter: coalesced (a reconnect storm costs a few
 *   statements per flush) in short transactions of their own, never in
 *   the gateway's result batches, with row locks taken in device order so
 *   that nodes never deadlock (session-writer.ts, session-writes.ts). A
 *   node removes only the exact rows its connections recorded, so a newer
 *   connection, there or elsewhere, is never undone. `connected` resolves
 *   once the row is committed: the gateway welcomes the agent only then.
 * - Time: the database's clock, never a node's (db-clock.ts). Heartbeats,
 *   freshness and collection cutoffs are computed by the database; a
 *   connection's stamp is this node's clock corrected by the offset
 *   measured at each heartbeat.
 * - Heartbeat: every `heartbeatMs` each node writes its own row, with its
 *   TTL; a device is online while its session names a node whose heartbeat
 *   is fresh by that node's TTL (online-expression.ts). A crashed node's
 *   devices thus go offline within its TTL with no one cleaning up; its
 *   rows are collected later by whichever node notices (dead-nodes.ts,
 *   bounded per heartbeat).
 * - Repair: every `repairEveryMs` (and after a failed write, or a silence
 *   long enough for this node's rows to have been collected) the node
 *   compares its own rows with the connections it holds and fixes the
 *   difference.
 * - Restart: before its first heartbeat a node deletes the rows an earlier
 *   process under its node id left (a worker restarted after a crash), so
 *   its heartbeat never revives its predecessor's sessions.
 * - Events: a node whose heartbeat turns stale (or fresh again) changes
 *   `online` for its devices without any connection event, so every node
 *   tells its own console streams (a `device` event without id per org:
 *   "reload the list"); a removed session is announced once committed
 *   (the one event of a disconnect).
 * - Close: a node shutting down deletes its sessions and its row.
 *
 * Two processes with one node id are an operator error: they keep working
 * (each deletes only rows it recorded; a graceful close or a start of one
 * may drop the other's rows, which its repair restores) and each logs a
 * warning.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { OrgEvent } from '../events/org-events.js'
import { ClockOffset, dbNow } from './db-clock.js'
import { collectDeadNodes, type DeadNode } from './dead-nodes.js'
import { onlineExpression, type PresenceView } from './online-expression.js'
import { GC_AFTER_TTLS, presenceTiming, type PresenceTiming } from './presence-timing.js'
import { readOwnSessions } from './own-sessions.js'
import { SessionWriter, SessionWriterClosedError } from './session-writer.js'
import { beat, deleteSessionsInOrder, type NodeStamp, type Session } from './session-writes.js'

/** Where presence changes are announced: `emit` reaches every node's streams, `emitLocal` this node's. */
export interface PresenceEvents {
  emit(org: string, event: OrgEvent): void
  emitLocal(org: string, event: OrgEvent): void
}

/** The slice of a logger presence uses. */
export interface PresenceLogger {
  warn(obj: object, msg: string): void
  info(obj: object, msg: string): void
}

/** Options of {@link NodePresence}. */
export interface NodePresenceOptions {
  readonly db: Kysely<Database>
  readonly nodeId: string
  readonly logger: PresenceLogger
  /** Heartbeat freshness (default 30 s); every other interval derives from it (presence-timing.ts). */
  readonly ttlMs?: number
  readonly events?: PresenceEvents
  /**
   * This node's own clock (default Date.now): it times the heartbeats and
   * repairs, and stamps connections once corrected to the database's
   * clock (db-clock.ts). Tests move it, or skew it.
   */
  readonly now?: () => number
  /** Dead nodes' session rows deleted per heartbeat at most (default 1000). */
  readonly gcBudget?: number
}

/** Node rows read per heartbeat at most: far more nodes than any deployment has. */
const MAX_NODES = 10_000
/** Least time between two warnings about a shared node id. */
const DUPLICATE_WARN_MS = 10 * 60_000

/**
 * @example
 * const presence = new NodePresence({ db, nodeId: 'node-a', logger, events })
 * presence.start()
 * await presence.connected('dev-1', 'acme') // on an authenticated hello; then welcome
 * presence.disconnected('dev-1') // when that connection ends
 * await presence.close()
 */
export class NodePresence implements PresenceView {
  readonly timing: PresenceTiming
  readonly #db: Kysely<Database>
  readonly #node: NodeStamp
  readonly #writer: SessionWriter
  readonly #logger: PresenceLogger
  readonly #events: PresenceEvents | undefined
  readonly #now: () => number
  readonly #clock = new ClockOffset()
  readonly #gcBudget: number
  /** This node's connected devices: device → its org and its session row. */
  readonly #local = new Map<string, { readonly org: string; readonly session: Session }>()
  /** Whether each other node's heartbeat was fresh at the last tick. */
  readonly #fresh = new Map<string, boolean>()
  /** Connections recorded by this process (their ids are `<instance>.<count>`). */
  #connections = 0
  #lastBeat: number | undefined
  #repairDue = true
  #nextRepairAt = 0
  #duplicateWarnedAt = -Infinity
  #timer: NodeJS.Timeout | undefined
  #ticking: Promise<void> | undefined
  #repairing: Promise<void> | undefined
  #closing: Promise<void> | undefined

  constructor(options: NodePresenceOptions) {
    this.timing = presenceTiming(options.ttlMs)
    this.#db = options.db
    this.#node = Object.freeze({ nodeId: options.nodeId, instance: randomBytes(8).toString('hex'), ttlMs: this.timing.ttlMs })
    this.#writer = new SessionWriter(options.db, this.#node)
    this.#logger = options.logger
    this.#events = options.events
    this.#now = options.now ?? Date.now
    this.#gcBudget = options.gcBudget ?? 1000
  }

  /** Writes the first heartbeat now, then one every `timing.heartbeatMs`. */
  start(): void {
    if (this.#timer !== undefined || this.#closing !== undefined) return
    void this.tick()
    this.#timer = setInterval(() => void this.tick(), this.timing.heartbeatMs)
    this.#timer.unref()
  }

  online(deviceRef: string): ReturnType<PresenceView['online']> {
    return onlineExpression(deviceRef, dbNow(this.#db))
  }

  /**
   * Records `deviceId`'s authenticated connection to this node (replacing
   * any older one, here or elsewhere). Resolves once the row is committed,
   * or once the write failed (logged; the next heartbeat repairs it):
   * welcome the agent only then, so that whoever it tells reads it online.
   * Never rejects.
   */
  connected(deviceId: string, org: string): Promise<void> {
    if (this.#closing !== undefined) return Promise.resolve()
    const session: Session = {
      device_id: deviceId,
      connection_id: `${this.#node.instance}.${(++this.#connections).toString(36)}`,
      connected_at: this.#clock.toDb(this.#now()),
    }
    this.#local.set(deviceId, { org, session })
    return this.#writer.record(session).catch((err: unknown) => this.#failed(err))
  }

  /** Removes the session of `deviceId`'s connection to this node (call only for its current one), then announces it. */
  disconnected(deviceId: string): void {
    const here = this.#local.get(deviceId)
    if (here === undefined) return
    this.#local.delete(deviceId)
    if (this.#closing !== undefined) return
    this.#writer
      .remove(here.session)
      // Announced once committed: a console that reloads on the event must not read the old row.
      .then(() => this.#events?.emit(here.org, { kind: 'device', id: deviceId }))
      .catch((err: unknown) => this.#failed(err))
  }

  /** Devices connected to this node. */
  get size(): number {
    return this.#local.size
  }

  /** Resolves once every session write queued so far is committed (or failed). */
  settled(): Promise<void> {
    return this.#writer.settled()
  }

  /**
   * One heartbeat: write it, announce nodes that turned stale or fresh,
   * collect dead ones, and start a repair when due. Resolves once all that
   * is done, the repair included; never rejects. The repair runs on its
   * own, so the next heartbeat never waits for it (its writes queue in the
   * session writer, which a reconnect storm may keep busy for a while).
   */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick()
      .catch((err: unknown) => this.#logger.warn({ err, node: this.#node.nodeId }, 'presence heartbeat failed'))
      .finally(() => (this.#ticking = undefined))
    return this.#ticking.then(() => this.#repairing)
  }

  /**
   * Stops the heartbeat and the session writes, and deletes this node's
   * sessions and row: its devices read offline at once instead of after
   * the TTL. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer)
      // A heartbeat or a write in flight finishes first (or it could
      // re-create a row deleted below), but only for so long: a query
      // caught by a database being torn down may never settle. A node row
      // re-created late is collected as dead; a session re-created late
      // names a node without a row, so it never reads online.
      const bound = new AbortController()
      await Promise.race([
        Promise.all([this.#writer.close(), this.#ticking, this.#repairing]),
        delay(Math.min(1000, this.timing.heartbeatMs), undefined, { signal: bound.signal }).catch(() => {}),
      ])
      bound.abort()
      const orgs = new Set([...this.#local.values()].map((s) => s.org))
      this.#local.clear()
      try {
        await deleteSessionsInOrder(this.#db, (eb) => eb('node_id', '=', this.#node.nodeId))
        await this.#db.deleteFrom('server_nodes').where('node_id', '=', this.#node.nodeId).where('instance', '=', this.#node.instance).execute()
      } catch (err) {
        this.#logger.warn({ err, node: this.#node.nodeId }, 'could not delete this node\'s presence; its devices read offline once its heartbeat is stale')
        return
      }
      for (const org of orgs) this.#events?.emit(org, { kind: 'device' })
    })()
    return this.#closing
  }

  async #tick(): Promise<void> {
    if (this.#closing !== undefined) return
    const local = this.#now()
    // Before the first heartbeat, which would make them read online again.
    if (this.#lastBeat === undefined) await this.#dropPredecessors()
    const nodes = await this.#db
      .selectFrom('server_nodes')
      .select(['node_id', 'instance', 'heartbeat_at', 'ttl_ms'])
      .orderBy('heartbeat_at', 'desc')
      .limit(MAX_NODES)
      .execute()
    // Every write of this process names its instance: another one in the
    // row since this process's last heartbeat is another live process (at
    // the first heartbeat it may be an earlier run, so no warning then).
    const mine = nodes.find((n) => n.node_id === this.#node.nodeId)
    if (this.#lastBeat !== undefined && mine !== undefined && mine.instance !== this.#node.instance && local - this.#duplicateWarnedAt > DUPLICATE_WARN_MS) {
      this.#duplicateWarnedAt = local
      this.#logger.warn({ node: this.#node.nodeId }, 'another server process uses this node id; give each node its own --node-id')
    }
    // Silent long enough to have been collected as dead: re-record what is
    // here. A clock stepped back would put the next repair off: repair now.
    if (this.#lastBeat === undefined || local - this.#lastBeat >= this.timing.gcAfterMs || local < this.#lastBeat) this.#repairDue = true
    const before = this.#now()
    const at = await beat(this.#db, this.#node)
    this.#clock.sample(before, at, this.#now())
    this.#lastBeat = local
    if (this.#closing !== undefined) return
    const others = nodes.filter((n) => n.node_id !== this.#node.nodeId)
    await this.#announceChanges(others, at)
    // Its own failure, its own message: it must not stop the repair below.
    try {
      const dead: DeadNode[] = others
        .map((n) => ({ nodeId: n.node_id, heartbeatAt: n.heartbeat_at, cutoff: at - GC_AFTER_TTLS * n.ttl_ms }))
        .filter((n) => n.heartbeatAt < n.cutoff)
        .map(({ nodeId, cutoff }) => ({ nodeId, cutoff }))
      if (dead.length > 0) await collectDeadNodes(this.#db, dead, this.#gcBudget)
    } catch (err) {
      this.#logger.warn({ err, node: this.#node.nodeId }, 'could not collect dead nodes\' presence; trying again at the next heartbeat')
    }
    if ((this.#repairDue || local >= this.#nextRepairAt) && this.#repairing === undefined) {
      this.#repairing = this.#repair(local)
        .catch((err: unknown) => this.#failed(err))
        .finally(() => (this.#repairing = undefined))
    }
  }

  /** Deletes this node id's sessions written by any other process: an earlier run's, dead or replaced. */
  async #dropPredecessors(): Promise<void> {
    const n = await deleteSessionsInOrder(this.#db, (eb) =>
      eb.and([eb('node_id', '=', this.#node.nodeId), eb('connection_id', 'not like', `${this.#node.instance}.%`)]),
    )
    if (n > 0) this.#logger.info({ node: this.#node.nodeId, sessions: n }, 'dropped the sessions an earlier process under this node id left')
  }

  /** Tells this node's streams about the orgs whose devices changed with another node's heartbeat turning stale or fresh. */
  async #announceChanges(others: readonly { node_id: string; heartbeat_at: number; ttl_ms: number }[], at: number): Promise<void> {
    const changed: string[] = []
    const seen = new Set<string>()
    for (const n of others) {
      seen.add(n.node_id)
      const fresh = n.heartbeat_at + n.ttl_ms >= at
      const before = this.#fresh.get(n.node_id)
      this.#fresh.set(n.node_id, fresh)
      if (before !== undefined && before !== fresh) changed.push(n.node_id)
    }
    for (const node of this.#fresh.keys()) if (!seen.has(node)) this.#fresh.delete(node)
    if (changed.length === 0 || this.#events === undefined) return
    const orgs = await this.#db
      .selectFrom('agent_sessions as s')
      .innerJoin('devices as d', 'd.id', 's.device_id')
      .select('d.org_id')
      .distinct()
      .where('s.node_id', 'in', changed)
      .execute()
    for (const { org_id } of orgs) this.#events.emitLocal(org_id, { kind: 'device' })
  }

  /** Makes this node's rows match its connections: stale rows deleted, missing ones recorded. */
  async #repair(local: number): Promise<void> {
    const rows = await readOwnSessions(this.#db, this.#node.nodeId)
    // Compared and queued at once: a connection that comes or goes later
    // queues its own write behind these, in order (session-writer.ts).
    const writes: Promise<void>[] = []
    let stale = 0
    let missing = 0
    for (const [device_id, connection_id] of rows) {
      if (this.#local.get(device_id)?.session.connection_id === connection_id) continue
      stale++
      writes.push(this.#writer.remove({ device_id, connection_id }))
    }
    for (const [id, here] of this.#local) {
      if (rows.get(id) === here.session.connection_id) continue
      missing++
      writes.push(this.#writer.record(here.session))
    }
    if (writes.length > 0) {
      const failed = (await Promise.allSettled(writes)).find((r) => r.status === 'rejected')
      if (failed !== undefined) throw failed.reason
      this.#logger.info({ node: this.#node.nodeId, stale, missing }, 'presence repaired')
    }
    this.#repairDue = false
    this.#nextRepairAt = local + this.timing.repairEveryMs
  }

  #failed(err: unknown): void {
    if (err instanceof SessionWriterClosedError) return // shutting down: close() deletes every row of this node
    this.#repairDue = true
    this.#logger.warn({ err, node: this.#node.nodeId }, 'could not record presence; repairing at the next heartbeat')
  }
}
