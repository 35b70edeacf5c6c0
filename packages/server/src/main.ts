/**
 * Starts a server node. One process by default (startServer): open and
 * migrate the database, open the bus between nodes, build the app, listen
 * (and, when configured, start the separate metrics listener), make the
 * one-time setup code, and shut down gracefully on SIGINT/SIGTERM (stop
 * accepting, let in-flight requests finish, drain the bus, close the
 * database). With `config.workers` above 1, startNode runs a cluster
 * instead: a primary and that many worker processes on one listener
 * (cluster/start-cluster.ts).
 */
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { closeOnSignals } from './close-on-signals.js'
import { startCluster } from './cluster/start-cluster.js'
import type { ServerConfig } from './config.js'
import { ServerError } from './errors.js'
import { listenServer } from './listen-server.js'
import { createLogger } from './logger.js'
import { createSetupCode } from './setup/setup-code.js'
import { formatSetupCodeNotice } from './setup/setup-code-notice.js'

/** A running node: one server process, or a cluster's primary. */
export interface NodeHandle {
  /** Where it listens, e.g. `http://127.0.0.1:8080` (the real port when configured with 0). */
  readonly url: string
  /** Where /metrics is served (http://host:port), or null when PALISADE_METRICS_LISTEN is not set. */
  readonly metricsUrl: string | null
  /**
   * The one-time setup code made at this start (earlier unused ones no
   * longer work). Also printed to `setupCodeOutput`; never logged.
   */
  readonly setupCode: string
  /** Stops listening, drains requests, closes the database (every worker's). Idempotent. */
  close(): Promise<void>
}

/** A running single-process server. */
export interface ServerHandle extends NodeHandle {
  readonly app: FastifyInstance
}

/** Options of {@link startServer} and {@link startNode}. */
export interface StartServerOptions {
  /** Default: createLogger(config.logLevel) to stdout. */
  readonly logger?: Logger
  /** Install SIGINT/SIGTERM handlers (default true). */
  readonly handleSignals?: boolean
  /** After a signal, exit with status 1 if closing takes longer (default 10 s). */
  readonly shutdownTimeoutMs?: number
  /**
   * Where the setup code line is printed (default process.stdout): the
   * operator's terminal, deliberately not the logger, whose output is
   * collected and shared more widely than a terminal.
   */
  readonly setupCodeOutput?: { write(text: string): unknown }
}

/**
 * Starts this node as configured: {@link startServer} in this process
 * when `config.workers` is 1, else a primary forking that many workers
 * (the primary migrates and makes the one setup code; workers restart when
 * they die; close() stops them all).
 *
 * @example
 * const node = await startNode(loadConfig({ argv: ['--workers', '4', '--database-url', pg, '--bus', nats] }))
 * console.log(`listening on ${node.url}`)
 */
export function startNode(config: ServerConfig, options: StartServerOptions = {}): Promise<NodeHandle> {
  return config.workers > 1 ? startCluster(config, options) : startServer(config, options)
}

/**
 * Opens the database, builds the app and listens on `config.listen`, in
 * this process. Refuses a config with `workers` above 1: use
 * {@link startNode}.
 *
 * @example
 * const server = await startServer(loadConfig())
 * console.log(`listening on ${server.url}`)
 */
export async function startServer(config: ServerConfig, options: StartServerOptions = {}): Promise<ServerHandle> {
  if (config.workers > 1) {
    const message = 'startServer runs one process; start a node with several workers with startNode'
    throw new ServerError('SRV_CONFIG_INVALID', message, { errors: [{ path: 'PALISADE_WORKERS', message }] })
  }
  const logger = options.logger ?? createLogger(config.logLevel)
  const server = await listenServer(config, logger, { migrate: true, checkConnections: true })
  let removeSignals = (): void => undefined
  let closing: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      removeSignals()
      await server.close()
      logger.info('server closed')
    })())
  if (options.handleSignals !== false) removeSignals = closeOnSignals(close, logger, options.shutdownTimeoutMs ?? 10_000)

  let setupCode: string
  try {
    setupCode = await createSetupCode(server.db)
  } catch (e) {
    await close()
    throw e
  }
  const { url, metricsUrl } = server
  logger.info({ url, publicUrl: config.publicUrl, node: config.nodeId, bus: config.busUrl === null ? 'in-process' : 'nats', metrics: metricsUrl }, 'server listening')
  ;(options.setupCodeOutput ?? process.stdout).write(formatSetupCodeNotice(setupCode, config.publicUrl ?? url))
  return { url, app: server.app, metricsUrl, setupCode, close }
}
