/**
 * /metrics for a node of several worker processes. Each worker keeps its
 * own registry (ServerMetrics, labelled node=`<node id>-w<i>`); at each
 * scrape the primary asks every worker that reported ready for it over the
 * cluster pipe (cluster-messages.ts), each with a short timeout, and merges
 * the answers with its own metrics (prom-client's aggregate; the node
 * labels differ, so series stay per worker and sum in queries).
 *
 * A worker that is starting, restarting or stuck is left out of the
 * scrape rather than failing it: a scrape that fails while any worker is
 * down would blind monitoring exactly during a crash loop. The primary's
 * own series say what is missing: workers down, restarts per worker, and
 * ready workers that did not answer this scrape in time.
 *
 * Concurrent scrapes share one collection, so a client calling /metrics in
 * a loop cannot multiply the requests to the workers, and every request
 * ends (answer, timeout or exit) with nothing left behind.
 */
import type { Worker } from 'node:cluster'
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { MetricsSource } from '../metrics/metrics-listener.js'
import { parseWorkerMessage, type PrimaryMessage } from './cluster-messages.js'

/** How long a scrape waits for each worker's answer. */
export const WORKER_METRICS_TIMEOUT_MS = 2_000

/** One worker slot as the metrics see it. */
export interface WorkerStatus {
  /** `<node id>-w<i>`. */
  readonly node: string
  /** Alive and reported ready (listening). */
  readonly ready: boolean
  /** Times it was restarted after dying or failing to start. */
  readonly restarts: number
}

/** The slice of WorkerPool the metrics use. */
export interface ClusterMetricsPool {
  /** Workers when all are up. */
  readonly size: number
  status(): readonly WorkerStatus[]
  /** The workers that are alive and reported ready. */
  readyWorkers(): readonly { readonly node: string; readonly worker: Worker }[]
}

/** Options of {@link ClusterMetrics}. */
export interface ClusterMetricsOptions {
  /** The node id: the primary's own series are labelled with it. */
  readonly nodeId: string
  readonly pool: ClusterMetricsPool
  /** Per worker, per scrape (default {@link WORKER_METRICS_TIMEOUT_MS}). */
  readonly timeoutMs?: number
}

const AGGREGATORS = new Set(['omit', 'sum', 'first', 'min', 'max', 'average'])

/** A metric as getMetricsAsJSON() makes it: enough shape for the aggregation not to throw. */
function isMetricJson(m: unknown): boolean {
  if (typeof m !== 'object' || m === null) return false
  const o = m as Record<string, unknown>
  return typeof o['name'] === 'string' && typeof o['help'] === 'string' && typeof o['type'] === 'string' && Array.isArray(o['values']) &&
    (o['aggregator'] === undefined || AGGREGATORS.has(o['aggregator'] as string))
}

/**
 * The primary's metrics source for startMetricsListener.
 *
 * @example
 * const metrics = new ClusterMetrics({ nodeId: config.nodeId, pool })
 * await startMetricsListener(config.metricsListen, metrics, logger)
 */
export class ClusterMetrics implements MetricsSource {
  readonly registry = new Registry()
  readonly #pool: ClusterMetricsPool
  readonly #timeoutMs: number
  #nextId = 0
  #missing = 0
  #collecting: Promise<string> | undefined

  constructor(options: ClusterMetricsOptions) {
    const pool = options.pool
    this.#pool = pool
    this.#timeoutMs = options.timeoutMs ?? WORKER_METRICS_TIMEOUT_MS
    this.registry.setDefaultLabels({ node: options.nodeId })
    collectDefaultMetrics({ register: this.registry, prefix: 'palisade_' })
    const registers = [this.registry]
    const missing = (): number => this.#missing
    new Gauge({
      name: 'palisade_cluster_workers',
      help: 'Worker processes of this node when all are up',
      registers,
      collect() {
        this.set(pool.size)
      },
    })
    new Gauge({
      name: 'palisade_cluster_workers_down',
      help: 'Worker processes not serving now: starting, restarting, or stuck before listening',
      registers,
      collect() {
        this.set(pool.status().filter((w) => !w.ready).length)
      },
    })
    new Counter({
      name: 'palisade_cluster_worker_restarts_total',
      help: 'Restarts of a worker process after it died or could not start',
      labelNames: ['worker'],
      registers,
      collect() {
        // The pool keeps the counts; a series per worker from the first scrape, at 0.
        this.reset()
        for (const w of pool.status()) this.inc({ worker: w.node }, w.restarts)
      },
    })
    new Gauge({
      name: 'palisade_cluster_metrics_missing',
      help: 'Ready workers left out of this scrape: no answer within the timeout',
      registers,
      collect() {
        this.set(missing())
      },
    })
  }

  /** The Prometheus text exposition of the primary and every ready worker. */
  text(): Promise<string> {
    return (this.#collecting ??= this.#collect().finally(() => (this.#collecting = undefined)))
  }

  async #collect(): Promise<string> {
    const answers = await Promise.all(this.#pool.readyWorkers().map(({ worker }) => this.#ask(worker)))
    const got = answers.filter((a): a is readonly unknown[] => a !== undefined)
    this.#missing = answers.length - got.length
    const own = await this.registry.getMetricsAsJSON()
    return AggregatorRegistry.aggregate([own, ...got]).metrics()
  }

  /** One worker's metrics, or undefined when it did not answer in time, exited, or sent something malformed. */
  #ask(worker: Worker): Promise<readonly unknown[] | undefined> {
    const id = this.#nextId++
    return new Promise((resolve) => {
      const done = (metrics: readonly unknown[] | undefined): void => {
        clearTimeout(timer)
        worker.off('message', onMessage)
        worker.off('exit', onExit)
        resolve(metrics)
      }
      const onMessage = (m: unknown): void => {
        const msg = parseWorkerMessage(m)
        if (msg?.type === 'palisade:metrics' && msg.id === id) done(msg.metrics.every(isMetricJson) ? msg.metrics : undefined)
      }
      const onExit = (): void => done(undefined)
      const timer = setTimeout(() => done(undefined), this.#timeoutMs)
      worker.on('message', onMessage)
      worker.once('exit', onExit)
      const request: PrimaryMessage = { type: 'palisade:metrics-request', id }
      try {
        worker.send(request)
      } catch {
        done(undefined) // the channel just closed: the worker is exiting
      }
    })
  }
}
