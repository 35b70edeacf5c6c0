/**
 * The IPC messages between a cluster's primary and its workers (over
 * node:cluster's private pipe).
 *
 *     worker → primary  hello                   listening for messages, ready for its configuration
 *     primary → worker  config {index, config}  the worker's own configuration
 *     primary → worker  shutdown                close gracefully and exit 0 (also the answer to a
 *                                               hello that arrives while the pool stops)
 *     worker → primary  ready {url}             listening
 *     worker → primary  failed {message, code}  could not start; it exits next
 *     primary → worker  metrics-request {id}    sent to ready workers only, at each scrape
 *     worker → primary  metrics {id, metrics}   its registry's getMetricsAsJSON()
 *
 * Node drops a message that reaches a process with no 'message' listener
 * yet, and a worker spends its first moments loading modules. So a worker
 * installs its listener before it loads anything (worker-main.ts) and says
 * hello only then; the primary sends nothing before the hello, and stops a
 * worker that has not said it with SIGTERM (worker-pool.ts).
 *
 * The configuration, which holds the database URL and the secret key,
 * travels over the pipe and never on a command line (visible to every local
 * user). node:cluster forks workers with the primary's environment, so the
 * pool removes PALISADE_SECRET_KEY and PALISADE_DATABASE_URL from it: the
 * workers have them from the pipe. Other variables pass on, because
 * libraries in the workers read them (node-postgres reads PGPASSWORD, for
 * one): an operator who keeps a secret there shares it with the workers,
 * which run as the same user.
 */
import type { ServerConfig } from '../config.js'

/** What a worker sends. */
export type WorkerMessage =
  | { readonly type: 'palisade:hello' }
  | { readonly type: 'palisade:ready'; readonly url: string }
  | { readonly type: 'palisade:failed'; readonly message: string; readonly code: string | null }
  | { readonly type: 'palisade:metrics'; readonly id: number; readonly metrics: readonly unknown[] }

/** What the primary sends. */
export type PrimaryMessage =
  | { readonly type: 'palisade:config'; readonly index: number; readonly config: ServerConfig }
  | { readonly type: 'palisade:shutdown' }
  | { readonly type: 'palisade:metrics-request'; readonly id: number }

/** A metrics request id: a counter in the primary. */
function isRequestId(id: unknown): id is number {
  return Number.isSafeInteger(id) && (id as number) >= 0
}

/**
 * The message as a WorkerMessage, or undefined for anything else
 * (node:cluster's own, or malformed). The metrics inside are checked to be
 * an array only: cluster-metrics.ts checks each one.
 *
 * @example
 * worker.on('message', (m) => { const msg = parseWorkerMessage(m); if (msg?.type === 'palisade:ready') … })
 */
export function parseWorkerMessage(m: unknown): WorkerMessage | undefined {
  if (typeof m !== 'object' || m === null) return undefined
  const o = m as Record<string, unknown>
  switch (o['type']) {
    case 'palisade:hello':
      return { type: 'palisade:hello' }
    case 'palisade:ready':
      return typeof o['url'] === 'string' ? { type: 'palisade:ready', url: o['url'] } : undefined
    case 'palisade:failed':
      return typeof o['message'] === 'string'
        ? { type: 'palisade:failed', message: o['message'].slice(0, 2000), code: typeof o['code'] === 'string' ? o['code'].slice(0, 64) : null }
        : undefined
    case 'palisade:metrics':
      return isRequestId(o['id']) && Array.isArray(o['metrics']) ? { type: 'palisade:metrics', id: o['id'], metrics: o['metrics'] } : undefined
    default:
      return undefined
  }
}

/**
 * The message as a PrimaryMessage, or undefined for anything else. The
 * configuration inside is not re-validated: the primary built it from a
 * configuration loadConfig validated, and sends it over a pipe only the
 * two processes hold.
 *
 * @example
 * process.on('message', (m) => { const msg = parsePrimaryMessage(m); … })
 */
export function parsePrimaryMessage(m: unknown): PrimaryMessage | undefined {
  if (typeof m !== 'object' || m === null) return undefined
  const o = m as Record<string, unknown>
  switch (o['type']) {
    case 'palisade:config': {
      const index = o['index']
      const config = o['config']
      if (!Number.isSafeInteger(index) || (index as number) < 1 || typeof config !== 'object' || config === null) return undefined
      return { type: 'palisade:config', index: index as number, config: config as ServerConfig }
    }
    case 'palisade:shutdown':
      return { type: 'palisade:shutdown' }
    case 'palisade:metrics-request':
      return isRequestId(o['id']) ? { type: 'palisade:metrics-request', id: o['id'] } : undefined
    default:
      return undefined
  }
}
