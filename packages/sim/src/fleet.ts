/**
 * A fleet: simulated agents number `from` to `to - 1` in this process.
 * Loads each from the state directory when it is there, else enrolls it
 * (a few enrollments at a time), and puts it on the connection ramp as
 * soon as it exists; then serves until `signal` aborts: closes every
 * connection, saves the trust states that changed, and resolves with the
 * final counters.
 *
 * One process holds one file descriptor per connection (plus a handful),
 * and the per-process limit here is 20,000: a fleet larger than that must
 * be split over worker processes (run-simulator.ts).
 */
import { SharedTrust } from './shared-trust.js'
import { zeroCounters, type SimCounters } from './counters.js'
import { enrollDevice, TokenPool } from './enroll-device.js'
import { SimError } from './errors.js'
import { Ramp } from './ramp.js'
import { SimAgent, type AgentContext } from './sim-agent.js'
import { sourceAddressFor } from './source-addresses.js'
import { StateStore } from './state-store.js'
import { WorkQueue } from './work-queue.js'

/** What one fleet needs (all validated by runSimulator). */
export interface FleetOptions {
  /** Server base URL (http or https, no trailing slash). */
  readonly server: string
  readonly tokens: readonly string[]
  /** The pinned root fingerprint. */
  readonly fingerprint: string
  readonly from: number
  readonly to: number
  readonly sourceAddresses: readonly string[]
  /** Connection attempts per second, for this process. */
  readonly rampRate: number
  readonly maxHandshakes: number
  readonly enrollConcurrency: number
  readonly stateDir: string | undefined
  readonly heartbeatMs: number
  readonly handshakeTimeoutMs: number
  readonly saveIntervalMs: number
  readonly backoff: { readonly baseMs: number; readonly maxMs: number; readonly resetAfterMs: number }
}

const MAX_NOTES = 20

/**
 * `counters` is updated in place while the fleet runs (read it for status
 * lines); the same object is returned at the end.
 *
 * @example
 * const counters = zeroCounters()
 * setInterval(() => console.log(formatStatus(sample(counters))), 5000)
 * await runFleet(options, abort.signal, counters, (line) => console.error(line))
 */
export async function runFleet(o: FleetOptions, signal: AbortSignal, counters: SimCounters = zeroCounters(), note: (line: string) => void = () => undefined): Promise<SimCounters> {
  counters.agents = o.to - o.from
  const shared = new SharedTrust()
  const store = o.stateDir === undefined ? undefined : new StateStore(o.stateDir)
  const ramp = new Ramp({ ratePerSecond: o.rampRate, maxInFlight: o.maxHandshakes })
  const agents: SimAgent[] = []
  const dirty = new Set<SimAgent>()
  let stopping = signal.aborted
  let notes = 0
  const ctx: AgentContext = {
    url: `${o.server.replace(/^http/, 'ws')}/v1/agent`,
    shared,
    counters,
    ramp,
    handshakeTimeoutMs: o.handshakeTimeoutMs,
    backoff: o.backoff,
    dirty: (a) => void dirty.add(a),
    note: (line) => {
      if (++notes <= MAX_NOTES) note(line)
      else if (notes === MAX_NOTES + 1) note('(more such lines are not printed)')
    },
    stopping: () => stopping,
    work: new WorkQueue((e) => ctx.note(`a frame handler failed: ${(e as Error).message}`)),
  }
  // One save at a time: with thousands of agents a save can outlast the
  // interval, and two overlapping saves of one agent raced on its file.
  let saving: Promise<void> | undefined
  const save = async (): Promise<void> => {
    if (store === undefined) return
    while (saving !== undefined) await saving
    const batch = [...dirty]
    dirty.clear()
    saving = (async () => {
      for (const a of batch) await store.save(a.index, a)
    })()
    try {
      await saving
    } finally {
      saving = undefined
    }
  }
  const heartbeat = setInterval(() => {
    for (const a of agents) a.heartbeat()
  }, o.heartbeatMs)
  const saver = setInterval(() => void save().catch((e: unknown) => note(`cannot save agent state: ${(e as Error).message}`)), o.saveIntervalMs)
  const stopped = new Promise<void>((resolve) => {
    if (signal.aborted) resolve()
    signal.addEventListener('abort', () => resolve(), { once: true })
  })
  let failure: unknown
  try {
    const creating = create(o, { shared, store, ctx, counters, agents, signal })
    creating.catch(() => undefined) // when the stop wins the race, a late failure is moot
    await Promise.race([creating, stopped])
    await stopped
  } catch (e) {
    failure = e
  } finally {
    stopping = true
    clearInterval(heartbeat)
    clearInterval(saver)
    ramp.close()
    for (const a of agents) a.stop()
    await save().catch((e: unknown) => note(`cannot save agent state: ${(e as Error).message}`))
  }
  if (failure !== undefined) throw failure
  sample(counters)
  return counters
}

/** Loads or enrolls every agent of the range, starting each one's connection as soon as it exists. */
async function create(
  o: FleetOptions,
  f: { shared: SharedTrust; store: StateStore | undefined; ctx: AgentContext; counters: SimCounters; agents: SimAgent[]; signal: AbortSignal },
): Promise<void> {
  const tokens = new TokenPool(o.tokens)
  let next = o.from
  const worker = async (): Promise<void> => {
    while (next < o.to && !f.signal.aborted) {
      const index = next++
      let d = f.store === undefined ? undefined : await f.store.load(index, o.fingerprint, f.shared)
      if (d !== undefined) f.counters.loaded++
      else {
        if (o.tokens.length === 0) throw new SimError('SIM_ARG_INVALID', `agent ${index} is not in the state directory and no --token was given to enroll it`)
        f.counters.enrolling++
        try {
          d = await enrollDevice({ server: o.server, tokens, fingerprint: o.fingerprint, index, shared: f.shared })
        } finally {
          f.counters.enrolling--
        }
        f.counters.enrolled++
        await f.store?.save(index, d)
      }
      const agent = new SimAgent({ index, ...d, localAddress: sourceAddressFor(o.sourceAddresses, index) }, f.ctx)
      f.agents.push(agent)
      agent.start()
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.enrollConcurrency, o.to - o.from)) }, worker))
}

/** Fills in the memory gauges. */
export function sample(c: SimCounters): SimCounters {
  const m = process.memoryUsage()
  c.rssBytes = m.rss
  c.heapUsedBytes = m.heapUsed
  return c
}
