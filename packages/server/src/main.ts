/**
 * Starts a server process: open and migrate the database, open the bus
 * between nodes (NATS when configured; the node starts even while NATS is
 * unreachable, serving its own agents and reporting the bus down on
 * /healthz until it connects), build the app, listen (and, when
 * configured, start the separate metrics listener), and shut down
 * gracefully on SIGINT/SIGTERM (stop accepting, let in-flight requests
 * finish, drain the bus, close the database).
 */
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { buildApp } from './app.js'
import { openBus } from './bus/open-bus.js'
import { startMetricsListener, type MetricsListener } from './metrics/metrics-listener.js'
import { ServerMetrics } from './metrics/server-metrics.js'
import type { ServerConfig } from './config.js'
import { openDatabase } from './db/open.js'
import { createLogger } from './logger.js'
import { createSetupCode } from './setup/setup-code.js'

/** A running server. */
export interface ServerHandle {
  /** Where it listens, e.g. `http://127.0.0.1:8080` (the real port when configured with 0). */
  readonly url: string
  readonly app: FastifyInstance
  /** Where /metrics is served (http://host:port), or null when PALISADE_METRICS_LISTEN is not set. */
  readonly metricsUrl: string | null
  /**
   * The one-time setup code made at this start (earlier unused ones no
   * longer work). Also printed to `setupCodeOutput`; never logged.
   */
  readonly setupCode: string
  /** Stops listening, drains requests, closes the database. Idempotent. */
  close(): Promise<void>
}

/** Options of {@link startServer}. */
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

const SIGNALS = ['SIGINT', 'SIGTERM'] as const

/**
 * Opens the database, builds the app and listens on `config.listen`.
 *
 * @example
 * const server = await startServer(loadConfig())
 * console.log(`listening on ${server.url}`)
 */
export async function startServer(config: ServerConfig, options: StartServerOptions = {}): Promise<ServerHandle> {
  const logger = options.logger ?? createLogger(config.logLevel)
  const db = await openDatabase(config.databaseUrl, {
    onIdleError: (err) => logger.warn({ err }, 'database connection lost'),
  })
  const bus = openBus(config, logger)
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
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const s of SIGNALS) process.off(s, onSignal)
      await metricsListener?.close()
      await app.close()
      await bus.close()
      logger.info('server closed')
    })()
    return closing
  }
  // `once`-like: the handler is removed as closing starts, so a second
  // Ctrl-C takes Node's default action and kills a shutdown that hangs.
  function onSignal(signal: NodeJS.Signals): void {
    logger.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting')
      process.exit(1)
    }, options.shutdownTimeoutMs ?? 10_000)
    timer.unref()
    close().then(
      () => clearTimeout(timer),
      (err: unknown) => {
        clearTimeout(timer)
        logger.error({ err }, 'shutdown failed')
        process.exitCode = 1
      },
    )
  }
  if (options.handleSignals !== false) for (const s of SIGNALS) process.on(s, onSignal)

  let setupCode: string
  try {
    setupCode = await createSetupCode(db)
  } catch (e) {
    await close()
    throw e
  }
  logger.info({ url, publicUrl: config.publicUrl, node: config.nodeId, bus: config.busUrl === null ? 'in-process' : 'nats', metrics: metricsListener?.url ?? null }, 'server listening')
  const base = config.publicUrl ?? url
  ;(options.setupCodeOutput ?? process.stdout).write(
    `Palisade setup code (one-time, valid until the next restart): ${setupCode}\n` +
      `  create an org: palisade org init --server ${base} --setup-code ${setupCode} …\n`,
  )
  return { url, app, metricsUrl: metricsListener?.url ?? null, setupCode, close }
}
