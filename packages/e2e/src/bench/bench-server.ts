/**
 * A real server process for the fleet benchmarks, on SQLite in a temp
 * directory or on a fresh PostgreSQL database, with a witness and an org
 * set up through the CLI (org-setup.ts), and enrollment tokens for as many
 * devices as the run needs. Restartable on the same port and data.
 *
 * One node may be several processes: with `workers` > 1 it runs
 * `palisade server --workers W --bus nats://…` (a node:cluster primary
 * forking W workers that share the port; PostgreSQL and the bus are
 * required for that), and its memory and CPU are the sums over the
 * primary and every descendant.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../free-port.js'
import { setupOrg, type Org } from '../org-setup.js'
import { BIN, ok, Proc } from '../proc.js'
import { cpuTicks, processTree, rssBytes, sleep, sumOver } from './proc-stats.js'

const CPU_PROFILE = new URL('./cpu-profile.js', import.meta.url).href
export const NATS_URL = 'nats://127.0.0.1:4222'

/** True when PostgreSQL answers at 127.0.0.1:5432. */
export function postgresReachable(): boolean {
  return spawnSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-t', '3'], { stdio: 'ignore' }).status === 0
}

/** True when something accepts TCP connections at NATS_URL (3 s at most). */
export function natsReachable(): Promise<boolean> {
  const u = new URL(NATS_URL)
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port: Number(u.port) })
    const done = (answered: boolean): void => {
      socket.destroy()
      resolve(answered)
    }
    socket.setTimeout(3000, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

let workersFlag: boolean | undefined
/** True when this build's `palisade server` takes `--workers` (read from its --help once). */
export function serverHasWorkers(): boolean {
  workersFlag ??= /--workers\b/.test(spawnSync(process.execPath, [BIN, 'server', '--help'], { encoding: 'utf8' }).stdout ?? '')
  return workersFlag
}

function psql(sql: string): void {
  const r = spawnSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr}`)
}

/** How the node runs. */
export interface BenchServerOptions {
  /** Processes serving agents; > 1 needs db 'postgres' and `bus` (default 1: one process, no --workers). */
  readonly workers?: number
  /** Fan-out between processes over NATS (NATS_URL) rather than in-process (default: workers > 1). */
  readonly bus?: boolean
  readonly env?: Record<string, string>
}

export class BenchServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'palisade-fleet-bench-'))
  proc!: Proc
  org!: Org
  url = ''
  #port = 0
  readonly #env: Record<string, string>
  readonly #pgDb: string | undefined
  #workers: number
  readonly #bus: boolean

  private constructor(readonly db: 'sqlite' | 'postgres', o: BenchServerOptions) {
    this.#workers = o.workers ?? 1
    this.#bus = o.bus ?? this.#workers > 1
    if (this.#workers > 1 && (db !== 'postgres' || !this.#bus)) throw new Error('BenchServer: workers > 1 needs PostgreSQL and the bus')
    this.#pgDb = db === 'postgres' ? `palisade_bench_${process.pid}_${Date.now()}` : undefined
    this.#env = {
      PALISADE_LOG_LEVEL: 'warn',
      ...(this.#pgDb === undefined ? {} : { PALISADE_DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${this.#pgDb}` }),
      // A CPU profile of the server only (written when it exits), for finding per-delivery costs.
      ...(process.env['PALISADE_BENCH_CPU_PROF'] ? { NODE_OPTIONS: `--import=${CPU_PROFILE}` } : {}),
      ...o.env,
    }
  }

  /** A server with an org ready ("acme", 2-of-3 admins, one witness). */
  static async start(db: 'sqlite' | 'postgres', o: BenchServerOptions = {}): Promise<BenchServer> {
    const s = new BenchServer(db, o)
    if (s.#pgDb !== undefined) psql(`CREATE DATABASE ${s.#pgDb}`)
    try {
      s.#port = await freePort()
      s.url = `http://127.0.0.1:${s.#port}`
      s.#spawn()
      const setupCode = (await s.proc.waitFor(/setup code[^:]*: ([A-Z0-9-]+)/, 60_000))[1]!
      await s.#workersUp()
      s.org = await setupOrg(s.dir, s.url, setupCode)
      return s
    } catch (e) {
      await s.stop()
      throw e
    }
  }

  #spawn(): void {
    const args = ['server', '--listen', `127.0.0.1:${this.#port}`, '--data', join(this.dir, 'data')]
    if (this.#bus) args.push('--bus', NATS_URL)
    if (this.#workers > 1) args.push('--workers', String(this.#workers))
    this.proc = new Proc(args, this.#env, 'server')
  }

  /** Waits until the primary has forked its workers (cluster's round robin only hands connections to workers that exist). */
  async #workersUp(): Promise<void> {
    if (this.#workers === 1) return
    for (const t0 = Date.now(); this.pids().length < this.#workers + 1; ) {
      if (this.proc.child.exitCode !== null) throw new Error(`server exited (${this.proc.child.exitCode}):\n${this.proc.output}`)
      if (Date.now() - t0 > 60_000) throw new Error(`server: ${this.pids().length - 1} of ${this.#workers} workers after 60 s:\n${this.proc.output}`)
      await sleep(200)
    }
  }

  /** The primary's pid (the only process when workers = 1). */
  get pid(): number {
    return this.proc.child.pid!
  }

  /** Processes serving agents: 1, or W workers. */
  get workers(): number {
    return this.#workers
  }

  /** The primary and all its descendants (its workers). */
  pids(): number[] {
    return processTree(this.pid)
  }

  /** CPU ticks so far, summed over the node's processes. */
  cpuTicks(): number {
    return sumOver(this.pids(), cpuTicks)
  }

  /** Resident memory now, summed over the node's processes. */
  rssBytes(): number {
    return sumOver(this.pids(), rssBytes)
  }

  /**
   * Stops and starts the server on the same port and data (fresh processes:
   * a clean memory baseline), with `workers` processes (default: as before).
   */
  async restart(workers = this.#workers): Promise<void> {
    if (workers > 1 && !this.#bus) throw new Error('BenchServer: workers > 1 needs PostgreSQL and the bus')
    await this.#stopProcesses()
    this.#workers = workers
    this.#spawn()
    await this.proc.waitFor(/listening on http/, 60_000)
    await this.#workersUp()
  }

  /** SIGTERM to the primary; then waits for every process of the node to be gone (SIGKILL to a worker left behind), so the port and memory are free. */
  async #stopProcesses(): Promise<void> {
    if (this.proc === undefined) return
    const tree = this.pids()
    await this.proc.stop(20_000)
    for (const t0 = Date.now(); tree.some((p) => existsSync(`/proc/${p}`)) && Date.now() - t0 < 20_000; ) await sleep(200)
    for (const p of tree) {
      try {
        process.kill(p, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }

  /** Enrollment tokens for `devices` devices (10,000 uses each). */
  async tokens(devices: number): Promise<string[]> {
    const out: string[] = []
    for (let left = devices; left > 0; left -= 10_000) {
      out.push(JSON.parse(await ok(['--json', 'token', 'create', '--uses', String(Math.min(10_000, left)), '--ttl', '24h'], this.org.home('alice'))).token)
    }
    return out
  }

  /** Calls the admin API with the org's API key. */
  async api(path: string, body?: unknown): Promise<any> {
    const r = await fetch(this.url + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${this.org.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await r.text()
    if (!r.ok) throw new Error(`${path}: ${r.status} ${text.slice(0, 500)}`)
    return JSON.parse(text)
  }

  async stop(): Promise<void> {
    await Promise.all([this.#stopProcesses(), this.org?.witness.stop()])
    if (this.#pgDb !== undefined) psql(`DROP DATABASE IF EXISTS ${this.#pgDb} WITH (FORCE)`)
    rmSync(this.dir, { recursive: true, force: true })
  }
}
