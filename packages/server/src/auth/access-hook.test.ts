import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { orgAccess, PUBLIC, SESSION, SESSION_MFA_OPTIONAL } from './access.js'
import { accessTestApp, type AccessTestApp } from './access-app.test.helper.js'
import { API_KEY_RE, createApiKey, hashSecret, parseApiKey } from './api-key.js'
import { base32 } from './base32.js'
import { createAdmin, createKey, createSession } from './principals.test.helper.js'
import { orgOf } from './request-principal.js'
import { LAST_USED_INTERVAL_MS } from './resolve-api-key.js'
import { SESSION_POLICY } from './session-policy.js'

const ORG = objectSchema({ org: { type: 'string' } }, ['org'])
const ANY = { 200: { type: 'object', additionalProperties: true }, 201: { type: 'object', additionalProperties: true } }

const testRoutes: RoutePlugin = async (app) => {
  app.get('/t/orgs/:org/read', { config: { access: orgAccess('read') }, schema: { params: ORG, querystring: NO_QUERY, response: ANY } }, async (request) => ({
    principal: request.principal,
    org: orgOf(request),
  }))
  app.post(
    '/t/orgs/:org/devices',
    {
      config: { access: orgAccess('devices:write'), audit: { action: 'test.write', target: 'thing' } },
      schema: { params: ORG, querystring: NO_QUERY, body: objectSchema({}), response: ANY },
    },
    async (request, reply) => reply.code(201).send({ org: orgOf(request) }),
  )
  app.get('/t/session', { config: { access: SESSION }, schema: { querystring: NO_QUERY, response: ANY } }, async (request) => ({ principal: request.principal }))
  app.get('/t/pre-mfa', { config: { access: SESSION_MFA_OPTIONAL }, schema: { querystring: NO_QUERY, response: ANY } }, async () => ({}))
  app.post(
    '/t/session',
    { config: { access: SESSION, audit: { action: 'test.session-write' } }, schema: { querystring: NO_QUERY, body: objectSchema({}), response: ANY } },
    async () => ({}),
  )
  app.get('/t/public', { config: { access: PUBLIC }, schema: { querystring: NO_QUERY, response: ANY } }, async (request) => ({ kind: request.principal.kind }))
}

let t: AccessTestApp
before(async () => {
  t = await accessTestApp([testRoutes])
})
after(() => t.close())

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers })
const post = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url, headers, payload: {} })

describe('createApiKey', () => {
  it('returns pal_<8 base32>_<43 base64url> and stores only the prefix and the SHA-256 of the secret', async () => {
    const { id, key } = await createApiKey(t.db, 'acme', 'ci', ['admin'])
    assert.match(key, API_KEY_RE)
    const { prefix, secret } = parseApiKey(key)!
    const row = await t.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    assert.equal(row.prefix, prefix)
    assert.equal(row.secret_hash, hashSecret(secret))
    assert.ok(!JSON.stringify(row).includes(secret))
  })

  it('splits only at the first two underscores (base64url secrets contain "_")', () => {
    const secret = `${'_'.repeat(21)}-${'a'.repeat(21)}`
    assert.deepEqual(parseApiKey(`pal_abcdefgh_${secret}`), { prefix: 'abcdefgh', secret })
    assert.equal(parseApiKey('pal_ABCDEFGH_' + 'a'.repeat(43)), undefined)
    assert.equal(parseApiKey('pal_abcdefgh_' + 'a'.repeat(42)), undefined)
  })
})

