/**
 * The real worker (worker-main.js starting a full server) under a real
 * WorkerPool, on a fresh PostgreSQL database (skipped when none answers;
 * the bus may be down: a worker starts without it). The reviewer's
 * reproduction of a stop landing during a restart, and what a worker's
 * command line, environment and logs reveal.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import cluster from 'node:cluster'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { captureLogger, tempDir, testConfig } from '../fixtures.test.helper.js'
import { openDatabase } from '../db/open.js'
import { freshPostgres, POSTGRES_SKIP } from '../db/postgres.test.helper.js'
import { alive, recordForks } from './fake-pool.test.helper.js'
import { WorkerPool } from './worker-pool.js'

describe('worker-main under a WorkerPool', { skip: POSTGRES_SKIP }, () => {
  it('stops cleanly when the stop lands right after a restart was forked, and no worker reveals the secrets', async (t) => {
    const fresh = await freshPostgres('worker_main')
    t.after(() => fresh.drop())
    await (await openDatabase(fresh.url)).destroy() // migrated, as the primary does
    const key = randomBytes(32).toString('base64')
    const password = `pw${randomBytes(8).toString('hex')}`
    const url = new URL(fresh.url)
    url.username ||= 'postgres'
    url.password = password // trust authentication ignores it; it only has to stay hidden
    const saved = process.env['PALISADE_SECRET_KEY']
    process.env['PALISADE_SECRET_KEY'] = key // in the primary's environment, as an operator sets it
    t.after(() => (saved === undefined ? delete process.env['PALISADE_SECRET_KEY'] : (process.env['PALISADE_SECRET_KEY'] = saved)))
    const config = testConfig(tempDir(t), {
      PALISADE_DATABASE_URL: url.href,
      PALISADE_SECRET_KEY: key,
      PALISADE_BUS_URL: process.env['PALISADE_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222',
      PALISADE_WORKERS: '2',
      PALISADE_NODE_ID: 'rw',
      PALISADE_LISTEN: '127.0.0.1:0',
      PALISADE_LOG_LEVEL: 'debug',
      PALISADE_DATABASE_POOL: '4',
    })
    // Workers' stdout and stderr are piped here rather than inherited.
    cluster.setupPrimary({ silent: true })
    t.after(() => cluster.setupPrimary({ silent: false }))
    let output = ''
    const onFork = (w: { process: { stdout: NodeJS.ReadableStream | null; stderr: NodeJS.ReadableStream | null } }): void => {
      for (const s of [w.process.stdout, w.process.stderr]) s?.on('data', (d: Buffer) => (output += d.toString()))
    }
    cluster.on('fork', onFork)
    t.after(() => void cluster.off('fork', onFork))

    const pool = new WorkerPool({ config, logger: captureLogger().logger })
    t.after(() => pool.stop(9_000))
    assert.match(await pool.start(), /^http:\/\/127\.0\.0\.1:\d+$/)
    for (const { pid } of pool.workers) {
      for (const file of ['cmdline', 'environ']) {
        const text = readFileSync(`/proc/${pid}/${file}`, 'utf8')
        assert.ok(!text.includes(key) && !text.includes(password), `a worker's ${file} carries no secret`)
      }
    }

    const forks = recordForks(t)
    process.kill(pool.workers[0]!.pid, 'SIGKILL')
    const [restart] = await forks.first(1)
    assert.deepEqual(await pool.stop(9_000), [], 'every worker stopped cleanly')
    assert.ok(!alive(restart!))

    assert.equal(output.match(/"msg":"worker listening"/g)?.length, 2, 'the logs were captured; the restart never listened')
    assert.ok(!output.includes(key), 'no log line carries the secret key')
    assert.ok(!output.includes(password), 'no log line carries the database password')
  })
})
