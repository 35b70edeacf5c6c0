/**
 * Fleet benchmark (issue #7; `npm run bench`), real processes on loopback,
 * simulated agents (@palisade/sim: real keys, enrollment, protocol and
 * verification; scripts not executed):
 *
 *   a. held agents (held-agents.ts): server RSS and CPU with N connected
 *      idle agents, median of several runs per size; one process on
 *      SQLite for the sizes one process holds, and one node on PostgreSQL
 *      + NATS in W worker processes for every size;
 *   b. fan-out (fan-out.ts): from the threshold-reaching signature to
 *      every result stored, against the floor measured in the same run,
 *      and server CPU per delivered command against one Ed25519 verify;
 *   c. inventory query (inventory-query.ts): p50/p99 through HTTP.
 *
 * How many agents one process holds comes from the open-file limit read at
 * run time (fd-limit.ts, capacity.ts). Sizes that
 * fit nowhere here are reported as not measurable, with the reason. Every
 * table is printed with the machine line; a failed run fails the benchmark
 * (exit 1) and leaves no half table.
 *
 * Environment (checked before anything starts, bench-env.ts):
 * PALISADE_BENCH_HELD (default 1000,10000,20000,50000; empty skips),
 * PALISADE_BENCH_FANOUT (1000,10000,50000: the growth issue #7 asks for;
 * 50000 runs on PostgreSQL + NATS with 4 workers and takes ~25 minutes),
 * PALISADE_BENCH_RUNS (3: runs per held size, commands per fan-out size),
 * PALISADE_BENCH_DBS (sqlite,postgres; postgres is reported not measurable
 * when not reachable), PALISADE_BENCH_WINDOW (CPU window, seconds, 30),
 * PALISADE_BENCH_INVENTORY (devices, 10000; empty skips),
 * PALISADE_BENCH_QUERIES (inventory queries timed, 500),
 * PALISADE_BENCH_CPU_PROF (a directory: the server writes a CPU profile there).
 */
import { envChoices, envInt, envSizes } from './bench-env.js'
import { fanOut } from './fan-out.js'
import { heldAgents } from './held-agents.js'
import { inventoryQuery } from './inventory-query.js'
import { machine } from './proc-stats.js'

const MAX_AGENTS = 1_000_000
const settings = (() => {
  try {
    return {
      held: envSizes('PALISADE_BENCH_HELD', [1000, 10_000, 20_000, 50_000], 1, MAX_AGENTS),
      fanout: envSizes('PALISADE_BENCH_FANOUT', [1000, 10_000, 50_000], 1, MAX_AGENTS),
      runs: envInt('PALISADE_BENCH_RUNS', 3, 1, 99),
      dbs: envChoices('PALISADE_BENCH_DBS', ['sqlite', 'postgres'], ['sqlite', 'postgres'] as const),
      windowS: envInt('PALISADE_BENCH_WINDOW', 30, 1, 3600),
      inventory: envSizes('PALISADE_BENCH_INVENTORY', [10_000], 1, MAX_AGENTS),
      queries: envInt('PALISADE_BENCH_QUERIES', 500, 1, 1_000_000),
    }
  } catch (e) {
    console.error(`fleet benchmark: ${(e as Error).message}`)
    process.exit(2)
  }
})()

try {
  console.log(`# fleet benchmark — ${machine()}`)
  console.log('simulated agents: scripts are NOT executed; every delivery is verified for real and answered with a signed no-op result')
  if (settings.held.length > 0) await heldAgents({ sizes: settings.held, runs: settings.runs, windowS: settings.windowS, dbs: settings.dbs })
  if (settings.fanout.length > 0) await fanOut({ sizes: settings.fanout, runs: settings.runs, dbs: settings.dbs })
  if (settings.inventory.length > 0) await inventoryQuery({ sizes: settings.inventory, queries: settings.queries })
} catch (e) {
  console.error(`\nfleet benchmark FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
  process.exit(1)
}
// Every server, witness and simulator was stopped above; nothing left should keep the process up.
process.exit(0)
