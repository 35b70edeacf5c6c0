/**
 * The primary's worker processes: forks them (node:cluster), hands each
 * its configuration, restarts one that dies with backoff, and stops them
 * all gracefully.
 *
 * Sockets: node:cluster's round-robin scheduling is chosen explicitly (it
 * is Linux's default, but an environment variable can change it): the
 * primary accepts each connection, passes it to a worker and closes its
 * own copy once the worker acknowledges, so the primary holds no
 * descriptor per connection and the load spreads evenly, where letting
 * workers accept themselves piles connections onto whichever one the
 * kernel favours.
 *
 * A worker that dies while the pool runs is restarted after
 * restartDelay(); its agents reconnect (to a live worker at once) and miss
 * nothing, because deliveries live in the database. A worker that does not
 * report ready within the start timeout is killed, and then handled like
 * one that died.
 *
 * Messages: a worker's first message is `hello`, sent once its listener is
 * installed; Node drops messages to a process without one, so the pool
 * sends nothing before it. Stopping therefore asks a worker that said hello
 * with `shutdown`, and one that has not (still loading its modules, for
 * example a restart forked just before the stop) with SIGTERM, which
 * reaches it either way and finds nothing open; a hello that arrives while
 * the pool stops is answered with `shutdown`, never with a configuration.
 */
import cluster, { type Worker } from 'node:cluster'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'
import type { ServerConfig } from '../config.js'
import { deepFreeze } from '../util/deep-freeze.js'
import type { ClusterMetricsPool, WorkerStatus } from './cluster-metrics.js'
import { parseWorkerMessage, type PrimaryMessage } from './cluster-messages.js'
import { restartDelay, STABLE_RUN_MS } from './restart-delay.js'

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url))

/**
 * Variables removed from the workers' environment (node:cluster forks them
 * with the primary's): secrets the workers receive in their configuration
 * over the pipe anyway (cluster-messages.ts).
 */
export const WORKER_ENV_REMOVED: readonly string[] = Object.freeze(['PALISADE_SECRET_KEY', 'PALISADE_DATABASE_URL'])

/** A worker that could not start; `code` is its error's code (e.g. EADDRINUSE) when it had one. */
export class WorkerStartError extends Error {
  readonly code: string | undefined
  constructor(message: string, code?: string | null) {
    super(message)
    this.name = 'WorkerStartError'
    this.code = code ?? undefined
  }
}

/** A live worker. */
export interface WorkerInfo {
  /** 1 to the pool size. */
  readonly index: number
  /** `<node id>-w<index>`. */
  readonly node: string
  readonly pid: number
}

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** The node's validated configuration; `workers` is the pool size. */
  readonly config: ServerConfig
  readonly logger: Logger
  /** A worker not listening this long after its fork is killed (default 60 s). */
  readonly startTimeoutMs?: number
  /** The workers' entry point (default cluster/worker-main.js; tests pass a stand-in that speaks the same messages). */
  readonly exec?: string
}

interface Slot {
  readonly index: number
  readonly node: string
  worker: Worker | undefined
  /** The current worker said hello: it listens for messages. */
  hello: boolean
  readyAt: number | undefined
  /** Forks after the first. */
  restarts: number
  /** Restarts since the worker last ran stably. */
  failures: number
  /** Why the current worker could not start, as it said. */
  failed: { message: string; code: string | null } | undefined
  restart: NodeJS.Timeout | undefined
  startTimer: NodeJS.Timeout | undefined
  ready: { resolve(url: string): void; reject(e: Error): void } | undefined
}

/**
 * @example
 * const pool = new WorkerPool({ config, logger })
 * const url = await pool.start() // every worker listening
 * // … await pool.stop(9000)
 */
export class WorkerPool implements ClusterMetricsPool {
  readonly #config: ServerConfig
  readonly #logger: Logger
  readonly #startTimeoutMs: number
  readonly #exec: string
  readonly #slots: Slot[]
  #started = false
  #stopping = false

