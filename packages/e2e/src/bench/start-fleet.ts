/**
 * The simulated fleet of a benchmark run: `n` agents (@palisade/sim) in as
 * many worker processes and from as many loopback source addresses as `n`
 * needs here (capacity.ts), connected before the run goes on. A fleet that
 * cannot connect fails the run: it stops the simulator and throws, rather
 * than leaving a half-connected fleet to be measured.
 */
import { runSimulator, type SimCounters } from '@palisade/sim'
import type { BenchServer } from './bench-server.js'
import { simWorkersFor, sourceAddressesFor } from './capacity.js'
import { openFileLimits } from './fd-limit.js'
import { openFds, openSockets, sleep } from './proc-stats.js'

/** A running simulator and its latest counters. */
export interface Fleet {
  readonly agents: number
  readonly workers: number
  counters: SimCounters | undefined
  /** Stops every agent; rejects if the simulator failed. */
  stop(): Promise<SimCounters>
  /** Throws unless every agent is connected and none reconnected since `since` (a run with lost connections measured something else). */
  check(since: SimCounters): void
}

/** Longest wait for every agent to enroll and connect. */
const CONNECT_TIMEOUT_MS = 20 * 60_000

/**
 * @example
 * const fleet = await startFleet(s, 1000, await s.tokens(1000), stateDir)
 * … measure …
 * await fleet.stop()
 */
export async function startFleet(s: BenchServer, agents: number, tokens: string[], stateDir: string): Promise<Fleet> {
  const abort = new AbortController()
  const workers = simWorkersFor(agents)
  const done = runSimulator({
    server: s.url, tokens, fingerprint: s.org.fingerprint, agents, workers, sourceAddresses: sourceAddressesFor(agents),
    rampRate: 1000, stateDir, statusIntervalMs: 500, signal: abort.signal, onStatus: (c) => (fleet.counters = c),
    onNote: (line) => console.error(`  sim: ${line}`),
  })
  const fleet: Fleet = {
    agents,
    workers,
    counters: undefined,
    stop: async () => (abort.abort(), done),
    check: (since) => {
      const c = fleet.counters
      if (c === undefined || c.connected !== agents || c.reconnects !== since.reconnects) {
        throw new Error(`fleet of ${agents}: ${c?.connected} connected, ${(c?.reconnects ?? 0) - since.reconnects} reconnections during the measurement`)
      }
    },
  }
  done.catch(() => undefined)
  try {
    const fdLimit = openFileLimits().soft
    let checked = Date.now()
    for (const t0 = Date.now(); (fleet.counters?.connected ?? 0) < agents; ) {
      if (Date.now() - t0 > CONNECT_TIMEOUT_MS) throw new Error(`only ${fleet.counters?.connected} of ${agents} agents connected after ${CONNECT_TIMEOUT_MS / 60_000} minutes`)
      if (s.proc.child.exitCode !== null || s.proc.child.signalCode !== null) throw new Error(`the server exited while agents connected:\n${s.proc.output.slice(-2000)}`)
      if (Date.now() - checked > 5000) {
        checked = Date.now()
        // A server process at its limit refuses every further connection: fail now, not at the timeout.
        for (const pid of s.pids()) {
          const fds = (() => { try { return openFds(pid) } catch { return 0 } })()
          if (fds >= fdLimit - 10) throw new Error(`server process ${pid} holds ${fds} descriptors, at its open-file limit ${fdLimit}: too many agents for it`)
        }
      }
      await Promise.race([sleep(500), done])
    }
    return fleet
  } catch (e) {
    abort.abort()
    await done.catch(() => undefined)
    throw e
  }
}

/**
 * Sockets held by each of the node's processes, e.g. "12512 + 12490 + 12488
 * + 12510 (primary 14)": how cluster's round robin shared the agents out.
 *
 * @example
 * console.error(`  sockets per process: ${socketShares(s)}`)
 */
export function socketShares(s: BenchServer): string {
  const [primary, ...workers] = s.pids().map((p) => { try { return openSockets(p) } catch { return 0 } })
  return workers.length === 0 ? `${primary} (one process)` : `${workers.join(' + ')} (primary ${primary})`
}
