/**
 * One server process's moving parts, started together and stopped in
 * order: the database (migrated or not), the bus between nodes (NATS when
 * configured; the process starts even while NATS is unreachable, serving
 * its own agents and reporting the bus down on /healthz until it
 * connects), the app on its listener and, when configured, the separate
 * metrics listener. Shared by a single-process server (main.ts) and each
 * worker of a cluster (cluster/worker-main.ts), which differ only in what
 * they do around it: migrations, the setup code, signals.
 */
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { buildApp } from './app.js'
import { deploymentSubject, SUBJECTS } from './bus/bus.js'
import { openBus } from './bus/open-bus.js'
import { deploymentId } from './db/deployment-id.js'
import type { ServerConfig } from './config.js'
import { checkConnectionBudget } from './db/connection-budget.js'
import { openDatabase, sqlFamilyOf } from './db/open.js'
import type { Database } from './db/schema.js'
import { startMetricsListener, type MetricsListener } from './metrics/metrics-listener.js'
import { ServerMetrics } from './metrics/server-metrics.js'

/** A listening server process. */
export interface ListeningServer {
  /** Where it listens, e.g. `http://127.0.0.1:8080` (the real port when configured with 0). */
  readonly url: string
  readonly app: FastifyInstance
  /** The database, owned by the app (closed with it). */
  readonly db: Kysely<Database>
  /** This process's metrics (a cluster worker hands their registry to the primary). */
  readonly metrics: ServerMetrics
  /** Where /metrics is served, or null when `config.metricsListen` is null. */
  readonly metricsUrl: string | null
  /** Stops the metrics listener, then the app (draining requests, closing the database), then the bus. Idempotent. */
  close(): Promise<void>
}

/** Options of {@link listenServer}. */
export interface ListenServerOptions {
  /** Run pending migrations (the process that starts first: a single server, or a cluster's primary). */
  readonly migrate: boolean
  /**
   * Check on PostgreSQL that this process's pool fits in max_connections
   * (db/connection-budget.ts): a single server does; a cluster's primary
   * checks once for all its workers instead.
   */
  readonly checkConnections?: boolean
}

/**
 * Opens the database (running migrations when `migrate`; a pool of
 * `config.databasePool` connections on PostgreSQL), the bus, builds the
 * app and listens. On failure nothing stays open.
 *
 * @example
 * const server = await listenServer(config, logger, { migrate: true, checkConnections: true })
 * // … on shutdown: await server.close()
 */
export async function listenServer(config: ServerConfig, logger: Logger, options: ListenServerOptions): Promise<ListeningServer> {
  const db = await openDatabase(config.databaseUrl, {
    migrate: options.migrate,
    maxConnections: config.databasePool,
    onIdleError: (err) => logger.warn({ err }, 'database connection lost'),
  })
  let deployment: string
  try {
    if (options.checkConnections === true && sqlFamilyOf(config.databaseUrl) === 'postgres') {
      await checkConnectionBudget(db, { processes: 1, pool: config.databasePool }, logger)
    }
    deployment = await deploymentId(db)
  } catch (e) {
    await db.destroy()
    throw e
  }
  const bus = openBus(config, deployment, logger)
  if (config.busUrl !== null) logger.info({ subjects: deploymentSubject(SUBJECTS.events, deployment).replace(/[^.]+$/, '>') }, 'bus subjects of this deployment')
  const metrics = new ServerMetrics({ node: config.nodeId })
  const app = buildApp({ config, db, logger, bus, metrics })
  let url: string
  let metricsListener: MetricsListener | undefined
  try {
    url = await app.listen({ host: config.listen.host, port: config.listen.port })
    if (config.metricsListen !== null) metricsListener = await startMetricsListener(config.metricsListen, metrics, logger)
  } catch (e) {
    await app.close() // closes db
    await bus.close()
    throw e
  }
  let closing: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await metricsListener?.close()
      await app.close()
      await bus.close()
    })())
  return { url, app, db, metrics, metricsUrl: metricsListener?.url ?? null, close }
}