describe('base32', () => {
  it('matches the RFC 4648 test vectors (unpadded)', () => {
    const vectors: [string, string][] = [['', ''], ['f', 'MY'], ['fo', 'MZXQ'], ['foo', 'MZXW6'], ['foob', 'MZXW6YQ'], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI']]
    for (const [input, out] of vectors) assert.equal(base32(new TextEncoder().encode(input)), out)
  })
})

describe('access by API key', () => {
  it('accepts a key of the org whose scopes grant the permission, and sets the principal', async () => {
    const { id, auth } = await createKey(t.db, 'acme', ['read'], { name: 'reader' })
    const res = await get('/t/orgs/acme/read', auth)
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json(), { principal: { kind: 'api-key', apiKeyId: id, name: 'reader', orgId: 'acme', scopes: ['read'] }, org: 'acme' })
  })

  it('answers no credentials with 401 and a Bearer challenge', async () => {
    const res = await get('/t/orgs/acme/read')
    assert.deepEqual([res.statusCode, res.json().code], [401, 'SRV_UNAUTHENTICATED'])
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="palisade"')
  })

  it('answers malformed, unknown, wrong-secret, revoked and expired keys with the same 401', async () => {
    const { key } = await createKey(t.db, 'acme', ['read'])
    const revoked = await createKey(t.db, 'acme', ['read'])
    await t.db.updateTable('api_keys').set({ revoked_at: t.clock.now - 1 }).where('id', '=', revoked.id).execute()
    const expired = await createKey(t.db, 'acme', ['read'], { expiresAt: t.clock.now })
    const { prefix } = parseApiKey(key)!
    const cases = ['Basic dXNlcjpwYXNz', `Bearer ${key}x`, `Bearer pal_${prefix}_${'A'.repeat(43)}`, `Bearer pal_zzzzzzzz_${'A'.repeat(43)}`, `Bearer ${revoked.key}`, `Bearer ${expired.key}`]
    const details = new Set<string>()
    for (const authorization of cases) {
      const res = await get('/t/orgs/acme/read', { authorization })
      assert.equal(res.statusCode, 401, authorization)
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="palisade", error="invalid_token"')
      details.add(res.json().detail)
    }
    assert.equal(details.size, 1)
  })

  it('answers a valid key used on another org, or on an org that does not exist, with the same 404', async () => {
    const { auth } = await createKey(t.db, 'acme', ['admin'])
    const a = await get('/t/orgs/globex/read', auth)
    const b = await get('/t/orgs/no-such-org/read', auth)
    assert.deepEqual([a.statusCode, a.json().code, a.json().detail], [404, 'SRV_NOT_FOUND', 'no such organisation'])
    assert.deepEqual([b.statusCode, b.json().detail], [404, a.json().detail])
  })

  it('refuses a key whose scopes do not grant the permission with 403 naming it; unknown scopes grant nothing', async () => {
    const reader = await createKey(t.db, 'acme', ['read'])
    const odd = await createKey(t.db, 'acme', ['superuser', 'devices:write'])
    for (const { auth } of [reader, odd]) {
      const res = await post('/t/orgs/acme/devices', auth)
      assert.deepEqual([res.statusCode, res.json().code], [403, 'SRV_FORBIDDEN'])
      assert.match(res.json().detail, /devices:write/)
    }
    const devices = await createKey(t.db, 'acme', ['devices'])
    assert.equal((await post('/t/orgs/acme/devices', devices.auth)).statusCode, 201)
  })

  it('refuses a valid key on a session route with 403', async () => {
    const { auth } = await createKey(t.db, 'acme', ['admin'])
    const res = await get('/t/session', auth)
    assert.deepEqual([res.statusCode, res.json().code], [403, 'SRV_FORBIDDEN'])
  })

  it('records last use at most once a minute', async () => {
    const { id, auth } = await createKey(t.db, 'acme', ['read'])
    const lastUsed = async () => t.db.selectFrom('api_keys').select(['last_used_at', 'last_used_addr']).where('id', '=', id).executeTakeFirstOrThrow()
    await get('/t/orgs/acme/read', auth)
    assert.deepEqual(await lastUsed(), { last_used_at: t.clock.now, last_used_addr: '127.0.0.1' })
    const first = t.clock.now
    t.clock.now += LAST_USED_INTERVAL_MS - 1
    await get('/t/orgs/acme/read', auth)
    assert.equal((await lastUsed()).last_used_at, first)
    t.clock.now += 1
    await get('/t/orgs/acme/read', auth)
    assert.equal((await lastUsed()).last_used_at, t.clock.now)
  })
})

