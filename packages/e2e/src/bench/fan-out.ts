/**
 * Part b of the fleet benchmark: one quorum-signed command to every one of
 * N agents, from the threshold-reaching signature to every result stored
 * (median of several commands), against the floor measured in the same
 * run (raw-floor.ts + verify-loop.ts), and server CPU per delivered command
 * against the cost of one Ed25519 verification measured next to it
 * (ed25519-cost.ts: the server verifies each result once, a floor no
 * server goes below).
 *
 * Sizes one process holds run on one process (SQLite or PostgreSQL, as
 * before); larger ones on PostgreSQL with the NATS bus and W worker
 * processes (capacity.ts), CPU summed over the primary and its workers.
 * SQLite serves from one process only, so those sizes are not measurable
 * there, and say so.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import type { SimCounters } from '@palisade/sim'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BenchServer, NATS_URL, natsReachable, postgresReachable, serverHasWorkers } from './bench-server.js'
import { FD_HEADROOM, perProcess, serverWorkersFor } from './capacity.js'
import { oneCommand } from './one-command.js'
import { ed25519VerifyMs } from './ed25519-cost.js'
import { openFileLimits } from './fd-limit.js'
import { machine, median, sleep, TICKS_PER_SECOND } from './proc-stats.js'
import { rawFloor } from './raw-floor.js'
import { printGrowth, printTable, progress } from './report.js'
import { socketShares, startFleet } from './start-fleet.js'
import { verifyFloor } from './verify-loop.js'

export interface FanOutSettings {
  readonly sizes: readonly number[]
  readonly runs: number
  readonly dbs: readonly ('sqlite' | 'postgres')[]
}

/** A result frame of a simulated agent is about 1 KB. */
const RESULT_BYTES = 1100

interface Measured {
  db: string
  n: number
  workers: number
  times: number[]
  ms: number
  cpuPerCommandMs: number
  verifyMs: number
  verified: string
}

/**
 * @example
 * await fanOut({ sizes: [1000, 10000, 50000], runs: 3, dbs: ['sqlite', 'postgres'] })
 */
