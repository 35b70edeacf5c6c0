/**
 * runSimulator: N simulated agents against a real server, in this process
 * or spread over W worker processes (child_process.fork of worker-main.js),
 * each simulating a contiguous share of the agent numbers with its share of
 * the ramp rate. The parent sums the workers' counters for status lines and
 * for the final answer.
 *
 * Scripts are NOT executed: each delivery is verified for real
 * (verifyCommand) and answered with a signed no-op result.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { sumCounters, zeroCounters, type SimCounters } from './counters.js'
import { SimError } from './errors.js'
import { runFleet, sample, type FleetOptions } from './fleet.js'
import { resolveSimOptions, type ResolvedSimOptions, type SimOptions } from './sim-options.js'
import { prepareStateDir } from './state-store.js'

/** Messages between the parent and a worker (IPC, JSON). */
export type ToWorker = { readonly type: 'start'; readonly options: FleetOptions; readonly statusIntervalMs: number } | { readonly type: 'stop' }
export type FromWorker =
  | { readonly type: 'status'; readonly counters: SimCounters }
  | { readonly type: 'note'; readonly line: string }
  | { readonly type: 'done'; readonly counters: SimCounters }
  | { readonly type: 'failed'; readonly code: string; readonly message: string }

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url))
const BACKOFF = Object.freeze({ baseMs: 1000, maxMs: 120_000, resetAfterMs: 60_000 })
const SAVE_INTERVAL_MS = 10_000

/**
 * Runs until `signal` aborts, then resolves with the final counters.
 * Rejects (SimError) on bad options, an unusable state directory, refused
 * enrollments, or a failed worker.
 *
 * @example
 * const stop = new AbortController()
 * setTimeout(() => stop.abort(), 60_000)
 * const c = await runSimulator({ server, tokens: [token], fingerprint, agents: 1000, signal: stop.signal, onStatus: (c) => console.log(formatStatus(c)) })
 */
export async function runSimulator(options: SimOptions): Promise<SimCounters> {
  const o = resolveSimOptions(options)
  const fingerprint = o.stateDir === undefined ? o.fingerprint : await prepareStateDir(o.stateDir, o.fingerprint)
  if (fingerprint === undefined) throw new SimError('SIM_ARG_INVALID', 'invalid simulator options: fingerprint is needed to enroll agents')
  const signal = options.signal ?? new AbortController().signal
  const note = options.onNote ?? (() => undefined)
  const fleet = (from: number, to: number): FleetOptions => ({
    server: o.server,
    tokens: o.tokens,
    fingerprint,
    from,
    to,
    sourceAddresses: o.sourceAddresses,
    rampRate: Math.max(1, Math.floor(o.rampRate / o.workers)),
    maxHandshakes: Math.max(1, Math.floor(o.maxHandshakes / o.workers)),
    enrollConcurrency: o.enrollConcurrency,
    stateDir: o.stateDir,
    heartbeatMs: o.heartbeatMs,
    handshakeTimeoutMs: o.handshakeTimeoutMs,
    saveIntervalMs: SAVE_INTERVAL_MS,
    backoff: BACKOFF,
  })
  if (o.workers === 1) {
    const counters = zeroCounters()
    const timer = setInterval(() => options.onStatus?.(sample(counters)), o.statusIntervalMs)
    try {
      return await runFleet(fleet(0, o.agents), signal, counters, note)
    } finally {
      clearInterval(timer)
    }
  }
  return runWorkers(o, fleet, signal, options.onStatus, note)
}

async function runWorkers(
  o: ResolvedSimOptions,
  fleet: (from: number, to: number) => FleetOptions,
  signal: AbortSignal,
  onStatus: ((c: SimCounters) => void) | undefined,
  note: (line: string) => void,
): Promise<SimCounters> {
  const latest: SimCounters[] = []
  const children: ChildProcess[] = []
  const finished: Promise<SimCounters>[] = []
  let failure: SimError | undefined
  const stopAll = (): void => {
    for (const c of children) if (c.connected) c.send({ type: 'stop' } satisfies ToWorker)
  }
  for (let w = 0; w < o.workers; w++) {
    const from = Math.floor((o.agents * w) / o.workers)
    const to = Math.floor((o.agents * (w + 1)) / o.workers)
    latest.push(zeroCounters())
    const child = fork(WORKER_MAIN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    children.push(child)
    finished.push(
      new Promise<SimCounters>((resolve) => {
        let done: SimCounters | undefined
        child.on('message', (m: FromWorker) => {
          if (m.type === 'status') latest[w] = m.counters
          else if (m.type === 'note') note(`worker ${w}: ${m.line}`)
          else if (m.type === 'done') done = m.counters
          else if (m.type === 'failed') {
            failure ??= new SimError('SIM_WORKER_FAILED', `worker ${w} failed: ${m.code}: ${m.message}`)
            stopAll()
          }
        })
        child.on('exit', (code, sig) => {
          if (done === undefined) {
            failure ??= new SimError('SIM_WORKER_FAILED', `worker ${w} exited (${sig ?? code}) before it finished`)
            stopAll()
          }
          resolve(done ?? latest[w]!)
        })
      }),
    )
    child.send({ type: 'start', options: fleet(from, to), statusIntervalMs: o.statusIntervalMs } satisfies ToWorker)
  }
  const onAbort = (): void => stopAll()
  signal.addEventListener('abort', onAbort, { once: true })
  if (signal.aborted) stopAll()
  const timer = setInterval(() => onStatus?.(withParent(sumCounters(latest))), o.statusIntervalMs)
  try {
    const all = await Promise.all(finished)
    if (failure !== undefined) throw failure
    return withParent(sumCounters(all))
  } finally {
    clearInterval(timer)
    signal.removeEventListener('abort', onAbort)
  }
}

/** The workers' memory plus this process's own. */
function withParent(c: SimCounters): SimCounters {
  const m = process.memoryUsage()
  c.rssBytes += m.rss
  c.heapUsedBytes += m.heapUsed
  return c
}