describe('access by console session', () => {
  it('accepts a session of an admin with a role granting the permission', async () => {
    const admin = await createAdmin(t.db, 'sess-ok', { acme: 'admin' })
    const s = await createSession(t.db, admin.id, { now: t.clock.now })
    const res = await get('/t/orgs/acme/read', s.read)
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json().principal, { kind: 'admin', adminId: admin.id, username: 'sess-ok', sessionId: s.id, mfa: true, orgId: 'acme', role: 'admin' })
    assert.equal((await post('/t/orgs/acme/devices', s.write)).statusCode, 201)
  })

  it('refuses a write without the CSRF token, or with another session\'s, with 403 SRV_CSRF', async () => {
    const admin = await createAdmin(t.db, 'csrf', { acme: 'owner' })
    const s = await createSession(t.db, admin.id, { now: t.clock.now })
    const other = await createSession(t.db, admin.id, { now: t.clock.now })
    for (const headers of [s.read, { ...s.read, 'x-csrf-token': other.csrf }, { ...s.read, 'x-csrf-token': 'x' }]) {
      const res = await post('/t/orgs/acme/devices', headers)
      assert.deepEqual([res.statusCode, res.json().code], [403, 'SRV_CSRF'])
    }
    assert.equal((await post('/t/session', s.read)).json().code, 'SRV_CSRF')
    assert.equal((await post('/t/session', s.write)).statusCode, 200)
  })

  it('expires a session after the idle timeout, refreshing last_seen_at at most once a minute', async () => {
    const admin = await createAdmin(t.db, 'idle', { acme: 'read-only' })
    const s = await createSession(t.db, admin.id, { now: t.clock.now })
    const seen = async () => (await t.db.selectFrom('sessions').select('last_seen_at').where('id', '=', s.id).executeTakeFirstOrThrow()).last_seen_at
    const start = t.clock.now
    t.clock.now += SESSION_POLICY.touchIntervalMs - 1
    assert.equal((await get('/t/session', s.read)).statusCode, 200)
    assert.equal(await seen(), start)
    t.clock.now += 1
    assert.equal((await get('/t/session', s.read)).statusCode, 200)
    assert.equal(await seen(), t.clock.now)
    t.clock.now += SESSION_POLICY.idleTimeoutMs - 1
    assert.equal((await get('/t/session', s.read)).statusCode, 200)
    t.clock.now += SESSION_POLICY.idleTimeoutMs
    const res = await get('/t/session', s.read)
    assert.deepEqual([res.statusCode, res.json().code], [401, 'SRV_UNAUTHENTICATED'])
  })

  it('expires a busy session at its absolute expiry', async () => {
    const admin = await createAdmin(t.db, 'absolute', { acme: 'read-only' })
    const s = await createSession(t.db, admin.id, { now: t.clock.now, expiresAt: t.clock.now + 3 * SESSION_POLICY.touchIntervalMs })
    for (let i = 0; i < 2; i++) {
      t.clock.now += SESSION_POLICY.touchIntervalMs
      assert.equal((await get('/t/session', s.read)).statusCode, 200)
    }
    t.clock.now += SESSION_POLICY.touchIntervalMs
    assert.equal((await get('/t/session', s.read)).statusCode, 401)
  })

  it('answers revoked, unknown, malformed and disabled-admin sessions with the same 401', async () => {
    const admin = await createAdmin(t.db, 'revoked', { acme: 'owner' })
    const revoked = await createSession(t.db, admin.id, { now: t.clock.now, revokedAt: t.clock.now })
    const disabled = await createAdmin(t.db, 'disabled', { acme: 'owner' }, { status: 'disabled' })
    const ofDisabled = await createSession(t.db, disabled.id, { now: t.clock.now })
    const cookies = [revoked.read.cookie, ofDisabled.read.cookie, `palisade_session=${'A'.repeat(43)}`, 'palisade_session=short', `${revoked.read.cookie}; ${revoked.read.cookie}`]
    const details = new Set<string>()
    for (const cookie of cookies) {
      const res = await get('/t/orgs/acme/read', { cookie })
      assert.equal(res.statusCode, 401, cookie)
      details.add(res.json().detail)
    }
    assert.equal(details.size, 1)
  })

  it('answers an org where the admin holds no role, or that does not exist, with the same 404', async () => {
    const admin = await createAdmin(t.db, 'acme-only', { acme: 'owner' })
    const s = await createSession(t.db, admin.id, { now: t.clock.now })
    for (const org of ['globex', 'nope']) {
      const res = await get(`/t/orgs/${org}/read`, s.read)
      assert.deepEqual([res.statusCode, res.json().detail], [404, 'no such organisation'])
    }
  })

  it('refuses a role lacking the permission with 403 naming it', async () => {
    const admin = await createAdmin(t.db, 'helpdesk', { acme: 'helpdesk' })
    const s = await createSession(t.db, admin.id, { now: t.clock.now })
    const res = await post('/t/orgs/acme/devices', s.write)
    assert.deepEqual([res.statusCode, res.json().code], [403, 'SRV_FORBIDDEN'])
    assert.match(res.json().detail, /devices:write/)
  })

  it('lets a session without MFA call only mfaOptional session routes', async () => {
    const admin = await createAdmin(t.db, 'pre-mfa', { acme: 'owner' }, { totp: true })
    const s = await createSession(t.db, admin.id, { now: t.clock.now, mfa: false })
    assert.equal((await get('/t/pre-mfa', s.read)).statusCode, 200)
    for (const res of [await get('/t/session', s.read), await get('/t/orgs/acme/read', s.read), await get('/t/orgs/globex/read', s.read)]) {
      assert.deepEqual([res.statusCode, res.json().code], [403, 'SRV_MFA_REQUIRED'])
    }
  })

  it('requires a real second factor in an org that requires MFA', async () => {
    await t.db.insertInto('orgs').values({ id: 'strict', name: 'Strict', created_at: 1, require_mfa: 1 }).execute()
    const noTotp = await createAdmin(t.db, 'no-totp', { strict: 'owner', acme: 'owner' })
    const withTotp = await createAdmin(t.db, 'with-totp', { strict: 'owner' }, { totp: true })
    const a = await createSession(t.db, noTotp.id, { now: t.clock.now })
    const b = await createSession(t.db, withTotp.id, { now: t.clock.now })
    const res = await get('/t/orgs/strict/read', a.read)
    assert.deepEqual([res.statusCode, res.json().code], [403, 'SRV_MFA_REQUIRED'])
    assert.equal((await get('/t/orgs/acme/read', a.read)).statusCode, 200)
    assert.equal((await get('/t/orgs/strict/read', b.read)).statusCode, 200)
  })
})

describe('credentials in general', () => {
  it('refuses a session cookie together with an Authorization header with 400, whatever their validity', async () => {
    const admin = await createAdmin(t.db, 'both', { acme: 'owner' })
    const s = await createSession(t.db, admin.id, { now: t.clock.now })
    const { auth } = await createKey(t.db, 'acme', ['admin'])
    const res = await get('/t/orgs/acme/read', { ...s.read, ...auth })
    assert.deepEqual([res.statusCode, res.json().code], [400, 'SRV_AMBIGUOUS_CREDENTIALS'])
  })

  it('ignores credentials on public routes, even broken ones', async () => {
    for (const headers of [{}, { authorization: 'Bearer garbage' }, { cookie: 'palisade_session=bad', authorization: 'x' }]) {
      const res = await get('/t/public', headers)
      assert.deepEqual([res.statusCode, res.json()], [200, { kind: 'anonymous' }])
    }
  })

  it('refuses before reading the body: an unauthenticated oversize body gets 401, not 413', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/t/orgs/acme/devices', payload: JSON.stringify({ x: 'y'.repeat(2 * 1024 * 1024) }), headers: { 'content-type': 'application/json' } })
    assert.equal(res.statusCode, 401)
  })
})
