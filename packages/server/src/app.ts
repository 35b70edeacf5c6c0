/**
 * Builds the HTTP application: Fastify configured to be strict about what
 * it accepts and uniform in how it refuses.
 *
 * - JSON bodies only, 1 MiB at most; unknown fields are refused, not
 *   dropped (Ajv `removeAdditional: false` plus `additionalProperties:
 *   false`, enforced on every route by http/route-schema-policy.ts);
 * - every error, from anywhere, is an RFC 9457 problem (http/);
 * - each request gets a random id, logged and returned as `x-request-id`;
 *   a client-sent id is ignored, so logs cannot be forged into confusion;
 * - secrets are redacted from logs (logger.ts);
 * - every route declares who may call it and how it is audited; one hook
 *   checks access before the body is read (auth/access-hook.ts), another
 *   records the audit event before the answer leaves (audit/audit-hook.ts);
 * - closing the app closes the database it was given.
 */
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { ServerConfig } from './config.js'
import type { Database } from './db/schema.js'
import { clientErrorHandler, frameworkErrorHandler, installProblemHandlers } from './http/problem-handlers.js'
import { enforceRouteSchema } from './http/route-schema-policy.js'
import { installAccess } from './auth/access-hook.js'
import type { SessionPolicy } from './auth/session-policy.js'
import { installAudit } from './audit/audit-hook.js'
import { installRouteRegistry } from './openapi/route-registry.js'
import { OrgLog } from './log/org-log.js'
import { AgentGateway } from './gateway/agent-gateway.js'
import { createLogger } from './logger.js'
import type { Bus } from './bus/bus.js'
import { installHttpMetrics } from './metrics/http-metrics.js'
import { ServerMetrics } from './metrics/server-metrics.js'
import { ROUTES } from './routes/index.js'
import type { RoutePlugin } from './routes/route-context.js'

/** Largest accepted request body: commands and roots are small JSON documents. */
export const BODY_LIMIT = 1024 * 1024

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  readonly config: ServerConfig
  /** The database; the app owns it from now on and destroys it on close. */
  readonly db: Kysely<Database>
  /** Default: createLogger(config.logLevel) to stdout. Pass one made by createLogger to keep redaction. */
  readonly logger?: Logger
  /** Default: ROUTES from routes/index.ts. */
  readonly routes?: readonly RoutePlugin[]
  /** The per-org log service. Default: a new OrgLog over `db` (witness requests time out after 5 s). */
  readonly log?: OrgLog
  /** Session lifetimes (default auth/session-policy.ts SESSION_POLICY). */
  readonly sessionPolicy?: SessionPolicy
  /** The clock of the access and audit hooks (default Date.now); tests move it. */
  readonly now?: () => number
  /** The bus between server nodes (default: in-process, one node). The caller closes it after the app. */
  readonly bus?: Bus
  /** This node's metrics (default: a new ServerMetrics; main.ts serves them on the metrics listener). */
  readonly metrics?: ServerMetrics
}

/**
 * Creates the Fastify instance with every route registered; call
 * `listen()` (see main.ts) or `inject()` (tests) on it.
 *
 * @example
 * const app = buildApp({ config, db })
 * const res = await app.inject({ method: 'GET', url: '/healthz' })
 * await app.close() // also closes db
 */
export function buildApp(options: BuildAppOptions): FastifyInstance {
  const { config, db } = options
  // Typed as Fastify's base logger: with pino's own Logger type, Fastify's
  // generics make the instance incompatible with plain FastifyInstance.
  const loggerInstance: FastifyBaseLogger = options.logger ?? createLogger(config.logLevel)
  const app = Fastify({
    loggerInstance,
    bodyLimit: BODY_LIMIT,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // Fastify's own shutdown answer is not a problem document; ours is (problem-handlers.ts).
    return503OnClosing: false,
    // Fastify disables Node's request timeout (0); a body trickled in byte
    // by byte must not hold a connection forever (A4: hostile devices).
    requestTimeout: config.requestTimeoutMs,
    // Node checks that timeout only every connectionsCheckingInterval
    // (default 30 s): a quarter of the timeout keeps the bound near it.
    // headersTimeout (default 60 s) must not exceed it: with a longer one,
    // Node 20 stops checking a request once its headers are in, and a body
    // trickled in is never cut off.
    http: { connectionsCheckingInterval: Math.min(30_000, Math.ceil(config.requestTimeoutMs / 4)), headersTimeout: config.requestTimeoutMs },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    ajv: {
      // Fastify defaults to removeAdditional: true (silently drops unknown
      // fields) and coerceTypes: 'array'. We refuse instead of guessing.
      customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true },
    },
  })

  // JSON only: Fastify also parses text/plain by default.
  app.removeContentTypeParser('text/plain')
  app.addHook('onRoute', enforceRouteSchema)
  installRouteRegistry(app)
  // First onRequest hook, so that even the shutdown 503 carries these.
  app.addHook('onRequest', async (request, reply) => {
    reply.headers({
      'x-request-id': request.id,
      // API answers carry org data and are per-caller: never cache, never sniff.
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    })
  })
  installProblemHandlers(app)
  // Access before audit: the audit hook reads the principal the access hook set.
  installAccess(app, db, { ...(options.now ? { now: options.now } : {}), ...(options.sessionPolicy ? { sessionPolicy: options.sessionPolicy } : {}) })
  installAudit(app, db, options.now ? { now: options.now } : {})
  app.addHook('onClose', async () => {
    await db.destroy()
  })

  const metrics = options.metrics ?? new ServerMetrics({ node: config.nodeId })
  installHttpMetrics(app, metrics)
  const log = options.log ?? new OrgLog({ db, logger: loggerInstance, metrics })
  const gateway = new AgentGateway({
    db,
    log,
    logger: loggerInstance,
    limits: { helloTimeoutMs: config.helloTimeoutMs },
    publications: log,
    nodeId: config.nodeId,
    presenceTtlMs: config.presenceTtlMs,
    metrics,
    ...(options.bus === undefined ? {} : { bus: options.bus }),
  })
  metrics.connectedAgentsFrom(() => gateway.online)
  // The gateway writes this node's presence heartbeat from the start, with
  // or without its route: it closes (deleting this node's presence rows)
  // before the database does, as onClose hooks run last-added first.
  app.addHook('onClose', async () => {
    await gateway.close()
  })
  for (const route of options.routes ?? ROUTES) {
    void app.register(route, { db, config, log, gateway })
  }
  return app
}
