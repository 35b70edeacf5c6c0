/**
 * WorkerPool with real forked processes: stand-in workers
 * (fake-worker.test.helper.ts) that speak the cluster messages and can be
 * told to load slowly, never say hello, fail or trap SIGTERM. The windows
 * these tests open are made of seconds, not of races: a worker "loading"
 * has no message listener for as long as its plan says.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { alive, fakePool, recordForks } from './fake-pool.test.helper.js'
import { WorkerStartError } from './worker-pool.js'

describe('WorkerPool', () => {
  it('starts every worker, hands each its configuration, and stops them all with exit status 0', async (t) => {
    const { pool, received } = fakePool(t, 3, [{}])
    assert.equal(await pool.start(), 'http://fake.invalid')
    const workers = pool.workers
    assert.deepEqual(workers.map((w) => w.node), ['fk-w1', 'fk-w2', 'fk-w3'])
    assert.deepEqual(pool.status().map((s) => [s.node, s.ready, s.restarts]), [['fk-w1', true, 0], ['fk-w2', true, 0], ['fk-w3', true, 0]])
    assert.deepEqual(await pool.stop(5_000), [])
    for (const w of workers) {
      assert.ok(!alive(w.pid))
      assert.deepEqual(received(w.pid), ['palisade:config', 'palisade:shutdown'])
    }
  })

  it('stops a restart forked just before the stop, still loading, with SIGTERM: clean, and it never gets a configuration', async (t) => {
    // Fork 3 is w1's restart: it loads for 2 s, deaf to messages.
    const { pool, received, lines } = fakePool(t, 2, [{}, {}, { loadMs: 2_000 }])
    await pool.start()
    const forks = recordForks(t)
    process.kill(pool.workers[0]!.pid, 'SIGKILL')
    const [restart] = await forks.first(1)
    assert.deepEqual(await pool.stop(8_000), [], 'a shutdown message would be lost: the worker would say hello, start, and be killed at 8 s')
    assert.ok(!alive(restart!))
    assert.deepEqual(received(restart!), [])
    assert.equal(lines.filter((l) => l.includes('"msg":"worker started"')).length, 2, 'no worker started after the stop')
  })

  it('answers a hello that arrives while stopping with shutdown, never a configuration', async (t) => {
    // Fork 2 traps SIGTERM and listens only after 1.5 s: the stop's SIGTERM
    // does nothing, and only the answer to its late hello can stop it.
    const { pool, received, trapped } = fakePool(t, 2, [{}, { ignoreTerm: true, loadMs: 1_500 }])
    const forks = recordForks(t)
    const starting = pool.start()
    starting.catch(() => undefined)
    const [, second] = await forks.first(2)
    await trapped(second!)
    assert.deepEqual(await pool.stop(8_000), [])
    assert.deepEqual(received(second!), ['palisade:shutdown'])
    await assert.rejects(starting, WorkerStartError)
  })

  it('kills a worker that does not start in time and rejects naming it, leaving nothing running', async (t) => {
    const { pool } = fakePool(t, 2, [{ silent: true }], { startTimeoutMs: 1_000 })
    const forks = recordForks(t)
    await assert.rejects(pool.start(), (e: unknown) => {
      assert.ok(e instanceof WorkerStartError)
      assert.equal(e.message, 'worker 1 could not start: did not start within 1 s')
      return true
    })
    assert.equal(forks.pids.length, 1, 'the others are not forked')
    assert.ok(!alive(forks.pids[0]!))
    assert.deepEqual(pool.workers, [])
  })

  it('when one worker cannot start, rejects with its reason and code and stops the others, those still loading included', async (t) => {
    // w1 starts; then w2 fails at once while w3 is still loading.
    const { pool, received } = fakePool(t, 3, [{}, { fail: 'the database said no' }, { loadMs: 2_000 }])
    const forks = recordForks(t)
    await assert.rejects(pool.start(), (e: unknown) => {
      assert.ok(e instanceof WorkerStartError)
      assert.equal(e.message, 'worker 2 could not start: the database said no')
      assert.equal(e.code, 'EFAKE')
      return true
    })
    const pids = await forks.first(3)
    for (const pid of pids) assert.ok(!alive(pid), `worker ${pid} exited`)
    assert.deepEqual(received(pids[2]!), [], 'the worker still loading got no configuration')
    assert.deepEqual(pool.workers, [])
  })

  it('restarts a worker that dies, and counts the restart', async (t) => {
    const { pool, lines } = fakePool(t, 2, [{}])
    await pool.start()
    const old = pool.workers[0]!.pid
    const forks = recordForks(t)
    process.kill(old, 'SIGKILL')
    const [restarted] = await forks.first(1)
    for (let i = 0; i < 100 && !pool.status()[0]!.ready; i++) await new Promise((r) => setTimeout(r, 50))
    assert.deepEqual(pool.status().map((s) => [s.node, s.ready, s.restarts]), [['fk-w1', true, 1], ['fk-w2', true, 0]])
    assert.equal(pool.workers[0]!.pid, restarted)
    assert.ok(lines.some((l) => l.includes('"msg":"worker died; restarting it"') && l.includes(`"workerPid":${old}`)))
  })

  it('forks workers without the secret key or the database URL in their environment or command line', async (t) => {
    const key = randomBytes(32).toString('base64')
    const url = `postgres://palisade:${randomBytes(8).toString('hex')}@db.invalid/none`
    // The primary's environment holds both, as when an operator sets them.
    const saved = { key: process.env['PALISADE_SECRET_KEY'], url: process.env['PALISADE_DATABASE_URL'] }
    process.env['PALISADE_SECRET_KEY'] = key
    process.env['PALISADE_DATABASE_URL'] = url
    t.after(() => {
      for (const [name, value] of [['PALISADE_SECRET_KEY', saved.key], ['PALISADE_DATABASE_URL', saved.url]] as const) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    })
    const { pool, config, received } = fakePool(t, 2, [{}], { env: { PALISADE_SECRET_KEY: key, PALISADE_DATABASE_URL: url } })
    assert.equal(config.secretKey, key)
    await pool.start()
    for (const { pid } of pool.workers) {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8')
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      assert.ok(environ.includes('FAKE_WORKER_PLAN='), 'the rest of the environment passes on')
      for (const text of [environ, cmdline]) {
        assert.ok(!text.includes(key) && !text.includes(url), 'no secret')
        assert.doesNotMatch(text, /PALISADE_SECRET_KEY|PALISADE_DATABASE_URL/)
      }
      assert.deepEqual(received(pid), ['palisade:config'], 'the configuration came over the pipe')
    }
  })
})
