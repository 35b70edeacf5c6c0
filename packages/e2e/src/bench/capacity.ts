/**
 * How the fleet benchmark places N agents on this machine: how many one
 * server process can hold, how many server workers and simulator workers a
 * size needs, and how many source addresses. Derived from the open-file
 * limit read at run time (fd-limit.ts), never from a constant.
 */
import { openFileLimits } from './fd-limit.js'

/**
 * Descriptors a server process keeps beyond its agents' sockets: the
 * database files or connections, the listening and HTTP sockets, the bus,
 * the witness client, sockets still closing.
 */
export const FD_HEADROOM = 1000

/**
 * The share of a worker's capacity a plan fills. node:cluster's round robin
 * hands each new connection to a worker that is free at that moment, so
 * while connections pour in a busy worker gets fewer and the others more:
 * shares are not equal.
 */
export const WORKER_FILL = 0.75

/**
 * Agents one process can hold here (soft open-file limit minus headroom).
 *
 * @example
 * perProcess() // 19000 with a limit of 20,000
 */
export function perProcess(): number {
  return openFileLimits().soft - FD_HEADROOM
}

/**
 * Server processes (cluster workers) for `n` agents on one node: 1 when one
 * process holds them all, else the smallest count whose workers each stay
 * within WORKER_FILL of their capacity.
 *
 * @example
 * serverWorkersFor(50_000) // 4 with a limit of 20,000 (12,500 each, at most 14,250 planned)
 */
export function serverWorkersFor(n: number): number {
  const one = perProcess()
  return n <= one ? 1 : Math.ceil(n / Math.floor(one * WORKER_FILL))
}

/**
 * Simulator worker processes for `n` agents: the simulator splits agents
 * evenly by number, so each holds n / W; at least 2, so that verifying
 * deliveries can use both cores.
 *
 * @example
 * simWorkersFor(50_000) // 3 with a limit of 20,000
 */
export function simWorkersFor(n: number): number {
  return Math.max(2, Math.ceil(n / perProcess()))
}

/**
 * Loopback source addresses for `n` connections to one server port: one
 * address gives ~28k ephemeral ports, and the previous run's connections
 * may still sit in TIME_WAIT (60 s), so plan 2n connections at ≤ 20k per
 * address, and never fewer than 8 (127.0.0.2–9, as before).
 *
 * @example
 * sourceAddressesFor(50_000) // ['127.0.0.2', …, '127.0.0.9']
 */
export function sourceAddressesFor(n: number): string[] {
  const count = Math.max(8, Math.ceil((2 * n) / 20_000))
  if (count > 250) throw new Error(`${n} agents need ${count} source addresses: more than 127.0.0.2–127.0.0.251`)
  return Array.from({ length: count }, (_, i) => `127.0.0.${2 + i}`)
}
