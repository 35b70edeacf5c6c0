import { describe, it, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { connect, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../app.js'
import { openDatabase } from '../db/open.js'
import { testDatabase } from '../db/test-database.test.helper.js'
import { captureLogger, testConfig } from '../fixtures.test.helper.js'
import { consoleDir } from './console-dir.js'
import { consoleRoutes } from './console-routes.js'
import { CONSOLE_CSP } from './security-headers.js'

const INDEX = '<!doctype html><title>console</title><script type="module" src="/assets/index-abc_1.js"></script>'

/** A fake built console: dist/index.html, dist/assets/*, and a secret next to dist. */
function fakeDist(t: TestContext, built = true): { root: string; dist: string } {
  const root = mkdtempSync(join(tmpdir(), 'palisade-console-test-'))
  t.after(() => rmSync(root, { recursive: true, force: true }))
  const dist = join(root, 'dist')
  mkdirSync(join(dist, 'assets'), { recursive: true })
  writeFileSync(join(root, 'secret.js'), 'SECRET')
  if (built) {
    writeFileSync(join(dist, 'index.html'), INDEX)
    writeFileSync(join(dist, 'assets', 'index-abc_1.js'), 'console.log(1)')
    writeFileSync(join(dist, 'assets', 'index-abc_1.css'), 'body{}')
    writeFileSync(join(dist, 'assets', 'notes.exe'), 'MZ')
    symlinkSync(join(root, 'secret.js'), join(dist, 'assets', 'leak.js'))
  }
  return { root, dist }
}

/** Sends `GET <path>` byte for byte (no client-side URL normalisation) and returns the raw answer. */
function rawGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`))
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => (text += d))
    socket.on('end', () => resolve(text))
    socket.on('error', reject)
  })
}

async function appFor(t: TestContext, dir: string | undefined) {
  const data = mkdtempSync(join(tmpdir(), 'palisade-console-data-'))
  const made = await testDatabase('console')
  const config = testConfig(data, made.env)
  const db = await openDatabase(config.databaseUrl)
  const app = buildApp({ config, db, logger: captureLogger().logger, routes: [consoleRoutes(dir)] })
  t.after(async () => {
    await app.close()
    await made.drop()
    rmSync(data, { recursive: true, force: true })
  })
  await app.ready()
  return app
}

function assertConsoleHeaders(headers: Record<string, unknown>): void {
  assert.equal(headers['content-security-policy'], CONSOLE_CSP)
  assert.equal(
    CONSOLE_CSP,
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  )
  assert.equal(headers['x-frame-options'], 'DENY')
  assert.equal(headers['referrer-policy'], 'no-referrer')
}

describe('the console routes', { concurrency: true }, () => {
  it('answers index.html with the strict headers for / and every client-side route', async (t) => {
    const { dist } = fakeDist(t)
    const app = await appFor(t, dist)
    for (const url of ['/', '/login', '/setup', '/account', '/account/mfa', '/orgs', '/orgs/acme/devices', '/orgs/acme/commands/cmd-1?tab=x', '/orgs/acme/audit?actor=bob&result=denied']) {
      const res = await app.inject({ method: 'GET', url })
      assert.equal(res.statusCode, 200, url)
      assert.equal(res.body, INDEX, url)
      assert.match(String(res.headers['content-type']), /^text\/html/)
      assert.equal(res.headers['cache-control'], 'no-cache')
      assertConsoleHeaders(res.headers)
    }
  })

  it('serves hashed assets with immutable caching and their content type', async (t) => {
    const { dist } = fakeDist(t)
    const app = await appFor(t, dist)
    const js = await app.inject({ method: 'GET', url: '/assets/index-abc_1.js' })
    assert.equal(js.statusCode, 200)
    assert.equal(js.body, 'console.log(1)')
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8')
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable')
    assertConsoleHeaders(js.headers)
    const css = await app.inject({ method: 'GET', url: '/assets/index-abc_1.css' })
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8')
  })

  it('never reads outside the console directory (traversal, encoded dots, NUL, symlinks, other types)', async (t) => {
    const { dist } = fakeDist(t)
    const app = await appFor(t, dist)
    const attempts = [
      '/assets/..%2fsecret.js',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.js',
      '/assets/..%5csecret.js',
      '/assets/index-abc_1.js%00.css',
      '/assets/leak.js',
      '/assets/notes.exe',
      '/assets/missing.js',
      '/assets/../secret.js',
      '/assets/%2fetc%2fpasswd',
      '/assets/index.html',
    ]
    for (const url of attempts) {
      const res = await app.inject({ method: 'GET', url })
      assert.ok(res.statusCode === 404 || res.statusCode === 400, `${url} answered ${res.statusCode}`)
      assert.doesNotMatch(res.body, /SECRET|MZ|root:/, url)
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/, url)
    }
  })

  it('refuses dot segments sent raw on the socket, which no browser would send', async (t) => {
    const { dist } = fakeDist(t)
    const app = await appFor(t, dist)
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as AddressInfo
    for (const path of ['/assets/..', '/assets/.%2e', '/assets/%2e%2e', '/assets/../secret.js', '/assets/..%2f..%2fsecret.js']) {
      const answer = await rawGet(port, path)
      assert.match(answer, /^HTTP\/1\.1 (400|404) /, path)
      assert.doesNotMatch(answer, /SECRET/, path)
    }
  })

  it('answers a 404 problem for paths that are neither client routes nor assets', async (t) => {
    const { dist } = fakeDist(t)
    const app = await appFor(t, dist)
    for (const url of ['/favicon.ico', '/index.html', '/secret.js', '/v1/nope', '/loginx']) {
      const res = await app.inject({ method: 'GET', url })
      assert.equal(res.statusCode, 404, url)
      assert.equal(res.json().code, 'SRV_NOT_FOUND', url)
    }
  })

  it('tells the operator to build the console when it is not built or not installed', async (t) => {
    const { dist } = fakeDist(t, false)
    const app = await appFor(t, dist)
    const res = await app.inject({ method: 'GET', url: '/orgs/acme/devices' })
    assert.equal(res.statusCode, 503)
    assert.equal(res.json().code, 'SRV_UNAVAILABLE')
    assert.match(res.json().detail, /not built: run `npm run build` in the Palisade checkout/)
    assert.doesNotMatch(res.json().detail, new RegExp(dist))
    assertConsoleHeaders(res.headers)
    const none = await appFor(t, undefined)
    const res2 = await none.inject({ method: 'GET', url: '/' })
    assert.equal(res2.statusCode, 503)
    assert.match(res2.json().detail, /PALISADE_CONSOLE_DIR/)
  })

  it('refuses malformed query strings on client routes with a 400 naming the field', async (t) => {
    const { dist } = fakeDist(t)
    const app = await appFor(t, dist)
    const res = await app.inject({ method: 'GET', url: `/orgs/acme/devices?q=${'x'.repeat(600)}` })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().code, 'SRV_VALIDATION')
  })
})

describe('consoleDir', () => {
  it('takes PALISADE_CONSOLE_DIR when absolute, and refuses a relative one', () => {
    assert.equal(consoleDir({ PALISADE_CONSOLE_DIR: '/srv/console/' }), '/srv/console')
    assert.throws(() => consoleDir({ PALISADE_CONSOLE_DIR: 'console/dist' }), /must be an absolute directory path/)
  })

  it('finds the @palisade/console workspace package otherwise', () => {
    assert.match(consoleDir({}) ?? '', /packages\/console\/dist$/)
  })
})
