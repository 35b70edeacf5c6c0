/**
 * Part a of the fleet benchmark: server memory and CPU with N connected
 * idle agents (their heartbeats and the server's 30 s ping round), a median
 * of several runs per size, in two series:
 *
 * - one process on SQLite, for the sizes one process can hold here;
 * - one node on PostgreSQL with the NATS bus, in W worker processes
 *   (`palisade server --workers W`), W the smallest count whose workers can
 *   each hold their share (capacity.ts); RSS and CPU summed over the
 *   primary and its workers.
 *
 * A size a series cannot measure here gets a row saying why.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BenchServer, NATS_URL, natsReachable, postgresReachable, serverHasWorkers } from './bench-server.js'
import { FD_HEADROOM, perProcess, serverWorkersFor, simWorkersFor } from './capacity.js'
import { openFileLimits } from './fd-limit.js'
import { machine, median, sleep, TICKS_PER_SECOND } from './proc-stats.js'
import { kib, mib, printGrowth, printTable, progress } from './report.js'
import { socketShares, startFleet } from './start-fleet.js'

export interface HeldSettings {
  readonly sizes: readonly number[]
  readonly runs: number
  /** CPU window, seconds. */
  readonly windowS: number
  readonly dbs: readonly ('sqlite' | 'postgres')[]
}

/** One run at one size. */
interface Run {
  idle: number
  held: number
  perAgent: number
  cpu: number
  simRss: number
  shares: string
}

type Plan = { n: number; workers: number } | { n: number; reason: string }

/**
 * @example
 * await heldAgents({ sizes: [1000, 10000], runs: 3, windowS: 30, dbs: ['sqlite', 'postgres'] })
 */
export async function heldAgents(o: HeldSettings): Promise<void> {
  console.log(`\n## a. held agents (idle, server pings every 30 s; CPU over ${o.windowS} s; median of ${o.runs} runs per size)\n`)
  console.log(`machine: ${machine()}\n`)
  const limit = openFileLimits().soft
  const oneProcess = `one process holds at most ${perProcess()} agents here (open-file limit ${limit}, ${FD_HEADROOM} kept for files, database and HTTP)`
  if (o.dbs.includes('sqlite')) {
    const plans: Plan[] = o.sizes.map((n) => (n <= perProcess() ? { n, workers: 1 } : { n, reason: `${oneProcess}, and SQLite serves from one process only` }))
    await series('sqlite', 'one process, SQLite', plans, o)
  }
  if (o.dbs.includes('postgres')) {
    const unreachable = !postgresReachable()
      ? 'PostgreSQL not reachable at 127.0.0.1:5432'
      : !(await natsReachable())
        ? `NATS not reachable at ${NATS_URL}`
        : undefined
    const plans: Plan[] = o.sizes.map((n) => {
      const workers = serverWorkersFor(n)
      if (unreachable !== undefined) return { n, reason: unreachable }
      if (workers > 1 && !serverHasWorkers()) return { n, reason: `needs ${workers} server worker processes (${oneProcess}), and this build's \`palisade server\` has no --workers` }
      return { n, workers }
    })
    await series('postgres', `one node, PostgreSQL + NATS, W worker processes (RSS and CPU summed over the primary and its workers)`, plans, o)
  }
}

async function series(db: 'sqlite' | 'postgres', title: string, plans: readonly Plan[], o: HeldSettings): Promise<void> {
  const results = new Map<number, Run[]>()
  const measurable = plans.filter((p): p is { n: number; workers: number } => 'workers' in p)
  if (measurable.length > 0) {
    const s = await BenchServer.start(db, db === 'postgres' ? { bus: true, workers: measurable[0]!.workers } : {})
    const stateDir = mkdtempSync(join(tmpdir(), 'palisade-sim-state-'))
    try {
      const tokens = await s.tokens(Math.max(...measurable.map((p) => p.n)))
      for (const p of measurable) {
        const runs: Run[] = []
        for (let r = 0; r < o.runs; r++) {
          runs.push(await oneRun(s, p.n, p.workers, tokens, stateDir, o.windowS))
          const x = runs[runs.length - 1]!
          progress(`held ${db} ${p.n} (W=${p.workers}) run ${r + 1}/${o.runs}: idle ${mib(x.idle)}, held ${mib(x.held)}, ${kib(x.perAgent)} per agent, CPU ${(x.cpu * 100).toFixed(1)} %, sockets ${x.shares}`)
        }
        results.set(p.n, runs)
      }
    } finally {
      await s.stop()
      rmSync(stateDir, { recursive: true, force: true })
    }
  }
  console.log(`\n### ${title}\n`)
  const rows = plans.map((p) => {
    if ('reason' in p) return [String(p.n), `not measurable here: ${p.reason}`, '', '', '', '', '', '', '']
    const runs = results.get(p.n)!
    const m = (f: (r: Run) => number): number => median(runs.map(f))
    return [
      String(p.n), p.workers === 1 ? '1' : `1 + ${p.workers} workers; sockets ${runs[runs.length - 1]!.shares}`, mib(m((r) => r.idle)), mib(m((r) => r.held)),
      kib(m((r) => r.perAgent)), runs.map((r) => (r.perAgent / 1024).toFixed(1)).join(' / '), `${(m((r) => r.cpu) * 100).toFixed(1)} %`,
      `${mib(m((r) => r.simRss))} (${simWorkersFor(p.n)})`, kib(m((r) => r.simRss) / p.n),
    ]
  })
  printTable('rlrrrrrrr', ['agents', 'server processes', 'server RSS idle', 'server RSS held', 'per agent', 'runs (KiB per agent)', 'server CPU', 'sim RSS (workers)', 'sim per agent'], rows)
  const done = plans.filter((p) => results.has(p.n))
  printGrowth(`held, ${db}`, done.map((p) => {
    const runs = results.get(p.n)!
    const held = median(runs.map((r) => r.held - r.idle))
    return { n: p.n, ...('workers' in p && p.workers > 1 ? { note: `${p.workers} workers` } : {}), values: { 'RSS above idle': held, 'server CPU': median(runs.map((r) => r.cpu)) } }
  }))
  if (done.length > 1) {
    const [a, b] = [done[0]!.n, done[done.length - 1]!.n]
    const sim = (n: number): number => median(results.get(n)!.map((r) => r.simRss))
    console.log(`simulator, marginal: ${kib((sim(b) - sim(a)) / (b - a))} per agent from ${a} to ${b} agents`)
  }
}

/**
 * Restarts the node with `workers` processes (a clean baseline), measures
 * it idle after 5 s, connects `n` agents, waits 10 s, then reads CPU over
 * the window and RSS at its end.
 */
async function oneRun(s: BenchServer, n: number, workers: number, tokens: string[], stateDir: string, windowS: number): Promise<Run> {
  await s.restart(workers)
  await sleep(5000)
  const idle = s.rssBytes()
  const fleet = await startFleet(s, n, tokens, stateDir)
  try {
    await sleep(10_000)
    const before = { ...fleet.counters! }
    const t0 = s.cpuTicks()
    await sleep(windowS * 1000)
    const cpu = (s.cpuTicks() - t0) / (windowS * TICKS_PER_SECOND)
    const held = s.rssBytes()
    fleet.check(before)
    const shares = socketShares(s)
    const simRss = fleet.counters!.rssBytes - process.memoryUsage().rss
    return { idle, held, perAgent: (held - idle) / n, cpu, simRss, shares }
  } finally {
    await fleet.stop()
  }
}
