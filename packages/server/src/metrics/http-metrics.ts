/**
 * Times every HTTP request of an app into {@link ServerMetrics}: by route
 * pattern (Fastify's `routeOptions.url`, bounded by the routes that
 * exist), method and status class.
 */
import type { FastifyInstance } from 'fastify'
import type { ServerMetrics } from './server-metrics.js'

/**
 * @example
 * installHttpMetrics(app, metrics)
 */
export function installHttpMetrics(app: FastifyInstance, metrics: ServerMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000)
  })
}
