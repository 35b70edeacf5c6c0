/**
 * GET / and the console's client-side routes: the single-page web console
 * (packages/console), served by the server it talks to so that it needs no
 * other origin (WIRE.md "Console").
 *
 * - `/`, `/login`, `/setup`, `/account…`, `/orgs…` answer index.html (the
 *   app routes on the client); never cached, so a new build is picked up;
 * - `/assets/<name>` answers a hashed asset, cached for a year (immutable:
 *   a new build has new names);
 * - anything else is the usual 404 problem, and an unbuilt console answers
 *   a 503 problem telling the operator to build it.
 * Every answer carries the strict CSP of security-headers.ts.
 */
import { ServerError } from '../errors.js'
import { PUBLIC } from '../auth/access.js'
import { objectSchema, type JsonSchema } from '../http/schemas.js'
import { sendProblem, serverProblem } from '../http/problem.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { consoleDir, CONSOLE_DIR_ENV } from './console-dir.js'
import { CONSOLE_HEADERS } from './security-headers.js'
import { ASSET_NAME_RE, readStaticFile } from './static-file.js'

/** The paths the console routes itself (see packages/console/src/router.ts). */
export const CLIENT_ROUTES = ['/', '/login', '/setup', '/account', '/account/*', '/orgs', '/orgs/*'] as const

const ONE_YEAR = 365 * 24 * 3600

// A reloaded client URL may carry a query (a filter); accept plain short
// string parameters and nothing else (the policy wants closed schemas).
const CLIENT_QUERY: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  maxProperties: 16,
  patternProperties: { '^[A-Za-z][A-Za-z0-9_-]{0,31}$': { type: 'string', maxLength: 512 } },
}
const WILDCARD_PARAMS = objectSchema({ '*': { type: 'string', maxLength: 2048 } })
const ASSET_PARAMS = objectSchema({ file: { type: 'string', pattern: ASSET_NAME_RE.source } }, ['file'])
const FILE_RESPONSE = { 200: { type: 'string' } }

/**
 * The console routes over the built console in `dir` ({@link consoleDir}()
 * when not given; `undefined` given explicitly means "not installed").
 *
 * @example
 * ROUTES = [..., consoleRoutes()]
 */
export function consoleRoutes(...args: [] | [dir: string | undefined]): RoutePlugin {
  const dir = args.length === 0 ? consoleDir() : args[0]
  return async (app) => {
    app.addHook('onRequest', async (_request, reply) => {
      reply.headers(CONSOLE_HEADERS)
    })

    // Sent directly, not thrown: a thrown 5xx has its detail replaced by its
    // title (http/to-problem.ts), and this one is meant for the operator.
    const notBuilt = dir === undefined
      ? `the web console is not installed: install @palisade/console or set ${CONSOLE_DIR_ENV}`
      : `the web console is not built: run \`npm run build\` in the Palisade checkout, or set ${CONSOLE_DIR_ENV} to a built console`

    for (const url of CLIENT_ROUTES) {
      app.get(
        url,
        {
          config: { access: PUBLIC },
          schema: { querystring: CLIENT_QUERY, ...(url.endsWith('*') ? { params: WILDCARD_PARAMS } : {}), response: FILE_RESPONSE },
        },
        async (request, reply) => {
          const index = dir === undefined ? undefined : await readStaticFile(dir, ['index.html'])
          if (index === undefined) {
            request.log.warn({ dir }, 'the web console is not built')
            return sendProblem(reply, serverProblem('SRV_UNAVAILABLE', notBuilt, { requestId: request.id }))
          }
          return reply.header('cache-control', 'no-cache').type(index.contentType).send(index.body)
        },
      )
    }

    app.get(
      '/assets/:file',
      { config: { access: PUBLIC }, schema: { params: ASSET_PARAMS, querystring: objectSchema({}), response: FILE_RESPONSE } },
      async (request, reply) => {
        const { file } = request.params as { file: string }
        const found = dir === undefined ? undefined : await readStaticFile(dir, ['assets', file])
        if (found === undefined) throw new ServerError('SRV_NOT_FOUND', 'no such console asset')
        return reply.header('cache-control', `public, max-age=${ONE_YEAR}, immutable`).type(found.contentType).send(found.body)
      },
    )
  }
}
