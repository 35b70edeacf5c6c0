/**
 * The primary's /metrics over a real WorkerPool of stand-in workers
 * (fake-worker.test.helper.ts): each ready worker's registry merged with the
 * primary's own series, and a scrape that still answers, saying what is
 * missing, while a worker is stuck or restarting.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { buildMetricsApp } from '../metrics/metrics-listener.js'
import { ClusterMetrics } from './cluster-metrics.js'
import { fakePool, recordForks } from './fake-pool.test.helper.js'

/** The value of the sample of `name` whose labels are exactly `labels`, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]))
    if (JSON.stringify(Object.entries(have).sort()) === JSON.stringify(Object.entries(labels).sort())) return Number(m[3])
  }
  return undefined
}

describe('ClusterMetrics', () => {
  it("merges the ready workers' metrics with the primary's own, and leaves out a stuck worker rather than failing, saying so", async (t) => {
    const { pool } = fakePool(t, 2, [{}, { mute: true }])
    await pool.start()
    const metrics = new ClusterMetrics({ nodeId: 'fk', pool, timeoutMs: 300 })
    const listeners = pool.readyWorkers().map(({ worker }) => worker.listenerCount('message') + worker.listenerCount('exit'))
    const app = buildMetricsApp(metrics)
    t.after(() => app.close())
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    assert.equal(res.statusCode, 200)
    const text = res.body
    assert.equal(sample(text, 'palisade_fake_up', { node: 'fk-w1' }), 1)
    assert.equal(sample(text, 'palisade_fake_up', { node: 'fk-w2' }), undefined, 'the stuck worker is left out')
    assert.equal(sample(text, 'palisade_cluster_metrics_missing', { node: 'fk' }), 1)
    assert.equal(sample(text, 'palisade_cluster_workers', { node: 'fk' }), 2)
    assert.equal(sample(text, 'palisade_cluster_workers_down', { node: 'fk' }), 0)
    assert.equal(sample(text, 'palisade_cluster_worker_restarts_total', { node: 'fk', worker: 'fk-w1' }), 0)
    assert.equal(sample(text, 'palisade_cluster_worker_restarts_total', { node: 'fk', worker: 'fk-w2' }), 0)
    assert.ok((sample(text, 'palisade_process_resident_memory_bytes', { node: 'fk' }) ?? 0) > 0, "the primary's own process metrics")
    // Every request ended, answered or timed out, with nothing left behind.
    assert.deepEqual(pool.readyWorkers().map(({ worker }) => worker.listenerCount('message') + worker.listenerCount('exit')), listeners)
  })

  it('answers while a worker restarts, counting it down and its restart', async (t) => {
    // Fork 3, w1's restart, loads for 3 s: not ready, so not asked.
    const { pool } = fakePool(t, 2, [{}, {}, { loadMs: 3_000 }])
    await pool.start()
    const metrics = new ClusterMetrics({ nodeId: 'fk', pool, timeoutMs: 10_000 })
    const forks = recordForks(t)
    process.kill(pool.workers[0]!.pid, 'SIGKILL')
    await forks.first(1)
    const text = await metrics.text()
    assert.equal(sample(text, 'palisade_cluster_workers_down', { node: 'fk' }), 1)
    assert.equal(sample(text, 'palisade_cluster_worker_restarts_total', { node: 'fk', worker: 'fk-w1' }), 1)
    assert.equal(sample(text, 'palisade_cluster_metrics_missing', { node: 'fk' }), 0, 'the restarting worker was not asked')
    assert.equal(sample(text, 'palisade_fake_up', { node: 'fk-w2' }), 1)
    assert.equal(sample(text, 'palisade_fake_up', { node: 'fk-w1' }), undefined)
  })

  it('lets concurrent scrapes share one collection', async (t) => {
    const { pool } = fakePool(t, 2, [{}])
    await pool.start()
    const metrics = new ClusterMetrics({ nodeId: 'fk', pool })
    const first = metrics.text()
    assert.equal(metrics.text(), first)
    await first
    assert.notEqual(metrics.text(), first, 'a later scrape collects afresh')
  })
})
