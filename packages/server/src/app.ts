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
import { installApiKeyAuth } from './auth/require-org-key.js'
import { OrgLog } from './log/org-log.js'
import { AgentGateway } from './gateway/agent-gateway.js'
import { createLogger } from './logger.js'
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
    requestTimeout: 60_000,
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
  installApiKeyAuth(app, db)
  app.addHook('onClose', async () => {
    await db.destroy()
  })

  const log = options.log ?? new OrgLog({ db, logger: loggerInstance })
  const gateway = new AgentGateway({ db, log, logger: loggerInstance })
  for (const route of options.routes ?? ROUTES) {
    void app.register(route, { db, config, log, gateway })
  }
  return app
}
