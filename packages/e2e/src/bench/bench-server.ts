/**
 * A real server process for the fleet benchmarks, on SQLite in a temp
 * directory or on a fresh PostgreSQL database, with a witness and an org
 * set up through the CLI (org-setup.ts), and enrollment tokens for as many
 * devices as the run needs. Restartable on the same port and data.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../free-port.js'
import { setupOrg, type Org } from '../org-setup.js'
import { ok, Proc } from '../proc.js'

const CPU_PROFILE = new URL('./cpu-profile.js', import.meta.url).href

/** True when PostgreSQL answers at 127.0.0.1:5432. */
export function postgresReachable(): boolean {
  return spawnSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-t', '3'], { stdio: 'ignore' }).status === 0
}

function psql(sql: string): void {
  const r = spawnSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr}`)
}

export class BenchServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'palisade-fleet-bench-'))
  proc!: Proc
  org!: Org
  url = ''
  #port = 0
  readonly #env: Record<string, string>
  readonly #pgDb: string | undefined

  private constructor(db: 'sqlite' | 'postgres', extraEnv: Record<string, string>) {
    this.#pgDb = db === 'postgres' ? `palisade_bench_${process.pid}_${Date.now()}` : undefined
    this.#env = {
      PALISADE_LOG_LEVEL: 'warn',
      ...(this.#pgDb === undefined ? {} : { PALISADE_DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${this.#pgDb}` }),
      // A CPU profile of the server only (written when it exits), for finding per-delivery costs.
      ...(process.env['PALISADE_BENCH_CPU_PROF'] ? { NODE_OPTIONS: `--import=${CPU_PROFILE}` } : {}),
      ...extraEnv,
    }
  }

  /** A server with an org ready ("acme", 2-of-3 admins, one witness). */
  static async start(db: 'sqlite' | 'postgres', extraEnv: Record<string, string> = {}): Promise<BenchServer> {
    const s = new BenchServer(db, extraEnv)
    if (s.#pgDb !== undefined) psql(`CREATE DATABASE ${s.#pgDb}`)
    s.#port = await freePort()
    s.url = `http://127.0.0.1:${s.#port}`
    s.#spawn()
    const setupCode = (await s.proc.waitFor(/setup code[^:]*: ([A-Z0-9-]+)/, 60_000))[1]!
    s.org = await setupOrg(s.dir, s.url, setupCode)
    return s
  }

  #spawn(): void {
    this.proc = new Proc(['server', '--listen', `127.0.0.1:${this.#port}`, '--data', join(this.dir, 'data')], this.#env, 'server')
  }

  get pid(): number {
    return this.proc.child.pid!
  }

  /** Stops and starts the server on the same port and data (a fresh process: a clean memory baseline). */
  async restart(): Promise<void> {
    await this.proc.stop(20_000)
    this.#spawn()
    await this.proc.waitFor(/listening on http/, 60_000)
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
    await Promise.all([this.proc.stop(20_000), this.org?.witness.stop()])
    if (this.#pgDb !== undefined) psql(`DROP DATABASE IF EXISTS ${this.#pgDb} WITH (FORCE)`)
    rmSync(this.dir, { recursive: true, force: true })
  }
}