  constructor(options: WorkerPoolOptions) {
    this.#config = options.config
    this.#logger = options.logger
    this.#startTimeoutMs = options.startTimeoutMs ?? 60_000
    this.#exec = options.exec ?? WORKER_MAIN
    this.#slots = Array.from({ length: options.config.workers }, (_, i) => ({
      index: i + 1,
      node: `${options.config.nodeId}-w${i + 1}`,
      worker: undefined,
      hello: false,
      readyAt: undefined,
      restarts: 0,
      failures: 0,
      failed: undefined,
      restart: undefined,
      startTimer: undefined,
      ready: undefined,
    }))
  }

  /** The live workers. */
  get workers(): readonly WorkerInfo[] {
    return this.#slots.flatMap((s) => (s.worker?.process.pid === undefined ? [] : [{ index: s.index, node: s.node, pid: s.worker.process.pid }]))
  }

  /** Workers when all are up. */
  get size(): number {
    return this.#slots.length
  }

  /** Every worker slot: ready or not, and its restarts. */
  status(): readonly WorkerStatus[] {
    return this.#slots.map((s) => ({ node: s.node, ready: this.#isReady(s), restarts: s.restarts }))
  }

  /** The workers that are alive and reported ready: the ones worth asking for metrics. */
  readyWorkers(): readonly { readonly node: string; readonly worker: Worker }[] {
    return this.#slots.flatMap((s) => (this.#isReady(s) ? [{ node: s.node, worker: s.worker! }] : []))
  }

  #isReady(slot: Slot): boolean {
    return slot.readyAt !== undefined && slot.worker !== undefined && slot.worker.isConnected()
  }

  /**
   * Forks every worker and resolves with the URL they listen on once all
   * do. When any cannot start, stops the others and rejects with a
   * WorkerStartError saying why.
   */
  async start(): Promise<string> {
    if (!cluster.isPrimary) throw new Error('a worker pool runs in the primary process only')
    cluster.schedulingPolicy = cluster.SCHED_RR
    cluster.setupPrimary({ exec: this.#exec, args: [] })
    // The first worker alone, so that an address in use fails once rather
    // than once per worker. Workers listen on the configured address even
    // when its port is 0: node:cluster keys the shared socket by address,
    // so they all get the port the primary picked for the first (while
    // one holds it: should every worker be down at once, the primary closes
    // that socket and restarts pick a new port — with port 0 only, a test
    // setting).
    const [first, ...rest] = this.#slots
    try {
      const url = await this.#fork(first!)
      await Promise.all(rest.map((s) => this.#fork(s)))
      this.#started = true
      return url
    } catch (e) {
      await this.stop(5_000)
      throw e
    }
  }

  /**
   * Asks every worker to close gracefully (`shutdown`, or SIGTERM to one
   * that has not said hello), kills those still running after `timeoutMs`,
   * cancels pending restarts. Resolves with the workers that did not exit
   * cleanly (empty when all did).
   */
  async stop(timeoutMs: number): Promise<string[]> {
    this.#stopping = true
    const unclean: string[] = []
    await Promise.all(
      this.#slots.map(async (slot) => {
        clearTimeout(slot.restart)
        // The kill below replaces the start timeout's.
        clearTimeout(slot.startTimer)
        const worker = slot.worker
        if (worker === undefined) return
        const exited = new Promise<[number | null, string | null]>((resolve) => worker.once('exit', (code, signal) => resolve([code, signal])))
        if (slot.hello) this.#send(worker, { type: 'palisade:shutdown' })
        else worker.process.kill('SIGTERM')
        const kill = setTimeout(() => worker.process.kill('SIGKILL'), timeoutMs)
        const [code, signal] = await exited
        clearTimeout(kill)
        // Ended by SIGTERM (ours) or SIGINT (Ctrl-C reaches the whole process
        // group) before its hello: it had not received its configuration, so
        // it had opened nothing. A clean stop.
        const beforeHello = !slot.hello && (signal === 'SIGTERM' || signal === 'SIGINT')
        if (code !== 0 && !beforeHello) unclean.push(`${slot.node} (${signal ?? `exit ${code}`})`)
      }),
    )
    return unclean
  }

  #fork(slot: Slot): Promise<string> {
    slot.failed = undefined
    slot.hello = false
    slot.readyAt = undefined
    // An undefined value leaves the variable out of the child's environment.
    const worker = cluster.fork(Object.fromEntries(WORKER_ENV_REMOVED.map((name) => [name, undefined])))
    slot.worker = worker
    const pid = worker.process.pid
    const ready = new Promise<string>((resolve, reject) => (slot.ready = { resolve, reject }))
    // A restart's outcome is logged, not awaited.
    ready.catch(() => undefined)
    slot.startTimer = setTimeout(() => {
      this.#logger.error({ worker: slot.index, workerNode: slot.node, workerPid: pid, timeoutMs: this.#startTimeoutMs }, 'worker did not start in time; killing it')
      slot.failed = { message: `did not start within ${this.#startTimeoutMs / 1000} s`, code: null }
      worker.process.kill('SIGKILL')
    }, this.#startTimeoutMs)
    worker.on('message', (m: unknown) => this.#onMessage(slot, worker, m))
    worker.on('exit', (code, signal) => this.#onExit(slot, worker, code, signal))
    // IPC to a worker that just died fails asynchronously; its exit is what matters.
    worker.on('error', (err) => this.#logger.debug({ err, worker: slot.index }, 'worker channel error'))
    return ready
  }

  #onMessage(slot: Slot, worker: Worker, m: unknown): void {
    if (slot.worker !== worker) return
    const msg = parseWorkerMessage(m)
    if (msg === undefined) return
    switch (msg.type) {
      case 'palisade:hello': {
        slot.hello = true
        if (this.#stopping) return this.#send(worker, { type: 'palisade:shutdown' })
        const config = deepFreeze({ ...this.#config, nodeId: slot.node, metricsListen: null })
        this.#send(worker, { type: 'palisade:config', index: slot.index, config })
        return
      }
      case 'palisade:ready':
        clearTimeout(slot.startTimer)
        slot.readyAt = Date.now()
        this.#logger.info({ worker: slot.index, workerNode: slot.node, workerPid: worker.process.pid, url: msg.url, restarted: this.#started }, 'worker started')
        slot.ready?.resolve(msg.url)
        return
      case 'palisade:failed':
        slot.failed = { message: msg.message, code: msg.code }
        return
      case 'palisade:metrics':
        return // the answer to cluster-metrics.ts, which listens for it itself
    }
  }

  #onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return
    slot.worker = undefined
    clearTimeout(slot.startTimer)
    const pid = worker.process.pid
    const wasReady = slot.readyAt !== undefined
    if (!wasReady) {
      const why = slot.failed?.message ?? `exited (${signal ?? `code ${code}`}) before listening`
      slot.ready?.reject(new WorkerStartError(`worker ${slot.index} could not start: ${why}`, slot.failed?.code))
    }
    if (this.#stopping) return void this.#logger.info({ worker: slot.index, workerNode: slot.node, workerPid: pid, code, signal }, 'worker stopped')
    // During the first start, a worker that never listened fails the start instead.
    if (!this.#started && !wasReady) return
    if (wasReady && Date.now() - slot.readyAt! >= STABLE_RUN_MS) slot.failures = 0
    const delay = restartDelay(slot.failures++)
    this.#logger.error(
      { worker: slot.index, workerNode: slot.node, workerPid: pid, code, signal, reason: slot.failed?.message, restartInMs: delay },
      // Exit 0 unasked: SIGTERM sent to this worker alone, a graceful restart.
      !wasReady ? 'worker could not start; retrying' : code === 0 ? 'worker stopped on its own; restarting it' : 'worker died; restarting it',
    )
    slot.restart = setTimeout(() => {
      if (this.#stopping) return
      slot.restarts++
      void this.#fork(slot)
    }, delay)
  }

  #send(worker: Worker, message: PrimaryMessage): void {
    try {
      worker.send(message)
    } catch {
      // The channel is closed: the worker is exiting, and its exit is handled.
    }
  }
}
