/**
 * The agent gateway: every agent's WebSocket on this server node, one per
 * device (a new connection replaces the old one), and the push of logged
 * commands to the devices that are online. Offline devices get their
 * deliveries when they next connect; nothing is lost by being offline,
 * because deliveries live in the database, not in memory.
 *
 * Scope: one node. With several nodes, `dispatch` reaches only the devices
 * connected here; fan-out between nodes belongs on the message bus (NATS,
 * DESIGN.md), and `online` is per node.
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

/** What the rest of the server uses of the gateway (RouteContext.gateway). */
export interface Gateway {
  /** Pushes command `commandKey`'s pending deliveries to its online targets; errors are logged, not thrown. */
  dispatch(commandKey: string): void
  /** Whether `deviceId` holds a connection to this node. */
  isOnline(deviceId: string): boolean
}

/** Options of {@link AgentGateway}. */
export interface AgentGatewayOptions {
  readonly db: Kysely<Database>
  readonly log: CommandLog
  readonly logger: FastifyBaseLogger
  /** How often idle connections are pinged; one missed pong closes them (default 30 s). */
  readonly pingIntervalMs?: number
  readonly limits?: Partial<GatewayLimits>
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
  readonly #latest: Coalesced<LatestCheckpoint | null>
  #closed = false

  constructor(options: AgentGatewayOptions) {
    const { db, log, logger } = options
    this.#commits = new GroupCommit(db)
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
      latest,
      rootVersion,
      register: (conn) => this.#register(conn as AgentConnection),
      unregister: (conn) => this.#unregister(conn as AgentConnection),
    }
    this.#pingIntervalMs = options.pingIntervalMs ?? 30_000
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
  }

  isOnline(deviceId: string): boolean {
    return this.#byDevice.has(deviceId)
  }

  /** Number of authenticated connections. */
  get online(): number {
    return this.#byDevice.size
  }

  dispatch(commandKey: string): void {
    this.#dispatch(commandKey).catch((err: unknown) => this.#ctx.logger.error({ err, commandKey }, 'dispatch failed'))
  }

  async #dispatch(commandKey: string): Promise<void> {
    if (this.#closed || this.#byDevice.size === 0) return
    // The command was just published: a checkpoint lookup already running
    // may predate it, and must not be shared with the sends below.
    this.#latest.invalidate(commandKey.slice(0, commandKey.indexOf('/')))
    const rows = await this.#ctx.db
      .selectFrom('deliveries')
      .select('device_id')
      .where('command_id', '=', commandKey)
      .where('status', '=', 'pending')
      .execute()
    for (const r of rows) this.#byDevice.get(r.device_id)?.schedulePending()
  }

  /** Closes every connection (1001), stops pinging, and commits what is queued. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true
      clearInterval(this.#timer)
      for (const conn of this.#all) conn.close(CLOSE.GOING_AWAY, 'server shutting down')
    }
    await this.#commits.close()
  }

  #register(conn: AgentConnection): void {
    const id = conn.deviceId
    if (id === undefined) return
    const old = this.#byDevice.get(id)
    this.#byDevice.set(id, conn)
    if (old !== undefined && old !== conn) old.close(CLOSE.REPLACED, 'replaced by a newer connection')
  }

  #unregister(conn: RegisteredConnection): void {
    const id = conn.deviceId
    if (id !== undefined && this.#byDevice.get(id) === conn) this.#byDevice.delete(id)
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