export async function fanOut(o: FanOutSettings): Promise<void> {
  console.log(`\n## b. fan-out: threshold-reaching signature → every result stored (median of ${o.runs})\n`)
  console.log(`machine: ${machine()}\n`)
  const oneProcess = `one process holds at most ${perProcess()} agents here (open-file limit ${openFileLimits().soft}, ${FD_HEADROOM} kept for files, database and HTTP)`
  const pgDown = o.dbs.includes('postgres') && !postgresReachable() ? 'PostgreSQL not reachable at 127.0.0.1:5432' : undefined
  const natsDown = !(await natsReachable()) ? `NATS not reachable at ${NATS_URL}` : undefined
  type Plan = { db: 'sqlite' | 'postgres'; n: number; workers: number } | { db: string; n: number; reason: string }
  const plans: Plan[] = []
  for (const db of o.dbs) {
    for (const n of o.sizes) {
      const workers = serverWorkersFor(n)
      if (db === 'sqlite') plans.push(workers === 1 ? { db, n, workers } : { db, n, reason: `${oneProcess}, and SQLite serves from one process only` })
      else if (pgDown !== undefined) plans.push({ db, n, reason: pgDown })
      else if (workers > 1 && natsDown !== undefined) plans.push({ db, n, reason: `needs ${workers} worker processes (${oneProcess}) and the bus: ${natsDown}` })
      else if (workers > 1 && !serverHasWorkers()) plans.push({ db, n, reason: `needs ${workers} worker processes (${oneProcess}), and this build's \`palisade server\` has no --workers` })
      else plans.push({ db, n, workers })
    }
  }

  const floors = new Map<number, { raw: number; verify: number; verifyOnly: number }>()
  for (const n of new Set(plans.filter((p) => 'workers' in p).map((p) => p.n))) {
    const v = await verifyFloor(n)
    const raw = await rawFloor(n, v.frame, RESULT_BYTES, o.runs)
    floors.set(n, { raw, verify: v.ms, verifyOnly: v.verifyMs })
    progress(`floor ${n}: raw ws ${raw.toFixed(0)} ms, verify+sign loop ${v.ms.toFixed(0)} ms`)
  }

  const measured = new Map<Plan, Measured>()
  for (const p of plans) {
    if (!('workers' in p)) continue
    const m = await measure(p.db, p.n, p.workers, o.runs)
    measured.set(p, m)
    progress(`fan-out ${p.db} ${p.n} (W=${p.workers}): ${m.times.map((t) => t.toFixed(0)).join(' / ')} ms, CPU ${m.cpuPerCommandMs.toFixed(3)} ms per delivered command, Ed25519 verify ${m.verifyMs.toFixed(3)} ms`)
  }

  const rows = plans.map((p) => {
    const m = measured.get(p)
    if (m === undefined) return [p.db, String(p.n), `not measurable here: ${'reason' in p ? p.reason : ''}`, '', '', '', '', '', '', '', '', '', '']
    const f = floors.get(p.n)!
    const floor = f.raw + f.verify
    return [
      m.db, String(m.n), m.workers === 1 ? '1' : `1 + ${m.workers} workers`, `${m.ms.toFixed(0)} ms`, m.times.map((t) => t.toFixed(0)).join(' / '),
      `${f.raw.toFixed(0)} ms`, `${f.verify.toFixed(0)} ms (verify alone ${f.verifyOnly.toFixed(0)})`, `${floor.toFixed(0)} ms`, (m.ms / floor).toFixed(2),
      `${m.cpuPerCommandMs.toFixed(3)} ms`, `${(m.cpuPerCommandMs / m.verifyMs).toFixed(1)} × ${m.verifyMs.toFixed(3)} ms`,
      `${(m.cpuPerCommandMs - m.verifyMs).toFixed(3)} ms`, m.verified,
    ]
  })
  printTable('lrlrrrrrrrrrr', [
    'db', 'agents', 'server processes', 'fan-out', 'runs', 'floor: raw ws', 'floor: verify+sign loop', 'floor total', 'ratio',
    'server CPU per delivered command', '= × one Ed25519 verify (this run)', 'beyond the verify', 'sim verified',
  ], rows)
  console.log('')
  for (const m of measured.values()) {
    console.log(
      `${m.db} ${m.n}: server CPU per delivered command ${m.cpuPerCommandMs.toFixed(3)} ms = ${(m.cpuPerCommandMs / m.verifyMs).toFixed(1)} × one Ed25519 verify ` +
        `(${m.verifyMs.toFixed(3)} ms in this run); beyond the verify ${(m.cpuPerCommandMs - m.verifyMs).toFixed(3)} ms`,
    )
  }
  for (const db of o.dbs) {
    const points = [...measured.values()].filter((m) => m.db === db)
    printGrowth(`fan-out, ${db}`, points.map((m) => ({
      n: m.n, ...(m.workers > 1 ? { note: `${m.workers} workers` } : {}), values: { time: m.ms, 'CPU per command': m.cpuPerCommandMs },
    })))
  }
}

async function measure(db: 'sqlite' | 'postgres', n: number, workers: number, runs: number): Promise<Measured> {
  const s = await BenchServer.start(db, workers > 1 ? { workers } : {})
  const stateDir = mkdtempSync(join(tmpdir(), 'palisade-sim-state-'))
  try {
    const fleet = await startFleet(s, n, await s.tokens(n), stateDir)
    let c: SimCounters
    const results: { ms: number; ticks: number }[] = []
    try {
      if (workers > 1) progress(`fan-out ${db} ${n}: sockets per process ${socketShares(s)}`)
      await sleep(3000)
      for (let r = 0; r < runs; r++) results.push(await oneCommand(s, n))
    } finally {
      c = await fleet.stop()
    }
    // Measured here, between this size's commands and the next size, so that it sees the machine as they did.
    const verifyMs = ed25519VerifyMs()
    return {
      db, n, workers, times: results.map((x) => x.ms), ms: median(results.map((x) => x.ms)),
      cpuPerCommandMs: (median(results.map((x) => x.ticks)) * 1000) / TICKS_PER_SECOND / n, verifyMs, verified: `${c.verified}/${n * runs}`,
    }
  } finally {
    await s.stop()
    rmSync(stateDir, { recursive: true, force: true })
  }
}
