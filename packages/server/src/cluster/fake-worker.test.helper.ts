/**
 * Test support (not a test file): a stand-in for worker-main.js that speaks
 * the cluster messages without starting a server, for the WorkerPool and
 * ClusterMetrics tests (WorkerPoolOptions.exec). A real process, forked by
 * a real pool; only the server is missing.
 *
 * What each fork does comes from FAKE_WORKER_PLAN, a JSON array of
 * {@link FakeBehaviour}, one per fork in fork order: fork n of this test
 * process uses entry n - FAKE_WORKER_ID_BASE - 1 (node:cluster numbers
 * forks from 1), the last entry repeating. It appends every message it
 * receives to FAKE_WORKER_LOG (JSON lines {pid, type}) when set, and
 * `(trapped SIGTERM)` once it ignores SIGTERM.
 */
import cluster from 'node:cluster'
import { appendFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { Gauge, Registry } from 'prom-client'

/** One fork's behaviour. */
export interface FakeBehaviour {
  /** Stands for loading modules: this long with no message listener and no signal handler (default 0). */
  readonly loadMs?: number
  /** Ignore SIGTERM, from the very start (before loadMs). */
  readonly ignoreTerm?: boolean
  /** Never say hello (the listener is installed all the same). */
  readonly silent?: boolean
  /** Answer the configuration with `failed` (this message, code EFAKE) and exit 1. */
  readonly fail?: string
  /** Never answer metric requests (a stuck worker). */
  readonly mute?: boolean
}

if (!cluster.isWorker || process.send === undefined) throw new Error('fake-worker runs only as a cluster worker')
const plan = JSON.parse(process.env['FAKE_WORKER_PLAN'] ?? '[{}]') as FakeBehaviour[]
const ordinal = cluster.worker!.id - Number(process.env['FAKE_WORKER_ID_BASE'] ?? 0) - 1
const b = plan[Math.min(Math.max(ordinal, 0), plan.length - 1)] ?? {}
const logFile = process.env['FAKE_WORKER_LOG']
const send = (m: object, then?: () => void): void => void process.send!(m, undefined, {}, () => then?.())
const record = (type: string | undefined): void => {
  if (logFile !== undefined) appendFileSync(logFile, JSON.stringify({ pid: process.pid, type }) + '\n')
}

if (b.ignoreTerm === true) {
  process.on('SIGTERM', () => undefined)
  record('(trapped SIGTERM)')
}
if (b.loadMs !== undefined) await sleep(b.loadMs)

const registry = new Registry()
const up = new Gauge({ name: 'palisade_fake_up', help: 'A fake worker answered', labelNames: ['node'], registers: [registry] })
process.on('message', (m: { type?: string; id?: number; config?: { nodeId: string } }) => {
  record(m.type)
  switch (m.type) {
    case 'palisade:shutdown':
      return process.exit(0)
    case 'palisade:config':
      if (b.fail !== undefined) return send({ type: 'palisade:failed', message: b.fail, code: 'EFAKE' }, () => process.exit(1))
      up.set({ node: m.config!.nodeId }, 1)
      return send({ type: 'palisade:ready', url: 'http://fake.invalid' })
    case 'palisade:metrics-request':
      if (b.mute !== true) void registry.getMetricsAsJSON().then((metrics) => send({ type: 'palisade:metrics', id: m.id, metrics }))
      return
  }
})
if (b.ignoreTerm !== true) process.on('SIGTERM', () => process.exit(0))
process.on('SIGINT', () => undefined)
if (b.silent !== true) send({ type: 'palisade:hello' })
