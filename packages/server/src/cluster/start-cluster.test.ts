/**
 * startCluster's checks before any worker is forked, on a real PostgreSQL
 * database (skipped when none answers). Workers themselves are tested in
 * worker-pool.test.ts and, end to end, in packages/e2e workers.test.ts.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import cluster from 'node:cluster'
import { ServerError } from '../errors.js'
import { captureLogger, tempDir, testConfig } from '../fixtures.test.helper.js'
import { freshPostgres, POSTGRES_SKIP } from '../db/postgres.test.helper.js'
import { startCluster } from './start-cluster.js'

describe('startCluster', { skip: POSTGRES_SKIP }, () => {
  it("refuses workers whose database pools cannot fit in PostgreSQL's max_connections, naming the numbers, before forking any", async (t) => {
    const fresh = await freshPostgres('cluster_budget')
    t.after(() => fresh.drop())
    // 64 × 500: more than any stock PostgreSQL allows.
    const config = testConfig(tempDir(t), {
      PALISADE_DATABASE_URL: fresh.url,
      PALISADE_BUS_URL: 'nats://127.0.0.1:4222',
      PALISADE_WORKERS: '64',
      PALISADE_DATABASE_POOL: '500',
    })
    let forks = 0
    const onFork = (): void => void forks++
    cluster.on('fork', onFork)
    t.after(() => void cluster.off('fork', onFork))
    const output: string[] = []
    await assert.rejects(
      startCluster(config, { logger: captureLogger().logger, handleSignals: false, setupCodeOutput: { write: (s: string) => output.push(s) } }),
      (e: unknown) => {
        assert.ok(e instanceof ServerError)
        assert.equal(e.code, 'SRV_CONFIG_INVALID')
        assert.deepEqual(e.errors?.map((x) => x.path), ['PALISADE_DATABASE_POOL'])
        assert.match(e.message, /64 workers × PALISADE_DATABASE_POOL 500 = up to 32000 PostgreSQL connections, more than the server allows \(\d+: max_connections \d+ minus \d+ reserved\): (run at most \d+ workers with PALISADE_DATABASE_POOL 4|set PALISADE_DATABASE_POOL to at most \d+ for 64 workers), or raise max_connections/)
        return true
      },
    )
    assert.equal(forks, 0)
    assert.deepEqual(output, [], 'no setup code')
  })
})
