import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { captureLogger, testApp } from './fixtures.test.helper.js'
import { NO_QUERY } from './http/schemas.js'
import { PUBLIC } from './auth/access.js'
import { redactionPaths, redactUrl } from './logger.js'
import { loadConfig } from './config.js'

describe('request logging', () => {
  it('never writes a bearer token, cookie or API key, even at trace level and when a route logs all headers', async (t) => {
    const { app, lines } = await testApp(t, {
      logLevel: 'trace',
      plugin: async (a) => {
        a.get('/dump', { config: { access: PUBLIC }, schema: { querystring: NO_QUERY, response: { 200: {} } } }, async (request) => {
          request.log.info({ headers: request.headers }, 'headers seen')
          throw new Error('fail so that the error path logs too')
        })
      },
    })
    const res = await app.inject({
      method: 'GET',
      url: '/dump',
      headers: { authorization: 'Bearer pal_secret', cookie: 'session=pal_cookie', 'x-api-key': 'pal_apikey' },
    })
    assert.equal(res.statusCode, 500)
    const out = lines.join('')
    assert.match(out, /headers seen/)
    assert.match(out, /"authorization":"\[redacted\]"/)
    for (const secret of ['pal_secret', 'pal_cookie', 'pal_apikey']) assert.ok(!out.includes(secret), secret)
  })

  it('redacts secret query parameters in the logged URL', async (t) => {
    const { app, lines } = await testApp(t)
    await app.inject({ method: 'GET', url: '/v1/enroll?token=pal_enroll_secret&page=2' })
    const out = lines.join('')
    assert.ok(!out.includes('pal_enroll_secret'))
    assert.match(out, /page=2/)
  })
})

describe('createLogger', () => {
  it('redacts secret fields at any depth up to four levels', () => {
    const { logger, lines } = captureLogger()
    logger.info({ password: 'p1', org: { setupCode: 's1', admin: { token: 't1', meta: { secret: 'x1' } } } }, 'nested')
    logger.info({ config: { databaseUrl: 'postgres://u:pw1@db/x' } }, 'config')
    const out = lines.join('')
    for (const secret of ['p1', 's1', 't1', 'x1', 'pw1']) assert.ok(!out.includes(`"${secret}"`) && !out.includes(`${secret}@`), secret)
  })
})

describe('createLogger and the server configuration', () => {
  it('never writes the secret key or the database URL, whether logged as config or as environment', () => {
    const key = randomBytes(32).toString('base64')
    const url = 'postgres://palisade:pw-in-url@db.internal/palisade'
    const env = { PALISADE_SECRET_KEY: key, PALISADE_DATABASE_URL: url, PALISADE_DATA_DIR: '/srv/palisade' }
    const config = loadConfig({ env, cwd: '/srv' })
    const { logger, lines } = captureLogger()
    logger.info(config, 'whole config')
    logger.info({ config }, 'nested config')
    logger.info({ worker: { index: 1, config } }, 'deeper')
    logger.info({ env }, 'environment')
    const out = lines.join('')
    assert.match(out, /"secretKey":"\[redacted\]"/)
    assert.match(out, /"PALISADE_SECRET_KEY":"\[redacted\]"/)
    for (const secret of [key, 'pw-in-url']) assert.ok(!out.includes(secret), secret)
    assert.match(out, /\/srv\/palisade/, 'the rest is logged')
  })
})

describe('redactionPaths', () => {
  it('uses bracket notation for names that are not identifiers', () => {
    assert.deepEqual(redactionPaths(['set-cookie']), ['["set-cookie"]', '*["set-cookie"]', '*.*["set-cookie"]', '*.*.*["set-cookie"]'])
  })
})

describe('redactUrl', () => {
  it('replaces secret-looking parameters and keeps the rest', () => {
    assert.equal(redactUrl('/v1/enroll?token=abc&page=2&setup_code=x'), '/v1/enroll?token=REDACTED&page=2&setup_code=REDACTED')
    assert.equal(redactUrl('/v1/orgs'), '/v1/orgs')
  })
})
