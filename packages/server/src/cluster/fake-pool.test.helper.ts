/**
 * Test support (not a test file): a real WorkerPool whose workers are
 * fake-worker.test.helper.js processes, in the test process as primary.
 */
import cluster from 'node:cluster'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { ServerConfig } from '../config.js'
import { captureLogger, testConfig } from '../fixtures.test.helper.js'
import type { FakeBehaviour } from './fake-worker.test.helper.js'
import { WorkerPool } from './worker-pool.js'

const FAKE_WORKER = fileURLToPath(new URL('./fake-worker.test.helper.js', import.meta.url))

// node:cluster numbers forks from 1 across the process: the fake workers
// find their plan entry from the last number seen before their pool.
let lastForkId = 0
cluster.on('fork', (w) => (lastForkId = Math.max(lastForkId, w.id)))

/** A pool of fakes and what they saw. */
export interface FakePool {
  readonly pool: WorkerPool
  readonly config: ServerConfig
  /** The primary's log lines. */
  readonly lines: string[]
  /** The message types worker process `pid` received, in order. */
  received(pid: number): string[]
  /** Resolves once worker process `pid` trapped SIGTERM (plan entry `ignoreTerm`). */
  trapped(pid: number): Promise<void>
}

/**
 * A pool of `workers` fakes following `plan` (one entry per fork, the last
 * repeating; see fake-worker.test.helper.ts), stopped when the test ends.
 * `env` is added to the config's environment.
 *
 * @example
 * const { pool } = fakePool(t, 2, [{}, {}, { loadMs: 2000 }])
 * await pool.start()
 */
export function fakePool(
  t: TestContext,
  workers: number,
  plan: readonly FakeBehaviour[],
  options: { readonly startTimeoutMs?: number; readonly env?: Record<string, string> } = {},
): FakePool {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-pool-test-'))
  const log = join(dir, 'received.jsonl')
  // Forks copy the environment when they happen: set before the pool starts.
  process.env['FAKE_WORKER_PLAN'] = JSON.stringify(plan)
  process.env['FAKE_WORKER_ID_BASE'] = String(lastForkId)
  process.env['FAKE_WORKER_LOG'] = log
  const config = testConfig(dir, {
    PALISADE_DATABASE_URL: 'postgres://db.invalid/none',
    PALISADE_BUS_URL: 'nats://127.0.0.1:4222',
    PALISADE_WORKERS: String(workers),
    PALISADE_NODE_ID: 'fk',
    PALISADE_LISTEN: '127.0.0.1:0',
    ...options.env,
  })
  const { logger, lines } = captureLogger('debug')
  const pool = new WorkerPool({ config, logger, exec: FAKE_WORKER, ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }) })
  // The workers write to the directory until they exit.
  t.after(async () => {
    await pool.stop(5_000)
    rmSync(dir, { recursive: true, force: true })
  })
  const logged = (pid: number): string[] =>
    existsSync(log)
      ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { pid: number; type: string }).filter((r) => r.pid === pid).map((r) => r.type)
      : []
  const received = (pid: number): string[] => logged(pid).filter((type) => type !== '(trapped SIGTERM)')
  const trapped = async (pid: number): Promise<void> => {
    for (let i = 0; i < 200 && !logged(pid).includes('(trapped SIGTERM)'); i++) await new Promise((r) => setTimeout(r, 25))
    if (!logged(pid).includes('(trapped SIGTERM)')) throw new Error(`worker ${pid} did not trap SIGTERM within 5 s`)
  }
  return { pool, config, lines, received, trapped }
}

/** Whether process `pid` exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Records the pids of the workers forked from now on, in order (one
 * listener for all: node:cluster emits consecutive forks' events in one
 * tick, faster than a listener added after the first could catch the next).
 *
 * @example
 * const forks = recordForks(t)
 * await pool.start()
 * const [first] = await forks.first(1)
 */
export function recordForks(t: TestContext): { readonly pids: readonly number[]; first(n: number): Promise<readonly number[]> } {
  const pids: number[] = []
  const waiters: (() => void)[] = []
  const onFork = (w: { process: { pid?: number | undefined } }): void => {
    pids.push(w.process.pid!)
    for (const wake of waiters.splice(0)) wake()
  }
  cluster.on('fork', onFork)
  t.after(() => void cluster.off('fork', onFork))
  const first = async (n: number): Promise<readonly number[]> => {
    while (pids.length < n) await new Promise<void>((resolve) => waiters.push(resolve))
    return pids.slice(0, n)
  }
  return { pids, first }
}
