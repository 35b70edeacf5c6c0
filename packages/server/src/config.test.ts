import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from './config.js'
import { ServerError } from './errors.js'

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
      logLevel: 'info',
      publicUrl: null,
      secretKey: null,
      requestTimeoutMs: 60_000,
      helloTimeoutMs: 10_000,
      busUrl: null,
      nodeId: config.nodeId,
      metricsListen: null,
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

  it('returns a deeply frozen object', () => {
    const c = loadConfig({ env: {}, cwd })
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.listen))
    assert.throws(() => {
      ;(c.listen as { port: number }).port = 1
    }, TypeError)
  })
})
