import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig, MIN_DATABASE_POOL } from './config.js'
import { ServerError } from './errors.js'
import { MAX_PUBLISHING } from './log/org-lock.js'

const cwd = '/srv/palisade'

function refusal(fn: () => unknown): ServerError {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof ServerError)
    assert.equal(e.code, 'SRV_CONFIG_INVALID')
    return e
  }
  assert.fail('expected a configuration error')
}

describe('loadConfig', () => {
  it('applies the documented defaults, with absolute paths', () => {
    const config = loadConfig({ env: {}, cwd })
    assert.match(config.nodeId, /^node-[0-9a-f]{8}$/)
    assert.deepEqual(config, {
      listen: { host: '127.0.0.1', port: 8080 },
      dataDir: '/srv/palisade/data',
      databaseUrl: 'sqlite:/srv/palisade/data/palisade.db',
      databasePool: 10,
      logLevel: 'info',
      publicUrl: null,
      secretKey: null,
      requestTimeoutMs: 60_000,
      helloTimeoutMs: 10_000,
      presenceTtlMs: 30_000,
      busUrl: null,
      nodeId: config.nodeId,
      metricsListen: null,
      workers: 1,
    })
  })

  it('reads the environment, and flags win over it', () => {
    const c = loadConfig({
      env: { PALISADE_LISTEN: '[::1]:9000', PALISADE_DATA_DIR: 'state', PALISADE_LOG_LEVEL: 'debug' },
      argv: ['--log-level', 'warn', '--public-url', 'https://mdm.example.com/'],
      cwd,
    })
    assert.deepEqual(c.listen, { host: '::1', port: 9000 })
    assert.equal(c.dataDir, '/srv/palisade/state')
    assert.equal(c.databaseUrl, 'sqlite:/srv/palisade/state/palisade.db')
    assert.equal(c.logLevel, 'warn')
    assert.equal(c.publicUrl, 'https://mdm.example.com')
  })

  it('accepts postgres URLs as given and resolves relative sqlite paths', () => {
    const pg = 'postgres://palisade:pw@db.internal:5432/palisade'
    assert.equal(loadConfig({ env: { PALISADE_DATABASE_URL: pg }, cwd }).databaseUrl, pg)
    assert.equal(loadConfig({ env: { PALISADE_DATABASE_URL: 'sqlite:x.db' }, cwd }).databaseUrl, 'sqlite:/srv/palisade/x.db')
  })

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig({ env: { PALISADE_LOG_LEVEL: '' }, cwd }).logLevel, 'info')
  })

  it('reports every invalid setting at once, each naming its variable, without echoing values', () => {
    const e = refusal(() =>
      loadConfig({
        env: {
          PALISADE_LISTEN: 'localhost',
          PALISADE_DATABASE_URL: 'mysql://root:hunter2@db/x',
          PALISADE_LOG_LEVEL: 'loud',
          PALISADE_PUBLIC_URL: 'ftp://example.com',
        },
        cwd,
      }),
    )
    assert.deepEqual(e.errors?.map((x) => x.path), ['PALISADE_LISTEN', 'PALISADE_DATABASE_URL', 'PALISADE_LOG_LEVEL', 'PALISADE_PUBLIC_URL'])
    assert.match(e.message, /PALISADE_LISTEN: must be host:port/)
    assert.ok(!e.message.includes('hunter2'))
  })

  it('names the flag when the bad value came from a flag', () => {
    const e = refusal(() => loadConfig({ env: {}, argv: ['--listen', '127.0.0.1:70000'], cwd }))
    assert.deepEqual(e.errors?.map((x) => x.path), ['--listen'])
  })

  it('refuses unknown flags', () => {
    const e = refusal(() => loadConfig({ env: {}, argv: ['--listne', 'x'], cwd }))
    assert.equal(e.errors?.[0]?.path, 'argv')
  })

  it('requires a public URL when listening on all interfaces', () => {
    const e = refusal(() => loadConfig({ env: { PALISADE_LISTEN: '0.0.0.0:8080' }, cwd }))
    assert.deepEqual(e.errors?.map((x) => x.path), ['PALISADE_PUBLIC_URL'])
    const ok = loadConfig({ env: { PALISADE_LISTEN: '0.0.0.0:8080', PALISADE_PUBLIC_URL: 'https://mdm.example.com' }, cwd })
    assert.equal(ok.publicUrl, 'https://mdm.example.com')
  })

  it('refuses public URLs with credentials, query or fragment', () => {
    for (const url of ['https://u:p@x.example', 'https://x.example/?a=1', 'https://x.example/#top', 'not a url']) {
      refusal(() => loadConfig({ env: { PALISADE_PUBLIC_URL: url }, cwd }))
    }
  })

  it('reads PALISADE_SECRET_KEY as base64 of 32 bytes, and refuses anything else without echoing it', () => {
    const key = Buffer.alloc(32, 7).toString('base64')
    assert.equal(loadConfig({ env: { PALISADE_SECRET_KEY: key }, cwd }).secretKey, key)
    for (const bad of [Buffer.alloc(31, 7).toString('base64'), Buffer.alloc(33, 7).toString('base64'), 'not base64 at all!', `${key}x`]) {
      const e = refusal(() => loadConfig({ env: { PALISADE_SECRET_KEY: bad }, cwd }))
      assert.deepEqual(e.errors?.map((x) => x.path), ['PALISADE_SECRET_KEY'])
      assert.ok(!e.message.includes(bad), 'the message must not echo the key')
    }
  })

  it('has no flag for the secret key (command lines are visible to other users)', () => {
    const e = refusal(() => loadConfig({ env: {}, argv: ['--secret-key', Buffer.alloc(32).toString('base64')], cwd }))
    assert.equal(e.errors?.[0]?.path, 'argv')
  })

  it('reads the request and hello timeouts (a testability bound), and refuses values out of range', () => {
    const c = loadConfig({ env: { PALISADE_REQUEST_TIMEOUT_MS: '1500', PALISADE_HELLO_TIMEOUT_MS: '800' }, cwd })
    assert.equal(c.requestTimeoutMs, 1500)
    assert.equal(c.helloTimeoutMs, 800)
    const e = refusal(() => loadConfig({ env: { PALISADE_REQUEST_TIMEOUT_MS: '999', PALISADE_HELLO_TIMEOUT_MS: '1e4' }, cwd }))
    assert.deepEqual(e.errors?.map((x) => x.path), ['PALISADE_REQUEST_TIMEOUT_MS', 'PALISADE_HELLO_TIMEOUT_MS'])
  })

  it('reads the presence TTL, and refuses one that is not whole milliseconds from 1000 to 600000', () => {
    assert.equal(loadConfig({ env: { PALISADE_PRESENCE_TTL_MS: '4000' }, cwd }).presenceTtlMs, 4000)
    for (const bad of ['999', '600001', '3s', '-5', '1.5e3']) {
      const e = refusal(() => loadConfig({ env: { PALISADE_PRESENCE_TTL_MS: bad }, cwd }))
      assert.deepEqual(e.errors?.map((x) => x.path), ['PALISADE_PRESENCE_TTL_MS'], bad)
      assert.match(e.message, /PALISADE_PRESENCE_TTL_MS: must be a whole number of milliseconds from 1000 to 600000/, bad)
    }
  })

  it('reads the database pool size per process, and refuses one that is not a whole number from 4 to 500', () => {
    assert.equal(loadConfig({ env: { PALISADE_DATABASE_POOL: '4' }, cwd }).databasePool, 4)
    assert.equal(loadConfig({ env: { PALISADE_DATABASE_POOL: '500' }, cwd }).databasePool, 500)
    for (const bad of ['3', '0', '501', '1000', 'x', '5.5', '-8', ' 8', '1e2']) {
      const e = refusal(() => loadConfig({ env: { PALISADE_DATABASE_POOL: bad }, cwd }))
      assert.deepEqual(e.errors?.map((x) => x.path), ['PALISADE_DATABASE_POOL'], bad)
      assert.match(e.message, /PALISADE_DATABASE_POOL: must be a whole number of connections from 4 to 500/, bad)
    }
  })

  it('keeps the pool floor above the connections checkpoint publications may hold at once', () => {
    // Publications hold a pooled connection each while they need another for their queries.
    assert.ok(MIN_DATABASE_POOL > MAX_PUBLISHING)
  })

  describe('workers', () => {
    const pg = 'postgres://db.internal/palisade'
    const nats = 'nats://127.0.0.1:4222'

    it('reads --workers and PALISADE_WORKERS (the flag wins) with PostgreSQL and a bus', () => {
      const env = { PALISADE_DATABASE_URL: pg, PALISADE_BUS_URL: nats, PALISADE_WORKERS: '3' }
      assert.equal(loadConfig({ env, cwd }).workers, 3)
      assert.equal(loadConfig({ env, argv: ['--workers', '64'], cwd }).workers, 64)
      assert.equal(loadConfig({ env, argv: ['--workers', '1'], cwd }).workers, 1)
    })

    it('refuses anything but a whole number from 1 to 64, naming the flag or variable', () => {
      for (const bad of ['0', '65', 'x', '1.5', '02', ' 2', '2 ', '1e1', '100']) {
        const e = refusal(() => loadConfig({ env: { PALISADE_DATABASE_URL: pg, PALISADE_BUS_URL: nats }, argv: ['--workers', bad], cwd }))
        assert.deepEqual(e.errors?.map((x) => x.path), ['--workers'], bad)
        assert.match(e.message, /--workers: must be a whole number of worker processes from 1 to 64/)
      }
      const e = refusal(() => loadConfig({ env: { PALISADE_DATABASE_URL: pg, PALISADE_BUS_URL: nats, PALISADE_WORKERS: '-1' }, cwd }))
      assert.deepEqual(e.errors?.map((x) => x.path), ['PALISADE_WORKERS'])
    })

    it('refuses more than one worker on SQLite, saying why', () => {
      const e = refusal(() => loadConfig({ env: {}, argv: ['--workers', '2'], cwd }))
      assert.deepEqual(e.errors?.map((x) => x.path), ['--workers', '--workers'], 'SQLite, and no bus either')
      assert.match(e.message, /--workers: above 1 needs a PostgreSQL database .*SQLite file would each keep their own log caches/)
    })

    it('refuses more than one worker without a bus, saying why', () => {
      const e = refusal(() => loadConfig({ env: { PALISADE_DATABASE_URL: pg, PALISADE_WORKERS: '2' }, cwd }))
      assert.deepEqual(e.errors?.map((x) => x.path), ['PALISADE_WORKERS'])
      assert.match(e.message, /PALISADE_WORKERS: above 1 needs a bus \(--bus nats:\/\/host:port\): the in-process bus does not reach other worker processes/)
    })

    it('refuses a node id that leaves no room for the worker suffix', () => {
      const env = { PALISADE_DATABASE_URL: pg, PALISADE_BUS_URL: nats }
      assert.equal(loadConfig({ env, argv: ['--workers', '12', '--node-id', 'n'.repeat(60)], cwd }).nodeId.length, 60)
      const e = refusal(() => loadConfig({ env, argv: ['--workers', '12', '--node-id', 'n'.repeat(61)], cwd }))
      assert.deepEqual(e.errors?.map((x) => x.path), ['--node-id'])
      assert.match(e.message, /at most 60 characters with 12 workers/)
      // One worker: the node id is used as is.
      assert.equal(loadConfig({ env, argv: ['--node-id', 'n'.repeat(64)], cwd }).workers, 1)
    })
  })

  it('returns a deeply frozen object', () => {
    const c = loadConfig({ env: {}, cwd })
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.listen))
    assert.throws(() => {
      ;(c.listen as { port: number }).port = 1
    }, TypeError)
  })
})
