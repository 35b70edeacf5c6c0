/**
 * The agent gateway: every agent's WebSocket on this server node, one per
 * device (a new connection replaces the old one), and the push of logged
 * commands to the devices that are online. Offline devices get their
 * deliveries when they next connect; nothing is lost by being offline,
 * because deliveries live in the database, not in memory.
 *
 * Checkpoints: every checkpoint the log publishes or re-cosigns
 * (`publications`) is pushed to the connected agents of its org
 * (agent-connection.ts), and every `refreshCheckMs` the gateway asks the log
 * to publish for each org with an agent connected here: with nothing new,
 * that re-cosigns the latest checkpoint once it is getting old (log/org-log.ts),
 * so idle devices stay fresh and raise no AGENT_CHECKPOINT_STALE. Bounded:
 * one publish call per connected org per tick, most of which only read.
 *
 * Several nodes: every dispatch, published checkpoint and console event
 * is also announced on the bus (bus/bus.ts; ids only), and each node acts
 * on what other nodes announce for the agents and streams connected to it.
 * The bus is a hint: every `refreshCheckMs` each node also re-reads, for
 * its own agents, the pending deliveries and the latest checkpoint, so a
 * lost message only delays a delivery by at most that long.
 *
 * Presence: `online` is the same on every node. Each authenticated
 * connection is recorded in the shared database with this node's id, and
 * removed when it ends; a device is online while its session names a node
 * whose heartbeat is fresh, so a crashed node's devices go offline within
 * the TTL (presence/node-presence.ts). Local knowledge (which connection
 * to push to) stays in this gateway's own map.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { WebSocket } from 'ws'
import type { CommandLog, LatestCheckpoint } from '../commands/command-log.js'
import { currentRoot } from '../commands/org-roots.js'
import type { Database } from '../db/schema.js'
import { AgentConnection, CLOSE } from './agent-connection.js'
import { AlertBudget } from './alert-budget.js'
import { DeliveryBuilder } from './delivery-builder.js'
import type { GatewayContext, GatewayLimits, RegisteredConnection } from './gateway-context.js'
import { GroupCommit } from './group-commit.js'
import { randomBytes } from 'node:crypto'
import { SUBJECTS, type Bus } from '../bus/bus.js'
import { formatCheckpoint, formatDeliveries, parseCheckpoint, parseDeliveries, parseEvent } from '../bus/bus-messages.js'
import { LocalBus } from '../bus/local-bus.js'
import { BusOrgEvents } from './bus-org-events.js'
import { CommandEvents } from './command-events.js'
import { PreparedCommand } from './prepared-command.js'
import { OPEN_DELIVERY_STATUSES } from '../commands/command-status.js'
import { NodePresence } from '../presence/node-presence.js'
import type { PresenceView } from '../presence/online-expression.js'

/** Device ids per IN list of the dispatch queries. */
const DISPATCH_CHUNK = 500

/**
 * How long a checkpoint that grew the log waits before it is pushed on its
 * own. It usually logged a command whose deliveries follow within that
 * time and carry the same checkpoint: the targeted agents then get and
 * verify it once, with the delivery, instead of twice (a pushed checkpoint
 * costs an agent its log signature and cosignature checks, about half the
 * work of a delivery). Agents the command does not target get the push
 * when the hold ends. A re-cosigned checkpoint (same size) is pushed at once.
 */
export const PUSH_HOLD_MS = 1500

/** What the rest of the server uses of the gateway (RouteContext.gateway). */
export interface Gateway {
  /** Pushes command `commandKey`'s pending deliveries to its online targets; errors are logged, not thrown. */
  dispatch(commandKey: string): void
  /** Which devices are online, on any node (select `presence.online('d.id')` next to a device's columns). */
  readonly presence: PresenceView
}

/** Options of {@link AgentGateway}. */
export interface AgentGatewayOptions {
  readonly db: Kysely<Database>
  readonly log: CommandLog
  readonly logger: FastifyBaseLogger
  /** How often idle connections are pinged; one missed pong closes them (default 30 s). */
  readonly pingIntervalMs?: number
  readonly limits?: Partial<GatewayLimits>
  /** Announces published and re-cosigned checkpoints (the OrgLog); without it, checkpoints are pushed only on connect and dispatch. */
  readonly publications?: PublicationFeed
  /**
   * How often orgs with a connected agent get a publish call, which
   * re-cosigns a stale checkpoint, and the agents here get what the bus
   * may have failed to announce (default 60 s).
   */
  readonly refreshCheckMs?: number
  /** The bus between nodes (default: an in-process bus, one node). The gateway does not close it. */
  readonly bus?: Bus
  /** This node's name on the bus (default random). */
  readonly nodeId?: string
  /** Where deliveries, results, rejections and alerts are counted. */
  readonly metrics?: GatewayContext['metrics']
  /** How long a node's presence heartbeat stays fresh (default 30 s; presence/presence-timing.ts). */
  readonly presenceTtlMs?: number
}

