/**
 * What every route plugin receives: its dependencies, passed explicitly as
 * plugin options rather than decorated onto the Fastify instance, so a
 * route's needs are visible in its signature and it can be tested with a
 * bare Fastify instance.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import type { ServerConfig } from '../config.js'
import type { Database } from '../db/schema.js'
import type { OrgLog } from '../log/org-log.js'
import type { AgentGateway } from '../gateway/agent-gateway.js'

/** Dependencies handed to each route plugin. */
export interface RouteContext {
  readonly db: Kysely<Database>
  readonly config: ServerConfig
  /**
   * The per-org transparency log, one per server (see log/org-log.ts):
   * append entries, publish cosigned checkpoints, serve proofs.
   */
  readonly log: OrgLog
  /** The agent gateway of this server node (see gateway/agent-gateway.ts): who is online, push deliveries. */
  readonly gateway: AgentGateway
}

/**
 * A route plugin: registers one area's routes, each with its JSON schemas
 * (enforced by http/route-schema-policy.ts). Errors thrown from handlers
 * become problem responses; throw ServerError for expected failures.
 *
 * @example
 * export const orgRoutes: RoutePlugin = async (app, { db }) => {
 *   app.get('/v1/orgs/:id', { schema: { params, querystring: NO_QUERY, response: { 200: org } } },
 *     async (req) => …)
 * }
 */
export type RoutePlugin = FastifyPluginAsync<RouteContext>
