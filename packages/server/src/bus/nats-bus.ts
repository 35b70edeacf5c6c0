/**
 * The bus over NATS (core NATS, at-most-once): the fan-out between server
 * nodes. Guarantees, and what it leaves to others:
 *
 * - reconnects forever: a first connection that fails is retried every
 *   `retryMs` (the node starts and serves its own agents meanwhile, and
 *   /healthz reports the bus down); once connected, the client reconnects
 *   by itself and restores the subscriptions;
 * - bounded pending: nothing is queued while disconnected (a publish is
 *   dropped and counted: the bus is a hint, bus.ts), so a NATS outage
 *   cannot grow this process's memory;
 * - `noEcho`: a node never receives its own messages (it acted on them locally);
 * - close drains: what was published is flushed and subscriptions finish
 *   their messages before the connection closes;
 * - one deployment's subjects: every message goes out under
 *   `palisade.v1.<deployment>.<name>` (bus.ts deploymentSubject), the
 *   deployment being the database's (db/deployment-id.ts), so nodes on
 *   another database never receive it.
 *
 * Trusts: nothing received (bus-messages.ts parses it). The URL carries no
 * credentials (config.ts refuses them).
 */
import { connect, Events, type NatsConnection, type Subscription } from 'nats'
import { DEPLOYMENT_ID_RE } from '../db/deployment-id.js'
import { deploymentSubject, type Bus, type BusHandler, type BusHealth, type Subject } from './bus.js'

/** The slice of a logger the bus reports to. */
export interface BusLogger {
  info(obj: Record<string, unknown>, msg: string): void
  warn(obj: Record<string, unknown>, msg: string): void
}

/** Options of {@link NatsBus}. */
export interface NatsBusOptions {
  /** `nats://host:port`, several separated by commas. */
  readonly url: string
  /** This node's name, shown by the NATS server's monitoring. */
  readonly name: string
  /** The deployment whose subjects this bus uses (db/deployment-id.ts). */
  readonly deployment: string
  readonly logger?: BusLogger
  /** Delay between attempts at the first connection (default 2000 ms); also NATS's reconnect wait. */
  readonly retryMs?: number
  /** Time allowed for one connection attempt (default 5000 ms). */
  readonly connectTimeoutMs?: number
}

/**
 * @example
 * const bus = new NatsBus({ url: 'nats://127.0.0.1:4222', name: 'node-a', deployment: await deploymentId(db) })
 * bus.subscribe(SUBJECTS.deliveries, (data) => …)
 * bus.publish(SUBJECTS.deliveries, bytes)
 * await bus.close()
 */
export class NatsBus implements Bus {
  readonly #options: NatsBusOptions
  readonly #servers: string[]
  readonly #handlers = new Map<Subject, Set<BusHandler>>()
  readonly #subs = new Map<Subject, Subscription>()
  #nc: NatsConnection | undefined
  #connected = false
  #closed = false
  #retry: NodeJS.Timeout | undefined
  #lastError = 'not connected yet'
  #markReady: () => void = () => {}
  readonly #ready = new Promise<void>((resolve) => (this.#markReady = resolve))
  /** Messages not sent because the bus was down. */
  dropped = 0

  constructor(options: NatsBusOptions) {
    if (!DEPLOYMENT_ID_RE.test(options.deployment)) throw new TypeError('NatsBus: deployment must be a NATS subject token (letters, digits, "_", "-")')
    this.#options = options
    this.#servers = options.url.split(',').map((u) => new URL(u).host)
    this.#connectSafely()
  }

  /** Resolves once connected (tests and startup logs); never rejects, and resolves at once after close. */
  ready(): Promise<void> {
    return this.#ready
  }