/** The slice of the log that announces checkpoints (OrgLog.onPublished). */
export interface PublicationFeed {
  onPublished(listener: (orgId: string, published?: { readonly size: number }) => void): () => void
}

const DEFAULT_LIMITS: GatewayLimits = Object.freeze({
  helloTimeoutMs: 10_000,
  maxQueuedFrames: 32,
  maxQueuedBytes: 16 * 1024 * 1024,
  maxInFlight: 1000,
  highWaterBytes: 1024 * 1024,
  inventoryIntervalMs: 10_000,
})

/**
 * @example
 * const gateway = new AgentGateway({ db, log, logger })
 * app.get('/v1/agent', { websocket: true, schema }, (socket) => gateway.accept(socket))
 * gateway.dispatch('acme/cmd-1')
 */
export class AgentGateway implements Gateway {
  readonly #ctx: GatewayContext
  readonly #commits: GroupCommit
  readonly #byDevice = new Map<string, AgentConnection>()
  readonly #all = new Set<AgentConnection>()
  readonly #pingIntervalMs: number
  #timer: NodeJS.Timeout | undefined
  readonly #refreshCheckMs: number
  #refreshTimer: NodeJS.Timeout | undefined
  readonly #unsubscribe: () => void
  readonly #latest: Coalesced<LatestCheckpoint | null>
  #closed = false
  readonly #bus: Bus
  readonly #nodeId: string
  readonly #busOff: (() => void)[]
  /** The latest checkpoint note seen per org with agents here (to catch checkpoints the bus did not announce). */
  readonly #lastNotes = new Map<string, string>()
  /** The largest checkpoint size announced per org (to tell a grown log from a re-cosigned one). */
  readonly #sizes = new Map<string, number>()
  /** Orgs whose grown checkpoint is held back (PUSH_HOLD_MS). */
  readonly #held = new Map<string, NodeJS.Timeout>()
  readonly #presence: NodePresence
  /** What changed, per org, for the console's live view (GET /v1/orgs/:org/events), on every node. */
  readonly events: BusOrgEvents

