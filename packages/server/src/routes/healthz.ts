/**
 * GET /healthz — liveness and readiness in one, for load balancers:
 * 200 `{ status: 'ok', checks: { database: 'ok', bus: 'ok' } }` when the
 * database answers and the bus between nodes is connected, else a 503
 * problem (SRV_UNAVAILABLE) whose `errors` name each dependency that is
 * down (`/checks/database`, `/checks/bus`). Unauthenticated, so it says
 * which dependency and nothing more (no addresses, no driver messages);
 * the reason is logged for the operator.
 *
 * A node whose bus is down keeps serving the agents connected to it (the
 * bus is a hint, bus/bus.ts): it reports 503 so that a load balancer sends
 * new connections to a node that can fan out, while its own agents lose
 * nothing.
 */
import type { FastifyReply } from 'fastify'
import { sql } from 'kysely'
import { PUBLIC } from '../auth/access.js'
import type { FieldError } from '../errors.js'
import { PROBLEM_CONTENT_TYPE, serverProblem } from '../http/problem.js'
import { NO_QUERY } from '../http/schemas.js'
import type { RoutePlugin } from './route-context.js'

/** How long the database may take to answer `select 1`. */
const DATABASE_TIMEOUT_MS = 2000

/** The /healthz route. */
export const healthzRoute: RoutePlugin = async (app, { db, gateway }) => {
  app.get(
    '/healthz',
    {
      config: { access: PUBLIC },
      schema: {
        querystring: NO_QUERY,
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['status', 'checks'],
            properties: {
              status: { type: 'string', enum: ['ok'] },
              checks: {
                type: 'object',
                additionalProperties: false,
                required: ['database', 'bus'],
                properties: { database: { type: 'string', enum: ['ok'] }, bus: { type: 'string', enum: ['ok'] } },
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const errors: FieldError[] = []
      try {
        await withTimeout(sql`select 1`.execute(db), DATABASE_TIMEOUT_MS)
      } catch (e) {
        request.log.warn({ err: e }, 'health check: database unreachable')
        errors.push({ path: '/checks/database', message: 'the database is unreachable' })
      }
      const bus = gateway.bus.health()
      if (!bus.ok) {
        request.log.warn({ reason: bus.reason }, 'health check: bus down')
        errors.push({ path: '/checks/bus', message: 'the message bus between server nodes is unreachable' })
      }
      if (errors.length > 0) {
        const problem = serverProblem('SRV_UNAVAILABLE', `unavailable: ${errors.map((e) => e.path.slice('/checks/'.length)).join(', ')} down`, { requestId: request.id, errors })
        // Untyped: the route's typed reply knows only its 200 shape.
        const untyped = reply as unknown as FastifyReply
        return untyped.code(503).type(PROBLEM_CONTENT_TYPE).header('retry-after', '5').send(JSON.stringify(problem))
      }
      return { status: 'ok' as const, checks: { database: 'ok' as const, bus: 'ok' as const } }
    },
  )
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}
