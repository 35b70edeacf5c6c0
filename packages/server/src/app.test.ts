import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { buildApp } from './app.js'
import { openDatabase } from './db/open.js'
import { testDatabase } from './db/test-database.test.helper.js'
import { captureLogger, tempDir, testApp, testConfig } from './fixtures.test.helper.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('buildApp', () => {
  it('answers /healthz with 200 {status: ok} and the standard headers', async (t) => {
    const { app } = await testApp(t)
    const res = await app.inject({ method: 'GET', url: '/healthz' })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { status: 'ok', checks: { database: 'ok', bus: 'ok' } })
    assert.match(String(res.headers['x-request-id']), UUID)
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.equal(res.headers['x-content-type-options'], 'nosniff')
  })

  it('gives each request its own id and ignores one sent by the client', async (t) => {
    const { app } = await testApp(t)
    const a = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'forged' } })
    const b = await app.inject({ method: 'GET', url: '/healthz' })
    assert.notEqual(a.headers['x-request-id'], 'forged')
    assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id'])
  })

  it('answers /healthz with a 503 problem when the database is gone', async (t) => {
    const { app, db } = await testApp(t)
    await db.destroy()
    const res = await app.inject({ method: 'GET', url: '/healthz' })
    assert.equal(res.statusCode, 503)
    assert.equal(res.json().code, 'SRV_UNAVAILABLE')
    assert.match(res.json().detail, /database/)
    assert.deepEqual(res.json().errors, [{ path: '/checks/database', message: 'the database is unreachable' }])
  })

  it('closes the database when the app closes', async (t) => {
    const made = await testDatabase('app')
    t.after(() => made.drop())
    const config = testConfig(tempDir(t), made.env)
    const db = await openDatabase(config.databaseUrl)
    const app = buildApp({ config, db, logger: captureLogger().logger })
    await app.ready()
    await app.close()
    await assert.rejects(db.selectFrom('orgs').selectAll().execute())
  })

  it('registers exactly the route plugins it is given', async (t) => {
    const made = await testDatabase('app')
    const config = testConfig(tempDir(t), made.env)
    const db = await openDatabase(config.databaseUrl)
    const app = buildApp({ config, db, logger: captureLogger().logger, routes: [] })
    t.after(() => app.close().then(made.drop))
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 404)
  })
})