  publish(subject: Subject, data: Uint8Array): void {
    const nc = this.#nc
    if (!this.#connected || nc === undefined || nc.isClosed() || nc.isDraining()) {
      this.dropped++
      return
    }
    try {
      nc.publish(deploymentSubject(subject, this.#options.deployment), data)
    } catch {
      this.dropped++ // a connection closing under us: the periodic re-check covers it
    }
  }

  subscribe(subject: Subject, handler: BusHandler): () => void {
    let set = this.#handlers.get(subject)
    if (set === undefined) this.#handlers.set(subject, (set = new Set()))
    const mine = set
    const entry: BusHandler = (d) => handler(d)
    mine.add(entry)
    this.#ensureSubscribed(subject)
    return () => void mine.delete(entry)
  }

  health(): BusHealth {
    if (this.#closed) return { ok: false, reason: 'the bus is closed' }
    if (this.#connected) return { ok: true }
    return { ok: false, reason: `not connected to NATS at ${this.#servers.join(', ')}: ${this.#lastError}` }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#markReady()
    clearTimeout(this.#retry)
    const nc = this.#nc
    if (nc === undefined || nc.isClosed()) return
    try {
      await nc.drain()
    } catch {
      await nc.close().catch(() => {})
    }
  }

  async #connect(): Promise<void> {
    if (this.#closed) return
    const retryMs = this.#options.retryMs ?? 2000
    let nc: NatsConnection
    try {
      nc = await connect({
        servers: this.#servers,
        name: this.#options.name,
        noEcho: true,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: retryMs,
        timeout: this.#options.connectTimeoutMs ?? 5000,
        pingInterval: 10_000,
        maxPingOut: 3,
      })
    } catch (e) {
      this.#lastError = errorText(e)
      if (!this.#closed) {
        this.#retry = setTimeout(() => this.#connectSafely(), retryMs)
        this.#retry.unref()
      }
      return
    }
    if (this.#closed) {
      await nc.close().catch(() => {})
      return
    }
    this.#nc = nc
    this.#connected = true
    this.#lastError = ''
    this.#options.logger?.info({ server: nc.getServer() }, 'bus connected')
    for (const subject of this.#handlers.keys()) this.#ensureSubscribed(subject)
    this.#markReady()
    this.#watch(nc).catch((e: unknown) => this.#options.logger?.warn({ err: errorText(e) }, 'bus status watch ended'))
  }

  /** Never rejects: a failure here must not become an unhandled rejection that ends the process. */
  #connectSafely(): void {
    this.#connect().catch((e: unknown) => {
      this.#lastError = errorText(e)
      this.#options.logger?.warn({ err: this.#lastError }, 'bus connection failed')
    })
  }

  async #watch(nc: NatsConnection): Promise<void> {
    void nc.closed().then((err) => {
      this.#connected = false
      this.#lastError = err instanceof Error ? errorText(err) : 'connection closed'
    })
    for await (const s of nc.status()) {
      if (s.type === Events.Disconnect) {
        this.#connected = false
        this.#lastError = 'disconnected; reconnecting'
        this.#options.logger?.warn({ server: String(s.data) }, 'bus disconnected')
      } else if (s.type === Events.Reconnect) {
        this.#connected = true
        this.#lastError = ''
        this.#options.logger?.info({ server: String(s.data) }, 'bus reconnected')
      }
    }
  }

  #ensureSubscribed(subject: Subject): void {
    const nc = this.#nc
    if (nc === undefined || this.#subs.has(subject) || nc.isClosed() || nc.isDraining()) return
    const deliver = (data: Uint8Array): void => {
      for (const handler of [...(this.#handlers.get(subject) ?? [])]) {
        try {
          handler(data)
        } catch (e) {
          this.#options.logger?.warn({ err: errorText(e), subject }, 'bus handler failed')
        }
      }
    }
    try {
      this.#subs.set(subject, nc.subscribe(deploymentSubject(subject, this.#options.deployment), { callback: (err, msg) => void (err === null && deliver(msg.data)) }))
    } catch (e) {
      this.#options.logger?.warn({ err: errorText(e), subject }, 'bus subscribe failed')
    }
  }
}

function errorText(e: unknown): string {
  const text = e instanceof Error ? (('code' in e && typeof e.code === 'string' ? `${e.code}: ` : '') + e.message) : String(e)
  return text.slice(0, 200)
}
