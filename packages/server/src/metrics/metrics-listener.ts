/**
 * The metrics listener: a second, separate HTTP listener that serves only
 * `GET /metrics` (Prometheus text format 0.0.4), started when
 * PALISADE_METRICS_LISTEN / --metrics-listen is set (default: off).
 *
 * Why separate and unauthenticated: metrics reveal org activity (org ids,
 * command and alert rates), so they never share the API's address; an
 * operator binds this one to loopback or a private network that only the
 * Prometheus scraper reaches (like node_exporter), and scrapers need no
 * credential that could leak. The route is PUBLIC on this listener only.
 *
 * The source is one process's ServerMetrics, or, for a node of several
 * worker processes, the primary's merge of every worker's
 * (cluster/cluster-metrics.ts).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { PUBLIC } from '../auth/access.js'

/** Where the exposition comes from: ServerMetrics is one. */
export interface MetricsSource {
  readonly registry: { readonly contentType: string }
  /** The Prometheus text exposition. */
  text(): Promise<string>
}

/** A running metrics listener. */
export interface MetricsListener {
  /** e.g. http://127.0.0.1:9464 */
  readonly url: string
  close(): Promise<void>
}

/**
 * Builds (without listening) the metrics app: GET /metrics, 404 for anything else.
 *
 * @example
 * const app = buildMetricsApp(metrics)
 * const res = await app.inject({ method: 'GET', url: '/metrics' })
 */
export function buildMetricsApp(metrics: MetricsSource, logger?: FastifyBaseLogger): FastifyInstance {
  // No request logging: a scraper calls every few seconds.
  const app = Fastify(logger === undefined ? {} : { loggerInstance: logger.child({}, { level: 'warn' }) })
  app.get('/metrics', { config: { access: PUBLIC } }, async (_request, reply) => {
    const text = await metrics.text()
    return reply.header('content-type', metrics.registry.contentType).header('cache-control', 'no-store').send(text)
  })
  return app
}

/**
 * Starts the listener on `listen`.
 *
 * @example
 * const m = await startMetricsListener({ host: '127.0.0.1', port: 9464 }, metrics)
 * // scrape http://127.0.0.1:9464/metrics; on shutdown: await m.close()
 */
export async function startMetricsListener(
  listen: { readonly host: string; readonly port: number },
  metrics: MetricsSource,
  logger?: FastifyBaseLogger,
): Promise<MetricsListener> {
  const app = buildMetricsApp(metrics, logger)
  const url = await app.listen({ host: listen.host, port: listen.port })
  return { url, close: () => app.close() }
}
