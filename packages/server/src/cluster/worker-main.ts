/**
 * The entry point of one worker process of a cluster (forked by the
 * primary, cluster/worker-pool.ts; never run by hand). A bootstrap: its
 * static imports are tiny on purpose, so that its message and signal
 * handlers are installed before anything slow happens. Node drops a message
 * that reaches a process with no 'message' listener, and the server's
 * modules take a while to load; so the handlers come first, then `hello`,
 * and the server is loaded with `import()` while the primary answers.
 *
 * Then it starts a full server on the shared listener (node:cluster hands
 * it the primary's listening socket) with the configuration the primary
 * sent, without running migrations or making a setup code (the primary did
 * both, once), reports `ready` or `failed`, and answers the primary's
 * metric requests with its registry.
 *
 * Stopping: the primary's `shutdown` message, or SIGTERM sent to this
 * worker alone, closes gracefully and exits 0 (the primary restarts a
 * worker it did not ask to stop: SIGTERM to one worker is a graceful
 * restart of it); before the server opened anything, it exits 0 at once.
 * SIGINT is ignored: Ctrl-C in a terminal reaches the whole process group,
 * and the primary stops the workers in order. When the primary dies,
 * node:cluster exits the worker at once.
 */
import cluster from 'node:cluster'
import type { Logger } from 'pino'
import type { ServerConfig } from '../config.js'
import type { ListeningServer } from '../listen-server.js'
import { deepFreeze } from '../util/deep-freeze.js'
import { parsePrimaryMessage, type WorkerMessage } from './cluster-messages.js'

/** A graceful stop that takes longer ends with exit status 1 (the primary kills at 9 s). */
const SHUTDOWN_TIMEOUT_MS = 8_000

if (!cluster.isWorker || process.send === undefined) {
  process.stderr.write('palisade: this file runs only as a worker process of `palisade server --workers N`\n')
  process.exit(2)
}

let state: 'waiting' | 'starting' | 'running' | 'stopping' = 'waiting'
let stopAsked = false
let server: ListeningServer | undefined
let logger: Logger | undefined

process.on('message', (m: unknown) => {
  const msg = parsePrimaryMessage(m)
  if (msg === undefined) return
  if (msg.type === 'palisade:shutdown') return stop('shutdown')
  if (msg.type === 'palisade:metrics-request') return answerMetrics(msg.id)
  if (state === 'waiting') void start(msg.index, deepFreeze(msg.config))
})
process.on('SIGTERM', () => stop('SIGTERM'))
process.on('SIGINT', () => logger?.debug('SIGINT ignored: the primary stops the workers'))

// Loading starts now, while the primary answers the hello; a failure is reported once the configuration is here.
const loading = Promise.all([import('../listen-server.js'), import('../logger.js')])
loading.catch(() => undefined)
send({ type: 'palisade:hello' })

function send(message: WorkerMessage, then?: () => void): void {
  process.send!(message, undefined, {}, () => then?.())
}

/** Tells the primary why this worker could not start, then exits 1. */
function fail(e: unknown): void {
  const err = e as { message?: unknown; code?: unknown } | null
  send({ type: 'palisade:failed', message: String(err?.message ?? e).split('\n', 1)[0]!, code: typeof err?.code === 'string' ? err.code : null }, () => process.exit(1))
}

async function start(index: number, config: ServerConfig): Promise<void> {
  state = 'starting'
  let modules: Awaited<typeof loading>
  try {
    modules = await loading
  } catch (e) {
    process.stderr.write(`palisade worker ${index}: could not load the server: ${String((e as Error)?.message ?? e)}\n`)
    return fail(e)
  }
  // Nothing is open yet.
  if (stopAsked) process.exit(0)
  const [{ listenServer }, { createLogger }] = modules
  logger = createLogger(config.logLevel).child({ node: config.nodeId, worker: index })
  try {
    server = await listenServer(config, logger, { migrate: false })
  } catch (e) {
    if (stopAsked) process.exit(0)
    logger.error({ err: e }, 'worker could not start')
    return fail(e)
  }
  state = 'running'
  // A stop asked for while starting waited until now.
  if (stopAsked) return stop('shutdown')
  logger.info({ url: server.url, bus: config.busUrl === null ? 'in-process' : 'nats' }, 'worker listening')
  send({ type: 'palisade:ready', url: server.url })
}

function answerMetrics(id: number): void {
  // The primary asks ready workers only; one still starting has nothing to say.
  if (server === undefined) return
  server.metrics.registry.getMetricsAsJSON().then(
    (metrics) => send({ type: 'palisade:metrics', id, metrics }),
    (err: unknown) => logger?.warn({ err }, 'metrics not collected'),
  )
}

function stop(why: string): void {
  if (state === 'waiting') process.exit(0)
  stopAsked = true
  if (state !== 'running') return // starting: start() stops once it has something to close
  state = 'stopping'
  logger?.info({ why }, 'worker shutting down')
  const timer = setTimeout(() => {
    logger?.error('worker shutdown timed out; exiting')
    process.exit(1)
  }, SHUTDOWN_TIMEOUT_MS)
  timer.unref()
  server!.close().then(
    () => {
      logger?.info('worker closed')
      process.exit(0)
    },
    (err: unknown) => {
      logger?.error({ err }, 'worker shutdown failed')
      process.exit(1)
    },
  )
}