  constructor(options: AgentGatewayOptions) {
    const { db, log, logger } = options
    this.#bus = options.bus ?? new LocalBus()
    this.#nodeId = options.nodeId ?? `node-${randomBytes(4).toString('hex')}`
    this.events = new BusOrgEvents(this.#bus, this.#nodeId)
    this.#commits = new GroupCommit(db, { maxBatch: 2000 })
    const latest = coalesce((org: string) => Promise.resolve(log.latest(org)) as Promise<LatestCheckpoint | null>)
    this.#latest = latest
    const rootVersion = coalesce(async (org: string) => (await currentRoot(db, org))?.version ?? 0)
    this.#ctx = {
      db,
      log,
      logger,
      builder: new DeliveryBuilder(log),
      commits: this.#commits,
      alerts: new AlertBudget(),
      limits: Object.freeze({ ...DEFAULT_LIMITS, ...options.limits }),
      events: this.events,
      commandEvents: new CommandEvents(this.events),
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
      latest,
      rootVersion,
      register: (conn) => this.#register(conn as AgentConnection),
      unregister: (conn) => this.#unregister(conn as AgentConnection),
    }
    this.#pingIntervalMs = options.pingIntervalMs ?? 30_000
    this.#refreshCheckMs = options.refreshCheckMs ?? 60_000
    this.#unsubscribe = options.publications?.onPublished((org, published) => this.#publishedHere(org, published)) ?? (() => {})
    this.#busOff = this.#subscribeBus()
    this.#presence = new NodePresence({
      db,
      nodeId: this.#nodeId,
      logger,
      events: this.events,
      ...(options.presenceTtlMs === undefined ? {} : { ttlMs: options.presenceTtlMs }),
    })
    this.#presence.start()
  }

  /** Shared device presence: this node's sessions and heartbeat, and the reading of every node's. */
  get presence(): NodePresence {
    return this.#presence
  }

  /** The bus this gateway fans out through (its health is part of /healthz). */
  get bus(): Bus {
    return this.#bus
  }

  /** This node's name on the bus. */
  get nodeId(): string {
    return this.#nodeId
  }

  /** Takes over a freshly upgraded socket: challenge, hello, and everything after. */
  accept(ws: WebSocket): void {
    if (this.#closed) {
      ws.close(CLOSE.GOING_AWAY, 'server shutting down')
      return
    }
    const conn = new AgentConnection(ws, this.#ctx)
    this.#all.add(conn)
    ws.once('close', () => this.#all.delete(conn))
    // One sweep for all connections, started with the first one.
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => {
        for (const c of this.#all) if (!c.heartbeat()) this.#all.delete(c)
      }, this.#pingIntervalMs)
      this.#timer.unref()
    }
    if (this.#refreshTimer === undefined) {
      this.#refreshTimer = setInterval(() => this.#refresh(), this.#refreshCheckMs)
      this.#refreshTimer.unref()
    }
  }

  /** Number of authenticated connections. */
  get online(): number {
    return this.#byDevice.size
  }

  dispatch(commandKey: string): void {
    const org = commandKey.slice(0, commandKey.indexOf('/'))
    this.#bus.publish(SUBJECTS.deliveries, formatDeliveries({ node: this.#nodeId, org, command: commandKey }))
    this.#dispatch(commandKey).catch((err: unknown) => this.#ctx.logger.error({ err, commandKey }, 'dispatch failed'))
  }

  async #dispatch(commandKey: string): Promise<void> {
    if (this.#closed || this.#byDevice.size === 0) return
    // The command was just published: a checkpoint lookup already running
    // may predate it, and must not be shared with the sends below.
    this.#latest.invalidate(commandKey.slice(0, commandKey.indexOf('/')))
    const { db } = this.#ctx
    const rows = await db
      .selectFrom('deliveries')
      .select(['device_id', 'target_proof'])
      .where('command_id', '=', commandKey)
      .where('status', '=', 'pending')
      .execute()
    const here = rows.filter((r) => this.#byDevice.has(r.device_id))
    if (here.length === 0) return
    const c = await db.selectFrom('commands').select(['org_id', 'log_index', 'envelope', 'not_after']).where('id', '=', commandKey).executeTakeFirst()
    if (c === undefined || c.log_index === null || c.envelope === null) {
      for (const r of here) this.#byDevice.get(r.device_id)?.schedulePending()
      return
    }
    // Log order per device (devices enforce it: a command older than one
    // they ran is refused, PROTO_OUT_OF_ORDER): a device with an
    // older open delivery gets this one through its general path, behind
    // the older one. Complete, because a command's deliveries are stored in
    // the transaction that gives it its log index, and appends of an org
    // are serialised (log-command.ts): having read this command's
    // deliveries, the queries here see those of every older command, and a
    // closed delivery never reopens.
    const behind = new Set<string>()
    for (let i = 0; i < here.length; i += DISPATCH_CHUNK) {
      const older = await db
        .selectFrom('deliveries as d')
        .innerJoin('commands as c', 'c.id', 'd.command_id')
        .select('d.device_id')
        .distinct()
        .where('d.device_id', 'in', here.slice(i, i + DISPATCH_CHUNK).map((r) => r.device_id))
        .where('d.status', 'in', OPEN_DELIVERY_STATUSES)
        .where('c.log_index', '<', c.log_index)
        .execute()
      for (const r of older) behind.add(r.device_id)
    }
    const prepared = new PreparedCommand(commandKey, c.org_id, c.log_index, c.envelope, c.not_after)
    for (const r of here) {
      const conn = this.#byDevice.get(r.device_id)
      if (conn === undefined) continue
      if (behind.has(r.device_id)) conn.schedulePending()
      else conn.offer(prepared, r.target_proof)
    }
  }

  /** Closes every connection (1001), stops pinging, commits what is queued, and deletes this node's presence. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true
      clearInterval(this.#timer)
      clearInterval(this.#refreshTimer)
      this.#unsubscribe()
      for (const off of this.#busOff) off()
      for (const timer of this.#held.values()) clearTimeout(timer)
      this.#held.clear()
      for (const conn of this.#all) conn.close(CLOSE.GOING_AWAY, 'server shutting down')
    }
    await this.#commits.close()
    await this.#presence.close()
  }

  /** This node's log published or re-cosigned a checkpoint of `org`: the other nodes hear of it too. */
  #publishedHere(org: string, published?: { readonly size: number }): void {
    if (this.#closed) return
    const size = Math.max(1, published?.size ?? 1)
    this.#bus.publish(SUBJECTS.checkpoint, formatCheckpoint({ node: this.#nodeId, org, size }))
    this.#published(org, size)
  }

  /** A checkpoint of `org` was published or re-cosigned (here or on another node): every agent of the org here gets it. */
  #published(org: string, size?: number): void {
    if (this.#closed) return
    this.#latest.invalidate(org)
    const before = this.#sizes.get(org) ?? 0
    const grew = size !== undefined && size > before
    if (size !== undefined && grew) this.#sizes.set(org, size)
    if (!grew) {
      for (const conn of this.#byDevice.values()) if (conn.org === org) conn.checkpointPublished()
      return
    }
    // Connections waiting for this checkpoint to send deliveries go now; the push on its own waits (PUSH_HOLD_MS).
    for (const conn of this.#byDevice.values()) if (conn.org === org) conn.checkpointPublished(true)
    if (this.#held.has(org)) return
    const timer = setTimeout(() => {
      this.#held.delete(org)
      if (this.#closed) return
      for (const conn of this.#byDevice.values()) if (conn.org === org) conn.checkpointPublished()
    }, PUSH_HOLD_MS)
    timer.unref()
    this.#held.set(org, timer)
  }

  /** Acts on what other nodes announce; messages from this node (an in-process bus shared in tests) are skipped. */
  #subscribeBus(): (() => void)[] {
    const bus = this.#bus
    return [
      bus.subscribe(SUBJECTS.deliveries, (data) => {
        const m = parseDeliveries(data)
        if (m !== undefined && m.node !== this.#nodeId) {
          this.#dispatch(m.command).catch((err: unknown) => this.#ctx.logger.error({ err, commandKey: m.command }, 'dispatch failed'))
        }
      }),
      bus.subscribe(SUBJECTS.checkpoint, (data) => {
        const m = parseCheckpoint(data)
        if (m !== undefined && m.node !== this.#nodeId) this.#published(m.org, m.size)
      }),
      bus.subscribe(SUBJECTS.events, (data) => {
        const m = parseEvent(data)
        if (m !== undefined && m.node !== this.#nodeId) this.events.emitLocal(m.org, m.event)
      }),
    ]
  }

  /**
   * What the bus may have failed to announce, for the agents here: a newer
   * checkpoint of their org, and pending deliveries (one query per 500
   * connected devices). Cheap when nothing is missed.
   */
  async #recheck(orgs: ReadonlySet<string>): Promise<void> {
    for (const org of orgs) {
      this.#latest.invalidate(org)
      const latest = await this.#latest(org)
      if (latest === null) continue
      const seen = this.#lastNotes.get(org)
      this.#lastNotes.set(org, latest.note)
      if (seen !== undefined && seen !== latest.note) this.#published(org)
    }
    for (const org of this.#lastNotes.keys()) if (!orgs.has(org)) this.#lastNotes.delete(org)
    const ids = [...this.#byDevice.keys()]
    for (let i = 0; i < ids.length && !this.#closed; i += 500) {
      const rows = await this.#ctx.db
        .selectFrom('deliveries')
        .select('device_id')
        .distinct()
        .where('device_id', 'in', ids.slice(i, i + 500))
        // 'sent' ones are in flight on a connection, or resent at the next connect
        .where('status', '=', 'pending')
        .execute()
      for (const r of rows) this.#byDevice.get(r.device_id)?.schedulePending()
    }
  }

  /** One publish call per org with a connected agent: re-cosigns what is getting stale (log/org-log.ts). */
  #refresh(): void {
    if (this.#closed) return
    const orgs = new Set<string>()
    for (const conn of this.#byDevice.values()) if (conn.org !== undefined) orgs.add(conn.org)
    for (const org of orgs) {
      this.#ctx.log.publish(org).catch((err: unknown) => this.#ctx.logger.warn({ err, org }, 'periodic checkpoint publish failed'))
    }
    this.#recheck(orgs).catch((err: unknown) => this.#ctx.logger.warn({ err }, 'periodic delivery check failed'))
  }

  #register(conn: AgentConnection): Promise<void> {
    const id = conn.deviceId
    if (id === undefined) return Promise.resolve()
    const old = this.#byDevice.get(id)
    this.#byDevice.set(id, conn)
    const recorded = conn.org === undefined ? Promise.resolve() : this.#presence.connected(id, conn.org)
    if (old !== undefined && old !== conn) old.close(CLOSE.REPLACED, 'replaced by a newer connection')
    return recorded
  }

  #unregister(conn: RegisteredConnection): void {
    const id = conn.deviceId
    if (id !== undefined && this.#byDevice.get(id) === conn) {
      this.#byDevice.delete(id)
      this.#presence.disconnected(id)
    }
  }
}

/** A lookup whose concurrent calls with one key share one call; `invalidate` makes the next call start afresh. */
type Coalesced<T> = ((key: string) => Promise<T>) & { invalidate(key: string): void }

function coalesce<T>(lookup: (key: string) => Promise<T>): Coalesced<T> {
  const running = new Map<string, Promise<T>>()
  const call = (key: string): Promise<T> => {
    let p = running.get(key)
    if (p === undefined) {
      const started: Promise<T> = lookup(key).finally(() => {
        if (running.get(key) === started) running.delete(key)
      })
      p = started
      running.set(key, p)
    }
    return p
  }
  return Object.assign(call, { invalidate: (key: string) => void running.delete(key) })
}
