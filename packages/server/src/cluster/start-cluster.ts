/**
 * One node as several worker processes on one address (`palisade server
 * --workers N`): a Node.js process runs JavaScript on one core and holds at
 * most the open-file limit of sockets, so one process cannot hold tens of
 * thousands of agents on a machine with several cores.
 *
 * The primary (this process) does what must happen once per start: it
 * migrates the database, checks that the workers' connection pools fit in
 * PostgreSQL's max_connections (db/connection-budget.ts) and the secret
 * key, forks the workers
 * (worker-pool.ts) and, once all listen, makes the one-time setup code
 * (each start invalidates earlier codes, so workers must not each make
 * one) and prints it with the URL; it serves /metrics, merging the
 * workers' with its own gauges of workers down and restarted
 * (cluster-metrics.ts). It holds no database connection and no agent
 * afterwards.
 *
 * Each worker is a full server named `<node id>-w<i>`: workers coordinate
 * exactly like separate nodes (PostgreSQL advisory locks for log appends
 * and publication, the NATS bus for fan-out), which is why loadConfig
 * refuses workers above 1 without PostgreSQL and a bus.
 */
import type { Logger } from 'pino'
import { loadSecretBox } from '../accounts/secret-key-file.js'
import { closeOnSignals } from '../close-on-signals.js'
import type { ServerConfig } from '../config.js'
import { checkConnectionBudget } from '../db/connection-budget.js'
import { openDatabase } from '../db/open.js'
import { createLogger } from '../logger.js'
import type { NodeHandle, StartServerOptions } from '../main.js'
import { startMetricsListener, type MetricsListener } from '../metrics/metrics-listener.js'
import { createSetupCode } from '../setup/setup-code.js'
import { formatSetupCodeNotice } from '../setup/setup-code-notice.js'
import { ClusterMetrics } from './cluster-metrics.js'
import { WorkerPool, type WorkerInfo } from './worker-pool.js'

/** A running cluster's primary. */
export interface ClusterHandle extends NodeHandle {
  /** The live workers (a restarted one has a new pid). */
  readonly workers: readonly WorkerInfo[]
}

/** How long workers get to close gracefully before they are killed (below the CLI's 10 s). */
const WORKER_STOP_MS = 9_000

/**
 * Starts the primary and `config.workers` workers. Rejects, with nothing
 * left running and no setup code made, when the database, the secret key,
 * any worker or the metrics listener cannot start, or when the workers'
 * pools cannot fit in max_connections (SRV_CONFIG_INVALID naming the
 * numbers). `options.logger` is the
 * primary's; each worker logs JSON lines to its stdout (inherited from
 * the primary) at `config.logLevel`, bound to its node name.
 *
 * @example
 * const node = await startCluster(loadConfig({ argv: ['--workers', '4', '--database-url', pg, '--bus', nats] }))
 * // … await node.close()
 */
export async function startCluster(config: ServerConfig, options: StartServerOptions = {}): Promise<ClusterHandle> {
  const logger: Logger = (options.logger ?? createLogger(config.logLevel)).child({ node: config.nodeId, role: 'primary' })
  // Once, before any worker: workers open the database without migrating,
  // and a bad key file stops the start here with its message rather than
  // failing every worker in a restart loop.
  const db = await openDatabase(config.databaseUrl, { onIdleError: (err) => logger.warn({ err }, 'database connection lost') })
  let pool: WorkerPool | undefined
  let metricsListener: MetricsListener | undefined
  let setupCode: string
  let url: string
  try {
    // The primary's own connection closes once the workers run: not counted.
    await checkConnectionBudget(db, { processes: config.workers, pool: config.databasePool }, logger)
    await loadSecretBox(config)
    pool = new WorkerPool({ config, logger })
    url = await pool.start()
    if (config.metricsListen !== null) {
      metricsListener = await startMetricsListener(config.metricsListen, new ClusterMetrics({ nodeId: config.nodeId, pool }), logger)
    }
    setupCode = await createSetupCode(db)
  } catch (e) {
    await pool?.stop(WORKER_STOP_MS)
    await metricsListener?.close()
    throw e
  } finally {
    await db.destroy()
  }

  let removeSignals = (): void => undefined
  let closing: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      removeSignals()
      const unclean = await pool.stop(WORKER_STOP_MS)
      await metricsListener?.close()
      if (unclean.length > 0) throw new Error(`workers did not stop cleanly: ${unclean.join(', ')}`)
      logger.info('server closed')
    })())
  if (options.handleSignals !== false) removeSignals = closeOnSignals(close, logger, options.shutdownTimeoutMs ?? 10_000)

  const metricsUrl = metricsListener?.url ?? null
  logger.info(
    { url, publicUrl: config.publicUrl, workers: pool.workers.map((w) => ({ node: w.node, workerPid: w.pid })), bus: 'nats', metrics: metricsUrl },
    'server listening',
  )
  ;(options.setupCodeOutput ?? process.stdout).write(formatSetupCodeNotice(setupCode, config.publicUrl ?? url))
  const p = pool
  return {
    url,
    metricsUrl,
    setupCode,
    close,
    get workers() {
      return p.workers
    },
  }
}
